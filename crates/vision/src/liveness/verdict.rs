//! Turning a frame-series analysis into FaceID's liveness verdict for one challenge.
//!
//! The decision rests on the challenge the server issued (actions to perform, digits to
//! read); the passive anti-spoof scores are too unreliable on genuine photos to decide alone.

use super::flash::{self, FlashColour};
use super::lip_sync;
use super::sequence::{ActionReport, LivenessAction};
use crate::engine::SequenceAnalysis;
use crate::speech::{Heard, MIN_SPEECH_S};

/// A colour-flash challenge as the page answered it: the colours the server issued and when
/// (seconds from the start of the recording) the page reports it showed each.
#[derive(Debug, Clone, PartialEq)]
pub struct FlashChallenge {
    pub colours: Vec<FlashColour>,
    pub onsets_s: Vec<f32>,
}

/// The challenge a liveness video answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Challenge {
    /// Perform these actions in this order (GetActionSequence).
    Actions(Vec<LivenessAction>),
    /// Read these digits aloud (GetLiveCode).
    Digits(String),
    /// Look at the camera for a couple of seconds.
    Silent,
    /// Look at the screen while it flashes these colours.
    Flash(FlashChallenge),
}

/// Why a recording did not pass for a live person answering the challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LivenessFailureKind {
    NoFrames,
    TooShort,
    MultipleFaces,
    /// No complete face in most of an action recording.
    NoFaceForActions,
    /// No complete face in most of a read-aloud recording.
    NoFaceWhileReading,
    /// No complete face in most of a silent recording.
    NoFaceSilent,
    NoMouthOpen,
    NoBlink,
    ActionsOutOfOrder,
    NoVoice,
    VoiceTooQuiet,
    LipsStill,
    /// The lips did not move with the voice (dubbed or off-camera speech).
    LipsOutOfSync,
    /// The speech did not say the issued digits.
    DigitsNotHeard,
    /// The face does not move like a live person (photo or screen replay).
    NotLive,
    /// The face did not reflect the issued colour sequence.
    NoReflection,
}

/// A failed liveness check: what failed, its verification result code (RESULT_CODES.md) and
/// a reason in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LivenessFailure {
    pub kind: LivenessFailureKind,
    pub result_code: i64,
    pub reason: &'static str,
}

const fn fail(
    kind: LivenessFailureKind,
    result_code: i64,
    reason: &'static str,
) -> LivenessFailure {
    LivenessFailure {
        kind,
        result_code,
        reason,
    }
}

/// Shortest accepted recording, as FaceID asks ("record more than 2 s").
pub const MIN_DURATION_S: f32 = 2.0;
/// A still photo held to the camera moves by less than this (yaw/pitch degrees).
const MIN_NATURAL_POSE_RANGE_DEG: f32 = 1.0;
/// …and its mouth ratio varies by less than this.
const MIN_NATURAL_RATIO_RANGE: f32 = 0.015;
/// Reading four digits opens the mouth at least this much more than rest.
const MIN_LIP_MOVEMENT: f32 = 0.08;
/// RMS of 16-bit speech well above room noise.
const MIN_VOICE_RMS: f64 = 300.0;
/// Correlation between the lip gap and the loudness that speech on camera reaches and dubbed
/// or off-camera speech does not (calibrated on the test clips, docs/liveness.md).
pub const MIN_LIP_SYNC: f32 = 0.3;

/// Landmark motion beyond any plane-to-plane mapping, in inter-ocular distances, that a live
/// face shows within a few seconds (speech, expression, the head's own turning) and a picture
/// does not; calibrated on the test clips (docs/liveness.md).
const MIN_NONPLANAR_MOTION: f32 = 0.013;

