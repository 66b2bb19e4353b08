//! General text reading: detect lines, straighten and orient each, recognise them.

use image::imageops::{rotate180, rotate270};
use image::RgbImage;

use super::classifier::OrientationClassifier;
use super::detector::TextDetector;
use super::geometry::{rectify, Quad};
use super::layout::TextLine;
use super::recognizer::{CandidateScores, TextRecognizer};
use crate::error::Result;
use crate::runtime::{Model, Runtime};

pub const DETECTOR_FILE: &str = "ch_PP-OCRv4_det_infer.onnx";
pub const RECOGNIZER_FILE: &str = "ch_PP-OCRv4_rec_infer.onnx";
pub const CLASSIFIER_FILE: &str = "ch_ppocr_mobile_v2.0_cls_infer.onnx";

/// Lines recognised with less confidence than this are dropped as noise (background texture
/// and the guilloche pattern produce low-confidence garbage).
const MIN_LINE_CONFIDENCE: f32 = 0.5;

/// The three PP-OCR models, loaded once and shared by all requests.
pub struct OcrEngine {
    detector: TextDetector,
    classifier: OrientationClassifier,
    recognizer: TextRecognizer,
}

impl std::fmt::Debug for OcrEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrEngine").finish_non_exhaustive()
    }
}

impl OcrEngine {
    /// Loads the detector, orientation classifier and recogniser from the models directory.
    pub fn load(runtime: &Runtime) -> Result<Self> {
        Ok(OcrEngine {
            detector: TextDetector::new(runtime.load(DETECTOR_FILE)?)?,
            classifier: OrientationClassifier::new(runtime.load(CLASSIFIER_FILE)?)?,
            recognizer: TextRecognizer::new(recognition_lanes(runtime)?)?,
        })
    }

    /// Recognises already-cut, upright line crops (exposed for benchmarks and tuning).
    pub fn recognise_crops(&self, crops: &[RgbImage]) -> Result<Vec<(String, f32)>> {
        Ok(self
            .recognizer
            .recognise(crops)?
            .into_iter()
            .map(|d| (d.text, d.confidence))
            .collect())
    }

    /// Sets the narrowest width recognition batches are padded to, and the lines per batch.
    pub fn set_recognition_batching(&mut self, min_width: u32, batch: usize) {
        self.recognizer.min_width = min_width;
        self.recognizer.batch = batch;
    }

    /// Recognises each quad (corners in reading order) as one line, without detection.
    /// Readings below the confidence floor, or empty, are left out.
    pub fn read_regions(&self, image: &RgbImage, quads: &[Quad]) -> Result<Vec<TextLine>> {
        let crops: Vec<RgbImage> = quads
            .iter()
            .map(|quad| {
                rectify(
                    image,
                    quad,
                    quad.width().round() as u32,
                    quad.height().round() as u32,
                )
            })
            .collect();
        let decoded = self.recognizer.recognise(&crops)?;
        Ok(quads
            .iter()
            .zip(decoded)
            .filter(|(_, d)| d.confidence >= MIN_LINE_CONFIDENCE && !d.text.trim().is_empty())
            .map(|(quad, d)| TextLine {
                quad: *quad,
                text: d.text,
                confidence: d.confidence,
                char_positions: d.positions,
            })
            .collect())
    }

    /// Scores how likely the quad's text is each of `candidates` (see
    /// [`TextRecognizer::score_candidates`]).
    pub fn score_region(
        &self,
        image: &RgbImage,
        quad: &Quad,
        candidates: &[&str],
    ) -> Result<CandidateScores> {
        let crop = rectify(
            image,
            quad,
            quad.width().round() as u32,
            quad.height().round() as u32,
        );
        self.recognizer.score_candidates(&crop, candidates)
    }

    /// Reads every text line in the image, corners in reading order.
    pub fn read_lines(&self, image: &RgbImage) -> Result<Vec<TextLine>> {
        let started = std::time::Instant::now();
        let boxes = self.detector.detect(image)?;
        let detected = started.elapsed();
        let mut quads = Vec::with_capacity(boxes.len());
        let mut crops = Vec::with_capacity(boxes.len());
        for text_box in boxes {
            let (quad, crop) = straighten(image, text_box.quad);
            quads.push(quad);
            crops.push(crop);
        }
        let cropped = started.elapsed();
        let flip_probabilities = self.classifier.upside_down(&crops)?;
        let classified = started.elapsed();
        if document_is_upside_down(&crops, &flip_probabilities) {
            for (quad, crop) in quads.iter_mut().zip(crops.iter_mut()) {
                *crop = rotate180(crop);
                *quad = quad.turned_half();
            }
        }
        let decoded = self.recognizer.recognise(&crops)?;
        tracing::debug!(
            lines = crops.len(),
            detect = ?detected,
            crop = ?(cropped - detected),
            classify = ?(classified - cropped),
            recognise = ?(started.elapsed() - classified),
            "ocr stages"
        );
        Ok(quads
            .into_iter()
            .zip(decoded)
            .filter(|(_, d)| d.confidence >= MIN_LINE_CONFIDENCE && !d.text.trim().is_empty())
            .map(|(quad, d)| TextLine {
                quad,
                text: d.text,
                confidence: d.confidence,
                char_positions: d.positions,
            })
            .collect())
    }
}

/// One single-threaded recogniser session per core the runtime may use at once (see
/// [`TextRecognizer`]); a single session with the runtime's threads when that is one.
fn recognition_lanes(runtime: &Runtime) -> Result<Vec<Model>> {
    let config = runtime.config();
    let lanes = config.intra_threads.min(config.max_concurrent_runs);
    if lanes <= 1 {
        return Ok(vec![runtime.load(RECOGNIZER_FILE)?]);
    }
    (0..lanes)
        .map(|_| runtime.load_with_threads(RECOGNIZER_FILE, 1))
        .collect()
}

/// A document's lines share one orientation, and the classifier is unreliable on the short
/// ones, so the orientation is decided once for all lines by a vote weighted by line length.
fn document_is_upside_down(crops: &[RgbImage], flip_probabilities: &[f32]) -> bool {
    let (flipped, total) = crops.iter().zip(flip_probabilities).fold(
        (0.0f32, 0.0f32),
        |(flipped, total), (crop, &p)| {
            let weight = crop.width() as f32 / crop.height().max(1) as f32;
            (flipped + weight * p, total + weight)
        },
    );
    total > 0.0 && flipped > 0.5 * total
}

/// Cuts a text box out upright. Boxes much taller than wide hold vertical-looking text (the
/// card is turned by about 90 degrees), so they are turned to lie horizontally.
fn straighten(image: &RgbImage, quad: Quad) -> (Quad, RgbImage) {
    let (width, height) = (quad.width(), quad.height());
    let crop = rectify(image, &quad, width.round() as u32, height.round() as u32);
    if height >= 1.5 * width {
        let [tl, tr, br, bl] = quad.corners;
        // Turning the crop a quarter anticlockwise makes its old top-right corner the new
        // top-left one.
        (
            Quad {
                corners: [tr, br, bl, tl],
            },
            rotate270(&crop),
        )
    } else {
        (quad, crop)
    }
}
