//! What a transcript says in digits, and the renderings of a digit code that the recogniser
//! scores: Mandarin and English readers are transcribed as Arabic digits, hanzi or words.

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

    pub fn code(self) -> &'static str {
        match self {
            SpokenLanguage::Mandarin => "zh",
            SpokenLanguage::English => "en",
        }
    }
}

const WORDS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

fn hanzi_digit(c: char) -> Option<char> {
    let value = match c {
        '〇' | '○' | '零' => 0,
        '幺' | '一' | '壹' => 1,
        '两' | '二' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        '０'..='９' => c as u32 - '０' as u32,
        _ => return None,
    };
    char::from_digit(value, 10)
}

fn word_digit(word: &str) -> Option<char> {
    let value = match word {
        "zero" | "oh" | "o" => 0,
        "one" | "won" => 1,
        "two" | "to" | "too" => 2,
        "three" => 3,
        "four" | "for" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" | "ate" => 8,
        "nine" => 9,
        _ => return None,
    };
    char::from_digit(value, 10)
}

/// The digits a transcript contains, in order, and whether it said anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeardDigits {
    pub digits: String,
    /// Words or characters that are neither digits nor punctuation.
    pub other_words: usize,
}

pub fn heard_digits(transcript: &str) -> HeardDigits {
    let mut digits = String::new();
    let mut other_words = 0;
    let mut word = String::new();
    let flush = |word: &mut String, digits: &mut String, other: &mut usize| {
        if !word.is_empty() {
            match word_digit(word) {
                Some(d) => digits.push(d),
                None => *other += 1,
            }
            word.clear();
        }
    };
    for c in transcript.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphabetic() {
            word.push(c);
            continue;
        }
        flush(&mut word, &mut digits, &mut other_words);
        if c.is_ascii_digit() {
            digits.push(c);
        } else if let Some(d) = hanzi_digit(c) {
            digits.push(d);
        } else if c.is_alphanumeric() {
            other_words += 1;
        }
    }
    flush(&mut word, &mut digits, &mut other_words);
    HeardDigits {
        digits,
        other_words,
    }
}

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
    fn hanzi_words_and_arabic_digits_all_read_as_digits() {
        assert_eq!(heard_digits("五三八二。").digits, "5382");
        assert_eq!(heard_digits("5、3、8、2").digits, "5382");
        assert_eq!(heard_digits("Five, three, eight, two.").digits, "5382");
        assert_eq!(heard_digits("幺两三").digits, "123");
        assert_eq!(heard_digits("５３").digits, "53");
        assert_eq!(heard_digits("5382").other_words, 0);
    }

    #[test]
    fn other_words_are_counted_not_dropped() {
        let heard = heard_digits("Thank you for watching");
        assert_eq!(heard.digits, "4");
        assert_eq!(heard.other_words, 3);
        assert_eq!(heard_digits("我说五三八二").other_words, 2);
    }

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
                assert_eq!(spelled.len(), 4, "{rendering:?}");
                assert_eq!(
                    heard_digits(&spelled.join(" ")).digits,
                    "5382",
                    "{rendering:?}"
                );
            }
        }
    }
}
