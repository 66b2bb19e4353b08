//! Hearing a read-aloud code: voice activity (silero VAD) and recognition of the issued digits
//! (Whisper base through CTranslate2). Pure functions of 16 kHz mono audio and the models.

pub mod digits;
pub mod mel;
pub mod recognizer;
pub mod vad;

use std::path::Path;

use serde::Serialize;

pub use digits::SpokenLanguage;
pub use recognizer::{CodeScore, SpeechRecognizer};
pub use vad::{SpeechSegment, VoiceActivityDetector};

use crate::error::Result;
use crate::runtime::Runtime;

/// Reading four digits takes more voice than this; less is a cough or a word, and recognition
/// does not run.
pub const MIN_SPEECH_S: f32 = 0.5;
/// Languages tried, in order, when the reader's language is not known.
pub const LANGUAGES: [SpokenLanguage; 2] = [SpokenLanguage::Mandarin, SpokenLanguage::English];

/// The speech models, loaded on first use: the recogniser is large and only the read-aloud
/// mode needs it.
pub struct Speech {
    vad: VoiceActivityDetector,
    recognizer: SpeechRecognizer,
}

/// What was heard in a recording asked to read `code`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Heard {
    pub segments: Vec<SpeechSegment>,
    pub speech_s: f32,
    /// The issued code as scored in each language tried (likeliest first), until one heard it;
    /// empty when there was too little speech to try.
    pub scores: Vec<(SpokenLanguage, CodeScore)>,
}

impl Heard {
    /// The language in which the issued code was heard, if any.
    pub fn code_heard_in(&self) -> Option<SpokenLanguage> {
        self.scores
            .iter()
            .find(|(_, score)| score.heard())
            .map(|(language, _)| *language)
    }
}

/// Voice heard this close to the edge of a segment still belongs to it (the detector cuts
/// soft onsets and trailing consonants).
const SEGMENT_MARGIN_S: f32 = 0.3;

/// The stretch of `samples` from the first voice segment to the last, with a margin: the
/// silence before and after costs the recogniser time on every pass and adds nothing to a
/// score of the issued code.
fn voiced<'a>(samples: &'a [f32], segments: &[SpeechSegment]) -> &'a [f32] {
    let (Some(first), Some(last)) = (segments.first(), segments.last()) else {
        return samples;
    };
    let at = |s: f32| ((s.max(0.0) * mel::SAMPLE_RATE as f32) as usize).min(samples.len());
    let (from, to) = (
        at(first.start_s - SEGMENT_MARGIN_S),
        at(last.end_s + SEGMENT_MARGIN_S),
    );
    if from < to {
        &samples[from..to]
    } else {
        samples
    }
}

impl Speech {
    pub fn load(runtime: &Runtime, models_dir: &Path, threads: usize) -> Result<Self> {
        let vad = VoiceActivityDetector::new(runtime.load(vad::MODEL_FILE)?)?;
        let recognizer = SpeechRecognizer::load(models_dir, threads)?;
        Ok(Speech { vad, recognizer })
    }

    /// Listens for `code` (ASCII digits) in 16 kHz mono PCM, in each of `languages` until
    /// one hears it, the language Whisper finds likeliest first.
    pub fn recognizer(&self) -> &SpeechRecognizer {
        &self.recognizer
    }

    pub fn hear(&self, audio: &[i16], code: &str, languages: &[SpokenLanguage]) -> Result<Heard> {
        let samples: Vec<f32> = audio.iter().map(|&s| f32::from(s) / 32768.0).collect();
        let activity = self.vad.detect(&samples)?;
        let segments = activity.segments();
        let speech_s = segments.iter().map(|s| s.end_s - s.start_s).sum();
        let mut scores = Vec::new();
        if speech_s >= MIN_SPEECH_S {
            let started = std::time::Instant::now();
            let encoded = self.recognizer.encode(voiced(&samples, &segments))?;
            let encoded_at = started.elapsed();
            let ordered = self.recognizer.likeliest_first(&encoded, languages)?;
            let ordered_at = started.elapsed();
            for language in ordered {
                let score = self.recognizer.score_code(&encoded, language, code)?;
                let heard = score.heard();
                scores.push((language, score));
                if heard {
                    break;
                }
            }
            tracing::debug!(
                encode_ms = encoded_at.as_millis() as u64,
                language_ms = (ordered_at - encoded_at).as_millis() as u64,
                score_ms = (started.elapsed() - ordered_at).as_millis() as u64,
                languages = scores.len(),
                "speech recognised"
            );
        }
        Ok(Heard {
            segments,
            speech_s,
            scores,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognition_hears_the_voiced_stretch_with_a_margin() {
        let samples = vec![0.0f32; 5 * mel::SAMPLE_RATE];
        let segments = [
            SpeechSegment {
                start_s: 1.0,
                end_s: 1.5,
            },
            SpeechSegment {
                start_s: 2.0,
                end_s: 3.0,
            },
        ];
        assert_eq!(voiced(&samples, &segments).len(), (2.6 * 16_000.0) as usize);
        let edge = [SpeechSegment {
            start_s: 0.1,
            end_s: 4.9,
        }];
        assert_eq!(voiced(&samples, &edge).len(), samples.len());
        assert_eq!(voiced(&samples, &[]).len(), samples.len());
    }
}
