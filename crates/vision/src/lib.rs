//! heshen-vision: the vision engine behind FaceID — face detection, alignment, embedding and
//! comparison, liveness signals, video decoding and (in `ocr`) text recognition.
//!
//! Everything here is a pure function of images, frames and the loaded models: no HTTP, no DB.
//!
//! Face side at a glance:
//! - [`Engine::new`]/[`Engine::from_env`] load ONNX Runtime (`ORT_DYLIB_PATH` or the models dir)
//!   and every face model from `HESHEN_MODELS_DIR`, checking shapes; share it as `Arc<Engine>`
//!   and call it from blocking threads.
//! - [`Engine::decode`]/[`Engine::decode_base64`] turn untrusted bytes into an image, refusing
//!   oversized ones before decoding.
//! - [`Engine::detect`], [`Engine::embed`], [`Engine::compare`] (FaceID `Sim` via
//!   [`format_sim`], pass line [`PASS_SIM`]).
//! - [`Engine::frame_signals`], [`Engine::analyse_frames`] and [`liveness`] for action
//!   liveness; [`Engine::passive_scores`] for the advisory anti-spoof models.
//! - [`video::decode_video_bytes`] for frames and 16 kHz mono PCM through the FFmpeg CLI.
//! - [`fetch::fetch_models`] runs the embedded fetch recipe; [`verify_models`] checks a models
//!   directory (hashes, shapes, numerical fingerprints).
//! - [`speech`] hears a read-aloud code (silero VAD, Whisper base via CTranslate2), loaded
//!   on first use through [`Engine::speech`].
//! - Every failure is a [`VisionError`]; which wire code it becomes is the caller's choice.

pub mod engine;
pub mod error;
pub mod face;
pub mod fetch;
pub mod image_input;
pub mod liveness;
pub mod models;
pub mod ocr;
pub mod runtime;
pub mod speech;
pub mod verify;
pub mod video;

pub use engine::{Comparison, Engine, EngineConfig, Face, FrameFinding, SequenceAnalysis};
pub use error::{QualityIssue, VisionError};
pub use face::{format_sim, Embedding, PASS_SIM};
pub use verify::{verify_models, VerifyReport};
