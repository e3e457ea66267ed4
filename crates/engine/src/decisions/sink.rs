//! Where decision records go: JSON-lines files rotated by size, or a bounded memory buffer.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

/// Where the decision log lives.
#[derive(Debug, Clone)]
pub enum LogLocation {
    /// `decisions.jsonl` in `dir`, rotated to `decisions.1.jsonl` ... when it reaches
    /// `max_bytes`, keeping `keep` rotated files.
    Files {
        /// The directory (the server's data dir).
        dir: PathBuf,
        /// Size at which the current file is rotated.
        max_bytes: u64,
        /// How many rotated files are kept.
        keep: usize,
    },
    /// In memory, dropping the oldest records beyond `max_bytes`.
    Memory {
        /// Bytes of JSON kept.
        max_bytes: usize,
    },
}

impl LogLocation {
    /// Files in `dir` with the default sizes: 64 MiB per file, four rotated files.
    pub fn files(dir: impl Into<PathBuf>) -> Self {
        LogLocation::Files {
            dir: dir.into(),
            max_bytes: 64 << 20,
            keep: 4,
        }
    }

    /// Memory with the default size, 16 MiB (about ten thousand decisions).
    pub fn memory() -> Self {
        LogLocation::Memory {
            max_bytes: 16 << 20,
        }
    }
}

pub(super) enum Sink {
    Files {
        dir: PathBuf,
        max_bytes: u64,
        keep: usize,
        file: File,
        size: u64,
    },
    Memory {
        max_bytes: usize,
        lines: VecDeque<String>,
        size: usize,
    },
}

const CURRENT: &str = "decisions.jsonl";

fn rotated(dir: &std::path::Path, n: usize) -> PathBuf {
    dir.join(format!("decisions.{n}.jsonl"))
}

fn open_current(dir: &std::path::Path) -> std::io::Result<(File, u64)> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(CURRENT))?;
    let size = file.metadata()?.len();
    Ok((file, size))
}

/// Shifts `decisions.N.jsonl` up by one (dropping the oldest beyond `keep`) and moves the
/// current file to `decisions.1.jsonl`.
fn rotate(dir: &std::path::Path, keep: usize) -> std::io::Result<()> {
    for n in (1..keep).rev() {
        let from = rotated(dir, n);
        if from.exists() {
            std::fs::rename(&from, rotated(dir, n + 1))?;
        }
    }
    if keep > 0 {
        std::fs::rename(dir.join(CURRENT), rotated(dir, 1))
    } else {
        std::fs::remove_file(dir.join(CURRENT))
    }
}

impl Sink {
    pub(super) fn open(location: LogLocation) -> std::io::Result<Self> {
        Ok(match location {
            LogLocation::Files {
                dir,
                max_bytes,
                keep,
            } => {
                std::fs::create_dir_all(&dir)?;
                let (file, size) = open_current(&dir)?;
                Sink::Files {
                    dir,
                    max_bytes,
                    keep,
                    file,
                    size,
                }
            }
            LogLocation::Memory { max_bytes } => Sink::Memory {
                max_bytes,
                lines: VecDeque::new(),
                size: 0,
            },
        })
    }

    /// Appends whole lines; a file is rotated before a line that would take it past its size.
    pub(super) fn append(&mut self, lines: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Files {
                dir,
                max_bytes,
                keep,
                file,
                size,
            } => {
                let mut rest = lines;
                while !rest.is_empty() {
                    let room =
                        usize::try_from(max_bytes.saturating_sub(*size)).unwrap_or(usize::MAX);
                    // The longest run of whole lines that fits, found from its end (a batch
                    // that fits whole ends in a newline: found at once); a line longer than
                    // a whole file goes alone into an empty one.
                    let fits = rest.get(..room).unwrap_or(rest);
                    let newline = |b: &u8| *b == b'\n';
                    let cut = match fits.iter().rposition(newline) {
                        Some(i) => i + 1,
                        None if *size == 0 => {
                            rest.iter().position(newline).map_or(rest.len(), |i| i + 1)
                        }
                        None => 0,
                    };
                    if cut == 0 {
                        rotate(dir, *keep)?;
                        (*file, *size) = open_current(dir)?;
                        continue;
                    }
                    let (now, later) = rest.split_at(cut);
                    file.write_all(now)?;
                    *size += now.len() as u64;
                    rest = later;
                }
                Ok(())
            }
            Sink::Memory {
                max_bytes,
                lines: kept,
                size,
            } => {
                // Lines are rendered as UTF-8; `from_utf8` checks that much faster than the
                // lossy decoder, which stays for the case that cannot happen.
                let text = std::str::from_utf8(lines).map_or_else(
                    |_| String::from_utf8_lossy(lines),
                    std::borrow::Cow::Borrowed,
                );
                for line in text.lines() {
                    *size += line.len();
                    kept.push_back(line.to_owned());
                }
                while *size > *max_bytes {
                    match kept.pop_front() {
                        Some(old) => *size -= old.len(),
                        None => break,
                    }
                }
                Ok(())
            }
        }
    }

    /// Calls `each` with every line, oldest first.
    pub(super) fn scan(&self, each: &mut dyn FnMut(&str)) -> std::io::Result<()> {
        match self {
            Sink::Files { dir, keep, .. } => {
                let mut paths: Vec<PathBuf> = (1..=*keep).rev().map(|n| rotated(dir, n)).collect();
                paths.push(dir.join(CURRENT));
                for path in paths {
                    let file = match File::open(&path) {
                        Ok(f) => f,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(e),
                    };
                    for line in BufReader::new(file).lines() {
                        each(&line?);
                    }
                }
                Ok(())
            }
            Sink::Memory { lines, .. } => {
                lines.iter().for_each(|l| each(l));
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn files(dir: &std::path::Path) -> Vec<String> {
        let mut out = Vec::new();
        for n in (1..=8).rev() {
            if let Ok(text) = std::fs::read_to_string(rotated(dir, n)) {
                out.push(text);
            }
        }
        out.push(std::fs::read_to_string(dir.join(CURRENT)).unwrap());
        out
    }

    #[test]
    fn files_hold_whole_lines_up_to_their_size() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = Sink::open(LogLocation::Files {
            dir: dir.path().to_path_buf(),
            max_bytes: 10,
            keep: 8,
        })
        .unwrap();
        // A batch that fits whole; then one that fills the file to the byte and spills a
        // line over; then a line longer than a file, alone in a file of its own.
        sink.append(b"aaa\n").unwrap();
        sink.append(b"bbbbb\ncc\n").unwrap();
        sink.append(b"0123456789abc\nd\n").unwrap();
        // No newline at the end: kept whole all the same.
        sink.append(b"eeeeeeeeeeeeeee").unwrap();
        assert_eq!(
            files(dir.path()),
            [
                "aaa\nbbbbb\n",
                "cc\n",
                "0123456789abc\n",
                "d\n",
                "eeeeeeeeeeeeeee"
            ]
        );
    }
}
