//! Change data capture: which version of each game the warehouse already holds.
//!
//! The state (game id → latest `updated`, and that version's `added`, which orders the
//! details backlog) is derived from the raw files themselves, reading only their `id`,
//! `updated` and `added` columns. So it advances exactly when a raw file is durably
//! written, and can never disagree with what landed: a crash before a file is written leaves
//! the state where it was, and a rerun refetches what was in flight.
//!
//! **The index.** A year of daily runs lands hundreds of raw files, and every run needs the
//! state: the ingest, and the ETL's row-count check (in a `gamelake run` the ingest hands
//! its count over, [`GamesLanded`]; only an ETL run alone reads the state again). So the
//! state of a set of raw files is kept in `state/cdc-index.parquet` (id, updated, added),
//! which records in its footer the raw files it covers (a [`Covered`] span); a load reads
//! the index and only the raw files it does not cover. Its rows are sorted by id, so a load
//! keeps them as read and builds no map of every game ([`CdcState`]). It is derived data,
//! written whole in one put: an index that covers a raw file no longer there, among whose
//! files another landed after it was written, or that cannot be read, is ignored (with a
//! warning) and the raw files are read, so it can never make the state disagree with the
//! landing. An ingest that landed its files writes a fresh one when [`INDEX_AFTER`] raw
//! files or more are then outside it ([`CdcState::index_after_landing`]), so a first run's
//! files are indexed by that run.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, RecordBatch, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use chrono::{DateTime, NaiveDateTime};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Encoding;
use parquet::file::metadata::{KeyValue, ParquetMetaDataReader};
use parquet::file::properties::WriterProperties;

use crate::raw::Covered;
use crate::storage::Warehouse;
use crate::{Error, Result};

/// What the state holds of one game: its latest `updated` (micros since the epoch) and the
/// `added` count of that version (saturated to `u32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    updated: i64,
    added: u32,
}

impl Held {
    fn new(updated: i64, added: i64) -> Self {
        Self {
            updated,
            added: u32::try_from(added.max(0)).unwrap_or(u32::MAX),
        }
    }
}

/// The raw files a state was loaded from, and how many of them its index did not cover.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    files: Vec<String>,
    outside: usize,
}

/// The raw games files of the landing as an ingest left it, and how many distinct games
/// they hold: its state's count ([`CdcState::landed`]). The ETL of the same `gamelake run`
/// checks the fact's rows against that count; taking it from here spares it a second read
/// of the index and of every raw file outside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GamesLanded {
    /// Every raw games file, sorted.
    files: Vec<String>,
    /// The distinct games they hold.
    games: u64,
}

impl GamesLanded {
    /// The count, when `files` (a listing of the landing) are exactly the files counted;
    /// `None` when the landing changed since, and the count must be read again.
    pub fn games_in(&self, files: &[String]) -> Option<u64> {
        let mut listed = files.to_vec();
        listed.sort_unstable();
        (listed == self.files).then_some(self.games)
    }
}

/// Game id → the latest `updated` already landed (and that version's `added`).
///
/// Every run loads the whole state at the start of its ingest, a warehouse's games, almost
/// all from the index. So the index's rows are taken as read, sorted by id, and looked up by
/// binary search ([`Indexed`]): no map of every game is built. Only the games outside the
/// index (the few raw files since it was written, and what the run lands) go in a map,
/// `newer`, which holds a game only at a version later than the index's.
///
/// `newer` is hashed with `foldhash` rather than std's SipHash: the ids are RAWG's, not an
/// adversary's, so SipHash's resistance to chosen keys buys nothing.
#[derive(Debug, Default, Clone)]
pub struct CdcState {
    /// The index's games.
    indexed: Indexed,
    /// Games the index does not hold, or holds at an earlier version.
    newer: foldhash::HashMap<i64, Held>,
    /// How many of `newer`'s games `indexed` holds too (at an earlier version).
    in_both: usize,
}

/// Games sorted by id, one row each: the index as read.
#[derive(Debug, Default, Clone)]
struct Indexed(Vec<(i64, Held)>);

