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
    let report = &analysis.actions;
    if report.frames == 0 {
        return Err(fail(
            LivenessFailureKind::NoFrames,
            1104,
            "the video has no frames",
        ));
    }
    if duration_s < MIN_DURATION_S {
        return Err(fail(
            LivenessFailureKind::TooShort,
            1303,
            "the recording is shorter than 2 s",
        ));
    }
    let multi_face_frames = analysis.frames.iter().filter(|f| f.faces > 1).count();
    if multi_face_frames * 2 > analysis.frames.len() {
        return Err(fail(
            LivenessFailureKind::MultipleFaces,
            2012,
            "several faces are in the video",
        ));
    }
    if report.frames_with_face * 2 < report.frames {
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
            if !report.performed_in_order(sequence) {
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
            let Some(audio) = audio else {
                return Err(fail(
                    LivenessFailureKind::NoVoice,
                    1101,
                    "the video has no sound",
                ));
            };
            if rms(audio) < MIN_VOICE_RMS {
                return Err(fail(
                    LivenessFailureKind::VoiceTooQuiet,
                    1106,
                    "the voice is too quiet",
                ));
            }
            let Some(heard) = heard else {
                return Err(fail(
                    LivenessFailureKind::DigitsNotHeard,
                    1103,
                    "the speech was not analysed",
                ));
            };
            if heard.speech_s < MIN_SPEECH_S {
                return Err(fail(
                    LivenessFailureKind::NoVoice,
                    1101,
                    "no voice was heard",
                ));
            }
            if report.max_mouth_open_ratio - report.min_mouth_open_ratio < MIN_LIP_MOVEMENT {
                return Err(fail(
                    LivenessFailureKind::LipsStill,
                    1109,
                    "the lips hardly moved",
                ));
            }
            let in_sync = lip_sync::measure(&mouth_series(analysis), audio)
                .is_some_and(|sync| sync.correlation >= MIN_LIP_SYNC);
            if !in_sync {
                return Err(fail(
                    LivenessFailureKind::LipsOutOfSync,
                    1109,
                    "the lips did not move with the voice",
                ));
            }
            if heard.code_heard_in().is_none() {
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
            if !report.follows() {
                return Err(fail(
                    LivenessFailureKind::NoReflection,
                    1401,
                    "the face did not reflect the colours the screen showed",
                ));
            }
        }
    }
    if !has_natural_motion(report) {
        return Err(fail(
            LivenessFailureKind::NotLive,
            1301,
            "the face does not move like a live person (photo or screen replay)",
        ));
    }
    // A picture moved, tilted or waved still moves as one plane; fewer frames than the
    // measure needs refuse too.
    if !report
        .nonplanar_motion
        .is_some_and(|m| m >= MIN_NONPLANAR_MOTION)
    {
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
