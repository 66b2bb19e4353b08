//! Verification orchestration: media, a challenge and a reference from the authority source
//! or the caller, through the vision engine, to an engine-neutral [`Verdict`]. The wire codes
//! are chosen by each front door; the numeric result codes of RESULT_CODES.md, which every
//! flow records, are chosen here, in [`Failure::result_code`] and nowhere else.

use crate::authority::{AuthorityAnswer, IdentityCheck};
use crate::error::{ServiceError, ServiceResult};
use crate::outbound::FetchError;
use crate::vision::Vision;
use heshen_core::codes::{self, ResultCode};
use heshen_core::flow::LivenessCheck;
use heshen_vision::image_input::encode_jpeg;
use heshen_vision::liveness::{
    assess, ActionThresholds, Challenge, Check, LivenessAction, LivenessFailure,
};
use heshen_vision::speech;
use heshen_vision::video::{decode_video_bytes, VideoOptions};
use heshen_vision::{Embedding, Engine, VisionError};

/// What a live face is compared with.
pub enum Reference {
    Photo(Vec<u8>),
    Embedding(Embedding),
}

/// Why a verification did not pass.
#[derive(Debug)]
pub enum Failure {
    /// The caller's media could not be used (no face, undecodable, poor quality…).
    Media(VisionError),
    /// A caller-given URL could not be fetched.
    Download(FetchError),
    /// The recording did not answer the challenge with a live person.
    Liveness(LivenessFailure),
    /// Liveness passed but no frame was fit to compare.
    NoBestFrame,
    /// The faces are not similar enough.
    LowSimilarity,
    /// The identity did not check out with the authority.
    Identity(IdentityCheck),
    /// The authority knows the person but has no photo of them.
    NoReferencePhoto,
    /// The reference the authority holds cannot be used (an embedding of another model's
    /// size, corrupt bytes). Refused, never waved through.
    UnusableReference,
    /// The engine kept failing on this recording; the person may try again.
    EngineGaveUp,
    /// This very recording was sent before (in this flow or another): a replay.
    Replayed,
}

impl Failure {
    /// The verification result code a flow records for this failure.
    pub fn result_code(&self) -> ResultCode {
        match self {
            Failure::Media(err) => match err {
                VisionError::NoFace => codes::NO_FACE_FOR_COMPARISON,
                VisionError::MultipleFaces(_) => codes::MULTIPLE_FACES,
                VisionError::VideoDecode(_) | VisionError::VideoNoFrames => {
                    codes::VIDEO_FORMAT_ERROR
                }
                VisionError::VideoTooLong { .. } => codes::VIDEO_SIZE_ERROR,
                VisionError::VideoNoAudio => codes::NO_VOICE,
                VisionError::PoorQuality(_) => codes::FACE_NOT_VISIBLE,
                VisionError::ImageTooSmall { .. } => codes::RESOLUTION_TOO_LOW,
                _ => codes::FILE_FORMAT_ERROR,
            },
            Failure::Download(_) => codes::VIDEO_FETCH_FAILED,
            Failure::Liveness(failure) => codes::lookup(failure.result_code),
            Failure::NoBestFrame => codes::PHOTO_EXTRACTION_FAILED,
            Failure::LowSimilarity => codes::LOW_SIMILARITY,
            Failure::Identity(check) => match check {
                IdentityCheck::Mismatch => codes::NAME_ID_MISMATCH,
                IdentityCheck::NotFound => codes::IDENTITY_NOT_FOUND,
                IdentityCheck::InvalidIdCard => codes::ID_NUMBER_INVALID,
                IdentityCheck::InvalidName => codes::NAME_INVALID,
                IdentityCheck::SourceError | IdentityCheck::Match => codes::AUTHORITY_UPGRADING,
            },
            Failure::NoReferencePhoto => codes::NO_AUTHORITY_PHOTO,
            // The deployment's data is at fault, not the person: a service error, refused.
            Failure::UnusableReference => codes::SERVICE_ERROR,
            Failure::EngineGaveUp => codes::LIVENESS_ENGINE_ERROR,
            Failure::Replayed => codes::SUSPECTED_SPOOF,
        }
    }
}

/// A check of the engine's as the flow records it (rounded: four significant places say all a
/// reviewer needs, and keep floating-point noise out of the record).
fn record_check(check: &Check) -> LivenessCheck {
    let round = |v: f32| (f64::from(v) * 10_000.0).round() / 10_000.0;
    LivenessCheck {
        name: check.name.clone(),
        value: round(check.value),
        bound: check.bound.map(round),
        at_most: check.at_most,
        passed: check.passed,
    }
}

