//! Lossless byte strings from the tracee (argv words, paths, fd targets).
//!
//! Linux argv and paths are bytes, not text. In the trace a byte string that
//! is valid UTF-8 is a plain JSON string; any other byte string is an object
//! `{"hex": "<lowercase hex of every byte>"}`. Both forms read back to the
//! exact bytes, so nothing the traced program passed is lost or altered.

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A byte string as the kernel saw it.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RawStr(pub Vec<u8>);

impl RawStr {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A display form: UTF-8 where valid, and each byte that is not written
    /// as `\xNN` (lowercase hex; strace writes `\377`), so two different
    /// names never look the same as they would with U+FFFD. For output, not
    /// for storage: the trace keeps the exact bytes.
    pub fn lossy(&self) -> std::borrow::Cow<'_, str> {
        if let Ok(s) = std::str::from_utf8(&self.0) {
            return std::borrow::Cow::Borrowed(s);
        }
        let mut out = String::with_capacity(self.0.len() + 8);
        for chunk in self.0.utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        std::borrow::Cow::Owned(out)
    }

    /// A quoted display form, as Rust's `{:?}` quotes text (`"a\"b\n"`),
    /// with each byte that is not UTF-8 as `\xNN`.
    pub fn quoted(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + 2);
        let _ = self.write_quoted(&mut out);
        out
    }

    /// [`RawStr::quoted`] written into `out`, without a `String` of its own.
    pub fn write_quoted(&self, out: &mut impl fmt::Write) -> fmt::Result {
        out.write_char('"')?;
        for chunk in self.0.utf8_chunks() {
            let valid = chunk.valid();
            // Most names need no escape: copy them whole.
            if valid
                .bytes()
                .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\' && b != b'\'')
            {
                out.write_str(valid)?;
            } else {
                for c in valid.chars() {
                    for e in c.escape_debug() {
                        out.write_char(e)?;
                    }
                }
            }
            for b in chunk.invalid() {
                write!(out, "\\x{b:02x}")?;
            }
        }
        out.write_char('"')
    }
}

impl From<&str> for RawStr {
    fn from(s: &str) -> Self {
        RawStr(s.as_bytes().to_vec())
    }
}

impl From<Vec<u8>> for RawStr {
    fn from(v: Vec<u8>) -> Self {
        RawStr(v)
    }
}

impl fmt::Debug for RawStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.quoted())
    }
}

impl fmt::Display for RawStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lossy())
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Serialize for RawStr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => {
                let mut hex = String::with_capacity(self.0.len() * 2);
                for b in &self.0 {
                    hex.push(HEX[(b >> 4) as usize] as char);
                    hex.push(HEX[(b & 15) as usize] as char);
                }
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("hex", &hex)?;
                m.end()
            }
        }
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return None;
    }
    let val = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    b.chunks(2)
        .map(|p| Some(val(p[0])? << 4 | val(p[1])?))
        .collect()
}

struct RawStrVisitor;

impl<'de> Visitor<'de> for RawStrVisitor {
    type Value = RawStr;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an object {\"hex\": \"...\"}")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawStr, E> {
        Ok(RawStr(v.as_bytes().to_vec()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<RawStr, E> {
        Ok(RawStr(v.into_bytes()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawStr, A::Error> {
        let mut out = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "hex" {
                let h: std::borrow::Cow<'de, str> = map.next_value()?;
                out = Some(unhex(&h).ok_or_else(|| de::Error::custom("invalid hex string"))?);
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        out.map(RawStr)
            .ok_or_else(|| de::Error::missing_field("hex"))
    }
}

impl<'de> Deserialize<'de> for RawStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawStrVisitor)
    }
}

/// `s` with every control character (newline, escape, ...) and every
/// invisible formatting character (bidi overrides, zero-width spaces)
/// written as a visible escape (`\n`, `\x1b`, `\u{202e}`), so a name or
/// path a program chose can neither break a layout nor drive a terminal.
/// For output (the words layer re-exports it as `words::text::visible`);
/// the trace keeps the exact bytes.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    use std::fmt::Write as _;
    if !s.chars().any(invisible) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if invisible(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if invisible(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Control characters and the format characters that change how the
/// surrounding text is shown (bidi embeddings, overrides and isolates,
/// zero-width characters, the byte-order mark).
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c as u32,
            0x00ad | 0x061c | 0x180e | 0x200b..=0x200f | 0x2028..=0x202e
            | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_a_plain_string() {
        let s = serde_json::to_string(&RawStr::from("héllo")).unwrap();
        assert_eq!(s, "\"héllo\"");
    }

    #[test]
    fn invalid_utf8_round_trips_through_hex() {
        let raw = RawStr(vec![b'a', 0xff, 0x00, b'\n', 0x80]);
        let s = serde_json::to_string(&raw).unwrap();
        assert_eq!(s, r#"{"hex":"61ff000a80"}"#);
        let back: RawStr = serde_json::from_str(&s).unwrap();
        assert_eq!(back, raw);
    }

    #[test]
    fn bad_hex_is_an_error_not_a_panic() {
        assert!(serde_json::from_str::<RawStr>(r#"{"hex":"6"}"#).is_err());
        assert!(serde_json::from_str::<RawStr>(r#"{"hex":"zz"}"#).is_err());
        assert!(serde_json::from_str::<RawStr>(r#"{}"#).is_err());
    }
}
