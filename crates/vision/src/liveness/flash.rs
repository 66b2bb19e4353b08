//! Colour-flash (reflection) liveness, FaceID's 光线活体: while the camera records, the page
//! fills the screen with a random sequence of colours the server issued, and a face a few
//! tens of centimetres from the screen reflects each colour. The background, a metre or more
//! away, hardly does; a photo or video injected into the camera, or played on another screen,
//! does not follow a sequence nobody knew in advance.
//!
//! What is measured, per frame: the mean colour of three skin patches placed by the mesh
//! (forehead, both cheeks) and of the picture around the face. The log ratio of the two,
//! minus its own mean over the channels, is the face's colour shift relative to the scene, so
//! whatever changes the whole frame alike (the camera's exposure and white balance, or an
//! attacker's tint over the whole picture) cancels out. That shift must follow the issued
//! colours, at the times the page reports it showed them, within a bounded lag.

use image::RgbImage;
use serde::Serialize;

use crate::face::BoundingBox;

/// The colours a sequence draws from: saturated, so each moves the face's chromaticity in its
/// own direction (white and black would only change brightness, which exposure control hides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FlashColour {
    Red,
    Green,
    Blue,
    Yellow,
    Cyan,
    Magenta,
}

impl FlashColour {
    pub const ALL: [FlashColour; 6] = [
        FlashColour::Red,
        FlashColour::Green,
        FlashColour::Blue,
        FlashColour::Yellow,
        FlashColour::Cyan,
        FlashColour::Magenta,
    ];

    /// One-letter code, as a sequence is written in a challenge.
    pub fn code(self) -> char {
        match self {
            FlashColour::Red => 'r',
            FlashColour::Green => 'g',
            FlashColour::Blue => 'b',
            FlashColour::Yellow => 'y',
            FlashColour::Cyan => 'c',
            FlashColour::Magenta => 'm',
        }
    }

    pub fn from_code(code: char) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The colour's channels in [0, 1].
    pub fn rgb(self) -> [f32; 3] {
        match self {
            FlashColour::Red => [1.0, 0.0, 0.0],
            FlashColour::Green => [0.0, 1.0, 0.0],
            FlashColour::Blue => [0.0, 0.0, 1.0],
            FlashColour::Yellow => [1.0, 1.0, 0.0],
            FlashColour::Cyan => [0.0, 1.0, 1.0],
            FlashColour::Magenta => [1.0, 0.0, 1.0],
        }
    }

    /// CSS colour the page fills the screen with.
    pub fn css(self) -> &'static str {
        match self {
            FlashColour::Red => "#ff0000",
            FlashColour::Green => "#00ff00",
            FlashColour::Blue => "#0000ff",
            FlashColour::Yellow => "#ffff00",
            FlashColour::Cyan => "#00ffff",
            FlashColour::Magenta => "#ff00ff",
        }
    }

    /// The direction the colour pushes chromaticity: its channels minus their mean.
    fn chroma(self) -> [f32; 3] {
        centred(self.rgb())
    }
}

/// A sequence written as its letters, e.g. "rgbycmr"; `None` for an unknown letter or an
/// empty sequence.
pub fn parse_sequence(code: &str) -> Option<Vec<FlashColour>> {
    let colours: Option<Vec<_>> = code.chars().map(FlashColour::from_code).collect();
    colours.filter(|c| !c.is_empty())
}

pub fn sequence_code(colours: &[FlashColour]) -> String {
    colours.iter().map(|c| c.code()).collect()
}

/// How long the page shows each colour. Under two changes a second: well below the three
/// flashes a second that WCAG 2.3.1 sets as the limit for photosensitive viewers.
pub const COLOUR_MS: u32 = 600;
/// Colours in an issued sequence; the issue asks for at least six.
pub const SEQUENCE_LENGTH: usize = 7;
/// The page may start the first colour this long after the recording starts.
const MAX_FIRST_ONSET_MS: u32 = 3_000;
/// A colour shown for less than this or more than this (rendering jitter, a busy phone) is
/// not the sequence the server issued.
const MIN_GAP_MS: u32 = COLOUR_MS * 3 / 4;
const MAX_GAP_MS: u32 = COLOUR_MS * 2;

