//! Greedy CTC decoding of the recogniser's per-timestep class scores.

/// Characters the recogniser can emit. Class 0 is the CTC blank, classes `1..=n` are the
/// dictionary stored in the model, and PP-OCR appends a space as the last class.
#[derive(Debug, Clone)]
pub struct Charset {
    classes: Vec<String>,
}

impl Charset {
    /// Builds the class table from the model's newline-separated `character` metadata.
    pub fn from_dictionary(dictionary: &str) -> Self {
        let mut classes = vec![String::new()];
        classes.extend(
            dictionary
                .split('\n')
                .map(|line| line.trim_end_matches('\r'))
                .filter(|line| !line.is_empty())
                .map(str::to_string),
        );
        classes.push(" ".to_string());
        Charset { classes }
    }

    /// Number of classes including the blank and the trailing space.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.len() <= 1
    }

    /// The class of each character of `text`, or `None` when one of them is not in the
    /// dictionary (the recogniser can never emit it).
    pub fn encode(&self, text: &str) -> Option<Vec<usize>> {
        text.chars()
            .map(|c| {
                let mut buffer = [0u8; 4];
                let symbol: &str = c.encode_utf8(&mut buffer);
                self.classes.iter().position(|class| class == symbol)
            })
            .collect()
    }
}

/// Log-probability that the recogniser's `timesteps × classes` output spells exactly
/// `label` (class indices, no blanks), summed over every CTC alignment (the forward
/// algorithm). Comparing it across a closed set of candidates reads a value whose possible
/// spellings are known, where the single best path alone may spell something else.
pub fn log_likelihood(scores: &[f32], classes: usize, label: &[usize]) -> f32 {
    let log = |p: f32| p.max(1e-30).ln();
    // The label with blanks around and between its symbols.
    let mut extended = Vec::with_capacity(2 * label.len() + 1);
    extended.push(0usize);
    for &symbol in label {
        extended.push(symbol);
        extended.push(0);
    }
    let mut alpha = vec![f32::NEG_INFINITY; extended.len()];
    for (t, step) in scores.chunks_exact(classes.max(1)).enumerate() {
        let mut next = vec![f32::NEG_INFINITY; extended.len()];
        for (s, &class) in extended.iter().enumerate() {
            let reachable = if t == 0 {
                if s < 2 {
                    0.0
                } else {
                    f32::NEG_INFINITY
                }
            } else {
                let mut sum = alpha[s];
                if s >= 1 {
                    sum = log_add(sum, alpha[s - 1]);
                }
                if s >= 2 && class != 0 && class != extended[s - 2] {
                    sum = log_add(sum, alpha[s - 2]);
                }
                sum
            };
            next[s] = reachable + log(step.get(class).copied().unwrap_or(0.0));
        }
        alpha = next;
    }
    match extended.len() {
        1 => alpha[0],
        n => log_add(alpha[n - 1], alpha[n - 2]),
    }
}

fn log_add(a: f32, b: f32) -> f32 {
    if a == f32::NEG_INFINITY {
        return b;
    }
    if b == f32::NEG_INFINITY {
        return a;
    }
    let (high, low) = if a > b { (a, b) } else { (b, a) };
    high + (low - high).exp().ln_1p()
}

/// One decoded text line and the mean probability of the characters kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub text: String,
    pub confidence: f32,
    /// For each character of `text`, the centre of the timestep that emitted it as a share
    /// (0–1) of the input width. Lets callers tell which characters sit where on the line.
    pub positions: Vec<f32>,
}

/// Decodes one sequence of `timesteps × classes` probabilities: take the best class at each
/// step, collapse repeats, drop blanks.
pub fn greedy_decode(charset: &Charset, scores: &[f32], classes: usize) -> Decoded {
    let mut text = String::new();
    let mut confidence_sum = 0.0f32;
    let mut kept = 0usize;
    let mut previous = 0usize;
    let mut positions = Vec::new();
    let steps = (scores.len() / classes.max(1)).max(1) as f32;
    for (t, step) in scores.chunks_exact(classes).enumerate() {
        let (best, probability) =
            step.iter()
                .copied()
                .enumerate()
                .fold(
                    (0, f32::MIN),
                    |acc, (i, p)| if p > acc.1 { (i, p) } else { acc },
                );
        if best != 0 && best != previous {
            if let Some(symbol) = charset.classes.get(best) {
                text.push_str(symbol);
                let centre = (t as f32 + 0.5) / steps;
                positions.extend(std::iter::repeat(centre).take(symbol.chars().count()));
                confidence_sum += probability;
                kept += 1;
            }
        }
        previous = best;
    }
    let confidence = if kept == 0 {
        0.0
    } else {
        confidence_sum / kept as f32
    };
    Decoded {
        text,
        confidence,
        positions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_hot(classes: usize, picks: &[usize]) -> Vec<f32> {
        picks
            .iter()
            .flat_map(|&pick| (0..classes).map(move |c| if c == pick { 0.9 } else { 0.01 }))
            .collect()
    }

    #[test]
    fn collapses_repeats_and_drops_blanks() {
        let charset = Charset::from_dictionary("a\nb\nc\n");
        assert_eq!(charset.len(), 5);
        // a a _ a b b _ _ c ' '
        let scores = one_hot(5, &[1, 1, 0, 1, 2, 2, 0, 0, 3, 4]);
        let decoded = greedy_decode(&charset, &scores, 5);
        assert_eq!(decoded.text, "aabc ");
        assert_eq!(decoded.positions, vec![0.05, 0.35, 0.45, 0.85, 0.95]);
        assert!((decoded.confidence - 0.9).abs() < 1e-6);
    }

    #[test]
    fn likelihood_sums_every_alignment_and_prefers_the_spelled_label() {
        let charset = Charset::from_dictionary("a\nb");
        assert_eq!(charset.encode("ab"), Some(vec![1, 2]));
        assert_eq!(charset.encode("ac"), None);
        // Two steps, uniform over blank, a, b, space: "a" is spelled by a_, _a and aa.
        let uniform = vec![0.25f32; 8];
        let expected = (3.0f32 * 0.25 * 0.25).ln();
        assert!((log_likelihood(&uniform, 4, &[1]) - expected).abs() < 1e-5);
        // The empty label is only the all-blank path.
        assert!((log_likelihood(&uniform, 4, &[]) - (0.0625f32).ln()).abs() < 1e-5);
        // "a b" peaked output: "ab" beats "ba" and "a".
        let scores = one_hot(4, &[1, 0, 2]);
        let ab = log_likelihood(&scores, 4, &[1, 2]);
        assert!(ab > log_likelihood(&scores, 4, &[2, 1]) + 3.0);
        assert!(ab > log_likelihood(&scores, 4, &[1]) + 3.0);
        // A label longer than the output can hold is impossible.
        assert_eq!(log_likelihood(&scores, 4, &[1, 1, 1]), f32::NEG_INFINITY);
    }

    #[test]
    fn all_blank_is_empty_with_zero_confidence() {
        let charset = Charset::from_dictionary("a\nb");
        let decoded = greedy_decode(&charset, &one_hot(4, &[0, 0, 0]), 4);
        assert_eq!(decoded.text, "");
        assert_eq!(decoded.confidence, 0.0);
    }
}
