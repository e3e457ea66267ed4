//! Incremental decoder for `Content-Encoding: aws-chunked` bodies.
//!
//! Chunk framing: `hex-size[;chunk-signature=SIG]\r\n DATA \r\n`, ending with a
//! zero-size chunk, optional trailer lines `name:value\r\n` and an empty line.
//! Signed chunks chain from the request signature:
//! `SIG_n = HMAC(kSigning, "AWS4-HMAC-SHA256-PAYLOAD\n" DATE "\n" SCOPE "\n" SIG_{n-1} "\n" sha256("") "\n" sha256(DATA_n))`,
//! and a signed trailer adds
//! `HMAC(kSigning, "AWS4-HMAC-SHA256-TRAILER\n" DATE "\n" SCOPE "\n" SIG_last "\n" sha256(trailers))`.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html>.
//!
//! Trailing checksums (`x-amz-checksum-*`) are returned, not checked against
//! the data: that is the S3 layer's job.

use sha2::{Digest, Sha256};

use crate::canonical::EMPTY_SHA256;
use crate::key::SigningKey;
use crate::parse::ContentSha256;
use crate::verify::{Verified, same_bytes};

/// Size limits that keep a hostile body from making the decoder buffer much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkedLimits {
    /// Longest chunk-size line, including extensions, excluding CRLF.
    pub max_line_len: usize,
    /// Largest total size of the trailer section.
    pub max_trailer_bytes: usize,
    /// Largest single chunk.
    pub max_chunk_size: u64,
}

impl Default for ChunkedLimits {
    /// 4 KiB lines, 16 KiB of trailers, 64 MiB chunks.
    fn default() -> Self {
        Self {
            max_line_len: 4096,
            max_trailer_bytes: 16 * 1024,
            max_chunk_size: 64 * 1024 * 1024,
        }
    }
}

/// One trailing header of an aws-chunked body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    /// Lowercase name, e.g. `x-amz-checksum-crc32`.
    pub name: String,
    /// Value with surrounding whitespace removed.
    pub value: String,
}

/// Why an aws-chunked body was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkedError {
    /// The payload kind is not aws-chunked, or needs a signature chain that was not given.
    #[error("payload kind is not a supported aws-chunked encoding")]
    UnsupportedPayload,
    /// Framing is wrong: a bad size line, a missing CRLF, a missing signature.
    #[error("malformed aws-chunked body: {reason}")]
    Malformed {
        /// What was wrong.
        reason: &'static str,
    },
    /// A chunk-size line exceeded [`ChunkedLimits::max_line_len`].
    #[error("chunk-size line too long")]
    LineTooLong,
    /// A chunk exceeded [`ChunkedLimits::max_chunk_size`].
    #[error("chunk too large")]
    ChunkTooLarge,
    /// The trailer section is malformed or exceeded [`ChunkedLimits::max_trailer_bytes`].
    #[error("malformed or oversized trailer: {reason}")]
    MalformedTrailer {
        /// What was wrong.
        reason: &'static str,
    },
    /// A chunk signature does not match (chunks counted from 0).
    #[error("signature of chunk {index} does not match")]
    ChunkSignatureMismatch {
        /// Index of the failing chunk.
        index: u64,
    },
    /// The trailer signature does not match.
    #[error("trailer signature does not match")]
    TrailerSignatureMismatch,
    /// The body ended before the final chunk and trailers.
    #[error("body ended before the final chunk")]
    Incomplete,
    /// Bytes follow the end of the encoded body.
    #[error("data after the end of the aws-chunked body")]
    TrailingData,
}

impl ChunkedError {
    /// The S3 error code for this failure.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedPayload => "NotImplemented",
            Self::Malformed { .. } | Self::LineTooLong | Self::TrailingData => "InvalidRequest",
            Self::ChunkTooLarge => "InvalidChunkSizeError",
            Self::MalformedTrailer { .. } => "MalformedTrailerError",
            Self::ChunkSignatureMismatch { .. } | Self::TrailerSignatureMismatch => {
                "SignatureDoesNotMatch"
            }
            Self::Incomplete => "IncompleteBody",
        }
    }
}

/// The signature chain of a signed body.
struct Chain {
    key: SigningKey,
    amz_date: String,
    scope: String,
    previous: String,
}

