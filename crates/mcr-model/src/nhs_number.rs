//! The NHS number: ten digits whose last is a Modulus 11 check digit.
//!
//! Parsing accepts the spaces and hyphens people type (`943 476 5919`, `943-476-5919`)
//! and rejects anything that is not exactly ten digits with a valid check digit. Display
//! is the NHS common user interface form, 3-3-4 with spaces; the wire form (serde) is the
//! ten bare digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A valid NHS number (ten digits, Modulus 11 check digit verified).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NhsNumber([u8; 10]);

/// Why a string is not a valid NHS number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NhsNumberError {
    /// Something other than digits, spaces or hyphens was given.
    #[error("an NHS number may contain only digits, spaces and hyphens")]
    NotDigits,
    /// The number of digits is not ten.
    #[error("an NHS number has 10 digits, this has {0}")]
    WrongLength(usize),
    /// The check digit computes to 10, which no NHS number has.
    #[error("this is not a valid NHS number (no check digit is possible)")]
    NoCheckDigit,
    /// The last digit does not match the Modulus 11 check digit.
    #[error("this is not a valid NHS number (the check digit does not match)")]
    CheckDigitMismatch,
}

impl NhsNumber {
    /// Parses an NHS number, allowing spaces and hyphens between digits.
    pub fn parse(input: &str) -> Result<Self, NhsNumberError> {
        let mut digits = Vec::with_capacity(10);
        for c in input.trim().chars() {
            match c {
                '0'..='9' => digits.push(c as u8 - b'0'),
                ' ' | '-' => {}
                _ => return Err(NhsNumberError::NotDigits),
            }
        }
        let digits: [u8; 10] = digits
            .as_slice()
            .try_into()
            .map_err(|_| NhsNumberError::WrongLength(digits.len()))?;
        match check_digit(&digits[..9]) {
            None => Err(NhsNumberError::NoCheckDigit),
            Some(check) if check != digits[9] => Err(NhsNumberError::CheckDigitMismatch),
            Some(_) => Ok(Self(digits)),
        }
    }

    /// Builds the NHS number whose first nine digits are `stem`, if one exists
    /// (about one stem in eleven has no valid check digit).
    pub fn from_stem(stem: u32) -> Option<Self> {
        if stem > 999_999_999 {
            return None;
        }
        let mut digits = [0u8; 10];
        let mut rest = stem;
        for slot in digits[..9].iter_mut().rev() {
            *slot = (rest % 10) as u8;
            rest /= 10;
        }
        digits[9] = check_digit(&digits[..9])?;
        Some(Self(digits))
    }

    /// The ten digits without separators, as sent on the wire.
    pub fn as_digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

/// The Modulus 11 check digit of the first nine digits, or `None` when it would be 10.
fn check_digit(first_nine: &[u8]) -> Option<u8> {
    let sum: u32 = first_nine
        .iter()
        .zip((2..=10).rev())
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match 11 - (sum % 11) {
        11 => Some(0),
        10 => None,
        check => Some(check as u8),
    }
}

impl fmt::Display for NhsNumber {
    /// The 3-3-4 form with spaces, e.g. `943 476 5919`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.as_digits();
        write!(f, "{} {} {}", &d[..3], &d[3..6], &d[6..])
    }
}

impl fmt::Debug for NhsNumber {
    /// Debug output is redacted so an NHS number cannot reach a log line through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NhsNumber(***)")
    }
}

impl FromStr for NhsNumber {
    type Err = NhsNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for NhsNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_digits())
    }
}

impl<'de> Deserialize<'de> for NhsNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_valid_numbers_parse() {
        for n in ["9434765919", "4010232137", "9000000009", "9690937278"] {
            assert_eq!(NhsNumber::parse(n).expect(n).as_digits(), n);
        }
    }

    #[test]
    fn numbers_from_official_examples_that_fail_modulus_11_are_rejected() {
        assert_eq!(
            NhsNumber::parse("9432003812"),
            Err(NhsNumberError::CheckDigitMismatch)
        );
        assert_eq!(
            NhsNumber::parse("9912003890"),
            Err(NhsNumberError::CheckDigitMismatch)
        );
    }

    #[test]
    fn nine_and_eleven_digits_are_rejected_with_the_count() {
        assert_eq!(
            NhsNumber::parse("943476591"),
            Err(NhsNumberError::WrongLength(9))
        );
        assert_eq!(
            NhsNumber::parse("94347659190"),
            Err(NhsNumberError::WrongLength(11))
        );
        assert_eq!(NhsNumber::parse(""), Err(NhsNumberError::WrongLength(0)));
    }

    #[test]
    fn non_digits_are_rejected() {
        assert_eq!(
            NhsNumber::parse("94347659l9"),
            Err(NhsNumberError::NotDigits)
        );
        assert_eq!(
            NhsNumber::parse("943.476.5919"),
            Err(NhsNumberError::NotDigits)
        );
        assert_eq!(
            NhsNumber::parse("９４３４７６５９１９"),
            Err(NhsNumberError::NotDigits)
        );
    }

    #[test]
    fn a_stem_whose_check_digit_would_be_ten_is_rejected() {
        // About one stem in eleven has no check digit; find one in the test range.
        let stem = (0..100u32)
            .map(|k| 999_000_000 + k)
            .find(|s| NhsNumber::from_stem(*s).is_none())
            .expect("some stem has no check digit");
        let digits = format!("{stem}0");
        assert_eq!(NhsNumber::parse(&digits), Err(NhsNumberError::NoCheckDigit));
    }

    #[test]
    fn spaces_and_hyphens_are_accepted_on_input() {
        let a = NhsNumber::parse("943 476 5919").unwrap();
        let b = NhsNumber::parse("943-476-5919").unwrap();
        let c = NhsNumber::parse(" 9434765919 ").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
    }

    #[test]
    fn display_is_three_three_four() {
        let n = NhsNumber::parse("9434765919").unwrap();
        assert_eq!(n.to_string(), "943 476 5919");
    }

    #[test]
    fn debug_output_does_not_reveal_the_number() {
        let n = NhsNumber::parse("9434765919").unwrap();
        assert!(!format!("{n:?}").contains("943"));
    }

    #[test]
    fn from_stem_builds_a_valid_number() {
        let n = NhsNumber::from_stem(999_000_001).unwrap();
        assert_eq!(n.as_digits(), "9990000018");
        assert_eq!(NhsNumber::parse(&n.as_digits()), Ok(n));
    }

    #[test]
    fn serde_uses_bare_digits_and_validates() {
        let n: NhsNumber = serde_json::from_str("\"943 476 5919\"").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"9434765919\"");
        assert!(serde_json::from_str::<NhsNumber>("\"9432003812\"").is_err());
    }
}