/// Why the page's report of when it showed the colours cannot be believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReportProblem {
    #[error("the report names {got} colour changes for a sequence of {want}")]
    WrongCount { got: usize, want: usize },
    #[error("the first colour is reported too late")]
    LateStart,
    #[error("a colour is reported shown for {0} ms, outside {MIN_GAP_MS}–{MAX_GAP_MS} ms")]
    BadTiming(u32),
}

/// Checks the onsets (ms from the start of the recording) the page reports for a sequence of
/// `colours` colours.
pub fn check_report(colours: usize, onsets_ms: &[u32]) -> Result<(), ReportProblem> {
    if onsets_ms.len() != colours {
        return Err(ReportProblem::WrongCount {
            got: onsets_ms.len(),
            want: colours,
        });
    }
    if onsets_ms.first().is_some_and(|&t| t > MAX_FIRST_ONSET_MS) {
        return Err(ReportProblem::LateStart);
    }
    for pair in onsets_ms.windows(2) {
        let gap = pair[1].saturating_sub(pair[0]);
        if !(MIN_GAP_MS..=MAX_GAP_MS).contains(&gap) {
            return Err(ReportProblem::BadTiming(gap));
        }
    }
    Ok(())
}

/// Parses "0,600,1210,…" as the page sends it.
pub fn parse_report(text: &str) -> Option<Vec<u32>> {
    text.split(',')
        .map(|part| part.trim().parse::<u32>().ok())
        .collect()
}

/// The light a frame shows: mean RGB (0–255) of the face's skin patches and of the picture
/// around the face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LightSample {
    pub face: [f32; 3],
    pub background: [f32; 3],
}

/// Mesh points at the middle of the forehead and of each cheek: skin that faces the screen,
/// away from the eyes, brows, nostrils and lips whose colour is not the reflection's.
const SKIN_POINTS: [usize; 3] = [151, 50, 280];
/// Points across the face, whose distance scales the patches.
const FACE_SIDES: (usize, usize) = (234, 454);
/// Patch half-size as a share of the face width.
const PATCH: f32 = 0.07;
/// The face's box, grown by this factor about its centre, is left out of the background (hair,
/// ears and neck are near the screen too).
const FACE_MARGIN: f32 = 1.4;
/// Background samples are taken on a grid of this step (pixels).
const GRID: usize = 4;
/// Fewer background samples than this share of the grid: the face fills the picture and
/// there is no scene to compare it with.
const MIN_BACKGROUND_SHARE: f32 = 0.08;

/// The light sample of one frame from its face box and mesh points (image coordinates);
/// `None` when a patch leaves the picture or too little background is visible.
pub fn light_sample(
    frame: &RgbImage,
    points: &[(f32, f32)],
    bbox: &BoundingBox,
) -> Option<LightSample> {
    let (w, h) = (frame.width() as i64, frame.height() as i64);
    let (a, b) = (points.get(FACE_SIDES.0)?, points.get(FACE_SIDES.1)?);
    let face_width = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let half = (face_width * PATCH).max(1.0) as i64;
    let mut face = [0f64; 3];
    let mut face_n = 0u64;
    for &id in &SKIN_POINTS {
        let (cx, cy) = *points.get(id)?;
        let (cx, cy) = (cx.round() as i64, cy.round() as i64);
        if cx - half < 0 || cy - half < 0 || cx + half >= w || cy + half >= h {
            return None;
        }
        for y in cy - half..=cy + half {
            for x in cx - half..=cx + half {
                let p = frame.get_pixel(x as u32, y as u32).0;
                for c in 0..3 {
                    face[c] += f64::from(p[c]);
                }
                face_n += 1;
            }
        }
    }
    let (mx, my) = ((bbox.x1 + bbox.x2) / 2.0, (bbox.y1 + bbox.y2) / 2.0);
    let (hw, hh) = (
        (bbox.x2 - bbox.x1) * FACE_MARGIN / 2.0,
        (bbox.y2 - bbox.y1) * FACE_MARGIN / 2.0,
    );
    let mut background = [0f64; 3];
    let (mut background_n, mut grid_n) = (0u64, 0u64);
    for y in (0..h as usize).step_by(GRID) {
        for x in (0..w as usize).step_by(GRID) {
            grid_n += 1;
            if (x as f32 - mx).abs() <= hw && (y as f32 - my).abs() <= hh {
                continue;
            }
            let p = frame.get_pixel(x as u32, y as u32).0;
            for c in 0..3 {
                background[c] += f64::from(p[c]);
            }
            background_n += 1;
        }
    }
    if face_n == 0 || (background_n as f32) < grid_n as f32 * MIN_BACKGROUND_SHARE {
        return None;
    }
    let mean = |sum: [f64; 3], n: u64| sum.map(|s| (s / n as f64) as f32);
    Some(LightSample {
        face: mean(face, face_n),
        background: mean(background, background_n),
    })
}