impl Indexed {
    /// From rows in any order: sorted by id (an index an earlier release wrote is in no
    /// order), and an id held twice keeps its latest version.
    fn from_rows(mut rows: Vec<(i64, Held)>) -> Self {
        if !rows.windows(2).all(|w| w[0].0 < w[1].0) {
            rows.sort_unstable_by_key(|(id, held)| (*id, std::cmp::Reverse(held.updated)));
            rows.dedup_by_key(|(id, _)| *id);
        }
        Self(rows)
    }

    fn get(&self, id: i64) -> Option<Held> {
        let at = self.0.binary_search_by_key(&id, |(id, _)| *id).ok()?;
        Some(self.0[at].1)
    }
}

impl CdcState {
    /// Reads the state of every raw games file under the warehouse: the index, and the raw
    /// files it does not cover.
    pub async fn load(wh: &Warehouse) -> Result<Self> {
        Ok(Self::load_counting(wh).await?.0)
    }

    /// [`Self::load`], and what it was loaded from. For writers (the ingest), which call
    /// [`Self::index_after_landing`] once their raw files have landed; read-only commands only
    /// load.
    pub async fn load_for_ingest(wh: &Warehouse) -> Result<(Self, Loaded)> {
        let (state, files, outside) = Self::load_counting(wh).await?;
        Ok((state, Loaded { files, outside }))
    }

    /// The landing after an ingest landed the raw files `landed` on top of the state it
    /// loaded (`loaded`), `self` holding every game it landed: its files and their games.
    pub fn landed(&self, loaded: &Loaded, landed: &[String]) -> GamesLanded {
        let mut files: Vec<String> = loaded.files.iter().chain(landed).cloned().collect();
        files.sort_unstable();
        files.dedup();
        GamesLanded {
            files,
            games: self.len() as u64,
        }
    }

    /// After an ingest landed the raw files `landed` on top of the state it loaded
    /// (`loaded`), `self` holding every game it landed: writes a fresh index of the state when
    /// [`INDEX_AFTER`] raw files or more are now outside the index. So a first run indexes
    /// its files at once, and the next run's load reads the index, not every file of day 1.
    pub async fn index_after_landing(
        &self,
        wh: &Warehouse,
        loaded: Loaded,
        landed: &[String],
    ) -> Result<()> {
        if loaded.outside + landed.len() < INDEX_AFTER {
            return Ok(());
        }
        let mut files = loaded.files;
        files.extend(landed.iter().cloned());
        self.write_index(wh, &files).await
    }

    /// The state, every raw file, and how many of them the index did not cover.
    async fn load_counting(wh: &Warehouse) -> Result<(Self, Vec<String>, usize)> {
        let files = wh.parquet_files(crate::raw::RAW_GAMES_PREFIX).await?;
        let mut state = Self::default();
        let covered = state.absorb_index(wh, &files).await?;
        let outside: Vec<&String> = files.iter().filter(|f| !covered.contains(*f)).collect();
        for path in &outside {
            let bytes = wh.get(path).await?;
            state.absorb_file(bytes, path)?;
        }
        let outside = outside.len();
        Ok((state, files, outside))
    }

    /// How many distinct games the landing holds: [`Self::load`]'s `len()`, without building
    /// the state. The index holds one row per game, so this reads only its ids and the raw
    /// files outside it: the index's rows, plus the ids outside it that it does not hold.
    /// Without a usable index, the distinct ids of every raw file.
    pub async fn count_games(wh: &Warehouse) -> Result<u64> {
        let files = wh.parquet_files(crate::raw::RAW_GAMES_PREFIX).await?;
        Self::count_games_of(wh, &files).await
    }

