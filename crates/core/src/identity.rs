//! Identity values that validate when parsed, so the rest of the code can trust them.

use std::fmt;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum IdCardError {
    #[error("must be 18 characters")]
    Length,
    #[error("must be 17 digits followed by a digit or an upper-case X")]
    Characters,
    #[error("the region code {0} is not a Chinese province-level code")]
    Region(String),
    #[error("the birth date {0} is not a real date")]
    BirthDate(String),
    #[error("the check digit is wrong (GB 11643-1999)")]
    CheckDigit,
}

/// Which document an ID number belongs to (FaceID's `UseIDType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdDocumentType {
    /// Mainland second-generation resident ID card.
    MainlandResident = 0,
    /// Residence permit for Hong Kong, Macau and Taiwan residents (regions 81, 82, 83).
    HmtResidencePermit = 1,
}

/// An 18-character citizen identity number (GB 11643-1999), checked on parse.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdCardNumber(String);

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";
const PROVINCES: [u8; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// The GB 11643-1999 check character for the first 17 digits.
pub fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

pub fn is_real_date(year: u32, month: u32, day: u32) -> bool {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2100).contains(&year) && (1..=days).contains(&day)
}

impl IdCardNumber {
    pub fn parse(raw: &str) -> Result<Self, IdCardError> {
        let b = raw.as_bytes();
        if b.len() != 18 {
            return Err(IdCardError::Length);
        }
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(IdCardError::Characters);
        }
        let province = (b[0] - b'0') * 10 + (b[1] - b'0');
        if !PROVINCES.contains(&province) {
            return Err(IdCardError::Region(raw[..6].to_string()));
        }
        let num = |s: &str| s.parse::<u32>().unwrap_or(0);
        let (year, month, day) = (num(&raw[6..10]), num(&raw[10..12]), num(&raw[12..14]));
        if !is_real_date(year, month, day) {
            return Err(IdCardError::BirthDate(raw[6..14].to_string()));
        }
        if check_char(&b[..17]) != b[17] {
            return Err(IdCardError::CheckDigit);
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Birth date as `(year, month, day)`.
    pub fn birth_date(&self) -> (u32, u32, u32) {
        let num = |r: std::ops::Range<usize>| self.0[r].parse::<u32>().unwrap_or(0);
        (num(6..10), num(10..12), num(12..14))
    }

    /// `true` for a man: the 17th digit is odd.
    pub fn is_male(&self) -> bool {
        (self.0.as_bytes()[16] - b'0') % 2 == 1
    }

    pub fn document_type(&self) -> IdDocumentType {
        match &self.0[..2] {
            "81" | "82" | "83" => IdDocumentType::HmtResidencePermit,
            _ => IdDocumentType::MainlandResident,
        }
    }

    /// The number with all but the first and last four characters hidden, for logs and bills.
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.0[..4], &self.0[14..])
    }
}

impl TryFrom<String> for IdCardNumber {
    type Error = IdCardError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<IdCardNumber> for String {
    fn from(value: IdCardNumber) -> Self {
        value.0
    }
}

impl fmt::Display for IdCardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum NameError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// A person's name as FaceID takes it: 1–32 characters of UTF-8, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(NameError::Empty);
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(NameError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        if trimmed.chars().any(char::is_control) {
            return Err(NameError::ControlCharacter);
        }
        Ok(Self(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Only the last character shown, as FaceID's bills print names.
    pub fn masked(&self) -> String {
        let count = self.0.chars().count();
        let last = self.0.chars().last().unwrap_or('*');
        format!("{}{}", "*".repeat(count.saturating_sub(1)), last)
    }
}

impl TryFrom<String> for PersonName {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PersonName> for String {
    fn from(value: PersonName) -> Self {
        value.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Makes a valid ID number from a region, a birth date and a sequence; for tests and demos.
pub fn make_id_number(region: &str, birth: &str, sequence: u32) -> String {
    let first17 = format!("{region}{birth}{:03}", sequence % 1000);
    let check = check_char(first17.as_bytes()) as char;
    format!("{first17}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_valid_number_and_reads_it() {
        let id = IdCardNumber::parse(&make_id_number("110101", "19900307", 123)).unwrap();
        assert_eq!(id.birth_date(), (1990, 3, 7));
        assert!(id.is_male());
        assert_eq!(id.document_type(), IdDocumentType::MainlandResident);
        assert_eq!(id.masked().len(), 18);
    }

    #[test]
    fn known_check_digit() {
        // 11010519491231002X is the worked example of GB 11643-1999.
        assert!(IdCardNumber::parse("11010519491231002X").is_ok());
        assert_eq!(
            IdCardNumber::parse("110105194912310021"),
            Err(IdCardError::CheckDigit)
        );
    }

    #[test]
    fn rejects_bad_numbers() {
        assert_eq!(IdCardNumber::parse("1101"), Err(IdCardError::Length));
        assert_eq!(
            IdCardNumber::parse("11010519491231002x"),
            Err(IdCardError::Characters)
        );
        assert!(matches!(
            IdCardNumber::parse(&make_id_number("990101", "19900101", 1)),
            Err(IdCardError::Region(_))
        ));
        assert!(matches!(
            IdCardNumber::parse(&make_id_number("110101", "19900230", 1)),
            Err(IdCardError::BirthDate(_))
        ));
        assert!(matches!(
            IdCardNumber::parse(&make_id_number("110101", "16541220", 1)),
            Err(IdCardError::BirthDate(_))
        ));
    }

    #[test]
    fn leap_days() {
        assert!(IdCardNumber::parse(&make_id_number("310101", "20000229", 5)).is_ok());
        assert!(IdCardNumber::parse(&make_id_number("310101", "19000229", 5)).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(PersonName::parse(" 韦小宝 ").unwrap().as_str(), "韦小宝");
        assert_eq!(PersonName::parse("韦小宝").unwrap().masked(), "**宝");
        assert_eq!(PersonName::parse(""), Err(NameError::Empty));
        assert!(PersonName::parse(&"名".repeat(33)).is_err());
        assert!(PersonName::parse(&"名".repeat(32)).is_ok());
        assert_eq!(
            PersonName::parse("a\u{0}b"),
            Err(NameError::ControlCharacter)
        );
    }
}
