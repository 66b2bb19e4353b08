//! The single error type of the vision engine. It says what went wrong in the engine's own terms;
//! each front door maps it to its wire codes (the API gateway in `heshen_api::wire`).

use std::path::PathBuf;

/// Why a face quality check refused an image. Kept separate from [`VisionError`] so a caller can
/// also report quality problems as advisory signals without failing the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum QualityIssue {
    /// The face is smaller than the minimum size the embedder can work with.
    FaceTooSmall,
    /// Part of the face lies outside the image.
    FaceIncomplete,
    /// Laplacian variance of the face crop is below the blur floor.
    Blurry,
    /// Head turned or tilted too far for a reliable comparison.
    PoseTooLarge,
    /// Face region too dark.
    TooDark,
    /// Face region washed out.
    TooBright,
    /// Detector landmarks disagree with the face box (typical of masks, hands, sunglasses).
    Occluded,
}

impl std::fmt::Display for QualityIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            QualityIssue::FaceTooSmall => "face too small",
            QualityIssue::FaceIncomplete => "face not completely inside the image",
            QualityIssue::Blurry => "face too blurry",
            QualityIssue::PoseTooLarge => "head turned or tilted too far",
            QualityIssue::TooDark => "face too dark",
            QualityIssue::TooBright => "face too bright",
            QualityIssue::Occluded => "face partly covered",
        };
        f.write_str(text)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    #[error("image is empty")]
    EmptyImage,
    #[error("image could not be decoded: {0}")]
    ImageDecode(String),
    #[error("image is {width}x{height} pixels, above the limit of {limit} pixels")]
    ImageTooLarge { width: u32, height: u32, limit: u64 },
    #[error("image is {width}x{height} pixels, too small to hold a face")]
    ImageTooSmall { width: u32, height: u32 },
    #[error("no face detected")]
    NoFace,
    #[error("{0} faces detected where one was expected")]
    MultipleFaces(usize),
    #[error("face quality too poor: {0}")]
    PoorQuality(QualityIssue),
    #[error("video could not be decoded: {0}")]
    VideoDecode(String),
    #[error("video lasts {seconds:.1} s, above the limit of {limit:.1} s")]
    VideoTooLong { seconds: f32, limit: f32 },
    #[error("video has no frames")]
    VideoNoFrames,
    #[error("video has no audio track")]
    VideoNoAudio,
    #[error("ffmpeg is not installed or not runnable: {0}")]
    FfmpegMissing(String),
    #[error("model file missing: {0}")]
    ModelMissing(PathBuf),
    #[error("model {file} failed its check: {reason}")]
    ModelInvalid { file: String, reason: String },
    #[error("ONNX Runtime library not found (set ORT_DYLIB_PATH or put libonnxruntime.so.1.31.1 in the models dir): {0}")]
    RuntimeMissing(String),
    #[error("inference failed: {0}")]
    Inference(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl VisionError {
    /// True when the fault lies with the deployment (models, runtime, ffmpeg), not the caller's
    /// input; the API layer logs these loudly and answers with an engine error.
    pub fn is_engine_fault(&self) -> bool {
        matches!(
            self,
            VisionError::FfmpegMissing(_)
                | VisionError::ModelMissing(_)
                | VisionError::ModelInvalid { .. }
                | VisionError::RuntimeMissing(_)
                | VisionError::Inference(_)
        )
    }
}

impl From<ort::Error> for VisionError {
    fn from(e: ort::Error) -> Self {
        VisionError::Inference(e.to_string())
    }
}

pub type Result<T, E = VisionError> = std::result::Result<T, E>;
