//! MD5 of several messages at once: four lanes of 32-bit words, one message in each, which
//! the compiler keeps in one SIMD register per MD5 variable. One message's MD5 is a chain of
//! dependent steps that leaves most of a core idle; four chains side by side cost about what
//! one does, so a batch of small bodies (the ETags of the PutObjects that commit together)
//! is hashed for about a third of the CPU of hashing each in turn.

use md5::Digest as _;

/// Four lanes of one MD5 variable.
#[derive(Clone, Copy, Default)]
struct Lanes([u32; 4]);

/// MD5's four auxiliary functions (RFC 1321, 3.4), in the forms with fewest operations.
#[inline(always)]
fn f(x: u32, y: u32, z: u32) -> u32 {
    z ^ (x & (y ^ z))
}
#[inline(always)]
fn g(x: u32, y: u32, z: u32) -> u32 {
    y ^ (z & (x ^ y))
}
#[inline(always)]
fn h(x: u32, y: u32, z: u32) -> u32 {
    x ^ y ^ z
}
#[inline(always)]
fn i(x: u32, y: u32, z: u32) -> u32 {
    y ^ (x | !z)
}

/// One MD5 step in every lane: `a = b + ((a + F(b, c, d) + M[w] + K) <<< s)`.
#[allow(clippy::too_many_arguments, reason = "one per term of RFC 1321's step")]
#[inline(always)]
fn lanes_step(
    a: Lanes,
    b: Lanes,
    c: Lanes,
    d: Lanes,
    m: Lanes,
    k: u32,
    s: u32,
    fun: impl Fn(u32, u32, u32) -> u32,
) -> Lanes {
    let one = |a: u32, b: u32, c: u32, d: u32, m: u32| {
        b.wrapping_add(
            a.wrapping_add(fun(b, c, d))
                .wrapping_add(m)
                .wrapping_add(k)
                .rotate_left(s),
        )
    };
    let ([a0, a1, a2, a3], [b0, b1, b2, b3], [c0, c1, c2, c3], [d0, d1, d2, d3], [m0, m1, m2, m3]) =
        (a.0, b.0, c.0, d.0, m.0);
    Lanes([
        one(a0, b0, c0, d0, m0),
        one(a1, b1, c1, d1, m1),
        one(a2, b2, c2, d2, m2),
        one(a3, b3, c3, d3, m3),
    ])
}

#[inline(always)]
fn lanes_add(x: Lanes, y: Lanes) -> Lanes {
    let ([x0, x1, x2, x3], [y0, y1, y2, y3]) = (x.0, y.0);
    Lanes([
        x0.wrapping_add(y0),
        x1.wrapping_add(y1),
        x2.wrapping_add(y2),
        x3.wrapping_add(y3),
    ])
}

