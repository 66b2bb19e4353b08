//! PP-OCRv4 DB text detection: image → text-line quadrilaterals.

use image::RgbImage;

use super::db_postprocess::{extract_boxes, DbParams, ProbabilityMap, TextBox};
use crate::error::{Result, VisionError};
use crate::image_input::resize_bilinear;
use crate::runtime::{Model, TensorF32};

/// ImageNet statistics the detector was trained with, in the BGR channel order PP-OCR uses.
const MEAN_BGR: [f32; 3] = [0.485, 0.456, 0.406];
const STD_BGR: [f32; 3] = [0.229, 0.224, 0.225];

/// The detector needs sides divisible by 32 (five stride-2 stages).
const STRIDE: u32 = 32;

pub struct TextDetector {
    model: Model,
    /// Longest side the image is scaled down to before detection. Card text stays legible at
    /// 960 while detection time grows with the pixel count.
    pub max_side: u32,
    pub params: DbParams,
}

impl TextDetector {
    pub fn new(model: Model) -> Result<Self> {
        model.expect_shapes(&[&[-1, 3, -1, -1]], &[&[-1, 1, -1, -1]])?;
        Ok(TextDetector {
            model,
            max_side: 960,
            params: DbParams::default(),
        })
    }

    pub fn detect(&self, image: &RgbImage) -> Result<Vec<TextBox>> {
        let (width, height) = image.dimensions();
        if width == 0 || height == 0 {
            return Err(VisionError::EmptyImage);
        }
        let scale = (self.max_side as f32 / width.max(height) as f32).min(1.0);
        let fit = |side: u32| {
            let scaled = (side as f32 * scale).round() as u32;
            (scaled.div_ceil(STRIDE) * STRIDE).max(STRIDE)
        };
        let (input_w, input_h) = (fit(width), fit(height));
        let resized = resize_bilinear(image, input_w, input_h);
        let tensor = to_normalised_bgr_chw(&resized);
        let outputs = self.model.run(&[tensor])?;
        let map = outputs
            .first()
            .ok_or_else(|| VisionError::Inference("detector gave no output".into()))?;
        let (map_h, map_w) = (map.shape[2], map.shape[3]);
        let probabilities = ProbabilityMap {
            width: map_w,
            height: map_h,
            values: &map.data,
        };
        Ok(extract_boxes(
            &probabilities,
            &self.params,
            width as f32 / map_w as f32,
            height as f32 / map_h as f32,
        ))
    }
}

fn to_normalised_bgr_chw(image: &RgbImage) -> TensorF32 {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let plane = w * h;
    let mut data = vec![0.0f32; 3 * plane];
    for (i, pixel) in image.pixels().enumerate() {
        let bgr = [pixel[2], pixel[1], pixel[0]];
        for c in 0..3 {
            data[c * plane + i] = (f32::from(bgr[c]) / 255.0 - MEAN_BGR[c]) / STD_BGR[c];
        }
    }
    TensorF32::new(vec![1, 3, h, w], data)
}