/// The eyes count only through a detected blink: eye openness is read from pixels, and the
/// few-percent wobble a photo shows under hand shake and compression must not pass for motion.
fn has_natural_motion(report: &ActionReport) -> bool {
    let mouth_range = report.max_mouth_open_ratio - report.min_mouth_open_ratio;
    report.yaw_range_deg >= MIN_NATURAL_POSE_RANGE_DEG
        || report.pitch_range_deg >= MIN_NATURAL_POSE_RANGE_DEG
        || report.blinked
        || mouth_range >= MIN_NATURAL_RATIO_RANGE
}

/// (time s, lip gap) of every analysed frame with a face.
pub fn mouth_series(analysis: &SequenceAnalysis) -> Vec<(f32, f32)> {
    analysis
        .frames
        .iter()
        .zip(&analysis.frame_times)
        .filter_map(|(frame, &t)| frame.signals.as_ref().map(|s| (t, s.mouth_open_ratio)))
        .collect()
}

fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|s| f64::from(*s).powi(2)).sum();
    (sum / samples.len() as f64).sqrt()
}

/// One measure a decision rested on and the bound it was held to: what an operator reviewing
/// an attempt reads. A yes/no check has no bound and the value 1 or 0.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    /// A stable key (`duration_s`, `lip_sync`, …) the console puts into words.
    pub name: String,
    pub value: f32,
    pub bound: Option<f32>,
    /// The value must be at most the bound (else at least).
    pub at_most: bool,
    pub passed: bool,
}

/// A decision and the checks it went through, in order, up to the one that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub checks: Vec<Check>,
    pub outcome: Result<(), LivenessFailure>,
}

#[derive(Default)]
struct Checks(Vec<Check>);

impl Checks {
    fn push(
        &mut self,
        name: &str,
        value: f32,
        bound: Option<f32>,
        at_most: bool,
        passed: bool,
    ) -> bool {
        self.0.push(Check {
            name: name.to_string(),
            value,
            bound,
            at_most,
            passed,
        });
        passed
    }

    fn at_least(&mut self, name: &str, value: f32, bound: f32) -> bool {
        self.push(name, value, Some(bound), false, value >= bound)
    }

    fn at_most(&mut self, name: &str, value: f32, bound: f32) -> bool {
        self.push(name, value, Some(bound), true, value <= bound)
    }

    fn holds(&mut self, name: &str, yes: bool) -> bool {
        self.push(name, f32::from(u8::from(yes)), None, false, yes)
    }
}

/// Decides whether the recording answers the challenge with a live, single person.
/// `audio` is 16 kHz mono PCM and `heard` what the speech models made of it; both are needed
/// for digits only, and digits without them fail.
pub fn decide(
    analysis: &SequenceAnalysis,
    duration_s: f32,
    challenge: &Challenge,
    audio: Option<&[i16]>,
    heard: Option<&Heard>,
) -> Result<(), LivenessFailure> {
    assess(analysis, duration_s, challenge, audio, heard).outcome
}

/// [`decide`], with the checks it went through.
pub fn assess(
    analysis: &SequenceAnalysis,
    duration_s: f32,
    challenge: &Challenge,
    audio: Option<&[i16]>,
    heard: Option<&Heard>,
) -> Assessment {
    let mut checks = Checks::default();
    let outcome = judge(&mut checks, analysis, duration_s, challenge, audio, heard);
    Assessment {
        checks: checks.0,
        outcome,
    }
}

fn share(part: usize, whole: usize) -> f32 {
    if whole == 0 {
        0.0
    } else {
        part as f32 / whole as f32
    }
}

