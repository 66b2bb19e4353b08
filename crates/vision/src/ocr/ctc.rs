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
    fn all_blank_is_empty_with_zero_confidence() {
        let charset = Charset::from_dictionary("a\nb");
        let decoded = greedy_decode(&charset, &one_hot(4, &[0, 0, 0]), 4);
        assert_eq!(decoded.text, "");
        assert_eq!(decoded.confidence, 0.0);
    }
}