/// The result of one verification.
#[derive(Debug)]
pub struct Verdict {
    pub failure: Option<Failure>,
    /// Similarity on FaceID's 0–100 scale, when a comparison ran.
    pub sim: Option<f32>,
    /// The best frame first (JPEG), then any extra frames asked for; empty unless liveness passed.
    pub frames: Vec<Vec<u8>>,
    /// What the liveness decision measured, when one ran on a recording.
    pub checks: Vec<LivenessCheck>,
}

impl Verdict {
    pub fn failed(failure: Failure) -> Self {
        Self {
            failure: Some(failure),
            sim: None,
            frames: Vec::new(),
            checks: Vec::new(),
        }
    }

    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// The reference an identity check leads to, or the failure that stops the verification.
/// A match whose reference cannot be used fails closed.
pub fn reference_for(
    check: IdentityCheck,
    answer: Option<AuthorityAnswer>,
) -> Result<Reference, Failure> {
    match (check, answer) {
        (
            IdentityCheck::Match,
            Some(AuthorityAnswer::Match {
                embedding: Some(bytes),
                ..
            }),
        ) => Embedding::from_bytes(&bytes)
            .map(Reference::Embedding)
            .ok_or(Failure::UnusableReference),
        (IdentityCheck::Match, Some(AuthorityAnswer::Match { photo: Some(p), .. })) => {
            Ok(Reference::Photo(p))
        }
        (IdentityCheck::Match, _) => Err(Failure::NoReferencePhoto),
        (other, _) => Err(Failure::Identity(other)),
    }
}

/// A vision job's end as a verdict: caller-input failures fail the verification, the
/// engine's own faults are errors.
fn settle(result: Result<Verdict, VisionError>) -> ServiceResult<Verdict> {
    match result {
        Ok(verdict) => Ok(verdict),
        Err(err) if err.is_engine_fault() => {
            tracing::error!(%err, "vision engine fault");
            Err(ServiceError::VisionFault(err.to_string()))
        }
        Err(err) => Ok(Verdict::failed(Failure::Media(err))),
    }
}

fn similarity(
    engine: &Engine,
    face: &image::RgbImage,
    reference: &Reference,
) -> Result<f32, VisionError> {
    match reference {
        Reference::Embedding(e) => engine.compare_with_embedding(face, e).map(|(sim, _)| sim),
        Reference::Photo(bytes) => {
            let photo = engine.decode(bytes)?;
            engine.compare(face, &photo).map(|c| c.sim)
        }
    }
}

fn judged(sim: f32, threshold: f32) -> Verdict {
    Verdict {
        failure: (sim < threshold).then_some(Failure::LowSimilarity),
        sim: Some(sim),
        frames: Vec::new(),
        checks: Vec::new(),
    }
}

/// Compares a photo with a reference.
pub async fn compare_photo(
    vision: &Vision,
    photo: Vec<u8>,
    reference: Reference,
    threshold: f32,
) -> ServiceResult<Verdict> {
    let result = vision
        .run(move |engine| {
            let image = engine.decode(&photo)?;
            similarity(engine, &image, &reference)
        })
        .await;
    settle(result.map(|sim| judged(sim, threshold)))
}

/// Liveness on a recording, then (with a reference) comparison of its best frame.
/// `extra_frames` more frames with a face are returned after the best one.
pub async fn verify_recording(
    vision: &Vision,
    video: Vec<u8>,
    challenge: Challenge,
    reference: Option<Reference>,
    threshold: f32,
    extra_frames: usize,
) -> ServiceResult<Verdict> {
    let result = vision
        .run(move |engine| {
            // A blink lasts 100–300 ms: a blink challenge is read at 30 fps (its frames in
            // between for the eyes only, see `Engine::analyse_video`).
            let blink =
                matches!(&challenge, Challenge::Actions(a) if a.contains(&LivenessAction::Blink));
            let options = VideoOptions {
                with_audio: matches!(challenge, Challenge::Digits(_)),
                reject_longer_than_s: Some(20.0),
                fps: if blink {
                    30.0
                } else {
                    VideoOptions::default().fps
                },
                max_frames: if blink {
                    420
                } else {
                    VideoOptions::default().max_frames
                },
                ..VideoOptions::default()
            };
            let decoded = decode_video_bytes(&video, &options)?;
            let duration = decoded
                .info
                .duration_s
                .unwrap_or_else(|| decoded.frame_times.last().copied().unwrap_or(0.0));
            // The speech of a read-aloud recording is heard on a second thread while the
            // frames are analysed: the two take about as long, and there are two cores.
            let audio = decoded.audio.as_deref();
            let (analysis, heard) = std::thread::scope(|scope| {
                let hearing = match (&challenge, audio) {
                    (Challenge::Digits(code), Some(audio)) => Some(
                        scope.spawn(move || engine.speech()?.hear(audio, code, &speech::LANGUAGES)),
                    ),
                    _ => None,
                };
                let analysis = engine.analyse_video(&decoded, &ActionThresholds::default());
                let heard = hearing
                    .map(|thread| {
                        thread.join().unwrap_or_else(|_| {
                            Err(VisionError::Inference("the speech check panicked".into()))
                        })
                    })
                    .transpose();
                (analysis, heard)
            });
            let (analysis, heard) = (analysis?, heard?);
            tracing::debug!(
                frames = analysis.frames.len(),
                duration_s = duration,
                signals = ?analysis.actions,
                "liveness signals measured"
            );
            let assessment = assess(&analysis, duration, &challenge, audio, heard.as_ref());
            let checks: Vec<LivenessCheck> = assessment.checks.iter().map(record_check).collect();
            if let Err(failure) = assessment.outcome {
                return Ok(Verdict {
                    checks,
                    ..Verdict::failed(Failure::Liveness(failure))
                });
            }
            let Some(best) = analysis.best_frame else {
                return Ok(Verdict {
                    checks,
                    ..Verdict::failed(Failure::NoBestFrame)
                });
            };
            let source = |i: usize| &decoded.frames[analysis.source_frames[i]];
            let best_image = source(best);
            let mut verdict = match &reference {
                Some(reference) => judged(similarity(engine, best_image, reference)?, threshold),
                None => Verdict {
                    failure: None,
                    sim: None,
                    frames: Vec::new(),
                    checks: Vec::new(),
                },
            };
            verdict.checks = checks;
            verdict.frames.push(encode_jpeg(best_image, 90)?);
            let with_face: Vec<usize> = analysis
                .frames
                .iter()
                .enumerate()
                .filter(|(i, f)| f.face.is_some() && *i != best)
                .map(|(i, _)| i)
                .collect();
            // No extra frames asked for: `checked_div` by zero is `None`.
            if let Some(stride) = with_face.len().checked_div(extra_frames) {
                for &i in with_face.iter().step_by(stride.max(1)).take(extra_frames) {
                    verdict.frames.push(encode_jpeg(source(i), 85)?);
                }
            }
            Ok(verdict)
        })
        .await;
    settle(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_stored_embedding_fails_closed() {
        let answer = AuthorityAnswer::Match {
            photo: None,
            embedding: Some(vec![1, 2, 3]),
        };
        let refused = reference_for(IdentityCheck::Match, Some(answer));
        assert!(matches!(refused, Err(Failure::UnusableReference)));
        let answer = AuthorityAnswer::Match {
            photo: Some(vec![0xff, 0xd8]),
            embedding: Some(vec![0; 7]),
        };
        assert!(
            matches!(
                reference_for(IdentityCheck::Match, Some(answer)),
                Err(Failure::UnusableReference)
            ),
            "a photo beside a broken embedding does not hide the breakage"
        );
    }

    #[test]
    fn authority_answers_keep_photos_out_of_debug_output() {
        let answer = AuthorityAnswer::Match {
            photo: Some(b"PHOTO-OF-A-PERSON".to_vec()),
            embedding: None,
        };
        let shown = format!("{answer:?}");
        assert!(!shown.contains("80, 72"), "{shown}");
        assert!(shown.contains("photo_bytes: Some(17)"), "{shown}");
    }

    #[test]
    fn identity_failures_and_missing_photos_stop_before_vision() {
        let none = AuthorityAnswer::Match {
            photo: None,
            embedding: None,
        };
        assert!(matches!(
            reference_for(IdentityCheck::Match, Some(none)),
            Err(Failure::NoReferencePhoto)
        ));
        assert!(matches!(
            reference_for(IdentityCheck::Mismatch, Some(AuthorityAnswer::NameMismatch)),
            Err(Failure::Identity(IdentityCheck::Mismatch))
        ));
    }
}
