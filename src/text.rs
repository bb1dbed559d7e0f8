//! Case conversion, letters-and-digits filtering and decimal numbers for the panel's
//! pure logic. In the browser the non-ASCII cases go to the browser's own Unicode
//! (`toLowerCase`, `toUpperCase`, `\p{Alphabetic}`, `parseFloat`): std's versions bring
//! their Unicode case and property tables and the float parser's power-of-five table
//! into the download (about 40 KB of the wasm) for what the browser already knows.
//! Natively (the unit tests) they are std's, which give the same answers. ASCII text,
//! nearly all of a record, never leaves Rust.

/// `s` in lower case (Unicode's default case conversion, as `str::to_lowercase`).
pub fn lowercase(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::JsString::from(s).to_lower_case().into()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        s.to_lowercase()
    }
}

/// `s` in upper case (Unicode's default case conversion, as `str::to_uppercase`).
pub fn uppercase(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_uppercase();
    }
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::JsString::from(s).to_upper_case().into()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        s.to_uppercase()
    }
}

/// `s` with only its letters and digits (`char::is_alphanumeric`: Unicode's
/// Alphabetic property and numbers), in lower case.
pub fn alphanumeric_lowercase(s: &str) -> String {
    if s.is_ascii() {
        return s
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
    }
    #[cfg(target_arch = "wasm32")]
    {
        let others = js_sys::RegExp::new(r"[^\p{Alphabetic}\p{N}]", "gu");
        lowercase(&String::from(
            js_sys::JsString::from(s).replace_by_pattern(&others, ""),
        ))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        lowercase(
            &s.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>(),
        )
    }
}

/// Whether `s` is a decimal number as `str::parse::<f64>` reads one, without its
/// words (`inf`, `NaN`): an optional sign, digits with at most one point (at least one
/// digit), and an optional exponent.
fn is_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let mut count = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        count += digits(&mut i);
    }
    if count == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A decimal number (`-1.5`, `48`, `2.5e3`), correctly rounded as `str::parse::<f64>`
/// rounds it; `None` for anything else, including `inf` and `NaN`.
pub fn parse_decimal(s: &str) -> Option<f64> {
    if !is_decimal(s) {
        return None;
    }
    #[cfg(target_arch = "wasm32")]
    {
        // `parseFloat` is correctly rounded too, and the text is checked above.
        Some(js_sys::parse_float(s))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        s.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_follows_unicode_beyond_ascii() {
        assert_eq!(lowercase("Metformin 500MG"), "metformin 500mg");
        assert_eq!(lowercase("ÖSTERREICH Σ"), "österreich σ");
        assert_eq!(uppercase("o'brien"), "O'BRIEN");
        assert_eq!(uppercase("straße"), "STRASSE");
    }

    #[test]
    fn only_letters_and_digits_are_kept() {
        assert_eq!(alphanumeric_lowercase("O'Brien-Smith 2"), "obriensmith2");
        assert_eq!(alphanumeric_lowercase("Ó Briain"), "óbriain");
    }

    #[test]
    fn decimals_are_read_as_std_reads_them() {
        for s in [
            "48", "4.2", "-1.5", "+3", ".5", "5.", "2.5e3", "1E-2", "0.1",
        ] {
            assert_eq!(parse_decimal(s), s.parse().ok(), "{s}");
        }
        for s in [
            "", "-", ".", "1.2.3", "1e", "inf", "NaN", " 4", "4 ", "0x10", "1_0",
        ] {
            assert_eq!(parse_decimal(s), None, "{s}");
        }
    }
}