    /// [`Self::count_games`] of the landing as the caller listed it (`files`, every raw
    /// games file): the ETL has listed it to plan, and a listing walks every day's folder.
    pub async fn count_games_of(wh: &Warehouse, files: &[String]) -> Result<u64> {
        let (index, covers) = match usable_index(wh, files).await? {
            Some(index) => (Some(index.bytes), index.covers),
            None => (None, BTreeSet::new()),
        };
        let outside: Vec<&String> = files.iter().filter(|f| !covers.contains(*f)).collect();
        let mut ids = ids_of(wh, outside).await?;
        let Some(index) = index else {
            return Ok(ids.len() as u64);
        };
        let (mut held, mut also_outside) = (0u64, 0u64);
        let counted = for_each_version(index, INDEX, "updated", None, |id, _, _| {
            held += 1;
            also_outside += u64::from(ids.contains(&id));
        });
        match counted {
            Ok(()) => Ok(held + ids.len() as u64 - also_outside),
            Err(e) => {
                tracing::warn!("{INDEX} is unreadable ({e}); reading the raw files instead");
                ids.extend(ids_of(wh, covers.iter()).await?);
                Ok(ids.len() as u64)
            }
        }
    }

    /// Takes in the index when it is usable for `files` (the landing now); returns the raw
    /// files it covers (none when there is no usable index).
    async fn absorb_index(&mut self, wh: &Warehouse, files: &[String]) -> Result<BTreeSet<String>> {
        let Some(index) = usable_index(wh, files).await? else {
            return Ok(BTreeSet::new());
        };
        let mut rows = Vec::with_capacity(index.rows);
        let read = for_each_version(
            index.bytes,
            INDEX,
            "updated",
            Some("added"),
            |id, updated, added| rows.push((id, Held::new(updated, added.unwrap_or(0)))),
        );
        if let Err(e) = read {
            tracing::warn!("{INDEX} is unreadable ({e}); reading the raw files instead");
            return Ok(BTreeSet::new());
        }
        *self = Self {
            indexed: Indexed::from_rows(rows),
            ..Self::default()
        };
        Ok(index.covers)
    }

    /// Writes the state as the index of `files` (every raw file it was read from).
    async fn write_index(&self, wh: &Warehouse, files: &[String]) -> Result<()> {
        let covers = Covered::span_of(files).to_json()?;
        let (mut ids, mut updated, mut added) = (Vec::new(), Vec::new(), Vec::new());
        for (id, held) in self.sorted() {
            ids.push(id);
            updated.push(held.updated);
            added.push(i64::from(held.added));
        }
        let batch = versions_batch(ids, updated, added)?;
        // Only gamelake reads the index, so its encoding is chosen for it alone: every column
        // DELTA_BINARY_PACKED, without a dictionary. The ids are unique and sorted (a small
        // delta each), the versions nearly unique: a dictionary would hash every value, then
        // be dropped for PLAIN once it outgrew its page (docs/benchmarks.md).
        let props = WriterProperties::builder()
            .set_key_value_metadata(Some(vec![KeyValue::new(COVERS.to_string(), covers)]))
            .set_dictionary_enabled(false)
            .set_encoding(Encoding::DELTA_BINARY_PACKED)
            .build();
        let mut out = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props))?;
        writer.write(&batch)?;
        writer.close()?;
        wh.put(INDEX, bytes::Bytes::from(out)).await?;
        tracing::debug!(
            games = self.len(),
            files = files.len(),
            "change data capture index written"
        );
        Ok(())
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
        self.get(id).is_none_or(|held| updated > held.updated)
    }

    /// Records a version (keeping the latest) with its `added` count.
    pub fn observe(&mut self, id: i64, updated: NaiveDateTime, added: i64) {
        self.observe_micros(id, updated.and_utc().timestamp_micros(), added);
    }

    fn observe_micros(&mut self, id: i64, updated: i64, added: i64) {
        let held = Held::new(updated, added);
        match self.newer.entry(id) {
            std::collections::hash_map::Entry::Occupied(mut slot) => {
                if updated > slot.get().updated {
                    slot.insert(held);
                }
            }
            std::collections::hash_map::Entry::Vacant(slot) => match self.indexed.get(id) {
                Some(old) if updated <= old.updated => {}
                Some(_) => {
                    slot.insert(held);
                    self.in_both += 1;
                }
                None => {
                    slot.insert(held);
                }
            },
        }
    }

    /// What is held of game `id`.
    fn get(&self, id: i64) -> Option<Held> {
        match self.newer.get(&id) {
            Some(held) => Some(*held),
            None => self.indexed.get(id),
        }
    }

    /// Every game held: (id, latest `updated` in micros, `added`), in no order.
    pub(crate) fn games(&self) -> impl Iterator<Item = (i64, i64, u32)> + '_ {
        let indexed = self.indexed.0.iter().copied();
        indexed
            .filter(|(id, _)| self.in_both == 0 || !self.newer.contains_key(id))
            .chain(self.newer.iter().map(|(id, held)| (*id, *held)))
            .map(|(id, h)| (id, h.updated, h.added))
    }

    /// Every game held, sorted by id: the index's rows and `newer` merged, `newer` winning.
    fn sorted(&self) -> Vec<(i64, Held)> {
        let mut newer: Vec<(i64, Held)> = self.newer.iter().map(|(id, h)| (*id, *h)).collect();
        newer.sort_unstable_by_key(|(id, _)| *id);
        let mut out = Vec::with_capacity(self.len());
        let mut old = self.indexed.0.iter().copied().peekable();
        for (id, held) in newer {
            while let Some(row) = old.next_if(|(o, _)| *o < id) {
                out.push(row);
            }
            old.next_if(|(o, _)| *o == id);
            out.push((id, held));
        }
        out.extend(old);
        out
    }

    /// The latest `updated` of any game held: the sync's watermark.
    pub fn newest_updated(&self) -> Option<NaiveDateTime> {
        let indexed = self.indexed.0.iter().map(|(_, h)| h.updated);
        let micros = indexed
            .chain(self.newer.values().map(|h| h.updated))
            .max()?;
        DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc())
    }

    /// How many games the warehouse holds.
    pub fn len(&self) -> usize {
        self.indexed.0.len() + self.newer.len() - self.in_both
    }

    /// True when the warehouse holds no game yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where the index of the state lives.
