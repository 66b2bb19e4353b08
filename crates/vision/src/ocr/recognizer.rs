//! PP-OCRv4 CRNN/SVTR recognition of text-line crops with greedy CTC decoding.

use image::RgbImage;

use super::ctc::{greedy_decode, Charset, Decoded};
use super::line_tensor::pack_lines;
use crate::error::{Result, VisionError};
use crate::runtime::Model;

const INPUT_HEIGHT: u32 = 48;
/// Narrowest input width. Each line is run at its own width instead of being padded to the
/// 320 pixels PP-OCR uses by default: padding costs as much compute as text, and on ID-card
/// lines the exact-width results matched the padded ones on the generated test set.
const MIN_WIDTH: u32 = 48;
/// Lines per inference. Batching pads every line to the widest one; on two cores the padding
/// costs more than the per-run overhead it saves (measured 4× slower with batches of 6).
const BATCH: usize = 1;

pub struct TextRecognizer {
    model: Model,
    charset: Charset,
    /// Narrowest batch width in pixels (see [`MIN_WIDTH`]).
    pub min_width: u32,
    /// Lines per inference (see [`BATCH`]).
    pub batch: usize,
}

impl TextRecognizer {
    pub fn new(model: Model) -> Result<Self> {
        let dictionary = model
            .metadata("character")?
            .ok_or_else(|| VisionError::ModelInvalid {
                file: model.file().to_string(),
                reason: "no `character` metadata (the recogniser's character list)".into(),
            })?;
        let charset = Charset::from_dictionary(&dictionary);
        if charset.is_empty() {
            return Err(VisionError::ModelInvalid {
                file: model.file().to_string(),
                reason: "empty `character` metadata".into(),
            });
        }
        model.expect_shapes(&[&[-1, 3, 48, -1]], &[&[-1, -1, charset.len() as i64]])?;
        Ok(TextRecognizer {
            model,
            charset,
            min_width: MIN_WIDTH,
            batch: BATCH,
        })
    }

    /// Recognises every crop, returning results in the crops' order.
    pub fn recognise(&self, crops: &[RgbImage]) -> Result<Vec<Decoded>> {
        let ratio = |c: &RgbImage| c.width() as f32 / c.height().max(1) as f32;
        let mut order: Vec<usize> = (0..crops.len()).collect();
        order.sort_by(|&a, &b| ratio(&crops[a]).total_cmp(&ratio(&crops[b])));
        let mut results: Vec<Option<Decoded>> = vec![None; crops.len()];
        for batch in order.chunks(self.batch.max(1)) {
            let widest = batch.iter().map(|&i| ratio(&crops[i])).fold(0.0, f32::max);
            let width = ((INPUT_HEIGHT as f32 * widest).ceil() as u32).max(self.min_width);
            let refs: Vec<&RgbImage> = batch.iter().map(|&i| &crops[i]).collect();
            let outputs = self.model.run(&[pack_lines(&refs, INPUT_HEIGHT, width)])?;
            let scores = outputs
                .first()
                .ok_or_else(|| VisionError::Inference("recogniser gave no output".into()))?;
            let (steps, classes) = (scores.shape[1], scores.shape[2]);
            for (slot, &index) in batch.iter().enumerate() {
                let start = slot * steps * classes;
                let sequence = &scores.data[start..start + steps * classes];
                let mut decoded = greedy_decode(&self.charset, sequence, classes);
                // Positions are shares of the padded input; rescale to shares of this crop.
                let crop_width = (INPUT_HEIGHT as f32 * ratio(&crops[index]))
                    .ceil()
                    .min(width as f32);
                let scale = width as f32 / crop_width.max(1.0);
                for position in &mut decoded.positions {
                    *position = (*position * scale).min(1.0);
                }
                results[index] = Some(decoded);
            }
        }
        Ok(results.into_iter().flatten().collect())
    }
}
