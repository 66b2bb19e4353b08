//! Validation of the 18-character resident identity number (GB 11643-1999).
//!
//! The number is `RRRRRR YYYYMMDD SSS C`: a region code, the birth date, a sequence
//! number whose parity encodes sex (odd = male) and an ISO 7064 MOD 11-2 check character.

use serde::Serialize;

/// Weights of the first 17 digits in the MOD 11-2 checksum (2^(17-i) mod 11).
const CHECK_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character indexed by the weighted sum modulo 11.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Province-level codes (the first two digits) of GB/T 2260, including Taiwan, Hong Kong
/// and Macao, which appear on residence permits issued in the same format.
const PROVINCE_CODES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

/// Why an ID number is not acceptable. Several problems can be reported at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IdNumberProblem {
    /// Not 17 digits followed by a digit or `X`.
    Malformed,
    /// The first two digits are not a province-level region.
    UnknownRegion,
    /// Digits 7–14 are not a real calendar date (or lie in the future / before 1900).
    InvalidBirthDate,
    /// The MOD 11-2 check character does not match.
    CheckDigitMismatch,
    /// The birth date printed on the card differs from the one encoded in the number.
    BirthMismatch,
    /// The sex printed on the card differs from the parity of the sequence number.
    SexMismatch,
}

/// Computes the check character for the first 17 digits, or `None` if they are not digits.
pub fn check_character(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(CHECK_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(CHECK_CHARS[(sum % 11) as usize])
}

/// The birth date and sex encoded in a well-formed ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodedFacts {
    pub birth: (u32, u32, u32),
    pub male: bool,
}

/// Reads birth date and sex from an ID number without judging its validity.
pub fn encoded_facts(id: &str) -> Option<EncodedFacts> {
    if !is_well_formed(id) {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| id[r].parse::<u32>().ok();
    let birth = (digits(6..10)?, digits(10..12)?, digits(12..14)?);
    let sequence = digits(14..17)?;
    Some(EncodedFacts {
        birth,
        male: sequence % 2 == 1,
    })
}

fn is_well_formed(id: &str) -> bool {
    let bytes = id.as_bytes();
    bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && (bytes[17].is_ascii_digit() || bytes[17] == b'X')
}

/// True for a real Gregorian date between 1900-01-01 and the year 2100.
pub fn is_real_date(year: u32, month: u32, day: u32) -> bool {
    if !(1900..=2100).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return false;
    }
    day <= days_in_month(year, month)
}

pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Validates an ID number on its own and against the birth date and sex read from the card.
/// Returns every problem found; an empty list means the number is acceptable.
pub fn validate(
    id: &str,
    printed_birth: Option<(u32, u32, u32)>,
    printed_male: Option<bool>,
) -> Vec<IdNumberProblem> {
    let mut problems = Vec::new();
    let Some(facts) = encoded_facts(id) else {
        problems.push(IdNumberProblem::Malformed);
        return problems;
    };
    if !PROVINCE_CODES.contains(&&id[..2]) {
        problems.push(IdNumberProblem::UnknownRegion);
    }
    let (year, month, day) = facts.birth;
    if !is_real_date(year, month, day) {
        problems.push(IdNumberProblem::InvalidBirthDate);
    }
    if check_character(&id[..17]) != id.chars().nth(17) {
        problems.push(IdNumberProblem::CheckDigitMismatch);
    }
    if printed_birth.is_some_and(|birth| birth != facts.birth) {
        problems.push(IdNumberProblem::BirthMismatch);
    }
    if printed_male.is_some_and(|male| male != facts.male) {
        problems.push(IdNumberProblem::SexMismatch);
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends the correct check character to 17 digits.
    fn complete(first17: &str) -> String {
        format!("{first17}{}", check_character(first17).unwrap())
    }

    #[test]
    fn check_character_follows_mod_11_2() {
        // Weighted sum of 11010519491231002 is 167; 167 mod 11 = 2 -> 'X'.
        assert_eq!(check_character("11010519491231002"), Some('X'));
        // Weighted sum of 44030019900101001 is 160; 160 mod 11 = 6 -> '6'.
        assert_eq!(check_character("44030019900101001"), Some('6'));
        assert_eq!(check_character("4403001990010100"), None);
        assert_eq!(check_character("4403001990010100A"), None);
    }

    #[test]
    fn accepts_a_consistent_number() {
        let id = complete("11010519491231002");
        assert!(validate(&id, Some((1949, 12, 31)), Some(false)).is_empty());
    }

    #[test]
    fn reports_each_kind_of_problem() {
        assert_eq!(
            validate("1234", None, None),
            vec![IdNumberProblem::Malformed]
        );
        let bad_region = complete("99010519491231002");
        assert_eq!(
            validate(&bad_region, None, None),
            vec![IdNumberProblem::UnknownRegion]
        );
        let bad_date = complete("11010519490230002");
        assert_eq!(
            validate(&bad_date, None, None),
            vec![IdNumberProblem::InvalidBirthDate]
        );
        assert_eq!(
            validate("110105194912310021", None, None),
            vec![IdNumberProblem::CheckDigitMismatch]
        );
        let id = complete("11010519491231002");
        assert_eq!(
            validate(&id, Some((1949, 12, 30)), Some(true)),
            vec![IdNumberProblem::BirthMismatch, IdNumberProblem::SexMismatch]
        );
    }

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        assert!(is_real_date(2000, 2, 29));
        assert!(!is_real_date(1900, 2, 29));
        assert!(is_real_date(2024, 2, 29));
        assert!(!is_real_date(2023, 2, 29));
    }
}
