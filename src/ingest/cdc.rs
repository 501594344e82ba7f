//! Change data capture: which version of each game the warehouse already holds.
//!
//! The state (game id → latest `updated`, and that version's `added`, which orders the
//! details backlog) is derived from the raw files themselves, reading only their `id`,
//! `updated` and `added` columns. So it advances exactly when a raw file is durably
//! written, and can never disagree with what landed: a crash before a file is written leaves
//! the state where it was, and a rerun refetches what was in flight.

use std::collections::HashMap;

use arrow::array::{Array, Int64Array, TimestampMicrosecondArray};
use chrono::{DateTime, NaiveDateTime};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::storage::Warehouse;
use crate::{Error, Result};

/// What the state holds of one game: its latest `updated` (micros since the epoch) and the
/// `added` count of that version (saturated to `u32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    updated: i64,
    added: u32,
}

/// Game id → the latest `updated` already landed (and that version's `added`).
///
/// `updated` is kept as micros since the epoch and `added` as `u32`: 24 bytes an entry (the
/// 8-byte id, and 16 for the value with its padding) plus the map's control byte, most of
/// what an ingest holds per game it has ever seen.
#[derive(Debug, Default, Clone)]
pub struct CdcState {
    latest: HashMap<i64, Held>,
}

impl CdcState {
    /// Reads the state from every raw games file under the warehouse.
    pub async fn load(wh: &Warehouse) -> Result<Self> {
        let mut state = Self::default();
        for path in wh.parquet_files(crate::raw::RAW_GAMES_PREFIX).await? {
            let bytes = wh.get(&path).await?;
            state.absorb_file(bytes, &path)?;
        }
        Ok(state)
    }

    fn absorb_file(&mut self, bytes: bytes::Bytes, path: &str) -> Result<()> {
        for_each_version(
            bytes,
            path,
            "updated",
            Some("added"),
            |id, updated, added| {
                self.observe_micros(id, updated, added.unwrap_or(0));
            },
        )
    }

    /// True when this version is new or later than what is held.
    pub fn is_newer(&self, id: i64, updated: NaiveDateTime) -> bool {
        let updated = updated.and_utc().timestamp_micros();
        self.latest
            .get(&id)
            .is_none_or(|held| updated > held.updated)
    }

    /// Records a version (keeping the latest) with its `added` count.
    pub fn observe(&mut self, id: i64, updated: NaiveDateTime, added: i64) {
        self.observe_micros(id, updated.and_utc().timestamp_micros(), added);
    }

    fn observe_micros(&mut self, id: i64, updated: i64, added: i64) {
        let held = Held {
            updated,
            added: u32::try_from(added.max(0)).unwrap_or(u32::MAX),
        };
        let slot = self.latest.entry(id).or_insert(held);
        if updated > slot.updated {
            *slot = held;
        }
    }

    /// Every game held: (id, latest `updated` in micros, `added`), in no order.
    pub(crate) fn games(&self) -> impl Iterator<Item = (i64, i64, u32)> + '_ {
        self.latest.iter().map(|(id, h)| (*id, h.updated, h.added))
    }

    /// The latest `updated` of any game held: the sync's watermark.
    pub fn newest_updated(&self) -> Option<NaiveDateTime> {
        let micros = self.latest.values().map(|h| h.updated).max()?;
        DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc())
    }

    /// How many games the warehouse holds.
    pub fn len(&self) -> usize {
        self.latest.len()
    }

    /// True when the warehouse holds no game yet.
    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }
}

/// Reads a raw file's `id` and version column `version` (microseconds), and `extra` (an
/// Int64 column, null where absent) when asked, and calls `each` for every row with an id
/// and a version. The one reader of versions for change data capture, list and detail
/// landings alike.
pub(crate) fn for_each_version(
    bytes: bytes::Bytes,
    path: &str,
    version: &str,
    extra: Option<&str>,
    mut each: impl FnMut(i64, i64, Option<i64>),
) -> Result<()> {
    let ctx = |e: parquet::errors::ParquetError| Error::corrupt(path, e);
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(ctx)?;
    let columns = ["id", version].into_iter().chain(extra);
    let mask = ProjectionMask::columns(builder.parquet_schema(), columns);
    for batch in builder.with_projection(mask).build().map_err(ctx)? {
        let batch = batch?;
        let ints = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
        };
        let versions = batch
            .column_by_name(version)
            .and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>());
        let extras = extra.map(ints);
        let (Some(ids), Some(versions), None | Some(Some(_))) = (ints("id"), versions, extras)
        else {
            return Err(Error::corrupt(
                path,
                format!("no id and {version} columns of the expected types"),
            ));
        };
        let extras = extras.flatten();
        for i in (0..batch.num_rows()).filter(|i| ids.is_valid(*i) && versions.is_valid(*i)) {
            let extra = extras.filter(|e| e.is_valid(i)).map(|e| e.value(i));
            each(ids.value(i), versions.value(i), extra);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").expect("timestamp")
    }

    #[test]
    fn only_new_or_later_versions_are_newer() {
        let mut s = CdcState::default();
        assert!(s.is_newer(1, ts("2020-01-01T00:00:00")));
        s.observe(1, ts("2020-01-01T00:00:00"), 7);
        assert!(!s.is_newer(1, ts("2020-01-01T00:00:00")));
        assert!(!s.is_newer(1, ts("2019-01-01T00:00:00")));
        assert!(s.is_newer(1, ts("2020-01-01T00:00:01")));
        s.observe(1, ts("2019-01-01T00:00:00"), 3);
        assert!(
            !s.is_newer(1, ts("2020-01-01T00:00:00")),
            "observe kept an older version"
        );
        assert_eq!(
            s.games().collect::<Vec<_>>()[0].2,
            7,
            "added of an older version"
        );
        s.observe(2, ts("2021-05-01T10:00:00"), -1);
        assert_eq!(s.newest_updated(), Some(ts("2021-05-01T10:00:00")));
    }
}