fn judge(
    checks: &mut Checks,
    analysis: &SequenceAnalysis,
    duration_s: f32,
    challenge: &Challenge,
    audio: Option<&[i16]>,
    heard: Option<&Heard>,
) -> Result<(), LivenessFailure> {
    let report = &analysis.actions;
    if !checks.holds("has_frames", report.frames > 0) {
        return Err(fail(
            LivenessFailureKind::NoFrames,
            1104,
            "the video has no frames",
        ));
    }
    if !checks.at_least("duration_s", duration_s, MIN_DURATION_S) {
        return Err(fail(
            LivenessFailureKind::TooShort,
            1303,
            "the recording is shorter than 2 s",
        ));
    }
    let multi_face_frames = analysis.frames.iter().filter(|f| f.faces > 1).count();
    if !checks.at_most(
        "several_faces_share",
        share(multi_face_frames, analysis.frames.len()),
        0.5,
    ) {
        return Err(fail(
            LivenessFailureKind::MultipleFaces,
            2012,
            "several faces are in the video",
        ));
    }
    if !checks.at_least(
        "face_share",
        share(report.frames_with_face, report.frames),
        0.5,
    ) {
        let code = match challenge {
            Challenge::Actions(_) => (LivenessFailureKind::NoFaceForActions, 1210),
            Challenge::Digits(_) => (LivenessFailureKind::NoFaceWhileReading, 1102),
            Challenge::Silent | Challenge::Flash(_) => (LivenessFailureKind::NoFaceSilent, 1004),
        };
        return Err(fail(
            code.0,
            code.1,
            "no complete face in most of the video",
        ));
    }
    match challenge {
        Challenge::Actions(sequence) => {
            if !checks.holds("actions_in_order", report.performed_in_order(sequence)) {
                let missing = sequence
                    .iter()
                    .find(|a| !report.events.iter().any(|(e, _)| e == *a));
                return Err(match missing {
                    Some(LivenessAction::OpenMouth) => fail(
                        LivenessFailureKind::NoMouthOpen,
                        1209,
                        "the mouth was not opened",
                    ),
                    Some(LivenessAction::Blink) => fail(
                        LivenessFailureKind::NoBlink,
                        1207,
                        "the eyes were not closed",
                    ),
                    _ => fail(
                        LivenessFailureKind::ActionsOutOfOrder,
                        1208,
                        "the requested actions were not performed in order",
                    ),
                });
            }
        }
        Challenge::Digits(_) => {
            checks.holds("has_sound", audio.is_some());
            let Some(audio) = audio else {
                return Err(fail(
                    LivenessFailureKind::NoVoice,
                    1101,
                    "the video has no sound",
                ));
            };
            if !checks.at_least("voice_rms", rms(audio) as f32, MIN_VOICE_RMS as f32) {
                return Err(fail(
                    LivenessFailureKind::VoiceTooQuiet,
                    1106,
                    "the voice is too quiet",
                ));
            }
            checks.holds("speech_analysed", heard.is_some());
            let Some(heard) = heard else {
                return Err(fail(
                    LivenessFailureKind::DigitsNotHeard,
                    1103,
                    "the speech was not analysed",
                ));
            };
            if !checks.at_least("speech_s", heard.speech_s, MIN_SPEECH_S) {
                return Err(fail(
                    LivenessFailureKind::NoVoice,
                    1101,
                    "no voice was heard",
                ));
            }
            if !checks.at_least(
                "lip_movement",
                report.max_mouth_open_ratio - report.min_mouth_open_ratio,
                MIN_LIP_MOVEMENT,
            ) {
                return Err(fail(
                    LivenessFailureKind::LipsStill,
                    1109,
                    "the lips hardly moved",
                ));
            }
            let sync = lip_sync::measure(&mouth_series(analysis), audio)
                .map_or(-1.0, |sync| sync.correlation);
            if !checks.at_least("lip_sync", sync, MIN_LIP_SYNC) {
                return Err(fail(
                    LivenessFailureKind::LipsOutOfSync,
                    1109,
                    "the lips did not move with the voice",
                ));
            }
            if !checks.holds("digits_heard", heard.code_heard_in().is_some()) {
                return Err(fail(
                    LivenessFailureKind::DigitsNotHeard,
                    1103,
                    "the digits read were not the ones shown",
                ));
            }
        }
        Challenge::Silent => {}
        Challenge::Flash(issued) => {
            let report = flash::measure(
                &analysis.light,
                &analysis.frame_times,
                &issued.colours,
                &issued.onsets_s,
            );
            let measured = [
                checks.at_least("flash_coverage", report.coverage, flash::MIN_COVERAGE),
                checks.at_least(
                    "flash_correlation",
                    report.correlation,
                    flash::MIN_CORRELATION,
                ),
                checks.at_least("flash_amplitude", report.amplitude, flash::MIN_AMPLITUDE),
                checks.at_least(
                    "flash_colours_matched",
                    report.colours_matched as f32,
                    report.colours.saturating_sub(flash::MAX_COLOURS_MISSED) as f32,
                ),
            ];
            debug_assert_eq!(measured.iter().all(|m| *m), report.follows());
            if !report.follows() {
                return Err(fail(
                    LivenessFailureKind::NoReflection,
                    1401,
                    "the face did not reflect the colours the screen showed",
                ));
            }
        }
    }
    if !checks.holds("natural_motion", has_natural_motion(report)) {
        return Err(fail(
            LivenessFailureKind::NotLive,
            1301,
            "the face does not move like a live person (photo or screen replay)",
        ));
    }
    // A picture moved, tilted or waved still moves as one plane; fewer frames than the
    // measure needs refuse too.
    if !checks.at_least(
        "nonplanar_motion",
        report.nonplanar_motion.unwrap_or(0.0),
        MIN_NONPLANAR_MOTION,
    ) {
        return Err(fail(
            LivenessFailureKind::NotLive,
            1301,
            "the face moves as a flat picture does (photo or print)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analysis(report: ActionReport, faces: usize) -> SequenceAnalysis {
        let frames = (0..report.frames)
            .map(|_| crate::engine::FrameFinding {
                faces,
                face: None,
                signals: None,
            })
            .collect();
        SequenceAnalysis {
            frames,
            actions: report,
            max_faces: faces,
            best_frame: Some(0),
            light: Vec::new(),
            frame_times: Vec::new(),
            source_frames: Vec::new(),
            eyes: Vec::new(),
        }
    }

    fn lively() -> ActionReport {
        ActionReport {
            frames: 45,
            frames_with_face: 45,
            mouth_opened: true,
            open_eye_level: 0.3,
            min_eye_openness: 0.28,
            max_mouth_open_ratio: 0.4,
            min_mouth_open_ratio: 0.02,
            yaw_range_deg: 5.0,
            pitch_range_deg: 3.0,
            events: vec![(LivenessAction::OpenMouth, 10)],
            nonplanar_motion: Some(0.08),
            ..ActionReport::default()
        }
    }

    #[test]
    fn an_assessment_lists_each_check_up_to_the_one_that_failed() {
        let passed = assess(&analysis(lively(), 1), 3.0, &Challenge::Silent, None, None);
        assert!(passed.outcome.is_ok());
        let names: Vec<&str> = passed.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "has_frames",
                "duration_s",
                "several_faces_share",
                "face_share",
                "natural_motion",
                "nonplanar_motion"
            ]
        );
        assert!(passed.checks.iter().all(|c| c.passed));
        let planar = assess(
            &analysis(
                ActionReport {
                    nonplanar_motion: Some(0.004),
                    ..lively()
                },
                1,
            ),
            3.0,
            &Challenge::Silent,
            None,
            None,
        );
        let last = planar.checks.last().unwrap();
        assert_eq!(
            (last.name.as_str(), last.value, last.bound, last.passed),
            ("nonplanar_motion", 0.004, Some(MIN_NONPLANAR_MOTION), false)
        );
        assert_eq!(planar.outcome.unwrap_err().result_code, 1301);
        let short = assess(&analysis(lively(), 1), 1.0, &Challenge::Silent, None, None);
        assert_eq!(
            short.checks.len(),
            2,
            "nothing is measured past the failure"
        );
        let digits = assess(
            &analysis(lively(), 1),
            3.0,
            &Challenge::Digits("1234".into()),
            None,
            None,
        );
        assert_eq!(
            digits.checks.last().map(|c| (c.name.as_str(), c.passed)),
            Some(("has_sound", false))
        );
    }

    #[test]
    fn actions_must_be_performed() {
        let a = analysis(lively(), 1);
        assert!(decide(
            &a,
            3.0,
            &Challenge::Actions(vec![LivenessAction::OpenMouth]),
            None,
            None
        )
        .is_ok());
        let err = decide(
            &a,
            3.0,
            &Challenge::Actions(vec![LivenessAction::Blink]),
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(err.result_code, 1207);
        let err = decide(
            &a,
            3.0,
            &Challenge::Actions(vec![LivenessAction::OpenMouth, LivenessAction::Nod]),
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(err.result_code, 1208);
    }

    #[test]
    fn a_still_picture_fails_silent_liveness() {
        let still = ActionReport {
            yaw_range_deg: 0.2,
            pitch_range_deg: 0.1,
            max_mouth_open_ratio: 0.021,
            min_mouth_open_ratio: 0.02,
            open_eye_level: 0.3,
            min_eye_openness: 0.299,
            events: vec![],
            ..lively()
        };
        assert_eq!(
            decide(
                &analysis(still.clone(), 1),
                3.0,
                &Challenge::Silent,
                None,
                None
            )
            .unwrap_err()
            .result_code,
            1301
        );
        assert!(decide(&analysis(lively(), 1), 3.0, &Challenge::Silent, None, None).is_ok());
        // Eye openness wobbling by a fifth (a photo under hand shake) is no motion…
        let wobbly = ActionReport {
            min_eye_openness: 0.24,
            ..still.clone()
        };
        assert_eq!(
            decide(&analysis(wobbly, 1), 3.0, &Challenge::Silent, None, None)
                .unwrap_err()
                .result_code,
            1301
        );
        // …a blink is, and it answers the close-eyes challenge.
        let blinking = ActionReport {
            blinked: true,
            min_eye_openness: 0.05,
            events: vec![(LivenessAction::Blink, 20)],
            ..still
        };
        let blink = Challenge::Actions(vec![LivenessAction::Blink]);
        assert!(decide(&analysis(blinking.clone(), 1), 3.0, &blink, None, None).is_ok());
        assert!(decide(&analysis(blinking, 1), 3.0, &Challenge::Silent, None, None).is_ok());
    }

    #[test]
    fn duration_faces_and_voice() {
        assert_eq!(
            decide(&analysis(lively(), 1), 1.0, &Challenge::Silent, None, None)
                .unwrap_err()
                .result_code,
            1303
        );
        assert_eq!(
            decide(&analysis(lively(), 2), 3.0, &Challenge::Silent, None, None)
                .unwrap_err()
                .result_code,
            2012
        );
        let absent = ActionReport {
            frames_with_face: 3,
            ..lively()
        };
        assert_eq!(
            decide(&analysis(absent, 1), 3.0, &Challenge::Silent, None, None)
                .unwrap_err()
                .result_code,
            1004
        );
        let digits = Challenge::Digits("1234".into());
        assert_eq!(
            decide(&analysis(lively(), 1), 3.0, &digits, None, None)
                .unwrap_err()
                .result_code,
            1101
        );
        let quiet = vec![10i16; 16_000];
        assert_eq!(
            decide(&analysis(lively(), 1), 3.0, &digits, Some(&quiet), None)
                .unwrap_err()
                .result_code,
            1106
        );
        let speech: Vec<i16> = (0..32_000)
            .map(|i| ((i as f32 * 0.05).sin() * 4000.0) as i16)
            .collect();
        let refused = decide(&analysis(lively(), 1), 3.0, &digits, Some(&speech), None);
        assert_eq!(
            refused.unwrap_err().result_code,
            1103,
            "unheard speech fails closed"
        );
        let cough = Heard {
            segments: Vec::new(),
            speech_s: 0.2,
            scores: Vec::new(),
        };
        let refused = decide(
            &analysis(lively(), 1),
            3.0,
            &digits,
            Some(&speech),
            Some(&cough),
        );
        assert_eq!(refused.unwrap_err().result_code, 1101);
    }
}
