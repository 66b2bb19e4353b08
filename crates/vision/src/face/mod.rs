//! Faces: detection (MTCNN), alignment, embedding (MobileFaceNet), comparison and quality.

pub mod align;
pub mod embed;
pub mod geometry;
pub mod mtcnn;
pub mod quality;
pub mod sampling;
pub mod similarity;

pub use embed::Embedding;
pub use geometry::{BoundingBox, Point};
pub use quality::{FaceQuality, QualityThresholds};
pub use similarity::{format_sim, sim_from_cosine, PASS_SIM};
