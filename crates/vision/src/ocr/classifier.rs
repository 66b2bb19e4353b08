//! Text-line orientation: tells whether a line crop is upside down.

use image::RgbImage;

use super::line_tensor::pack_lines;
use crate::error::{Result, VisionError};
use crate::runtime::Model;

const INPUT_HEIGHT: u32 = 48;
const INPUT_WIDTH: u32 = 192;
const BATCH: usize = 16;

pub struct OrientationClassifier {
    model: Model,
}

impl OrientationClassifier {
    pub fn new(model: Model) -> Result<Self> {
        model.expect_shapes(&[&[-1, 3, 48, 192]], &[&[-1, 2]])?;
        Ok(OrientationClassifier { model })
    }

    /// For each crop, the probability that it reads upside down.
    pub fn upside_down(&self, crops: &[RgbImage]) -> Result<Vec<f32>> {
        let mut flips = Vec::with_capacity(crops.len());
        for chunk in crops.chunks(BATCH) {
            let refs: Vec<&RgbImage> = chunk.iter().collect();
            let outputs = self
                .model
                .run(&[pack_lines(&refs, INPUT_HEIGHT, INPUT_WIDTH)])?;
            let scores = outputs
                .first()
                .ok_or_else(|| VisionError::Inference("classifier gave no output".into()))?;
            flips.extend(
                scores
                    .data
                    .chunks_exact(2)
                    .map(|p| p[1] / (p[0] + p[1]).max(f32::EPSILON)),
            );
        }
        Ok(flips)
    }
}
