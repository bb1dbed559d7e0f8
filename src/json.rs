//! A small JSON reader and writer, in place of `serde_json` in the panel's wasm.
//!
//! The panel reads a handful of gateway answers and writes three request bodies. Going
//! through serde there costs about a third of the panel's download: derived
//! deserialisers are generic code, copied for every type and every reader. Here a
//! [`Reader`] walks the text once, and `crate::wire` reads the model's types from it by
//! hand — one plain function per type, straight from the text, no tree in between; a
//! [`Json`] value is what the panel writes. `tests` in `crate::wire` check both against
//! serde's own output for the same values, so the two ends keep agreeing.

use std::borrow::Cow;

/// A JSON value, as the panel writes it. Objects keep their members in order.
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

/// A JSON text read value by value, straight into the caller's types: no tree is built
/// and member names are compared in place, so reading a 10,000-entry record allocates
/// only the strings it keeps. Every value is checked against JSON's grammar, skipped
/// ones too.
pub struct Reader<'a> {
    src: &'a str,
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

/// What a member callback of [`Reader::object`] is given: the reader at the member's
/// value, and the index of its name in the names asked for.
pub type Member<'r, 'a> = &'r mut dyn FnMut(&mut Reader<'a>, usize) -> Result<(), JsonError>;

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Self {
            src: text,
            bytes: text.as_bytes(),
            at: 0,
            depth: 0,
        }
    }

    /// Succeeds if nothing but whitespace is left.
    pub fn end(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters")),
        }
    }

    /// An error saying `what`, and where.
    pub fn error(&self, what: &str) -> JsonError {
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

    fn literal(&mut self, word: &str) -> Result<(), JsonError> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.error("expected a value"))
        }
    }

    /// Moves past a `null` and says so; anything else is left to be read.
    pub fn null(&mut self) -> Result<bool, JsonError> {
        if self.peek() != Some(b'n') {
            return Ok(false);
        }
        self.literal("null")?;
        Ok(true)
    }

    /// `true` or `false`.
    pub fn bool(&mut self) -> Result<bool, JsonError> {
        match self.peek() {
            Some(b't') => self.literal("true").map(|_| true),
            Some(b'f') => self.literal("false").map(|_| false),
            _ => Err(self.error("expected true or false")),
        }
    }

    /// A number, checked against JSON's grammar before Rust reads it.
    pub fn number(&mut self) -> Result<f64, JsonError> {
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(self.error("expected a number"));
        }
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
            .ok_or_else(|| self.error("invalid number"))
    }

    /// A string. One without escapes (nearly every one) is copied from the text in one
    /// allocation of its exact size.
    pub fn string(&mut self) -> Result<String, JsonError> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string"));
        }
        self.string_text().map(Cow::into_owned)
    }

    /// A string's text, the reader at its opening quote: borrowed from the JSON text
    /// when it has no escapes.
    fn string_text(&mut self) -> Result<Cow<'a, str>, JsonError> {
        self.at += 1;
        let start = self.at;
        self.skip_plain();
        if self.bytes.get(self.at) == Some(&b'"') {
            let s = self.text(start)?;
            self.at += 1;
            return Ok(Cow::Borrowed(s));
        }
        let mut out = self.text(start)?.to_string();
        loop {
            match self.bytes.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(Cow::Owned(out));
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

    /// Reads a string that must be one of `names`, returning its index.
    pub fn name_of(&mut self, names: &[&str]) -> Result<usize, JsonError> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string"));
        }
        let text = self.string_text()?;
        names.iter().position(|n| *n == text).ok_or_else(|| {
            let mut message = String::from("unknown variant ");
            message.push_str(&text);
            JsonError(message)
        })
    }

    /// Reads an array, calling `item` with the reader at each of its values in turn.
    pub fn array(
        &mut self,
        item: &mut dyn FnMut(&mut Reader<'a>) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        if self.peek() != Some(b'[') {
            return Err(self.error("expected an array"));
        }
        self.items(b']', "expected `,` or `]`", item)
    }

    /// Reads the items of an array or object, the reader at its opening bracket (within
    /// [`MAX_DEPTH`]): `item` reads each, they are separated by commas and the list ends
    /// with `close`; `misplaced` is the error for anything else after an item.
    fn items(
        &mut self,
        close: u8,
        misplaced: &str,
        item: &mut dyn FnMut(&mut Reader<'a>) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.depth += 1;
        self.at += 1;
        if self.peek() != Some(close) {
            loop {
                item(self)?;
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b) if b == close => break,
                    _ => return Err(self.error(misplaced)),
                }
            }
        }
        self.at += 1;
        self.depth -= 1;
        Ok(())
    }

    /// Reads an object (`what` names it in the error if the value is not one), calling
    /// `member` with the reader at the value of each member named in `names` and that
    /// name's index. Other members are skipped (checked, not kept); a name given twice is
    /// an error, and an error inside a member says which member it was.
    pub fn object(
        &mut self,
        what: &str,
        names: &[&str],
        member: Member<'_, 'a>,
    ) -> Result<(), JsonError> {
        // Which of `names` were seen: the model's widest type has 13 members.
        let mut seen = 0u64;
        self.members(what, &mut |r, name| {
            let Some(i) = names.iter().position(|n| *n == name) else {
                return r.skip();
            };
            if seen & (1 << i) != 0 {
                let mut message = String::from("duplicate member ");
                message.push_str(name);
                return Err(JsonError(message));
            }
            seen |= 1 << i;
            member(r, i).map_err(|e| within(name, e))
        })
    }

    /// Reads an object, calling `member` with the reader at each member's value and its
    /// name.
    fn members(
        &mut self,
        what: &str,
        member: &mut dyn FnMut(&mut Reader<'a>, &str) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        if self.peek() != Some(b'{') {
            let mut message = String::from("expected ");
            message.push_str(what);
            return Err(JsonError(message));
        }
        self.items(b'}', "expected `,` or `}`", &mut |r| {
            if r.peek() != Some(b'"') {
                return Err(r.error("expected a member name"));
            }
            let name = r.string_text()?;
            r.expect(b':', "expected `:`")?;
            member(r, &name)
        })
    }

    /// Moves past one value of any kind, checking it.
    pub fn skip(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'{') => self.members("an object", &mut |r, _| r.skip()),
            Some(b'[') => self.array(&mut |r| r.skip()),
            Some(b'"') => self.string_text().map(drop),
            Some(b't' | b'f') => self.bool().map(drop),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            _ => Err(self.error("expected a value")),
        }
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

    /// The text from `start` to the reader, which stopped at an ASCII byte or the end,
    /// so both ends are character boundaries of the `&str` it was given.
    fn text(&self, start: usize) -> Result<&'a str, JsonError> {
        self.src
            .get(start..self.at)
            .ok_or_else(|| self.error("invalid string"))
    }

    /// The character of a `\u` escape (a surrogate pair written as two), the reader
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

