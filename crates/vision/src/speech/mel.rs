//! Whisper's input: an 80-band log-mel spectrogram of 30 s of 16 kHz audio, computed exactly as
//! the model was trained (400-point periodic Hann window, hop 160, reflect padding, Slaney mel
//! filters to 8 kHz, log10 clamped 8 decades below the peak, scaled to about [-1, 1]).

use std::f32::consts::PI;

use rustfft::num_complex::Complex32;
use rustfft::FftPlanner;

pub const SAMPLE_RATE: usize = 16_000;
pub const N_FFT: usize = 400;
pub const HOP: usize = 160;
pub const N_MELS: usize = 80;
/// Whisper always listens to 30 s: shorter audio is padded with silence.
pub const CHUNK_SAMPLES: usize = 30 * SAMPLE_RATE;
pub const CHUNK_FRAMES: usize = CHUNK_SAMPLES / HOP;

fn hz_to_mel(hz: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let log_step = 6.4f64.ln() / 27.0;
    if hz < MIN_LOG_HZ {
        hz / F_SP
    } else {
        MIN_LOG_HZ / F_SP + (hz / MIN_LOG_HZ).ln() / log_step
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let log_step = 6.4f64.ln() / 27.0;
    if mel < min_log_mel {
        mel * F_SP
    } else {
        MIN_LOG_HZ * ((mel - min_log_mel) * log_step).exp()
    }
}

/// Slaney-normalised triangular filters, `N_MELS × (N_FFT/2 + 1)` row-major (librosa's
/// `filters.mel(sr=16000, n_fft=400, n_mels=80)`, which Whisper ships as a table).
pub fn mel_filters() -> Vec<f32> {
    let bins = N_FFT / 2 + 1;
    let fft_hz: Vec<f64> = (0..bins)
        .map(|k| k as f64 * SAMPLE_RATE as f64 / N_FFT as f64)
        .collect();
    let (low, high) = (hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE as f64 / 2.0));
    let points: Vec<f64> = (0..N_MELS + 2)
        .map(|i| mel_to_hz(low + (high - low) * i as f64 / (N_MELS + 1) as f64))
        .collect();
    let mut filters = vec![0f32; N_MELS * bins];
    for m in 0..N_MELS {
        let (left, centre, right) = (points[m], points[m + 1], points[m + 2]);
        let norm = 2.0 / (right - left);
        for (k, &hz) in fft_hz.iter().enumerate() {
            let rising = (hz - left) / (centre - left);
            let falling = (right - hz) / (right - centre);
            filters[m * bins + k] = (rising.min(falling).max(0.0) * norm) as f32;
        }
    }
    filters
}

/// The log-mel spectrogram of `samples` (16 kHz, in [-1, 1]) cut or padded with silence to
/// `frames` frames (at most [`CHUNK_FRAMES`], 30 s): `N_MELS × frames`, row-major.
pub fn log_mel_spectrogram(samples: &[f32], filters: &[f32], frames: usize) -> Vec<f32> {
    let frames = frames.min(CHUNK_FRAMES);
    let total = frames * HOP;
    let bins = N_FFT / 2 + 1;
    let mut padded = vec![0f32; total];
    let used = samples.len().min(total);
    padded[..used].copy_from_slice(&samples[..used]);
    // Centre the frames as torch.stft(center=True) does: reflect N_FFT/2 samples at each end.
    let half = N_FFT / 2;
    let mut signal = Vec::with_capacity(total + N_FFT);
    signal.extend((1..=half).rev().map(|i| padded[i]));
    signal.extend_from_slice(&padded);
    signal.extend((1..=half).map(|i| padded[total - 1 - i]));

    let window: Vec<f32> = (0..N_FFT)
        .map(|n| 0.5 - 0.5 * (2.0 * PI * n as f32 / N_FFT as f32).cos())
        .collect();
    let fft = FftPlanner::<f32>::new().plan_fft_forward(N_FFT);
    let mut buffer = vec![Complex32::new(0.0, 0.0); N_FFT];
    let mut power = vec![0f32; bins];
    let mut mel = vec![0f32; N_MELS * frames];
    // torch.stft gives one frame more; Whisper drops the last one.
    for frame in 0..frames {
        let start = frame * HOP;
        for (n, slot) in buffer.iter_mut().enumerate() {
            *slot = Complex32::new(signal[start + n] * window[n], 0.0);
        }
        fft.process(&mut buffer);
        for (p, c) in power.iter_mut().zip(&buffer) {
            *p = c.norm_sqr();
        }
        for m in 0..N_MELS {
            let row = &filters[m * bins..(m + 1) * bins];
            let energy: f32 = row.iter().zip(&power).map(|(w, p)| w * p).sum();
            mel[m * frames + frame] = energy.max(1e-10).log10();
        }
    }
    let peak = mel.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for v in &mut mel {
        *v = (v.max(peak - 8.0) + 4.0) / 4.0;
    }
    mel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_librosa_at_known_points() {
        let filters = mel_filters();
        let bins = N_FFT / 2 + 1;
        // librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)[m, k]
        assert!((filters[1] - 0.024_862_595).abs() < 1e-6, "{}", filters[1]);
        assert!((filters[bins + 2] - 0.022_871_772).abs() < 1e-6);
        let last_row = &filters[79 * bins..];
        let peak = (0..bins).max_by(|&a, &b| last_row[a].total_cmp(&last_row[b]));
        assert_eq!(peak, Some(192));
        let row_sums: Vec<f32> = (0..N_MELS)
            .map(|m| filters[m * bins..(m + 1) * bins].iter().sum())
            .collect();
        assert!(row_sums.iter().all(|s| *s > 0.0));
    }

    #[test]
    fn a_tone_lights_the_band_of_its_frequency() {
        let tone: Vec<f32> = (0..SAMPLE_RATE)
            .map(|n| 0.5 * (2.0 * PI * 1000.0 * n as f32 / SAMPLE_RATE as f32).sin())
            .collect();
        let mel = log_mel_spectrogram(&tone, &mel_filters(), CHUNK_FRAMES);
        let frame = 50;
        let loudest = (0..N_MELS)
            .max_by(|&a, &b| {
                mel[a * CHUNK_FRAMES + frame].total_cmp(&mel[b * CHUNK_FRAMES + frame])
            })
            .unwrap();
        // 1 kHz sits at 15 Slaney mels of 45.2 across 81 intervals: band 26.
        assert!((25..=27).contains(&loudest), "{loudest}");
        // The padded silence after the tone is at the floor, 8 decades under the peak.
        let silent = mel[loudest * CHUNK_FRAMES + 2000];
        assert!((silent - mel.iter().copied().fold(f32::MAX, f32::min)).abs() < 1e-6);
    }
}
