//! Alignment of a detected face onto the 112×112 five-point template the embedder was trained
//! with (the ArcFace/InsightFace reference positions).

use image::RgbImage;

use super::geometry::{Point, Similarity};
use super::sampling::warp_bilinear;

pub const ALIGNED_SIZE: usize = 112;

/// Reference positions of left eye, right eye, nose tip and mouth corners in a 112×112 crop.
pub const TEMPLATE_112: [Point; 5] = [
    Point::new(38.2946, 51.6963),
    Point::new(73.5318, 51.5014),
    Point::new(56.0252, 71.7366),
    Point::new(41.5493, 92.3655),
    Point::new(70.7299, 92.2041),
];

/// A face warped onto the template: 112×112 HWC RGB in 0..255.
#[derive(Debug, Clone)]
pub struct AlignedFace {
    pub pixels: Vec<f32>,
    /// Mean distance in template pixels between the warped landmarks and the template; large
    /// values mean the five points do not look like a face (bad detection, extreme pose).
    pub residual: f32,
}

/// Warps the face whose five landmarks are `landmarks` (image coordinates) onto the template.
pub fn align_face(image: &RgbImage, landmarks: &[Point; 5]) -> Option<AlignedFace> {
    let to_template = Similarity::estimate(landmarks, &TEMPLATE_112)?;
    let residual = landmarks
        .iter()
        .zip(TEMPLATE_112.iter())
        .map(|(&p, &t)| to_template.apply(p).distance(t))
        .sum::<f32>()
        / 5.0;
    let pixels = warp_bilinear(image, &to_template.inverse(), ALIGNED_SIZE, ALIGNED_SIZE);
    Some(AlignedFace { pixels, residual })
}
