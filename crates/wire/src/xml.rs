//! The project's one XML writer. All XML escaping lives here.
//!
//! Elements are written through closures, so every element the writer opens is closed, and text
//! always goes through [`escape_text`]. Lists come in the two styles AWS uses
//! ([`XmlWriter::member_list`] for IAM and STS, `<Users><member>…</member></Users>`;
//! [`XmlWriter::flattened_list`] for S3, `<Contents>…</Contents><Contents>…</Contents>`).
//!
//! Output is compact: no indentation and no line breaks between elements.
//!
//! Element and attribute names come from code, never from requests; they are checked in debug
//! builds only.

use ::time::OffsetDateTime;
use std::fmt::{self, Write as _};

/// The XML declaration S3 puts before its bodies, with the line break S3 writes after it.
pub const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// A compact XML document under construction.
#[derive(Debug, Clone)]
pub struct XmlWriter {
    out: String,
}

/// Bytes a document starts with room for: most answers fit, so they are written without
/// growing (an `AssumeRole` answer grew its buffer five times from empty).
const INITIAL_CAPACITY: usize = 1024;

impl Default for XmlWriter {
    fn default() -> Self {
        Self {
            out: String::with_capacity(INITIAL_CAPACITY),
        }
    }
}

impl XmlWriter {
    /// An empty document without a declaration (the IAM and STS style).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A document that starts with [`DECLARATION`] (the S3 style).
    #[must_use]
    pub fn with_declaration() -> Self {
        let mut w = Self::default();
        w.out.push_str(DECLARATION);
        w
    }

    /// Writes `<name>…</name>`, with `body` writing the content.
    pub fn element(&mut self, name: &str, body: impl FnOnce(&mut Self)) -> &mut Self {
        self.element_with_attributes(name, &[], body)
    }

    /// Writes `<name a="v" …>…</name>`; attribute values are escaped.
    pub fn element_with_attributes(
        &mut self,
        name: &str,
        attributes: &[(&str, &str)],
        body: impl FnOnce(&mut Self),
    ) -> &mut Self {
        self.open(name, attributes);
        body(self);
        self.close(name);
        self
    }

    /// Writes `<name>text</name>`, escaping `text`.
    pub fn text_element(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name, &[]);
        self.text(text);
        self.close(name);
        self
    }

    /// Writes `<name>text</name>` if `text` is `Some`, nothing otherwise.
    pub fn optional_text_element(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.text_element(name, text);
        }
        self
    }

    /// Writes `<name>value</name>` with the `Display` form of `value`, escaped (numbers and
    /// booleans: `<MaxSessionDuration>3600</MaxSessionDuration>`, `<IsTruncated>false</IsTruncated>`).
    pub fn display_element(&mut self, name: &str, value: impl fmt::Display) -> &mut Self {
        self.open(name, &[]);
        let _ = write!(TextEscaper(&mut self.out), "{value}");
        self.close(name);
        self
    }

    /// Writes `<name>value</name>` if `value` is `Some`, with its `Display` form.
    pub fn optional_display_element(
        &mut self,
        name: &str,
        value: Option<impl fmt::Display>,
    ) -> &mut Self {
        if let Some(value) = value {
            self.display_element(name, value);
        }
        self
    }

    /// Writes a timestamp as IAM and STS do: ISO 8601 UTC, whole seconds
    /// (`<CreateDate>2026-11-27T19:43:17Z</CreateDate>`).
    pub fn timestamp_element(&mut self, name: &str, t: OffsetDateTime) -> &mut Self {
        self.text_element(name, &crate::time::format_iso8601(t))
    }

    /// Writes a timestamp with milliseconds, as S3 listings do
    /// (`<LastModified>2026-11-27T19:43:17.000Z</LastModified>`).
    pub fn timestamp_millis_element(&mut self, name: &str, t: OffsetDateTime) -> &mut Self {
        self.text_element(name, &crate::time::format_iso8601_millis(t))
    }

    /// Writes `<name/>`.
    pub fn empty_element(&mut self, name: &str) -> &mut Self {
        debug_assert!(is_name(name), "invalid XML name {name:?}");
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str("/>");
        self
    }

    /// Writes a query-protocol list: `<name><member>…</member>…</name>`, one `member` per
    /// item, with `item` writing each member's content. An empty list gives `<name></name>`.
    pub fn member_list<I: IntoIterator>(
        &mut self,
        name: &str,
        items: I,
        mut item: impl FnMut(&mut Self, I::Item),
    ) -> &mut Self {
        self.open(name, &[]);
        for it in items {
            self.open("member", &[]);
            item(self, it);
            self.close("member");
        }
        self.close(name);
        self
    }

    /// Writes a query-protocol list of strings: `<name><member>a</member>…</name>`.
    pub fn text_member_list<I>(&mut self, name: &str, items: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.member_list(name, items, |w, s| {
            w.text(s.as_ref());
        })
    }

    /// Writes an S3-style flattened list: `<name>…</name>` repeated once per item, with `item`
    /// writing each element's content. An empty list writes nothing.
    pub fn flattened_list<I: IntoIterator>(
        &mut self,
        name: &str,
        items: I,
        mut item: impl FnMut(&mut Self, I::Item),
    ) -> &mut Self {
        for it in items {
            self.element(name, |w| item(w, it));
        }
        self
    }

    /// Writes escaped character data.
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.out, text, false);
        self
    }

    /// The document so far.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.out
    }

    /// The finished document.
    #[must_use]
    pub fn finish(self) -> String {
        self.out
    }

    /// The finished document as UTF-8 bytes.
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.out.into_bytes()
    }

    fn open(&mut self, name: &str, attributes: &[(&str, &str)]) {
        debug_assert!(is_name(name), "invalid XML name {name:?}");
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            debug_assert!(is_name(key), "invalid XML attribute name {key:?}");
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value, true);
            self.out.push('"');
        }
        self.out.push('>');
    }

    fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }
}

