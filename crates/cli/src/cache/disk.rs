//! Reading and writing cache entries in `~/.aws/cli/cache`: mode 0600, written to a
//! temporary file in the same folder, synced, then renamed over the entry (as botocore's
//! `JSONFileCache` does).
#![allow(clippy::disallowed_methods, reason = "the cache's own file I/O")]

use super::Entry;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The aws CLI's cache folder under a home folder.
pub fn dir(home: &Path) -> PathBuf {
    home.join(".aws").join("cli").join("cache")
}

/// The entry under `key`, if there is a readable, well-formed one.
pub fn read(dir: &Path, key: &str) -> Option<Entry> {
    let text = std::fs::read_to_string(dir.join(format!("{key}.json"))).ok()?;
    Entry::from_json(&text)
}

/// Writes the entry under `key` (creating the folder).
pub fn write(dir: &Path, key: &str, entry: &Entry) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let target = dir.join(format!("{key}.json"));
    let tmp = dir.join(format!(".{key}.{}.tmp", std::process::id()));
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp)?;
        f.write_all(entry.to_json().as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &target).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
