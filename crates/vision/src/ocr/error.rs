//! Failures of ID-card reading, in the reader's own terms.

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
    fn bad_bytes_are_decode_errors() {
        assert!(matches!(
            decode_image(b"not an image"),
            Err(OcrError::ImageDecode(_))
        ));
        assert!(matches!(decode_image(b""), Err(OcrError::EmptyImage)));
    }
}
