//! PP-OCRv4 CRNN/SVTR recognition of text-line crops with greedy CTC decoding.

use image::RgbImage;

use super::ctc::{greedy_decode, log_likelihood, Charset, Decoded};
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

/// The recogniser runs on several single-threaded sessions ("lanes") at once, each taking
/// whole lines: a card line is too small an input for ONNX Runtime to split one inference
/// across cores efficiently (measured: two intra-op threads kept 1.4 cores busy on card
/// lines), while separate lines in parallel keep both busy.
pub struct TextRecognizer {
    lanes: Vec<Model>,
    charset: Charset,
    /// Narrowest batch width in pixels (see [`MIN_WIDTH`]).
    pub min_width: u32,
    /// Lines per inference (see [`BATCH`]).
    pub batch: usize,
}

impl TextRecognizer {
    /// A recogniser over one or more sessions of the same model.
    pub fn new(lanes: Vec<Model>) -> Result<Self> {
        let model = lanes
            .first()
            .ok_or_else(|| VisionError::Inference("a recogniser needs a session".into()))?;
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
        for lane in &lanes {
            lane.expect_shapes(&[&[-1, 3, 48, -1]], &[&[-1, -1, charset.len() as i64]])?;
        }
        Ok(TextRecognizer {
            lanes,
            charset,
            min_width: MIN_WIDTH,
            batch: BATCH,
        })
    }

    /// Recognises every crop, returning results in the crops' order.
    pub fn recognise(&self, crops: &[RgbImage]) -> Result<Vec<Decoded>> {
        let mut order: Vec<usize> = (0..crops.len()).collect();
        order.sort_by(|&a, &b| ratio(&crops[a]).total_cmp(&ratio(&crops[b])));
        let batches: Vec<&[usize]> = order.chunks(self.batch.max(1)).collect();
        let lanes = self.lanes.len().min(batches.len()).max(1);
        // Batches are sorted by width, so dealing them out in turn gives each lane a similar
        // share of the work.
        let share = |lane: usize| batches.iter().copied().skip(lane).step_by(lanes);
        let mut decoded: Vec<(usize, Decoded)> = std::thread::scope(|scope| {
            let others: Vec<_> = (1..lanes)
                .map(|lane| {
                    let model = &self.lanes[lane];
                    scope.spawn(move || self.run_batches(model, crops, share(lane)))
                })
                .collect();
            let mut all = self.run_batches(&self.lanes[0], crops, share(0))?;
            for other in others {
                let lane_results = other
                    .join()
                    .map_err(|_| VisionError::Inference("a recognition lane panicked".into()))?;
                all.extend(lane_results?);
            }
            Ok::<_, VisionError>(all)
        })?;
        decoded.sort_by_key(|(index, _)| *index);
        Ok(decoded.into_iter().map(|(_, d)| d).collect())
    }

    fn run_batches<'a>(
        &self,
        model: &Model,
        crops: &[RgbImage],
        batches: impl Iterator<Item = &'a [usize]>,
    ) -> Result<Vec<(usize, Decoded)>> {
        let mut results = Vec::new();
        for batch in batches {
            let widest = batch.iter().map(|&i| ratio(&crops[i])).fold(0.0, f32::max);
            let width = ((INPUT_HEIGHT as f32 * widest).ceil() as u32).max(self.min_width);
            let refs: Vec<&RgbImage> = batch.iter().map(|&i| &crops[i]).collect();
            let outputs = model.run(&[pack_lines(&refs, INPUT_HEIGHT, width)])?;
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
                results.push((index, decoded));
            }
        }
        Ok(results)
    }

    /// How likely the crop spells each candidate (log-probability over all CTC alignments;
    /// `None` for a candidate with a character outside the dictionary), and how likely it is
    /// blank.
    pub fn score_candidates(
        &self,
        crop: &RgbImage,
        candidates: &[&str],
    ) -> Result<CandidateScores> {
        let width = ((INPUT_HEIGHT as f32 * ratio(crop)).ceil() as u32).max(self.min_width);
        let outputs = self.lanes[0].run(&[pack_lines(&[crop], INPUT_HEIGHT, width)])?;
        let scores = outputs
            .first()
            .ok_or_else(|| VisionError::Inference("recogniser gave no output".into()))?;
        let classes = scores.shape[2];
        Ok(CandidateScores {
            candidates: candidates
                .iter()
                .map(|candidate| {
                    self.charset
                        .encode(candidate)
                        .map(|label| log_likelihood(&scores.data, classes, &label))
                })
                .collect(),
            blank: log_likelihood(&scores.data, classes, &[]),
        })
    }
}

fn ratio(crop: &RgbImage) -> f32 {
    crop.width() as f32 / crop.height().max(1) as f32
}

/// Per-candidate log-likelihoods from [`TextRecognizer::score_candidates`].
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateScores {
    pub candidates: Vec<Option<f32>>,
    pub blank: f32,
}
