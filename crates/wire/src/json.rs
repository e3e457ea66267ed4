//! JSON strings for the lines written per request (the request log, the decision log).
//!
//! Escaped exactly as `serde_json` escapes them (quote, backslash, `\b \t \n \f \r`, other
//! control characters as `\u00xx`; everything else as it is), so a line reads back the same
//! whichever writer made it. Most strings need no escape at all: they are checked sixteen
//! bytes at a time and copied whole.

/// Appends `text` as a JSON string literal, quotes included.
///
/// ```
/// let mut out = Vec::new();
/// roleplay_wire::json::string(&mut out, "say \"hi\"\n");
/// assert_eq!(out, br#""say \"hi\"\n""#);
/// ```
pub fn string(out: &mut Vec<u8>, text: &str) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    escaped(text, |piece| out.extend_from_slice(piece.as_bytes()));
    out.push(b'"');
}

/// Hands `text` to `put` escaped for a JSON string (without the quotes), in pieces: runs
/// that need nothing as they are, and each escape.
pub fn escaped(text: &str, mut put: impl FnMut(&str)) {
    let mut rest = text;
    while let Some(at) = first_escape(rest.as_bytes()) {
        // Every byte that needs an escape is ASCII, so `at` is a character boundary.
        let Some((clean, tail)) = rest.split_at_checked(at) else {
            break;
        };
        if !clean.is_empty() {
            put(clean);
        }
        let mut bytes = tail.bytes();
        let Some(byte) = bytes.next() else {
            return;
        };
        let mut hex = [b'\\', b'u', b'0', b'0', 0, 0];
        put(match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            _ => {
                let [.., high, low] = &mut hex;
                *high = HEX_DIGITS
                    .get(usize::from(byte >> 4))
                    .copied()
                    .unwrap_or(b'0');
                *low = HEX_DIGITS
                    .get(usize::from(byte & 0xf))
                    .copied()
                    .unwrap_or(b'0');
                std::str::from_utf8(&hex).unwrap_or_default()
            }
        });
        rest = tail.get(1..).unwrap_or_default();
    }
    if !rest.is_empty() {
        put(rest);
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// The index of the first byte that needs an escape. Whole chunks are tested without
/// branching per byte, which the compiler turns into vector compares; the last part of a
/// longer string as the chunk that ends it (overlapping bytes known to be clean), a shorter
/// one as words of eight bytes.
fn first_escape(bytes: &[u8]) -> Option<usize> {
    const CHUNK: usize = 16;
    let mut chunks = bytes.chunks_exact(CHUNK);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        if let Some(p) = in_chunk(chunk) {
            return Some(offset + p);
        }
        offset += CHUNK;
    }
    if chunks.remainder().is_empty() {
        return None;
    }
    if let Some(last) = bytes.len().checked_sub(CHUNK) {
        return bytes.get(last..).and_then(in_chunk).map(|p| last + p);
    }
    // Shorter than a chunk: as two words that overlap, or byte by byte under eight.
    let word = |at: usize| {
        bytes
            .get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    match (word(0), bytes.len().checked_sub(8).and_then(word)) {
        (Some(head), Some(tail)) => {
            escape_in_word(head).or_else(|| escape_in_word(tail).map(|p| bytes.len() - 8 + p))
        }
        _ => bytes.iter().position(|&b| needs_escape(b)),
    }
}

/// The first byte of a chunk that needs an escape, tested whole before it is searched.
fn in_chunk(chunk: &[u8]) -> Option<usize> {
    if chunk.iter().fold(false, |hit, &b| hit | needs_escape(b)) {
        chunk.iter().position(|&b| needs_escape(b))
    } else {
        None
    }
}

/// The first of eight bytes (little-endian in `word`) that needs an escape; the lowest
/// flag of [`crate::swar`]'s tests is exact.
fn escape_in_word(word: u64) -> Option<usize> {
    use crate::swar::{below, equal};
    let hits = below(word, 0x20) | equal(word, b'"') | equal(word, b'\\');
    (hits != 0).then(|| (hits.trailing_zeros() / 8) as usize)
}
