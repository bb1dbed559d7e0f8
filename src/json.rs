//! A small JSON reader and writer, in place of `serde_json` in the panel's wasm.
//!
//! The panel reads a handful of gateway answers and writes three request bodies. Going
//! through serde there costs about a third of the panel's download: derived
//! deserialisers are generic code, copied for every type and every reader. Here the text
//! is parsed once into a [`Json`] tree, which `crate::wire` turns into the model's types
//! by hand — one plain function per type. `tests` in `crate::wire` check both against
//! serde's own output for the same values, so the two ends keep agreeing.

/// A parsed JSON value. Objects keep their members in order, as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number (written as the nearest integer: see [`Json::to_text`]).
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object's members, in order.
    Object(Vec<(String, Json)>),
}

/// Why a text is not JSON, or not the JSON expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError(pub String);

impl JsonError {
    /// An error saying `what`.
    pub fn new(what: &str) -> Self {
        Self(what.to_string())
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How deeply arrays and objects may nest: the gateway's answers go about six deep, and
/// a bound keeps a broken answer from exhausting the stack.
const MAX_DEPTH: usize = 64;

/// Parses one JSON text (whitespace around it allowed, nothing else).
pub fn parse(text: &str) -> Result<Json, JsonError> {
    let mut p = Parser {
        src: text,
        bytes: text.as_bytes(),
        at: 0,
    };
    let value = p.value(0)?;
    p.skip_space();
    if p.at != p.bytes.len() {
        return Err(p.error("trailing characters"));
    }
    Ok(value)
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, what: &str) -> JsonError {
        let mut message = what.to_string();
        message.push_str(" at byte ");
        message.push_str(&self.at.to_string());
        JsonError(message)
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), JsonError> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, JsonError> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        match self.peek() {
            Some(b'{') => {
                self.at += 1;
                // Most of the gateway's objects have a handful of members; an entry, 13.
                let mut members = Vec::with_capacity(8);
                if self.peek() == Some(b'}') {
                    self.at += 1;
                    return Ok(Json::Object(members));
                }
                loop {
                    if self.peek() != Some(b'"') {
                        return Err(self.error("expected a member name"));
                    }
                    let name = self.string()?;
                    self.expect(b':', "expected `:`")?;
                    members.push((name, self.value(depth + 1)?));
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Json::Object(members));
                        }
                        _ => return Err(self.error("expected `,` or `}`")),
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return Err(self.error("expected `,` or `]`")),
                    }
                }
            }
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("expected a value")),
        }
    }

    /// A number, checked against JSON's grammar before Rust reads it.
    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.at;
        let digits = |p: &mut Self| {
            let from = p.at;
            while p.bytes.get(p.at).is_some_and(u8::is_ascii_digit) {
                p.at += 1;
            }
            p.at > from
        };
        if self.bytes[self.at] == b'-' {
            self.at += 1;
        }
        if self.bytes.get(self.at) == Some(&b'0') {
            self.at += 1;
        } else if !digits(self) {
            return Err(self.error("invalid number"));
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if !digits(self) {
                return Err(self.error("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if !digits(self) {
                return Err(self.error("invalid number"));
            }
        }
        self.src
            .get(start..self.at)
            .and_then(crate::text::parse_decimal)
            .filter(|n| n.is_finite())
            .map(Json::Number)
            .ok_or_else(|| self.error("invalid number"))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let hex = self
            .bytes
            .get(self.at..self.at + 4)
            .ok_or_else(|| self.error("invalid escape"))?;
        let mut n = 0;
        for b in hex {
            let d = (*b as char)
                .to_digit(16)
                .ok_or_else(|| self.error("invalid escape"))?;
            n = n * 16 + d;
        }
        self.at += 4;
        Ok(n)
    }

    /// A string, the parser at its opening quote. A string without escapes (nearly
    /// every one) is copied from the text in one allocation of its exact size.
    fn string(&mut self) -> Result<String, JsonError> {
        self.at += 1;
        let start = self.at;
        self.skip_plain();
        if self.bytes.get(self.at) == Some(&b'"') {
            let s = self.text(start)?;
            self.at += 1;
            return Ok(s.to_string());
        }
        let mut out = self.text(start)?.to_string();
        loop {
            match self.bytes.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escaped = self.bytes.get(self.at).copied();
                    self.at += 1;
                    out.push(match escaped {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode_escape()?,
                        _ => return Err(self.error("invalid escape")),
                    });
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
            let run = self.at;
            self.skip_plain();
            out.push_str(self.text(run)?);
        }
    }

    /// Moves past characters that stand for themselves in a string.
    fn skip_plain(&mut self) {
        while let Some(b) = self.bytes.get(self.at)
            && *b != b'"'
            && *b != b'\\'
            && *b >= 0x20
        {
            self.at += 1;
        }
    }

    /// The text from `start` to the parser, which stopped at an ASCII byte or the end,
    /// so both ends are character boundaries of the `&str` it was given.
    fn text(&self, start: usize) -> Result<&'a str, JsonError> {
        self.src
            .get(start..self.at)
            .ok_or_else(|| self.error("invalid string"))
    }

    /// The character of a `\u` escape (a surrogate pair written as two), the parser
    /// after the `u`.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) {
            if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
                return Err(self.error("unpaired surrogate"));
            }
            self.at += 2;
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(self.error("unpaired surrogate"));
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        char::from_u32(code).ok_or_else(|| self.error("unpaired surrogate"))
    }
}