/// Escapes character data: `&`, `<`, `>`, `"` and `'` become entities, a carriage return
/// becomes `&#xD;` (so parsers don't fold it into a line feed), tab and line feed stay, and the
/// characters XML 1.0 cannot carry at all (other C0 controls, U+FFFE, U+FFFF) become U+FFFD.
#[must_use]
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text, false);
    out
}

/// Escapes an attribute value: as [`escape_text`], and tab and line feed also become character
/// references, because parsers turn raw ones into spaces in attributes.
#[must_use]
pub fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text, true);
    out
}

fn escape_into(out: &mut String, text: &str, attribute: bool) {
    let table = if attribute {
        &ATTRIBUTE_FLAGS
    } else {
        &TEXT_FLAGS
    };
    let bytes = text.as_bytes();
    let (mut start, mut i) = (0, 0);
    // A byte scan: every byte that can start an escape is ASCII or 0xEF (the lead byte of
    // U+FFFE and U+FFFF), so the cuts fall on character boundaries.
    while let Some(found) = bytes.get(i..).and_then(|rest| first_flagged(rest, table)) {
        i += found;
        let Some(&b) = bytes.get(i) else { break };
        let (replacement, len) = if b == 0xEF {
            match bytes.get(i + 1..i + 3) {
                Some([0xBF, 0xBE | 0xBF]) => ("\u{FFFD}", 3),
                _ => {
                    i += 1;
                    continue;
                }
            }
        } else {
            (replacement(char::from(b)), 1)
        };
        out.push_str(text.get(start..i).unwrap_or_default());
        out.push_str(replacement);
        i += len;
        start = i;
    }
    out.push_str(text.get(start..).unwrap_or_default());
}

/// The first byte of `bytes` that `table` flags. Eight bytes at a time are passed over
/// while a word holds none that any table flags: an answer's long values (a session
/// token, a secret) need no escape, and a byte-by-byte lookup cost four times as much.
fn first_flagged(bytes: &[u8], table: &[bool; 256]) -> Option<usize> {
    let flagged = |b: &u8| table.get(usize::from(*b)).copied().unwrap_or(false);
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in words.by_ref() {
        let word = <[u8; 8]>::try_from(chunk).map_or(u64::MAX, u64::from_le_bytes);
        if may_need_escape(word)
            && let Some(p) = chunk.iter().position(flagged)
        {
            return Some(at + p);
        }
        at += 8;
    }
    words.remainder().iter().position(flagged).map(|p| at + p)
}

