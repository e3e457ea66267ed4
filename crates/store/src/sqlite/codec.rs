//! How record fields become SQLite values and back, and what SQLite errors mean.

use crate::error::{StoreError, WriteError};
use crate::model::Tag;
use roleplay_types::{AccountId, Arn};
use rusqlite::types::Type;
use rusqlite::{Row, ffi};
use time::OffsetDateTime;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::FromSqlConversionFailure(column, _, source) => {
                Self::Corrupt(format!("column {column}: {source}"))
            }
            rusqlite::Error::InvalidColumnType(_, name, found) => {
                Self::Corrupt(format!("column `{name}` holds {found}"))
            }
            rusqlite::Error::IntegralValueOutOfRange(column, value) => {
                Self::Corrupt(format!("column {column}: {value} is out of range"))
            }
            other => Self::Backend(Box::new(other)),
        }
    }
}

impl From<rusqlite::Error> for WriteError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

/// A constraint a statement broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Violation {
    /// A primary key or unique index.
    Unique,
    /// A foreign key.
    ForeignKey,
}

pub(super) fn violation(e: &rusqlite::Error) -> Option<Violation> {
    match e {
        rusqlite::Error::SqliteFailure(err, _) => match err.extended_code {
            ffi::SQLITE_CONSTRAINT_PRIMARYKEY | ffi::SQLITE_CONSTRAINT_UNIQUE => {
                Some(Violation::Unique)
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Some(Violation::ForeignKey),
            _ => None,
        },
        _ => None,
    }
}

/// Maps a failed statement: a broken unique key and a broken reference become the given
/// errors, anything else is a storage failure.
pub(super) fn constraint(
    e: rusqlite::Error,
    on_unique: impl FnOnce() -> WriteError,
    on_reference: impl FnOnce() -> WriteError,
) -> WriteError {
    match violation(&e) {
        Some(Violation::Unique) => on_unique(),
        Some(Violation::ForeignKey) => on_reference(),
        None => e.into(),
    }
}

pub(super) fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub(super) fn conversion(
    column: usize,
    e: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, Type::Text, Box::new(e))
}

pub(super) fn time_at(row: &Row<'_>, column: usize) -> rusqlite::Result<OffsetDateTime> {
    let ms: i64 = row.get(column)?;
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| conversion(column, e))
}

pub(super) fn opt_time_at(
    row: &Row<'_>,
    column: usize,
) -> rusqlite::Result<Option<OffsetDateTime>> {
    match row.get::<_, Option<i64>>(column)? {
        None => Ok(None),
        Some(_) => time_at(row, column).map(Some),
    }
}

pub(super) fn arn_at(row: &Row<'_>, column: usize) -> rusqlite::Result<Arn> {
    row.get_ref(column)?
        .as_str()?
        .parse()
        .map_err(|e| conversion(column, e))
}

pub(super) fn opt_arn_at(row: &Row<'_>, column: usize) -> rusqlite::Result<Option<Arn>> {
    match row.get_ref(column)?.as_str_or_null()? {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|e| conversion(column, e)),
    }
}

pub(super) fn account_at(row: &Row<'_>, column: usize) -> rusqlite::Result<AccountId> {
    row.get_ref(column)?
        .as_str()?
        .parse()
        .map_err(|e| conversion(column, e))
}

pub(super) fn u32_at(row: &Row<'_>, column: usize) -> rusqlite::Result<u32> {
    let n: i64 = row.get(column)?;
    u32::try_from(n).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(column, n))
}

/// Tags as a JSON array of `[key, value]` pairs.
pub(super) fn tags_json(tags: &[Tag]) -> Result<String, StoreError> {
    let pairs: Vec<[&str; 2]> = tags
        .iter()
        .map(|t| [t.key.as_str(), t.value.as_str()])
        .collect();
    serde_json::to_string(&pairs).map_err(|e| StoreError::Backend(Box::new(e)))
}

pub(super) fn tags_at(row: &Row<'_>, column: usize) -> rusqlite::Result<Vec<Tag>> {
    let text = row.get_ref(column)?.as_str()?;
    let pairs: Vec<(String, String)> =
        serde_json::from_str(text).map_err(|e| conversion(column, e))?;
    Ok(pairs
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect())
}

/// A list of texts as a JSON array.
pub(super) fn list_json(items: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(items).map_err(|e| StoreError::Backend(Box::new(e)))
}

pub(super) fn list_at(row: &Row<'_>, column: usize) -> rusqlite::Result<Vec<String>> {
    serde_json::from_str(row.get_ref(column)?.as_str()?).map_err(|e| conversion(column, e))
}

/// A page size as an SQL `LIMIT`, one more than asked to learn whether more follow.
pub(super) fn limit(max_items: usize) -> i64 {
    i64::try_from(max_items.saturating_add(1)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_milliseconds() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        let ms = millis(t);
        assert_eq!(ms, 1_700_000_000_123);
        let back = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap();
        assert_eq!(back.millisecond(), 123);
        assert_eq!(back.nanosecond(), 123_000_000);
    }
}
