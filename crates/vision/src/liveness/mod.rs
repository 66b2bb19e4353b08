//! Liveness: dense landmarks, per-frame signals, action analysis over frame series, and the
//! advisory passive anti-spoof scores.

pub mod eyes;
pub mod flash;
pub mod lip_sync;
pub mod mesh;
pub mod passive;
pub mod rigidity;
pub mod sequence;
pub mod signals;

pub use passive::PassiveScores;
pub use sequence::{analyse_actions, ActionReport, ActionThresholds, LivenessAction};
pub use signals::FrameSignals;
/// The outer eye corners of the mesh, whose distance scales landmark motion.
pub const EYE_CORNERS: (usize, usize) = (33, 263);
pub mod verdict;
pub use flash::{FlashColour, FlashReport};
pub use verdict::{
    assess, decide, Assessment, Challenge, Check, FlashChallenge, LivenessFailure,
    LivenessFailureKind,
};