/// What the frames say about the issued sequence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlashReport {
    /// Correlation of the face's colour shift with the issued colours at the best lag.
    pub correlation: f32,
    /// Delay (s) of the camera's picture behind the page's report that fits best.
    pub lag_s: f32,
    /// Size of the shift per unit of issued chroma (log-ratio units): how strongly the face
    /// reflects the screen.
    pub amplitude: f32,
    /// Colours whose stretch of frames shifts towards that colour more than towards any other.
    pub colours_matched: usize,
    pub colours: usize,
    /// Share of the frames inside the sequence with a measurable face and background.
    pub coverage: f32,
}

/// The camera's picture may lag the page's report by up to this (capture and encoder
/// pipeline, rendering of the colour after it was set).
const MAX_LAG_S: f32 = 0.5;
const LAG_STEP_S: f32 = 0.02;
/// After each change of colour, frames this close to it may still show the previous colour
/// (exposure of a rolling shutter, screen response): segments skip them.
const SETTLE_S: f32 = 0.15;

/// Accepted when the shift follows the sequence this closely (genuine reflections on the test
/// clips: 0.94–0.97; no reflection, another sequence or a whole-frame tint: up to 0.52, the
/// best of 26 lags fitting noise)…
pub const MIN_CORRELATION: f32 = 0.7;
/// …is at least this strong, a 1.5 % change of the skin under a saturated colour (attacks on
/// the test clips: up to 0.013; a 4 % reflection: about 0.035)…
pub const MIN_AMPLITUDE: f32 = 0.015;
/// …and every colour but one is recognised in its own stretch.
pub const MAX_COLOURS_MISSED: usize = 1;
/// …with a face measured in most of the frames.
pub const MIN_COVERAGE: f32 = 0.7;

