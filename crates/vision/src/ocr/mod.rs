//! Chinese resident ID-card OCR on PP-OCRv4 (detection, orientation, recognition) with
//! FaceID's field names, ID-number checks, card and portrait crops and quality warnings.
//!
//! Entry point: [`IdCardReader::load`] once, then [`IdCardReader::read`] per image.

mod card_region;
mod classifier;
mod ctc;
mod db_postprocess;
mod detector;
mod engine;
mod error;
mod fields;
mod geometry;
mod id_card;
pub mod id_number;
mod layout;
mod line_tensor;
mod quality;
mod recognizer;
mod reread;

pub use card_region::CARD_ASPECT;
pub use engine::{OcrEngine, CLASSIFIER_FILE, DETECTOR_FILE, RECOGNIZER_FILE};
pub use error::{decode_image, OcrError};
pub use fields::CardSide;
pub use geometry::{Point, Quad};
pub use id_card::{interpret, IdCardReader, IdCardReading, CARD_IMAGE_SIZE};
pub use id_number::IdNumberProblem;
pub use layout::TextLine;
pub use quality::{occluded_share, reshot_score, CardWarning};