/// `error`, saying which member it was found in.
fn within(name: &str, error: JsonError) -> JsonError {
    let mut message = error.0;
    message.push_str(" in ");
    message.push_str(name);
    JsonError(message)
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

    /// The whole of `text` read into a tree, to check the reader value by value.
    fn parse(text: &str) -> Result<Json, JsonError> {
        let mut r = Reader::new(text);
        let value = any(&mut r)?;
        r.end()?;
        Ok(value)
    }

    fn any(r: &mut Reader) -> Result<Json, JsonError> {
        Ok(match r.peek() {
            Some(b'{') => {
                let mut members = vec![];
                r.members("an object", &mut |r, name| {
                    members.push((name.to_string(), any(r)?));
                    Ok(())
                })?;
                Json::Object(members)
            }
            Some(b'[') => {
                let mut items = vec![];
                r.array(&mut |r| {
                    items.push(any(r)?);
                    Ok(())
                })?;
                Json::Array(items)
            }
            Some(b'"') => Json::String(r.string()?),
            Some(b't' | b'f') => Json::Bool(r.bool()?),
            _ if r.null()? => Json::Null,
            _ => Json::Number(r.number()?),
        })
    }

    #[test]
    fn skipping_checks_what_it_skips() {
        for good in [r#"{"a":[1,{"b":"\u00e9"}],"c":null}"#, "[]", "{}", "-1.5e3"] {
            let mut r = Reader::new(good);
            r.skip().unwrap();
            r.end().unwrap();
        }
        for bad in ["[1,]", "{\"a\" 1}", "\"\\x\"", "nul", "{\"a\":1,}"] {
            assert!(Reader::new(bad).skip().is_err(), "{bad:?} was skipped");
        }
    }

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
