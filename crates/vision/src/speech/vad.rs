//! Voice activity: silero VAD (PyPI `silero-vad` 6.2.3, `silero_vad.onnx`, MIT) scores each
//! 32 ms window of 16 kHz audio for speech, carrying its recurrent state and 64 samples of
//! context from one window to the next as the package's own wrapper does.

use crate::error::{Result, VisionError};
use crate::runtime::{Input, Model, TensorF32};

pub const MODEL_FILE: &str = "silero_vad.onnx";
/// Samples per scored window at 16 kHz.
pub const WINDOW: usize = 512;
const CONTEXT: usize = 64;
const STATE_LEN: usize = 2 * 128;
pub const WINDOW_S: f32 = WINDOW as f32 / 16_000.0;

/// Above this a window is speech; a run of speech ends only when the score falls below
/// [`SPEECH_OFF`] (silero's own hysteresis).
const SPEECH_ON: f32 = 0.5;
const SPEECH_OFF: f32 = 0.35;
/// Shorter bursts are clicks and breaths, not words.
const MIN_SEGMENT_S: f32 = 0.12;
/// Shorter pauses do not split a segment.
const MIN_PAUSE_S: f32 = 0.1;

pub struct VoiceActivityDetector {
    model: Model,
}

/// Speech probability of every [`WINDOW`] of a recording, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceActivity {
    pub probabilities: Vec<f32>,
}

/// One stretch of speech, in seconds from the start of the audio.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SpeechSegment {
    pub start_s: f32,
    pub end_s: f32,
}

impl VoiceActivityDetector {
    pub fn new(model: Model) -> Result<Self> {
        model.expect_shapes(&[&[-1, -1], &[2, -1, 128], &[]], &[&[-1, 1], &[-1, -1, -1]])?;
        Ok(VoiceActivityDetector { model })
    }

    /// Scores 16 kHz mono audio in [-1, 1]; a final partial window is padded with silence.
    pub fn detect(&self, samples: &[f32]) -> Result<VoiceActivity> {
        let mut state = vec![0f32; STATE_LEN];
        let mut context = [0f32; CONTEXT];
        let mut probabilities = Vec::with_capacity(samples.len() / WINDOW + 1);
        for chunk in samples.chunks(WINDOW) {
            let mut input = Vec::with_capacity(CONTEXT + WINDOW);
            input.extend_from_slice(&context);
            input.extend_from_slice(chunk);
            input.resize(CONTEXT + WINDOW, 0.0);
            context.copy_from_slice(&input[WINDOW..]);
            let audio = TensorF32::new(vec![1, CONTEXT + WINDOW], input);
            let recurrent = TensorF32::new(vec![2, 1, 128], state);
            let outputs = self.model.run_inputs(&[
                Input::F32(&audio),
                Input::F32(&recurrent),
                Input::I64Scalar(16_000),
            ])?;
            let [probability, next_state] = outputs.as_slice() else {
                return Err(VisionError::Inference("silero VAD gave no state".into()));
            };
            if next_state.data.len() != STATE_LEN || probability.data.is_empty() {
                return Err(VisionError::Inference("silero VAD output shape".into()));
            }
            probabilities.push(probability.data[0]);
            state = next_state.data.clone();
        }
        Ok(VoiceActivity { probabilities })
    }
}

impl VoiceActivity {
    /// The stretches of speech, after hysteresis, with pauses under 100 ms bridged and bursts
    /// under 120 ms dropped.
    pub fn segments(&self) -> Vec<SpeechSegment> {
        let mut raw: Vec<SpeechSegment> = Vec::new();
        let mut start: Option<usize> = None;
        for (i, &p) in self.probabilities.iter().enumerate() {
            match start {
                None if p >= SPEECH_ON => start = Some(i),
                Some(s) if p < SPEECH_OFF => {
                    raw.push(window_span(s, i));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            raw.push(window_span(s, self.probabilities.len()));
        }
        let mut merged: Vec<SpeechSegment> = Vec::new();
        for segment in raw {
            match merged.last_mut() {
                Some(last) if segment.start_s - last.end_s < MIN_PAUSE_S => {
                    last.end_s = segment.end_s
                }
                _ => merged.push(segment),
            }
        }
        merged.retain(|s| s.end_s - s.start_s >= MIN_SEGMENT_S);
        merged
    }
}

fn window_span(first: usize, end: usize) -> SpeechSegment {
    SpeechSegment {
        start_s: first as f32 * WINDOW_S,
        end_s: end as f32 * WINDOW_S,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(pattern: &[(f32, usize)]) -> VoiceActivity {
        VoiceActivity {
            probabilities: pattern
                .iter()
                .flat_map(|&(p, n)| std::iter::repeat(p).take(n))
                .collect(),
        }
    }

    #[test]
    fn hysteresis_keeps_a_wavering_word_whole() {
        let a = activity(&[(0.0, 10), (0.9, 5), (0.4, 3), (0.8, 5), (0.1, 10)]);
        let segments = a.segments();
        assert_eq!(segments.len(), 1);
        assert!((segments[0].start_s - 10.0 * WINDOW_S).abs() < 1e-6);
        assert!((segments[0].end_s - 23.0 * WINDOW_S).abs() < 1e-6);
    }

    #[test]
    fn clicks_are_dropped_and_short_pauses_bridged() {
        let a = activity(&[(0.9, 2), (0.0, 20), (0.9, 6), (0.0, 2), (0.9, 6), (0.0, 5)]);
        let segments = a.segments();
        assert_eq!(segments.len(), 1, "{segments:?}");
        let speech_s = segments[0].end_s - segments[0].start_s;
        assert!((speech_s - 14.0 * WINDOW_S).abs() < 1e-6);
    }
}