/// Appends `s` to `out` as a JSON string, quoted and escaped.
pub fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Json {
    /// An object from `(name, value)` pairs; members whose value is `None` are left out.
    pub fn object<const N: usize>(members: [(&str, Option<Json>); N]) -> Json {
        Json::Object(
            members
                .into_iter()
                .filter_map(|(name, value)| value.map(|v| (name.to_string(), v)))
                .collect(),
        )
    }

    /// A string value.
    pub fn str(s: &str) -> Json {
        Json::String(s.to_string())
    }

    /// The member `name` of an object (`None` for anything else).
    pub fn get(&self, name: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The JSON text of this value, without whitespace. Numbers are written as the
    /// nearest integer: the panel only writes counts.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            // The panel writes only counts (in event details), so a number is written as
            // the nearest integer: printing fractions would bring in float formatting,
            // some 12 KB of wasm.
            Json::Number(n) => out.push_str(&(n.round() as i64).to_string()),
            Json::String(s) => write_string(out, s),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (name, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, name);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_every_kind_are_read() {
        let v =
            parse(r#" {"a": [1, -2.5e2, 0], "b": {"c": null, "d": true, "e": false}, "f": "x"} "#)
                .unwrap();
        assert_eq!(
            v,
            Json::Object(vec![
                (
                    "a".into(),
                    Json::Array(vec![
                        Json::Number(1.0),
                        Json::Number(-250.0),
                        Json::Number(0.0)
                    ])
                ),
                (
                    "b".into(),
                    Json::Object(vec![
                        ("c".into(), Json::Null),
                        ("d".into(), Json::Bool(true)),
                        ("e".into(), Json::Bool(false)),
                    ])
                ),
                ("f".into(), Json::str("x")),
            ])
        );
    }

    #[test]
    fn escapes_and_non_ascii_text_are_read_as_serde_json_reads_them() {
        let text = r#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00 é 😀 \u0001""#;
        let ours = parse(text).unwrap();
        let theirs: String = serde_json::from_str(text).unwrap();
        assert_eq!(ours, Json::String(theirs));
    }

    #[test]
    fn what_is_not_json_is_refused() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "1e",
            "\"abc",
            "\"\\x\"",
            "\"\\ud83d\"",
            "\"a\u{1}\"",
            "nul",
            "true false",
            "{'a':1}",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
            assert!(serde_json::from_str::<serde_json::Value>(bad).is_err());
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn strings_are_written_so_serde_json_reads_them_back() {
        for s in [
            "plain",
            "quote \" backslash \\",
            "new\nline\ttab\r",
            "\u{1}\u{1f}",
            "é😀",
        ] {
            let mut out = String::new();
            write_string(&mut out, s);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s);
            assert_eq!(parse(&out).unwrap(), Json::str(s));
        }
    }

    #[test]
    fn objects_leave_out_absent_members_and_write_counts_as_integers() {
        let v = Json::object([
            ("a", Some(Json::str("x"))),
            ("b", None),
            ("n", Some(Json::Number(3.0))),
            ("l", Some(Json::Array(vec![Json::Null, Json::Bool(true)]))),
        ]);
        assert_eq!(v.to_text(), r#"{"a":"x","n":3,"l":[null,true]}"#);
        assert_eq!(v.get("a").and_then(Json::as_str), Some("x"));
    }
}