/// MD5's compression of one 64-byte block in each lane; `m` holds word `w` of every
/// lane's block at `m[w]`.
#[allow(clippy::many_single_char_names, reason = "RFC 1321's names")]
#[inline(always)]
fn compress(state: &mut [Lanes; 4], m: &[Lanes; 16]) {
    let [mut a, mut b, mut c, mut d] = *state;
    macro_rules! step {
        ($fun:ident, $a:ident, $b:ident, $c:ident, $d:ident, $w:literal, $k:literal, $s:literal) => {
            $a = lanes_step($a, $b, $c, $d, m[$w], $k, $s, $fun);
        };
    }
    step!(f, a, b, c, d, 0, 0xd76aa478, 7);
    step!(f, d, a, b, c, 1, 0xe8c7b756, 12);
    step!(f, c, d, a, b, 2, 0x242070db, 17);
    step!(f, b, c, d, a, 3, 0xc1bdceee, 22);
    step!(f, a, b, c, d, 4, 0xf57c0faf, 7);
    step!(f, d, a, b, c, 5, 0x4787c62a, 12);
    step!(f, c, d, a, b, 6, 0xa8304613, 17);
    step!(f, b, c, d, a, 7, 0xfd469501, 22);
    step!(f, a, b, c, d, 8, 0x698098d8, 7);
    step!(f, d, a, b, c, 9, 0x8b44f7af, 12);
    step!(f, c, d, a, b, 10, 0xffff5bb1, 17);
    step!(f, b, c, d, a, 11, 0x895cd7be, 22);
    step!(f, a, b, c, d, 12, 0x6b901122, 7);
    step!(f, d, a, b, c, 13, 0xfd987193, 12);
    step!(f, c, d, a, b, 14, 0xa679438e, 17);
    step!(f, b, c, d, a, 15, 0x49b40821, 22);
    step!(g, a, b, c, d, 1, 0xf61e2562, 5);
    step!(g, d, a, b, c, 6, 0xc040b340, 9);
    step!(g, c, d, a, b, 11, 0x265e5a51, 14);
    step!(g, b, c, d, a, 0, 0xe9b6c7aa, 20);
    step!(g, a, b, c, d, 5, 0xd62f105d, 5);
    step!(g, d, a, b, c, 10, 0x02441453, 9);
    step!(g, c, d, a, b, 15, 0xd8a1e681, 14);
    step!(g, b, c, d, a, 4, 0xe7d3fbc8, 20);
    step!(g, a, b, c, d, 9, 0x21e1cde6, 5);
    step!(g, d, a, b, c, 14, 0xc33707d6, 9);
    step!(g, c, d, a, b, 3, 0xf4d50d87, 14);
    step!(g, b, c, d, a, 8, 0x455a14ed, 20);
    step!(g, a, b, c, d, 13, 0xa9e3e905, 5);
    step!(g, d, a, b, c, 2, 0xfcefa3f8, 9);
    step!(g, c, d, a, b, 7, 0x676f02d9, 14);
    step!(g, b, c, d, a, 12, 0x8d2a4c8a, 20);
    step!(h, a, b, c, d, 5, 0xfffa3942, 4);
    step!(h, d, a, b, c, 8, 0x8771f681, 11);
    step!(h, c, d, a, b, 11, 0x6d9d6122, 16);
    step!(h, b, c, d, a, 14, 0xfde5380c, 23);
    step!(h, a, b, c, d, 1, 0xa4beea44, 4);
    step!(h, d, a, b, c, 4, 0x4bdecfa9, 11);
    step!(h, c, d, a, b, 7, 0xf6bb4b60, 16);
    step!(h, b, c, d, a, 10, 0xbebfbc70, 23);
    step!(h, a, b, c, d, 13, 0x289b7ec6, 4);
    step!(h, d, a, b, c, 0, 0xeaa127fa, 11);
    step!(h, c, d, a, b, 3, 0xd4ef3085, 16);
    step!(h, b, c, d, a, 6, 0x04881d05, 23);
    step!(h, a, b, c, d, 9, 0xd9d4d039, 4);
    step!(h, d, a, b, c, 12, 0xe6db99e5, 11);
    step!(h, c, d, a, b, 15, 0x1fa27cf8, 16);
    step!(h, b, c, d, a, 2, 0xc4ac5665, 23);
    step!(i, a, b, c, d, 0, 0xf4292244, 6);
    step!(i, d, a, b, c, 7, 0x432aff97, 10);
    step!(i, c, d, a, b, 14, 0xab9423a7, 15);
    step!(i, b, c, d, a, 5, 0xfc93a039, 21);
    step!(i, a, b, c, d, 12, 0x655b59c3, 6);
    step!(i, d, a, b, c, 3, 0x8f0ccc92, 10);
    step!(i, c, d, a, b, 10, 0xffeff47d, 15);
    step!(i, b, c, d, a, 1, 0x85845dd1, 21);
    step!(i, a, b, c, d, 8, 0x6fa87e4f, 6);
    step!(i, d, a, b, c, 15, 0xfe2ce6e0, 10);
    step!(i, c, d, a, b, 6, 0xa3014314, 15);
    step!(i, b, c, d, a, 13, 0x4e0811a1, 21);
    step!(i, a, b, c, d, 4, 0xf7537e82, 6);
    step!(i, d, a, b, c, 11, 0xbd3af235, 10);
    step!(i, c, d, a, b, 2, 0x2ad7d2bb, 15);
    step!(i, b, c, d, a, 9, 0xeb86d391, 21);
    let [sa, sb, sc, sd] = *state;
    *state = [
        lanes_add(sa, a),
        lanes_add(sb, b),
        lanes_add(sc, c),
        lanes_add(sd, d),
    ];
}

const INIT: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// One message in a lane: its whole blocks, then one or two padded blocks made of its tail.
struct Lane<'a> {
    whole: std::slice::ChunksExact<'a, u8>,
    tail: [u8; 128],
    /// Blocks in all, padding included.
    blocks: usize,
}

impl<'a> Lane<'a> {
    fn new(body: &'a [u8]) -> Self {
        let whole = body.chunks_exact(64);
        let rest = whole.remainder();
        let mut tail = [0u8; 128];
        // The rest, a 1 bit, zeros, and the length in bits as 64 bits little-endian, in
        // as many blocks as that takes (RFC 1321, 3.1 and 3.2).
        let tail_blocks = if rest.len() < 56 { 1 } else { 2 };
        let bits = (body.len() as u64).wrapping_mul(8).to_le_bytes();
        for (slot, byte) in tail
            .iter_mut()
            .zip(rest.iter().chain(std::iter::once(&0x80)))
        {
            *slot = *byte;
        }
        if let Some(len) = tail.get_mut(tail_blocks * 64 - 8..tail_blocks * 64) {
            len.copy_from_slice(&bits);
        }
        Self {
            blocks: whole.len() + tail_blocks,
            whole,
            tail,
        }
    }

    /// The words of block `n` (the next one while whole blocks last).
    fn words(&mut self, n: usize, whole_blocks: usize, into: &mut [u32; 16]) {
        let block = if n < whole_blocks {
            self.whole.next()
        } else {
            let at = (n - whole_blocks) * 64;
            self.tail.get(at..at + 64)
        };
        let Some(block) = block else {
            return;
        };
        for (word, bytes) in into.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_le_bytes([
                bytes.first().copied().unwrap_or(0),
                bytes.get(1).copied().unwrap_or(0),
                bytes.get(2).copied().unwrap_or(0),
                bytes.get(3).copied().unwrap_or(0),
            ]);
        }
    }
}