impl Chain {
    fn next(&self, prefix: &str, tail: &[&str]) -> [u8; 64] {
        let mut sts = String::with_capacity(256);
        for part in [
            prefix,
            self.amz_date.as_str(),
            self.scope.as_str(),
            self.previous.as_str(),
        ] {
            sts.push_str(part);
            sts.push('\n');
        }
        for (i, part) in tail.iter().enumerate() {
            if i > 0 {
                sts.push('\n');
            }
            sts.push_str(part);
        }
        let mut out = [0u8; 64];
        // 32 bytes always fit; on failure `out` stays zeros and cannot match.
        let _ = hex::encode_to_slice(self.key.sign_raw(sts.as_bytes()), &mut out);
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    SizeLine,
    Data,
    DataCr,
    DataLf,
    Trailers,
    Done,
    Failed,
}

/// Push decoder for aws-chunked bodies: feed any slices, get decoded bytes.
///
/// Decoded bytes are handed out as they arrive, before their chunk's
/// signature is checked at the chunk's end: a caller must discard everything
/// if any call returns an error, and commit only after [`Self::finish`] succeeds.
pub struct ChunkedDecoder {
    chain: Option<Chain>,
    trailer_expected: bool,
    limits: ChunkedLimits,
    state: State,
    line: Vec<u8>,
    remaining: u64,
    hasher: Sha256,
    chunk_signature: Option<[u8; 64]>,
    chunk_index: u64,
    last_chunk: bool,
    trailers: Vec<Trailer>,
    trailer_signature: Option<String>,
    trailer_bytes: usize,
    /// An empty line right after the final chunk was taken as that chunk's CRLF.
    blank_after_last_chunk: bool,
    decoded_len: u64,
}

impl std::fmt::Debug for ChunkedDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkedDecoder")
            .field("signed", &self.chain.is_some())
            .field("state", &self.state)
            .field("decoded_len", &self.decoded_len)
            .finish_non_exhaustive()
    }
}

impl ChunkedDecoder {
    /// A decoder for the declared payload kind. Signed kinds need the
    /// verified request whose signature seeds the chain.
    ///
    /// # Errors
    /// [`ChunkedError::UnsupportedPayload`] for non-streaming kinds, SigV4a
    /// kinds, or a signed kind without `verified`.
    pub fn new(
        payload: &ContentSha256,
        verified: Option<&Verified>,
        limits: ChunkedLimits,
    ) -> Result<Self, ChunkedError> {
        let (signed, trailer) = match payload {
            ContentSha256::StreamingSigned => (true, false),
            ContentSha256::StreamingSignedTrailer => (true, true),
            ContentSha256::StreamingUnsignedTrailer => (false, true),
            _ => return Err(ChunkedError::UnsupportedPayload),
        };
        let chain = match (signed, verified) {
            (true, Some(v)) => Some(Chain {
                key: v.key.clone(),
                amz_date: v.claims.amz_date().to_owned(),
                scope: v.claims.scope.as_str().to_owned(),
                previous: v.claims.signature().to_owned(),
            }),
            (true, None) => return Err(ChunkedError::UnsupportedPayload),
            (false, _) => None,
        };
        Ok(Self {
            chain,
            trailer_expected: trailer,
            limits,
            state: State::SizeLine,
            line: Vec::new(),
            remaining: 0,
            hasher: Sha256::new(),
            chunk_signature: None,
            chunk_index: 0,
            last_chunk: false,
            trailers: Vec::new(),
            trailer_signature: None,
            trailer_bytes: 0,
            blank_after_last_chunk: false,
            decoded_len: 0,
        })
    }

    /// Total decoded bytes so far (compare with `x-amz-decoded-content-length`).
    #[must_use]
    pub fn decoded_len(&self) -> u64 {
        self.decoded_len
    }

    /// Whether the final chunk and trailers have been read.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Consumes `input`, appending decoded payload bytes to `out`.
    ///
    /// # Errors
    /// Any framing, limit or signature failure; the decoder then stays failed.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkedError> {
        let result = self.feed_inner(input, out);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    /// Ends the body and returns its trailers.
    ///
    /// # Errors
    /// [`ChunkedError::Incomplete`] if the body stopped early, or a trailer
    /// failure when the last trailer line arrived without the closing empty line.
    pub fn finish(mut self) -> Result<Vec<Trailer>, ChunkedError> {
        // Tolerate a body that ends without its closing empty line, after its
        // last trailer or after a blank line that followed the final chunk.
        let started = !self.trailers.is_empty()
            || self.trailer_signature.is_some()
            || self.blank_after_last_chunk;
        if self.state == State::Trailers && self.line.is_empty() && started {
            self.end_trailers()?;
        }
        match self.state {
            State::Done => Ok(self.trailers),
            _ => Err(ChunkedError::Incomplete),
        }
    }

