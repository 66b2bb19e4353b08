//! Passive (single-image) anti-spoof scores from two small advisory models. They misjudge many
//! genuine photos at naive thresholds, so they are exposed as signals for a decision that rests
//! on challenge–response liveness, never as verdicts.

use image::RgbImage;
use serde::Serialize;

use crate::error::Result;
use crate::face::geometry::BoundingBox;
use crate::face::sampling::{shrink_by_blocks, AreaSampler, SAMPLER_MAX_PIXELS};
use crate::runtime::{Model, TensorF32};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PassiveScores {
    /// `human_antispoof_128`: probability the face is a real (not rendered/printed) face.
    pub real: f32,
    /// `human_liveness_32`: probability the face is live rather than a replayed recording.
    pub live: f32,
}

fn face_crop(sampler: &AreaSampler, region: (f32, f32, f32, f32), size: usize) -> TensorF32 {
    let pixels = sampler.resample(region, size, size);
    TensorF32::new(
        vec![1, size, size, 3],
        pixels.iter().map(|v| v / 255.0).collect(),
    )
}

pub fn passive_scores(
    antispoof: &Model,
    liveness: &Model,
    image: &RgbImage,
    bbox: &BoundingBox,
) -> Result<PassiveScores> {
    // Cut the face out first: a summed-area table of a whole camera photo would cost
    // hundreds of megabytes.
    let square = bbox.to_square();
    let x0 = square.x1.floor().max(0.0) as u32;
    let y0 = square.y1.floor().max(0.0) as u32;
    let x1 = (square.x2.ceil().max(0.0) as u32).min(image.width());
    let y1 = (square.y2.ceil().max(0.0) as u32).min(image.height());
    if x1 <= x0 || y1 <= y0 {
        return Ok(PassiveScores {
            real: 0.0,
            live: 0.0,
        });
    }
    let mut crop = image::imageops::crop_imm(image, x0, y0, x1 - x0, y1 - y0).to_image();
    // A face filling a huge photo is block-shrunk so the sampler's table stays small.
    let block = ((u64::from(crop.width()) * u64::from(crop.height())) as f64
        / SAMPLER_MAX_PIXELS as f64)
        .sqrt()
        .ceil()
        .max(1.0) as u32;
    if block > 1 {
        crop = shrink_by_blocks(&crop, block);
    }
    let sampler = AreaSampler::new(&crop);
    // The square in (shrunk) crop coordinates; parts outside the photo read as black.
    let b = block as f32;
    let region = (
        (square.x1 - x0 as f32) / b,
        (square.y1 - y0 as f32) / b,
        (square.x2 - x0 as f32) / b,
        (square.y2 - y0 as f32) / b,
    );
    let real = antispoof.run(&[face_crop(&sampler, region, 128)])?[0].data[0];
    let live = liveness.run(&[face_crop(&sampler, region, 32)])?[0].data[0];
    Ok(PassiveScores { real, live })
}
