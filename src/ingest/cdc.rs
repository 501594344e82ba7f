//! Change data capture: which version of each game the warehouse already holds.
//!
//! The state (game id → latest `updated`) is derived from the raw files themselves, reading
//! only their `id` and `updated` columns. So it advances exactly when a raw file is durably
//! written, and can never disagree with what landed: a crash before a file is written leaves
//! the state where it was, and a rerun refetches what was in flight.

use std::collections::HashMap;

use arrow::array::{Array, Int64Array, TimestampMicrosecondArray};
use chrono::NaiveDateTime;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::storage::Warehouse;
use crate::{Error, Result};

/// Game id → the latest `updated` already landed.
///
/// `updated` is kept as micros since the epoch: 16 bytes an entry instead of 24, which is
/// most of what an ingest holds per game it has ever seen.
#[derive(Debug, Default, Clone)]
pub struct CdcState {
    latest: HashMap<i64, i64>,
}

impl CdcState {
    /// Reads the state from every raw games file under the warehouse.
    pub async fn load(wh: &Warehouse) -> Result<Self> {
        let mut state = Self::default();
        for path in wh.raw_game_files().await? {
            let bytes = wh.get(&path).await?;
            state.absorb_file(bytes, &path)?;
        }
        Ok(state)
    }

    fn absorb_file(&mut self, bytes: bytes::Bytes, path: &str) -> Result<()> {
        let ctx = |e: parquet::errors::ParquetError| Error::corrupt(path, e);
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(ctx)?;
        let mask = ProjectionMask::columns(builder.parquet_schema(), ["id", "updated"]);
        for batch in builder.with_projection(mask).build().map_err(ctx)? {
            let batch = batch?;
            let ids = batch
                .column_by_name("id")
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>());
            let updated = batch
                .column_by_name("updated")
                .and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>());
            let (Some(ids), Some(updated)) = (ids, updated) else {
                return Err(Error::corrupt(
                    path,
                    "no id and updated columns of the expected types",
                ));
            };
            for i in 0..batch.num_rows() {
                if ids.is_null(i) || updated.is_null(i) {
                    continue;
                }
                self.observe_micros(ids.value(i), updated.value(i));
            }
        }
        Ok(())
    }

    /// True when this version is new or later than what is held.
    pub fn is_newer(&self, id: i64, updated: NaiveDateTime) -> bool {
        let updated = updated.and_utc().timestamp_micros();
        self.latest.get(&id).is_none_or(|held| updated > *held)
    }

    /// Records a version (keeping the latest).
    pub fn observe(&mut self, id: i64, updated: NaiveDateTime) {
        self.observe_micros(id, updated.and_utc().timestamp_micros());
    }

    fn observe_micros(&mut self, id: i64, updated: i64) {
        let slot = self.latest.entry(id).or_insert(updated);
        if updated > *slot {
            *slot = updated;
        }
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
        s.observe(1, ts("2020-01-01T00:00:00"));
        assert!(!s.is_newer(1, ts("2020-01-01T00:00:00")));
        assert!(!s.is_newer(1, ts("2019-01-01T00:00:00")));
        assert!(s.is_newer(1, ts("2020-01-01T00:00:01")));
        s.observe(1, ts("2019-01-01T00:00:00"));
        assert!(
            !s.is_newer(1, ts("2020-01-01T00:00:00")),
            "observe kept an older version"
        );
    }
}
