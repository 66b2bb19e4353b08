//! Failures of ID-card reading, each tied to the FaceID error code the API returns for it.

use super::fields::CardSide;
use crate::error::VisionError;

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("image could not be decoded: {0}")]
    ImageDecode(String),
    #[error("image is empty")]
    EmptyImage,
    #[error("no ID card found in the image")]
    NoIdCard,
    #[error(
        "expected the {expected:?} side of the ID card but the image shows the {found:?} side"
    )]
    WrongSide { expected: CardSide, found: CardSide },
    #[error("ID card found but {0} could not be read")]
    FieldsUnreadable(&'static str),
    #[error(transparent)]
    Engine(#[from] VisionError),
}

impl OcrError {
    /// The FaceID error code (`Error.Code`, or `Result` in CheckIdCardInformation).
    pub fn faceid_code(&self) -> &'static str {
        match self {
            OcrError::ImageDecode(_) => "FailedOperation.ImageDecodeFailed",
            OcrError::EmptyImage => "FailedOperation.EmptyImageError",
            // FaceID has no separate "wrong side" code; the portrait side is "no ID card".
            OcrError::NoIdCard | OcrError::WrongSide { .. } => "FailedOperation.ImageNoIdCard",
            OcrError::FieldsUnreadable(_) => "FailedOperation.OcrFailed",
            OcrError::Engine(e) => e.faceid_code(),
        }
    }
}

/// Decodes an uploaded image (PNG, JPEG, BMP, WebP).
pub fn decode_image(bytes: &[u8]) -> Result<image::DynamicImage, OcrError> {
    if bytes.is_empty() {
        return Err(OcrError::EmptyImage);
    }
    image::load_from_memory(bytes).map_err(|e| OcrError::ImageDecode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_faceid() {
        assert_eq!(
            decode_image(b"not an image").unwrap_err().faceid_code(),
            "FailedOperation.ImageDecodeFailed"
        );
        assert_eq!(
            decode_image(b"").unwrap_err().faceid_code(),
            "FailedOperation.EmptyImageError"
        );
        assert_eq!(
            OcrError::NoIdCard.faceid_code(),
            "FailedOperation.ImageNoIdCard"
        );
        assert_eq!(
            OcrError::FieldsUnreadable("the ID number").faceid_code(),
            "FailedOperation.OcrFailed"
        );
    }
}
