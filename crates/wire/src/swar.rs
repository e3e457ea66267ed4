//! Byte tests on eight bytes at once (a `u64`, little-endian), for the escapers' scans.
//!
//! Each test flags a byte in its top bit. A borrow can flag bytes above a true hit, never
//! below one: no byte that passes goes unflagged, and the lowest flag is exact.

const ONES: u64 = 0x0101_0101_0101_0101;
const TOPS: u64 = 0x8080_8080_8080_8080;

/// Flags the bytes of `word` below `n` (`n` at most 0x80).
pub(crate) fn below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(n)) & !word & TOPS
}

/// Flags the bytes of `word` equal to `b`.
pub(crate) fn equal(word: u64, b: u8) -> u64 {
    below(word ^ (ONES * u64::from(b)), 1)
}