/// Messages hashed side by side, one per 32-bit lane of the register.
pub(crate) const LANES: usize = 4;

/// The MD5 of each body, in order.
pub fn md5_many(bodies: &[&[u8]]) -> Vec<[u8; 16]> {
    let mut out = vec![[0u8; 16]; bodies.len()];
    // Longest first, so the four messages hashed together are close in length and a lane
    // seldom idles while the others finish.
    let mut order: Vec<(usize, &[u8])> = bodies.iter().copied().enumerate().collect();
    order.sort_by_key(|(_, body)| std::cmp::Reverse(body.len()));
    for group in order.chunks(LANES) {
        if let [(at, body)] = group {
            // Alone, one chain: the scalar code is faster than a lane and three idle ones.
            if let Some(slot) = out.get_mut(*at) {
                *slot = md5::Md5::digest(body).into();
            }
            continue;
        }
        for ((at, _), digest) in group.iter().zip(four(group.iter().map(|(_, b)| *b))) {
            if let Some(slot) = out.get_mut(*at) {
                *slot = digest;
            }
        }
    }
    out
}

/// The MD5 of up to four bodies, hashed side by side.
fn four<'a>(bodies: impl Iterator<Item = &'a [u8]>) -> Vec<[u8; 16]> {
    let mut lanes: Vec<Lane<'a>> = bodies.take(LANES).map(Lane::new).collect();
    let whole: Vec<usize> = lanes.iter().map(|l| l.whole.len()).collect();
    let blocks = lanes.iter().map(|l| l.blocks).max().unwrap_or(0);
    let mut state = INIT.map(|v| Lanes([v; 4]));
    let mut done = vec![[0u32; 4]; lanes.len()];
    let mut words = [[0u32; 16]; 4];
    for n in 0..blocks {
        for ((lane, whole), words) in lanes.iter_mut().zip(&whole).zip(words.iter_mut()) {
            lane.words(n, *whole, words);
        }
        let [w0, w1, w2, w3] = &words;
        let m: [Lanes; 16] = std::array::from_fn(|w| {
            let at = |lane: &[u32; 16]| lane.get(w).copied().unwrap_or(0);
            Lanes([at(w0), at(w1), at(w2), at(w3)])
        });
        compress(&mut state, &m);
        for (l, (lane, out)) in lanes.iter().zip(done.iter_mut()).enumerate() {
            if lane.blocks == n + 1 {
                *out = state.map(|v| v.0.get(l).copied().unwrap_or(0));
            }
        }
    }
    done.iter()
        .map(|words| {
            let mut digest = [0u8; 16];
            for (bytes, word) in digest.chunks_exact_mut(4).zip(words) {
                bytes.copy_from_slice(&word.to_le_bytes());
            }
            digest
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(body: &[u8]) -> [u8; 16] {
        md5::Md5::digest(body).into()
    }

    /// Bytes that differ from one body to the next.
    fn body(len: usize, seed: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i.wrapping_mul(31) ^ seed.wrapping_mul(131)) as u8)
            .collect()
    }

    #[test]
    fn known_digests() {
        // RFC 1321, A.5.
        let cases: [(&[u8], &str); 4] = [
            (b"", "d41d8cd98f00b204e9800998ecf8427e"),
            (b"abc", "900150983cd24fb0d6963f7d28e17f72"),
            (b"message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                b"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        let bodies: Vec<&[u8]> = cases.iter().map(|c| c.0).collect();
        let got: Vec<String> = md5_many(&bodies).iter().map(hex::encode).collect();
        let want: Vec<&str> = cases.iter().map(|c| c.1).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn every_length_around_the_padding_edges_in_every_lane() {
        // Lengths 0..=200 cover one and two padding blocks (55/56 and 119/120 bytes), in
        // groups whose lanes end on different blocks.
        let bodies: Vec<Vec<u8>> = (0..=200).map(|n| body(n, n)).collect();
        for width in 1..=9 {
            for start in 0..bodies.len() {
                let group: Vec<&[u8]> = bodies
                    .iter()
                    .skip(start)
                    .take(width)
                    .map(Vec::as_slice)
                    .collect();
                let want: Vec<[u8; 16]> = group.iter().map(|b| scalar(b)).collect();
                assert_eq!(md5_many(&group), want, "width {width} from {start}");
            }
        }
    }

    #[test]
    fn large_and_mixed_batches() {
        let lens = [
            4096, 0, 65536, 4096, 1, 4095, 63, 64, 65, 100_000, 4097, 12, 4096,
        ];
        let bodies: Vec<Vec<u8>> = lens.iter().enumerate().map(|(i, n)| body(*n, i)).collect();
        let refs: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
        let want: Vec<[u8; 16]> = refs.iter().map(|b| scalar(b)).collect();
        assert_eq!(md5_many(&refs), want);
        assert!(md5_many(&[]).is_empty());
    }
}