pub const INDEX: &str = "state/cdc-index.parquet";
/// The index's footer key naming the raw files it covers (a [`Covered`] record, as JSON).
const COVERS: &str = "gamelake.covers";
/// The ingest writes a fresh index when this many raw files or more are outside it.
pub const INDEX_AFTER: usize = 8;

/// Ids, `updated` (micros) and `added` as one batch: the index's layout, and the columns of a
/// raw file the state reads.
fn versions_batch(ids: Vec<i64>, updated: Vec<i64>, added: Vec<i64>) -> Result<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new(
            "updated",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("added", DataType::Int64, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(TimestampMicrosecondArray::from(updated)),
        Arc::new(Int64Array::from(added)),
    ];
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// The distinct game ids of these raw files (rows with an `updated`, as the state counts);
/// hashed as the state is (every id of the index is looked up in it).
async fn ids_of<'a>(
    wh: &Warehouse,
    paths: impl IntoIterator<Item = &'a String>,
) -> Result<foldhash::HashSet<i64>> {
    let mut ids = foldhash::HashSet::default();
    for path in paths {
        let bytes = wh.get(path).await?;
        for_each_version(bytes, path, "updated", None, |id, _, _| {
            ids.insert(id);
        })?;
    }
    Ok(ids)
}

/// The index as read, before its rows are.
struct Index {
    bytes: bytes::Bytes,
    /// The raw files it covers.
    covers: BTreeSet<String>,
    /// Its rows (one a game), from its footer.
    rows: usize,
}

/// The index, when it can stand for the raw files it covers: its footer reads and `files`
/// (the landing now) still holds exactly the files it covers. Otherwise `None`, with a warning when an
/// index is there.
async fn usable_index(wh: &Warehouse, files: &[String]) -> Result<Option<Index>> {
    let Some(bytes) = wh.get_opt(INDEX).await? else {
        return Ok(None);
    };
    let (record, rows) = match index_footer(&bytes) {
        Ok(footer) => footer,
        Err(e) => {
            tracing::warn!("{INDEX} is unreadable ({e}); reading the raw files instead");
            return Ok(None);
        }
    };
    let Some(covers) = record.covered(files) else {
        tracing::warn!(
            "{INDEX} covers raw files that are no longer all there, or a raw file landed among \
             them after it was written; reading the raw files instead"
        );
        return Ok(None);
    };
    Ok(Some(Index {
        bytes,
        covers: covers.into_iter().map(String::from).collect(),
        rows,
    }))
}