fn centred(v: [f32; 3]) -> [f32; 3] {
    let m = (v[0] + v[1] + v[2]) / 3.0;
    [v[0] - m, v[1] - m, v[2] - m]
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The face's chromaticity relative to the background.
fn shift(sample: &LightSample) -> [f32; 3] {
    let ratio = |c: usize| (sample.face[c] + 1.0).ln() - (sample.background[c] + 1.0).ln();
    centred([ratio(0), ratio(1), ratio(2)])
}

/// The colour on screen at time `t` (s), `None` before the first or after the last.
fn shown_at(colours: &[FlashColour], onsets_s: &[f32], t: f32) -> Option<usize> {
    let end = onsets_s.last()? + COLOUR_MS as f32 / 1000.0;
    if t < onsets_s[0] || t >= end {
        return None;
    }
    let k = onsets_s.iter().rposition(|&o| o <= t)?;
    (k < colours.len()).then_some(k)
}

/// Removes each channel's least-squares line over time: the slow drift of auto exposure and
/// white balance, and of the light in the room.
fn detrend(times: &[f32], values: &mut [[f32; 3]]) {
    let n = times.len() as f32;
    if times.len() < 2 {
        return;
    }
    let mt = times.iter().sum::<f32>() / n;
    let var: f32 = times.iter().map(|t| (t - mt).powi(2)).sum();
    for c in 0..3 {
        let mv = values.iter().map(|v| v[c]).sum::<f32>() / n;
        let cov: f32 = times
            .iter()
            .zip(values.iter())
            .map(|(t, v)| (t - mt) * (v[c] - mv))
            .sum();
        let slope = if var > 0.0 { cov / var } else { 0.0 };
        for (t, v) in times.iter().zip(values.iter_mut()) {
            v[c] -= mv + slope * (t - mt);
        }
    }
}

/// Measures how the frames' light follows `colours` shown at `onsets_s` (seconds from the
/// start of the recording). `samples[i]` belongs to the frame at `frame_times[i]`.
pub fn measure(
    samples: &[Option<LightSample>],
    frame_times: &[f32],
    colours: &[FlashColour],
    onsets_s: &[f32],
) -> FlashReport {
    let nothing = FlashReport {
        correlation: 0.0,
        lag_s: 0.0,
        amplitude: 0.0,
        colours_matched: 0,
        colours: colours.len(),
        coverage: 0.0,
    };
    if colours.is_empty() || onsets_s.len() != colours.len() || samples.len() != frame_times.len() {
        return nothing;
    }
    let steps = (MAX_LAG_S / LAG_STEP_S).round() as usize;
    // The first lag of the best correlation.
    (0..=steps)
        .map(|step| {
            measure_at(
                samples,
                frame_times,
                colours,
                onsets_s,
                step as f32 * LAG_STEP_S,
            )
        })
        .reduce(|best, c| {
            if c.correlation > best.correlation {
                c
            } else {
                best
            }
        })
        .unwrap_or(nothing)
}

fn measure_at(
    samples: &[Option<LightSample>],
    frame_times: &[f32],
    colours: &[FlashColour],
    onsets_s: &[f32],
    lag: f32,
) -> FlashReport {
    let mut times = Vec::new();
    let mut observed = Vec::new();
    let mut expected = Vec::new();
    let mut shown = Vec::new();
    let mut inside = 0usize;
    for (sample, &t) in samples.iter().zip(frame_times) {
        let Some(k) = shown_at(colours, onsets_s, t - lag) else {
            continue;
        };
        inside += 1;
        if let Some(sample) = sample {
            times.push(t);
            observed.push(shift(sample));
            expected.push(colours[k].chroma());
            shown.push(k);
        }
    }
    let coverage = if inside == 0 {
        0.0
    } else {
        observed.len() as f32 / inside as f32
    };
    detrend(&times, &mut observed);
    detrend(&times, &mut expected);
    let (mut cross, mut obs2, mut exp2) = (0f32, 0f32, 0f32);
    for (o, e) in observed.iter().zip(&expected) {
        cross += dot(*o, *e);
        obs2 += dot(*o, *o);
        exp2 += dot(*e, *e);
    }
    let correlation = if obs2 > 0.0 && exp2 > 0.0 {
        cross / (obs2 * exp2).sqrt()
    } else {
        0.0
    };
    let amplitude = if exp2 > 0.0 { cross / exp2 } else { 0.0 };

    let mut colours_matched = 0;
    for (k, colour) in colours.iter().enumerate() {
        let settled = onsets_s[k] + SETTLE_S;
        let mut mean = [0f32; 3];
        let mut n = 0;
        for ((o, &s), &t) in observed.iter().zip(&shown).zip(&times) {
            if s == k && t - lag >= settled {
                for c in 0..3 {
                    mean[c] += o[c];
                }
                n += 1;
            }
        }
        if n == 0 {
            continue;
        }
        let nearest = FlashColour::ALL.into_iter().max_by(|a, b| {
            let cos = |x: FlashColour| dot(mean, x.chroma()) / dot(x.chroma(), x.chroma()).sqrt();
            cos(*a).total_cmp(&cos(*b))
        });
        if nearest == Some(*colour) {
            colours_matched += 1;
        }
    }
    FlashReport {
        correlation,
        lag_s: lag,
        amplitude,
        colours_matched,
        colours: colours.len(),
        coverage,
    }
}

impl FlashReport {
    /// Whether the reflection followed the sequence closely enough to accept.
    pub fn follows(&self) -> bool {
        self.coverage >= MIN_COVERAGE
            && self.correlation >= MIN_CORRELATION
            && self.amplitude >= MIN_AMPLITUDE
            && self.colours_matched + MAX_COLOURS_MISSED >= self.colours
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEQ: [FlashColour; 7] = [
        FlashColour::Red,
        FlashColour::Cyan,
        FlashColour::Green,
        FlashColour::Magenta,
        FlashColour::Blue,
        FlashColour::Yellow,
        FlashColour::Red,
    ];

    fn onsets() -> Vec<f32> {
        (0..SEQ.len()).map(|k| 0.3 + 0.6 * k as f32).collect()
    }

    /// Frames at 15 fps whose face reflects `reflect` (shifted by `lag`) with strength `a`.
    fn frames(reflect: &[FlashColour], a: f32, lag: f32) -> (Vec<Option<LightSample>>, Vec<f32>) {
        let times: Vec<f32> = (0..75).map(|i| i as f32 / 15.0).collect();
        let on = onsets();
        let samples = times
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let wobble = ((i * 7919) % 13) as f32 / 13.0 - 0.5;
                let mut face = [150.0 + wobble, 110.0 - wobble, 95.0 + wobble * 0.5];
                if let Some(k) = shown_at(reflect, &on, t - lag) {
                    let rgb = reflect[k].rgb();
                    for c in 0..3 {
                        face[c] *= 1.0 + a * rgb[c];
                    }
                }
                Some(LightSample {
                    face,
                    background: [90.0, 90.0 + wobble, 85.0],
                })
            })
            .collect();
        (samples, times)
    }

    #[test]
    fn a_reflection_that_follows_the_sequence_is_found_with_its_lag() {
        let (samples, times) = frames(&SEQ, 0.08, 0.2);
        let report = measure(&samples, &times, &SEQ, &onsets());
        assert!(report.follows(), "{report:?}");
        assert!((report.lag_s - 0.2).abs() < 0.07, "{report:?}");
        assert_eq!(report.colours_matched, SEQ.len());
    }

    #[test]
    fn another_sequence_or_none_does_not_follow() {
        let other: Vec<FlashColour> = SEQ
            .iter()
            .map(|c| {
                FlashColour::ALL[(FlashColour::ALL.iter().position(|x| x == c).unwrap() + 2) % 6]
            })
            .collect();
        let (samples, times) = frames(&other, 0.08, 0.2);
        let report = measure(&samples, &times, &SEQ, &onsets());
        assert!(!report.follows(), "{report:?}");
        let (samples, times) = frames(&SEQ, 0.0, 0.2);
        assert!(!measure(&samples, &times, &SEQ, &onsets()).follows());
    }

    #[test]
    fn a_face_missing_from_most_frames_does_not_follow() {
        let (mut samples, times) = frames(&SEQ, 0.08, 0.1);
        for s in samples.iter_mut().step_by(2) {
            *s = None;
        }
        for s in samples.iter_mut().skip(1).step_by(4) {
            *s = None;
        }
        assert!(!measure(&samples, &times, &SEQ, &onsets()).follows());
    }

    #[test]
    fn reports_are_checked_against_the_sequence() {
        assert!(check_report(3, &[100, 700, 1300]).is_ok());
        assert_eq!(
            check_report(3, &[100, 700]),
            Err(ReportProblem::WrongCount { got: 2, want: 3 })
        );
        assert_eq!(
            check_report(2, &[4000, 4600]),
            Err(ReportProblem::LateStart)
        );
        assert_eq!(
            check_report(3, &[0, 100, 700]),
            Err(ReportProblem::BadTiming(100))
        );
        assert_eq!(
            check_report(2, &[700, 100]),
            Err(ReportProblem::BadTiming(0))
        );
        assert_eq!(parse_report("0, 600,1200"), Some(vec![0, 600, 1200]));
        assert_eq!(parse_report("0,x"), None);
        assert_eq!(parse_sequence("rgbycm").map(|s| s.len()), Some(6));
        assert_eq!(parse_sequence("rgq"), None);
        assert_eq!(parse_sequence(""), None);
        assert_eq!(sequence_code(&SEQ), "rcgmbyr");
    }
}
