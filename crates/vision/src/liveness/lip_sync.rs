//! Do the lips move with the voice? A person reading digits opens the mouth on each syllable, so
//! the loudness of the recording rises and falls with the gap between the lips, a fraction of a
//! second apart at most. Audio dubbed over a face, or a voice from off camera, does not.

/// Loudness is read over this window around each frame.
const ENVELOPE_HALF_WINDOW_S: f32 = 0.04;
/// Room noise: quieter windows all count as silence (16-bit RMS).
const NOISE_FLOOR_RMS: f32 = 60.0;
/// Audio and video tracks of a phone recording are offset by at most this much.
const MAX_LAG_S: f32 = 0.2;
const LAG_STEP_S: f32 = 0.02;
/// Fewer usable frames than this give no measure.
const MIN_FRAMES: usize = 20;

/// How the mouth followed the loudness of the recording.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LipSync {
    /// Best Pearson correlation between the lip gap and the log loudness over the lags tried.
    pub correlation: f32,
    /// Audio delay (s) at which it was reached; positive when the sound comes after the lips.
    pub lag_s: f32,
    pub frames: usize,
}

/// Log RMS of 16 kHz `audio` in a window centred at `t_s`, floored at room noise.
fn loudness(audio: &[i16], t_s: f32) -> f32 {
    let rate = 16_000.0;
    let start = ((t_s - ENVELOPE_HALF_WINDOW_S) * rate).max(0.0) as usize;
    let end = (((t_s + ENVELOPE_HALF_WINDOW_S) * rate).max(0.0) as usize).min(audio.len());
    if start >= end {
        return NOISE_FLOOR_RMS.log10();
    }
    let sum: f64 = audio[start..end]
        .iter()
        .map(|s| f64::from(*s).powi(2))
        .sum();
    let rms = (sum / (end - start) as f64).sqrt() as f32;
    rms.max(NOISE_FLOOR_RMS).log10()
}

fn pearson(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len() as f32;
    let (ma, mb) = (a.iter().sum::<f32>() / n, b.iter().sum::<f32>() / n);
    let (mut cov, mut va, mut vb) = (0f32, 0f32, 0f32);
    for (x, y) in a.iter().zip(b) {
        cov += (x - ma) * (y - mb);
        va += (x - ma).powi(2);
        vb += (y - mb).powi(2);
    }
    if va <= f32::EPSILON || vb <= f32::EPSILON {
        return 0.0;
    }
    cov / (va.sqrt() * vb.sqrt())
}

/// Measures the lip sync of a recording from the lip gap of each frame with a face
/// (`(time s, mouth-open ratio)`) and its 16 kHz mono audio. `None` when too few frames have a
/// face to tell.
pub fn measure(mouth: &[(f32, f32)], audio: &[i16]) -> Option<LipSync> {
    if mouth.len() < MIN_FRAMES {
        return None;
    }
    let gaps: Vec<f32> = mouth.iter().map(|(_, ratio)| *ratio).collect();
    let steps = (MAX_LAG_S / LAG_STEP_S).round() as i32;
    let mut best = LipSync {
        correlation: f32::NEG_INFINITY,
        lag_s: 0.0,
        frames: mouth.len(),
    };
    for step in -steps..=steps {
        let lag_s = step as f32 * LAG_STEP_S;
        let envelope: Vec<f32> = mouth
            .iter()
            .map(|(t, _)| loudness(audio, t + lag_s))
            .collect();
        let correlation = pearson(&gaps, &envelope);
        if correlation > best.correlation {
            best.correlation = correlation;
            best.lag_s = lag_s;
        }
    }
    Some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mouth opening on syllables every 0.4 s and the voice that goes with it.
    fn syllables(voice_delay_s: f32) -> (Vec<(f32, f32)>, Vec<i16>) {
        let open = |t: f32| ((t * std::f32::consts::PI / 0.4).sin()).max(0.0);
        let mouth = (0..90)
            .map(|i| {
                let t = i as f32 / 30.0;
                (t, 0.05 + 0.3 * open(t))
            })
            .collect();
        let audio = (0..48_000)
            .map(|n| {
                let t = n as f32 / 16_000.0;
                let amplitude = 8000.0 * open(t - voice_delay_s);
                (amplitude * (t * 2.0 * std::f32::consts::PI * 220.0).sin()) as i16
            })
            .collect();
        (mouth, audio)
    }

    #[test]
    fn a_voice_in_step_with_the_lips_correlates() {
        let (mouth, audio) = syllables(0.06);
        let sync = measure(&mouth, &audio).unwrap();
        assert!(sync.correlation > 0.8, "{sync:?}");
        assert!((sync.lag_s - 0.06).abs() <= 0.04, "{sync:?}");
    }

    #[test]
    fn a_voice_out_of_step_does_not() {
        let (mouth, audio) = syllables(0.4);
        let sync = measure(&mouth, &audio).unwrap();
        assert!(sync.correlation < 0.3, "{sync:?}");
    }

    #[test]
    fn too_few_frames_give_no_measure() {
        let (mouth, audio) = syllables(0.0);
        assert!(measure(&mouth[..10], &audio).is_none());
    }
}
