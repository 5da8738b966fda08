//! The Perfetto export's JSON, written by hand into a reusable byte
//! buffer: the same bytes `serde_json::to_writer` makes (its escaping, its
//! integer and float forms), without building a `serde_json::Value` or a
//! `String` per element. An instant's args are its element of the
//! normalized stream, written by the JSON export's own writer
//! ([`crate::render::json_stream`]).

use crate::render::json_stream;
use serde_json::ser::{CompactFormatter, Formatter};

/// Appends `s` as a JSON string (quotes included), escaped as serde_json
/// does: export's writer's escaping ([`json_stream::string`]).
pub(crate) fn str(buf: &mut Vec<u8>, s: &str) {
    json_stream::string(buf, s);
}

/// Appends an unsigned integer.
pub(crate) fn u64(buf: &mut Vec<u8>, v: u64) {
    json_stream::uint(buf, v);
}

/// Appends a signed integer.
pub(crate) fn i64(buf: &mut Vec<u8>, v: i64) {
    json_stream::int(buf, v);
}

/// Appends a float as serde_json writes a finite `f64`.
pub(crate) fn f64(buf: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        let _ = CompactFormatter.write_f64(buf, v);
    } else {
        buf.extend_from_slice(b"null");
    }
}

/// Appends `,"key":` (or `"key":` at the start of an object, after `{`).
pub(crate) fn key(buf: &mut Vec<u8>, k: &str) {
    if buf.last() != Some(&b'{') {
        buf.push(b',');
    }
    buf.push(b'"');
    buf.extend_from_slice(k.as_bytes());
    buf.extend_from_slice(b"\":");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        let mut all: String = (0u8..128).map(char::from).collect();
        all.push_str("\u{e9}\u{4e2d}\u{2028}\u{7f}\u{80}\u{10ffff}\"\\/");
        for s in [all.as_str(), "", "plain", "a\nb", "\u{1}\u{1f}"] {
            let mut buf = Vec::new();
            str(&mut buf, s);
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }

    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        for v in [0.0, 1.0, 4.4, 1699998.3, 0.001, 1e16, 123456789.123, 1e-7] {
            let mut buf = Vec::new();
            f64(&mut buf, v);
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                serde_json::to_string(&v).unwrap()
            );
        }
        for v in [0i64, -1, i64::MIN, i64::MAX, 42] {
            let mut buf = Vec::new();
            i64(&mut buf, v);
            assert_eq!(String::from_utf8(buf).unwrap(), v.to_string());
        }
        let mut buf = Vec::new();
        u64(&mut buf, u64::MAX);
        assert_eq!(buf, u64::MAX.to_string().as_bytes());
    }
}