    fn feed_inner(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkedError> {
        while let Some((&byte, rest)) = input.split_first() {
            match self.state {
                State::Failed => {
                    return Err(ChunkedError::Malformed {
                        reason: "decoder already failed",
                    });
                }
                State::Done => return Err(ChunkedError::TrailingData),
                State::Data => {
                    let take = usize::try_from(self.remaining)
                        .unwrap_or(usize::MAX)
                        .min(input.len());
                    let (data, rest) = input.split_at_checked(take).unwrap_or((input, &[]));
                    self.hasher.update(data);
                    out.extend_from_slice(data);
                    self.decoded_len = self.decoded_len.saturating_add(data.len() as u64);
                    self.remaining = self.remaining.saturating_sub(data.len() as u64);
                    if self.remaining == 0 {
                        self.end_chunk()?;
                        self.state = State::DataCr;
                    }
                    input = rest;
                }
                State::DataCr | State::DataLf => {
                    let want = if self.state == State::DataCr {
                        b'\r'
                    } else {
                        b'\n'
                    };
                    if byte != want {
                        return Err(ChunkedError::Malformed {
                            reason: "chunk data not followed by CRLF",
                        });
                    }
                    self.state = match self.state {
                        State::DataCr => State::DataLf,
                        _ if self.last_chunk => State::Done,
                        _ => State::SizeLine,
                    };
                    input = rest;
                }
                State::SizeLine | State::Trailers => {
                    input = rest;
                    if byte != b'\n' {
                        let limit = if self.state == State::SizeLine {
                            self.limits.max_line_len
                        } else {
                            self.limits.max_trailer_bytes
                        };
                        if self.line.len() >= limit {
                            return Err(if self.state == State::SizeLine {
                                ChunkedError::LineTooLong
                            } else {
                                ChunkedError::MalformedTrailer {
                                    reason: "trailer too large",
                                }
                            });
                        }
                        self.line.push(byte);
                        continue;
                    }
                    let Some(line) = self.line.strip_suffix(b"\r") else {
                        return Err(ChunkedError::Malformed {
                            reason: "line not terminated by CRLF",
                        });
                    };
                    let line = line.to_vec();
                    self.line.clear();
                    if self.state == State::SizeLine {
                        self.size_line(&line)?;
                    } else {
                        self.trailer_line(&line)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn size_line(&mut self, line: &[u8]) -> Result<(), ChunkedError> {
        let line = std::str::from_utf8(line).map_err(|_| ChunkedError::Malformed {
            reason: "non-ASCII size line",
        })?;
        let (size, extensions) = line.split_once(';').unwrap_or((line, ""));
        let size = size.trim();
        if size.is_empty() || size.len() > 16 {
            return Err(ChunkedError::Malformed {
                reason: "bad chunk size",
            });
        }
        let size = u64::from_str_radix(size, 16).map_err(|_| ChunkedError::Malformed {
            reason: "bad chunk size",
        })?;
        if size > self.limits.max_chunk_size {
            return Err(ChunkedError::ChunkTooLarge);
        }
        self.chunk_signature = None;
        if self.chain.is_some() {
            let signature = extensions
                .split(';')
                .find_map(|e| e.trim().strip_prefix("chunk-signature="))
                .ok_or(ChunkedError::Malformed {
                    reason: "missing chunk-signature",
                })?;
            let signature: [u8; 64] =
                signature
                    .as_bytes()
                    .try_into()
                    .map_err(|_| ChunkedError::Malformed {
                        reason: "bad chunk-signature",
                    })?;
            self.chunk_signature = Some(signature);
        }
        self.hasher = Sha256::new();
        self.remaining = size;
        if size == 0 {
            self.last_chunk = true;
            self.end_chunk()?;
            self.state = if self.trailer_expected {
                State::Trailers
            } else {
                State::DataCr
            };
        } else {
            self.state = State::Data;
        }
        Ok(())
    }

    /// Checks the signature of the chunk just read and advances the chain.
    fn end_chunk(&mut self) -> Result<(), ChunkedError> {
        let hasher = std::mem::replace(&mut self.hasher, Sha256::new());
        if let (Some(chain), Some(given)) = (self.chain.as_mut(), self.chunk_signature.take()) {
            let data_hash = hex::encode(hasher.finalize());
            let expected = chain.next("AWS4-HMAC-SHA256-PAYLOAD", &[EMPTY_SHA256, &data_hash]);
            if !same_bytes(&expected, &given) {
                return Err(ChunkedError::ChunkSignatureMismatch {
                    index: self.chunk_index,
                });
            }
            chain.previous = String::from_utf8_lossy(&given).into_owned();
        }
        self.chunk_index = self.chunk_index.saturating_add(1);
        Ok(())
    }

    fn trailer_line(&mut self, line: &[u8]) -> Result<(), ChunkedError> {
        self.trailer_bytes = self.trailer_bytes.saturating_add(line.len() + 2);
        if self.trailer_bytes > self.limits.max_trailer_bytes {
            return Err(ChunkedError::MalformedTrailer {
                reason: "trailer too large",
            });
        }
        if line.is_empty() {
            // Some clients close the final chunk with CRLF before the trailers.
            if self.trailers.is_empty()
                && self.trailer_signature.is_none()
                && !self.blank_after_last_chunk
            {
                self.blank_after_last_chunk = true;
                return Ok(());
            }
            return self.end_trailers();
        }
        let line = std::str::from_utf8(line).map_err(|_| ChunkedError::MalformedTrailer {
            reason: "non-UTF-8 trailer",
        })?;
        let (name, value) = line.split_once(':').ok_or(ChunkedError::MalformedTrailer {
            reason: "trailer without `:`",
        })?;
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ChunkedError::MalformedTrailer {
                reason: "bad trailer name",
            });
        }
        let value = value.trim().to_owned();
        if name == "x-amz-trailer-signature" {
            if self.trailer_signature.replace(value).is_some() {
                return Err(ChunkedError::MalformedTrailer {
                    reason: "repeated trailer signature",
                });
            }
        } else {
            self.trailers.push(Trailer { name, value });
        }
        Ok(())
    }

    fn end_trailers(&mut self) -> Result<(), ChunkedError> {
        match (self.chain.as_mut(), self.trailer_signature.as_deref()) {
            (Some(chain), Some(given)) => {
                let mut sorted: Vec<&Trailer> = self.trailers.iter().collect();
                sorted.sort_by(|a, b| a.name.cmp(&b.name));
                let hash = crate::canonical::sha256_hex(canonical_trailers(&sorted).as_bytes());
                let expected = chain.next("AWS4-HMAC-SHA256-TRAILER", &[&hash]);
                if !same_bytes(&expected, given.as_bytes()) {
                    return Err(ChunkedError::TrailerSignatureMismatch);
                }
            }
            (Some(_), None) => {
                return Err(ChunkedError::MalformedTrailer {
                    reason: "missing x-amz-trailer-signature",
                });
            }
            (None, Some(_)) => {
                return Err(ChunkedError::MalformedTrailer {
                    reason: "unexpected x-amz-trailer-signature",
                });
            }
            (None, None) => {}
        }
        self.state = State::Done;
        Ok(())
    }
}

/// Client side of aws-chunked signing: produces the chunk and trailer
/// signatures that [`ChunkedDecoder`] verifies.
pub struct ChunkSigner {
    chain: Chain,
}

impl std::fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkSigner")
            .field("previous", &self.chain.previous)
            .finish_non_exhaustive()
    }
}

impl ChunkSigner {
    /// Starts a chain from the request's seed signature.
    #[must_use]
    pub fn new(key: SigningKey, amz_date: &str, scope: &str, seed_signature: &str) -> Self {
        Self {
            chain: Chain {
                key,
                amz_date: amz_date.to_owned(),
                scope: scope.to_owned(),
                previous: seed_signature.to_owned(),
            },
        }
    }

    /// Signs the next chunk (an empty `data` for the final chunk).
    pub fn sign_chunk(&mut self, data: &[u8]) -> String {
        let hash = crate::canonical::sha256_hex(data);
        let sig = self
            .chain
            .next("AWS4-HMAC-SHA256-PAYLOAD", &[EMPTY_SHA256, &hash]);
        self.chain.previous = String::from_utf8_lossy(&sig).into_owned();
        self.chain.previous.clone()
    }

    /// Signs the trailer section (after the final chunk).
    #[must_use]
    pub fn sign_trailers(&self, trailers: &[Trailer]) -> String {
        let mut sorted: Vec<&Trailer> = trailers.iter().collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        let hash = crate::canonical::sha256_hex(canonical_trailers(&sorted).as_bytes());
        String::from_utf8_lossy(&self.chain.next("AWS4-HMAC-SHA256-TRAILER", &[&hash])).into_owned()
    }
}

fn canonical_trailers(sorted: &[&Trailer]) -> String {
    let mut canonical = String::new();
    for t in sorted {
        canonical.push_str(&t.name);
        canonical.push(':');
        canonical.push_str(&t.value);
        canonical.push('\n');
    }
    canonical
}
