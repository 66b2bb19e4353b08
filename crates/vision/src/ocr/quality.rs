//! Image-quality signals on the rectified card: FaceID's warning codes and 0–100 Quality.

use image::{GrayImage, RgbImage};
use imageproc::filter::laplacian_filter;
use serde::Serialize;

use super::geometry::Quad;

/// FaceID ID-card warning codes this engine can raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CardWarning {
    /// -9100: the validity period is not a real, consistent date range.
    InvalidValidityDate,
    /// -9101: part of the card lies outside the image.
    BorderIncomplete,
    /// -9102: a greyscale copy rather than the colour card.
    Photocopy,
    /// -9107: a glare patch washes out part of the card.
    Glare,
    /// -8001: the card is blurry (Quality below 50).
    Blurry,
}

impl CardWarning {
    pub fn code(self) -> i64 {
        match self {
            CardWarning::InvalidValidityDate => -9100,
            CardWarning::BorderIncomplete => -9101,
            CardWarning::Photocopy => -9102,
            CardWarning::Glare => -9107,
            CardWarning::Blurry => -8001,
        }
    }
}

/// Below this mean colourfulness (max − min channel) the card carries no colour: genuine
/// cards print blue labels on a tinted background.
const PHOTOCOPY_MAX_CHROMA: f32 = 6.0;
/// Pixels this bright in every channel are burnt out; the card's own background is darker.
const GLARE_LEVEL: u8 = 250;
/// Share of burnt-out card pixels that counts as glare.
const GLARE_MIN_SHARE: f32 = 0.01;
/// Laplacian variance at which Quality reaches 50, at the 856-pixel working width. Measured on
/// generated cards: sharp ≈ 290, Gaussian blur σ 0.9 ≈ 64, σ 1.2 ≈ 32, σ 1.5 ≈ 18, and OCR
/// starts to lose lines beyond σ ≈ 1.5; so Quality falls below 50 from about σ 1.1.
const BLUR_HALF_QUALITY_VARIANCE: f32 = 45.0;
/// A card corner this far outside the image (as a share of the card width) cuts the border.
const BORDER_TOLERANCE: f32 = 0.02;

/// Quality 0–100 from the sharpness of the card crop.
pub fn sharpness_quality(card: &RgbImage) -> f32 {
    let grey: GrayImage = image::imageops::grayscale(card);
    let laplacian = laplacian_filter(&grey);
    let values: Vec<f32> = laplacian.pixels().map(|p| f32::from(p[0])).collect();
    if values.is_empty() {
        return 0.0;
    }
    let mean = values.iter().sum::<f32>() / values.len() as f32;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len() as f32;
    (100.0 * variance / (variance + BLUR_HALF_QUALITY_VARIANCE)).clamp(0.0, 100.0)
}

pub fn looks_like_photocopy(card: &RgbImage) -> bool {
    let pixels = card.pixels().len().max(1) as f32;
    let chroma: f32 = card
        .pixels()
        .map(|p| {
            let max = p[0].max(p[1]).max(p[2]);
            let min = p[0].min(p[1]).min(p[2]);
            f32::from(max - min)
        })
        .sum();
    chroma / pixels < PHOTOCOPY_MAX_CHROMA
}

pub fn has_glare(card: &RgbImage) -> bool {
    let pixels = card.pixels().len().max(1) as f32;
    let burnt = card
        .pixels()
        .filter(|p| p[0].min(p[1]).min(p[2]) >= GLARE_LEVEL)
        .count() as f32;
    burnt / pixels > GLARE_MIN_SHARE
}

/// Whether the card outline runs outside an image of `width × height`.
pub fn border_incomplete(card: &Quad, width: u32, height: u32) -> bool {
    let margin = BORDER_TOLERANCE * card.width();
    card.corners.iter().any(|p| {
        p.x < -margin
            || p.y < -margin
            || p.x > width as f32 + margin
            || p.y > height as f32 + margin
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn colour_and_glare_signals() {
        let tinted = RgbImage::from_pixel(40, 20, Rgb([200, 210, 230]));
        let grey = RgbImage::from_pixel(40, 20, Rgb([200, 201, 200]));
        assert!(!looks_like_photocopy(&tinted));
        assert!(looks_like_photocopy(&grey));
        let mut glared = tinted.clone();
        for x in 0..10 {
            for y in 0..10 {
                glared.put_pixel(x, y, Rgb([255, 255, 255]));
            }
        }
        assert!(!has_glare(&tinted));
        assert!(has_glare(&glared));
    }

    #[test]
    fn sharp_edges_score_higher_than_flat_images() {
        let flat = RgbImage::from_pixel(64, 64, Rgb([128, 128, 128]));
        let stripes = RgbImage::from_fn(64, 64, |x, _| {
            if x % 4 < 2 {
                Rgb([0, 0, 0])
            } else {
                Rgb([255, 255, 255])
            }
        });
        assert!(sharpness_quality(&flat) < 1.0);
        assert!(sharpness_quality(&stripes) > 90.0);
    }
}
