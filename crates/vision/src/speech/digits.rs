//! The renderings of a digit code that the recogniser scores: Whisper writes Mandarin and
//! English readers' digits as Arabic digits, hanzi or words.

/// The language the person reads the digits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpokenLanguage {
    Mandarin,
    English,
}

impl SpokenLanguage {
    /// Whisper's language token.
    pub fn whisper_token(self) -> &'static str {
        match self {
            SpokenLanguage::Mandarin => "<|zh|>",
            SpokenLanguage::English => "<|en|>",
        }
    }
}

const WORDS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// One way of writing a digit code, with where each digit sits in it (byte ranges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendering {
    pub text: String,
    pub digit_spans: Vec<(usize, usize)>,
}

impl Rendering {
    fn build<'a>(lead: &str, parts: impl Iterator<Item = &'a str>, separator: &str) -> Self {
        let mut text = lead.to_string();
        let mut digit_spans = Vec::new();
        for (i, part) in parts.enumerate() {
            if i > 0 {
                text.push_str(separator);
            }
            digit_spans.push((text.len(), text.len() + part.len()));
            text.push_str(part);
        }
        Rendering { text, digit_spans }
    }
}

const ARABIC: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const HANZI_TEXT: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// How Whisper writes `code` (ASCII digits) when it hears it read in `language`: Arabic digits
/// run together or spaced, hanzi for Mandarin, words for English. Whisper puts a space before
/// English text and none before Chinese.
pub fn renderings(code: &str, language: SpokenLanguage) -> Vec<Rendering> {
    let values: Vec<usize> = code
        .chars()
        .filter_map(|c| c.to_digit(10))
        .map(|d| d as usize)
        .collect();
    let with = |table: &'static [&'static str; 10]| values.iter().map(move |&d| table[d]);
    match language {
        SpokenLanguage::Mandarin => vec![
            Rendering::build("", with(&HANZI_TEXT), ""),
            Rendering::build("", with(&ARABIC), ""),
        ],
        SpokenLanguage::English => vec![
            Rendering::build(" ", with(&ARABIC), " "),
            Rendering::build(" ", with(&ARABIC), ""),
            Rendering::build(" ", with(&WORDS), " "),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renderings_per_language_know_where_each_digit_is() {
        let texts = |lang| {
            renderings("5382", lang)
                .into_iter()
                .map(|r| r.text)
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(SpokenLanguage::Mandarin), vec!["五三八二", "5382"]);
        assert_eq!(
            texts(SpokenLanguage::English),
            vec![" 5 3 8 2", " 5382", " five three eight two"]
        );
        for language in [SpokenLanguage::Mandarin, SpokenLanguage::English] {
            for rendering in renderings("5382", language) {
                let spelled: Vec<&str> = rendering
                    .digit_spans
                    .iter()
                    .map(|&(from, to)| &rendering.text[from..to])
                    .collect();
                let expected: &[&str] = if rendering.text.contains('五') {
                    &["五", "三", "八", "二"]
                } else if rendering.text.contains("five") {
                    &["five", "three", "eight", "two"]
                } else {
                    &["5", "3", "8", "2"]
                };
                assert_eq!(spelled, expected, "{rendering:?}");
            }
        }
    }
}