/// The record of the raw files an index covers and its rows, from its footer.
fn index_footer(bytes: &bytes::Bytes) -> Result<(Covered, usize)> {
    let metadata = ParquetMetaDataReader::new()
        .parse_and_finish(bytes)
        .map_err(|e| Error::corrupt(INDEX, e))?;
    // Only a capacity hint: a count no footer should hold reserves nothing.
    let rows = usize::try_from(metadata.file_metadata().num_rows()).unwrap_or(0);
    let json = metadata
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|e| e.key == COVERS))
        .and_then(|e| e.value.clone())
        .ok_or_else(|| Error::corrupt(INDEX, format!("no {COVERS} in its footer")))?;
    let covers = Covered::from_json(&json).map_err(|e| Error::corrupt(INDEX, e))?;
    Ok((covers, rows))
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

    /// The index's rows in any order (an earlier release wrote them from a map) are sorted,
    /// a game held twice keeps its latest version; what the run observes on top is held
    /// apart, and counted, listed and written back as one state.
    #[test]
    fn indexed_games_and_newer_ones_answer_as_one_state() {
        let held = |updated: i64, added: i64| Held::new(updated, added);
        let mut s = CdcState {
            indexed: Indexed::from_rows(vec![
                (5, held(50, 1)),
                (1, held(10, 1)),
                (3, held(30, 1)),
                (3, held(35, 2)),
            ]),
            ..CdcState::default()
        };
        assert_eq!(
            s.indexed.0,
            vec![(1, held(10, 1)), (3, held(35, 2)), (5, held(50, 1))]
        );
        let at = |micros: i64| {
            DateTime::from_timestamp_micros(micros)
                .expect("time")
                .naive_utc()
        };
        assert!(!s.is_newer(3, at(35)) && s.is_newer(3, at(36)) && s.is_newer(2, at(0)));
        s.observe(3, at(20), 9); // older than the index's: ignored
        s.observe(3, at(40), 4);
        s.observe(2, at(60), 7);
        s.observe(2, at(55), 8); // older than what the run saw: ignored
        assert_eq!((s.len(), s.in_both), (4, 1));
        assert!(!s.is_newer(3, at(40)) && s.is_newer(3, at(41)));
        let want = vec![(1, 10, 1), (2, 60, 7), (3, 40, 4), (5, 50, 1)];
        assert_eq!(sorted(&s), want);
        let merged: Vec<(i64, i64, u32)> = s
            .sorted()
            .into_iter()
            .map(|(id, h)| (id, h.updated, h.added))
            .collect();
        assert_eq!(
            merged, want,
            "written back sorted by id, the newer versions winning"
        );
        assert_eq!(s.newest_updated(), Some(at(60)));
    }

    /// A raw file holding only what the state reads: ids, `updated` (seconds), `added`.
    fn raw(rows: &[(i64, i64, i64)]) -> bytes::Bytes {
        let col = |f: fn(&(i64, i64, i64)) -> i64| rows.iter().map(f).collect::<Vec<_>>();
        let batch =
            versions_batch(col(|r| r.0), col(|r| r.1 * 1_000_000), col(|r| r.2)).expect("batch");
        crate::ingest::land::encode_batch(&batch).expect("encode")
    }

    fn sorted(state: &CdcState) -> Vec<(i64, i64, u32)> {
        let mut games: Vec<_> = state.games().collect();
        games.sort_unstable();
        games
    }

    /// A load and an ingest that landed nothing.
    async fn load_and_index(wh: &Warehouse) -> CdcState {
        let (state, loaded) = CdcState::load_for_ingest(wh).await.expect("load");
        state
            .index_after_landing(wh, loaded, &[])
            .await
            .expect("index");
        state
    }

    /// How many raw files of the landing the index covers (`None`: it is unusable).
    async fn files_indexed(wh: &Warehouse) -> Option<usize> {
        let index = wh.get(INDEX).await.expect("an index");
        let files = wh
            .parquet_files(crate::raw::RAW_GAMES_PREFIX)
            .await
            .expect("list");
        let record = index_footer(&index).expect("footer").0;
        record.covered(&files).map(|c| c.len())
    }

    #[tokio::test]
    async fn a_first_ingest_indexes_the_files_it_landed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("open");
        let (mut state, loaded) = CdcState::load_for_ingest(&wh).await.expect("load");
        let mut landed = Vec::new();
        for i in 0..INDEX_AFTER as i64 {
            let path = format!("raw/games/run_date=2026-01-01/r-{i:05}.parquet");
            wh.put(&path, raw(&[(i, 10 + i, i)])).await.expect("put");
            state.observe(
                i,
                ts("1970-01-01T00:00:00") + chrono::Duration::seconds(10 + i),
                i,
            );
            landed.push(path);
        }
        state
            .index_after_landing(&wh, loaded, &landed)
            .await
            .expect("index");
        assert_eq!(files_indexed(&wh).await, Some(INDEX_AFTER));
        assert_eq!(
            sorted(&CdcState::load(&wh).await.expect("load")),
            sorted(&state)
        );
    }

    #[tokio::test]
    async fn the_index_gives_the_state_the_raw_files_give_and_is_ignored_when_stale() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("open");
        let path = |i: usize| format!("raw/games/run_date=2026-01-01/r-{i:05}.parquet");
        // Day i changes game i % 5 and adds game 100 + i.
        let day = |i: usize| raw(&[((i % 5) as i64, i as i64, i as i64), (100 + i as i64, 1, 7)]);
        for i in 0..INDEX_AFTER - 1 {
            wh.put(&path(i), day(i)).await.expect("put");
        }
        load_and_index(&wh).await;
        assert!(
            wh.get_opt(INDEX).await.expect("get").is_none(),
            "indexed too early"
        );
        wh.put(&path(INDEX_AFTER - 1), day(INDEX_AFTER - 1))
            .await
            .expect("put");
        let all = sorted(&load_and_index(&wh).await);
        assert_eq!(files_indexed(&wh).await, Some(INDEX_AFTER));
        let index = wh.get(INDEX).await.expect("an index");
        let mut ids = Vec::new();
        for_each_version(index, INDEX, "updated", None, |id, _, _| ids.push(id)).expect("read");
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "not sorted by id: {ids:?}"
        );

        // The index and one newer raw file: the same state as every raw file read.
        wh.put(&path(50), day(50)).await.expect("put");
        let from_index = sorted(&CdcState::load(&wh).await.expect("load"));
        let mut want = all.clone();
        want.retain(|g| g.0 != 0);
        want.extend([(0, 50_000_000, 50), (150, 1_000_000, 7)]);
        want.sort_unstable();
        assert_eq!(from_index, want);
        // The count reads the index's ids: game 0 is in the index and outside, game 150 new.
        assert_eq!(
            CdcState::count_games(&wh).await.expect("count"),
            want.len() as u64
        );

        // A raw file landed among the covered ones, out of name order: the index is ignored,
        // so that file is read.
        let early = "raw/games/run_date=2025-12-31/r-00000.parquet";
        wh.put(early, raw(&[(300, 1, 7)])).await.expect("put");
        let with_early = sorted(&CdcState::load(&wh).await.expect("load"));
        assert!(with_early.iter().any(|g| g.0 == 300), "{with_early:?}");
        wh.delete(early).await.expect("delete");

        // A covered raw file gone: the index is ignored, the raw files read.
        wh.delete(&path(0)).await.expect("delete");
        let without = sorted(&CdcState::load(&wh).await.expect("load"));
        assert!(without.iter().all(|g| g.0 != 100), "{without:?}");
        assert_eq!(
            CdcState::count_games(&wh).await.expect("count"),
            without.len() as u64
        );
        // An unreadable index is ignored too.
        wh.put(&path(0), day(0)).await.expect("put");
        wh.put(INDEX, bytes::Bytes::from_static(b"not parquet"))
            .await
            .expect("put");
        assert_eq!(sorted(&CdcState::load(&wh).await.expect("load")), want);
        assert_eq!(
            CdcState::count_games(&wh).await.expect("count"),
            want.len() as u64
        );
    }

    /// The count an ingest hands its ETL is the count read back from the landing it left
    /// (an index, a file outside it, a file landed on top, a game in both), and stands only
    /// for that listing.
    #[tokio::test]
    async fn the_games_an_ingest_landed_are_the_games_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("open");
        let path = |i: usize| format!("raw/games/run_date=2026-01-01/r-{i:05}.parquet");
        for i in 0..INDEX_AFTER {
            wh.put(&path(i), raw(&[(i as i64, 1, 1), (100, i as i64, 1)]))
                .await
                .expect("put");
        }
        load_and_index(&wh).await;
        wh.put(&path(20), raw(&[(200, 1, 1), (1, 5, 1)]))
            .await
            .expect("put");

        let (mut state, loaded) = CdcState::load_for_ingest(&wh).await.expect("load");
        // The run lands a new game, and a later version of one held in the index.
        wh.put(&path(21), raw(&[(300, 1, 1), (2, 9, 1)]))
            .await
            .expect("put");
        for (id, secs) in [(300, 1), (2, 9)] {
            state.observe(
                id,
                ts("1970-01-01T00:00:00") + chrono::Duration::seconds(secs),
                1,
            );
        }
        let landed = state.landed(&loaded, &[path(21)]);

        let mut listing = wh
            .parquet_files(crate::raw::RAW_GAMES_PREFIX)
            .await
            .expect("list");
        let read_back = CdcState::count_games_of(&wh, &listing)
            .await
            .expect("count");
        assert_eq!(read_back, INDEX_AFTER as u64 + 3);
        listing.reverse();
        assert_eq!(landed.games_in(&listing), Some(read_back));
        listing.pop();
        assert_eq!(landed.games_in(&listing), None, "another listing's count");
    }

    /// The index is written DELTA_BINARY_PACKED without a dictionary, and reads back as the
    /// state it was written from; an index an earlier release wrote (a dictionary, then
    /// PLAIN) reads the same.
    #[tokio::test]
    async fn the_index_is_delta_encoded_and_reads_back_as_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("open");
        let mut state = CdcState::default();
        for id in 0..5_000i64 {
            let at = DateTime::from_timestamp_micros(1_600_000_000_000_000 + id * 7_919_000)
                .expect("time")
                .naive_utc();
            state.observe(id * 3 + 1, at, id % 50);
        }
        let files = vec!["raw/games/a.parquet".to_string()];
        state.write_index(&wh, &files).await.expect("write");
        let bytes = wh.get(INDEX).await.expect("index");
        let metadata = ParquetMetaDataReader::new()
            .parse_and_finish(&bytes)
            .expect("footer");
        for column in metadata.row_groups().iter().flat_map(|g| g.columns()) {
            assert!(
                column.dictionary_page_offset().is_none(),
                "{} has a dictionary",
                column.column_path()
            );
            assert!(
                column
                    .encodings()
                    .any(|e| e == Encoding::DELTA_BINARY_PACKED),
                "{} is not DELTA_BINARY_PACKED",
                column.column_path()
            );
        }
        let read = |bytes: bytes::Bytes| {
            let mut rows = Vec::new();
            for_each_version(bytes, INDEX, "updated", Some("added"), |id, v, a| {
                rows.push((id, v, a.unwrap_or(-1)))
            })
            .expect("read");
            rows
        };
        let want: Vec<(i64, i64, i64)> = state
            .sorted()
            .into_iter()
            .map(|(id, held)| (id, held.updated, i64::from(held.added)))
            .collect();
        assert_eq!(read(bytes), want);

        let (ids, updated, added) = want.iter().fold(
            (Vec::new(), Vec::new(), Vec::new()),
            |(mut i, mut u, mut a), &(id, v, n)| {
                i.push(id);
                u.push(v);
                a.push(n);
                (i, u, a)
            },
        );
        let batch = versions_batch(ids, updated, added).expect("batch");
        let mut earlier = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut earlier, batch.schema(), None).expect("writer");
        writer.write(&batch).expect("write");
        writer.close().expect("close");
        assert_eq!(read(bytes::Bytes::from(earlier)), want);
    }
}