/// Whether a byte of `word` is below 0x20, one of `&<>"'`, or 0xEF: every byte either
/// table flags is one of these (exact: no flagged byte goes unseen).
fn may_need_escape(word: u64) -> bool {
    use crate::swar::{below, equal};
    (below(word, 0x20)
        | equal(word, b'&')
        | equal(word, b'<')
        | equal(word, b'>')
        | equal(word, b'"')
        | equal(word, b'\'')
        | equal(word, 0xEF))
        != 0
}

/// Bytes that may need escaping in character data ([`needs_escape`] over ASCII, plus 0xEF).
static TEXT_FLAGS: [bool; 256] = flags(false);
/// As [`TEXT_FLAGS`], for attribute values.
static ATTRIBUTE_FLAGS: [bool; 256] = flags(true);

#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time, where an index out of range fails the build"
)]
const fn flags(attribute: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0u8;
    while b < 128 {
        t[b as usize] = needs_escape(b as char, attribute);
        b += 1;
    }
    t[0xEF] = true;
    t
}

const fn needs_escape(c: char, attribute: bool) -> bool {
    match c {
        '&' | '<' | '>' | '"' | '\'' | '\r' | '\u{FFFE}' | '\u{FFFF}' => true,
        '\t' | '\n' => attribute,
        c => (c as u32) < 0x20,
    }
}

fn replacement(c: char) -> &'static str {
    match c {
        '&' => "&amp;",
        '<' => "&lt;",
        '>' => "&gt;",
        '"' => "&quot;",
        '\'' => "&apos;",
        '\r' => "&#xD;",
        '\n' => "&#xA;",
        '\t' => "&#x9;",
        _ => "\u{FFFD}",
    }
}

/// Streams `Display` output through the text escaper.
struct TextEscaper<'a>(&'a mut String);

impl fmt::Write for TextEscaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.0, s, false);
        Ok(())
    }
}

/// A conservative XML name check: ASCII letters, digits, `_`, `-`, `.` and `:`, not starting
/// with a digit, `-` or `.`.
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape_text(r#"a<b>&"c"'d'"#),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;"
        );
    }

    #[test]
    fn the_word_scan_finds_every_flagged_byte_at_every_position() {
        for table in [&TEXT_FLAGS, &ATTRIBUTE_FLAGS] {
            for len in 0..40 {
                for at in 0..len {
                    for b in 0..=255u8 {
                        let mut bytes = vec![b'a'; len];
                        if let Some(x) = bytes.get_mut(at) {
                            *x = b;
                        }
                        let want = bytes
                            .iter()
                            .position(|b| table.get(usize::from(*b)).copied().unwrap_or(false));
                        assert_eq!(
                            first_flagged(&bytes, table),
                            want,
                            "{b:#x} at {at} of {len}"
                        );
                    }
                }
                assert_eq!(first_flagged(&vec![b'a'; len], table), None);
            }
        }
    }

    #[test]
    fn escapes_controls() {
        assert_eq!(
            escape_text("a\tb\nc\rd\u{0}e\u{1b}f"),
            "a\tb\nc&#xD;d\u{FFFD}e\u{FFFD}f"
        );
        assert_eq!(escape_attribute("a\tb\nc\r"), "a&#x9;b&#xA;c&#xD;");
        assert_eq!(escape_text("\u{FFFE}\u{FFFF}é😀"), "\u{FFFD}\u{FFFD}é😀");
        // Neighbours of the non-characters stay as they are.
        assert_eq!(
            escape_text("\u{FFFD}\u{FFEF}\u{EFBF}ｿ"),
            "\u{FFFD}\u{FFEF}\u{EFBF}ｿ"
        );
        assert_eq!(escape_text("x\u{FFFE}"), "x\u{FFFD}");
        assert_eq!(escape_text(""), "");
    }

    #[test]
    fn display_elements_are_escaped() {
        let mut w = XmlWriter::new();
        w.display_element("N", 42).display_element("S", "<x>");
        assert_eq!(w.finish(), "<N>42</N><S>&lt;x&gt;</S>");
    }

    #[test]
    fn names_are_checked() {
        assert!(is_name("GetUserResponse"));
        assert!(is_name("xmlns:xsi"));
        assert!(!is_name(""));
        assert!(!is_name("1a"));
        assert!(!is_name("a b"));
        assert!(!is_name("a<"));
    }
}
