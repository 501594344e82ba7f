//! Raw landing: accepted games become parquet files under
//! `raw/games/run_date=YYYY-MM-DD/<run_id>-<seq>.parquet`, keeping RAWG's nesting, plus
//! `_run_id` and `_ingested_at`.
//!
//! A file is written whole (see [`crate::storage`]); a run that dies leaves every file it
//! finished and none it did not. File names sort by run start, then sequence.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use arrow::array::{BooleanArray, RecordBatch};
use arrow::compute::{concat_batches, filter_record_batch};
use bytes::Bytes;
use chrono::{NaiveDate, NaiveDateTime};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tokio::sync::oneshot;

use super::columns;
use super::model::Game;
use crate::raw::{raw_file_path, raw_schema};
use crate::storage::Warehouse;
use crate::{Error, Result};

/// What landing stamps on every row of a run: `_run_id` and `_ingested_at` (micros since the
/// epoch, UTC). Cheap to clone into the threads that build page batches.
#[derive(Debug, Clone)]
pub(crate) struct RunStamp {
    /// This run's id.
    pub run_id: Arc<str>,
    /// When the run started, in micros since the epoch (UTC).
    pub ingested_at_micros: i64,
}

/// What change data capture and the date filters need to know of one game of a page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GameKey {
    /// RAWG's id.
    pub id: i64,
    /// RAWG's `updated`.
    pub updated: NaiveDateTime,
    /// RAWG's `released`, if any.
    pub released: Option<NaiveDate>,
    /// RAWG's `added` (players who added the game): orders the details backlog.
    pub added: i64,
}

/// One page's games as a batch of the raw schema, row `i` being `keys[i]`.
///
/// Built where the page is parsed (on a worker thread), so the games' strings can borrow the
/// page's bytes and are copied once, into arrow buffers.
#[derive(Debug)]
pub(crate) struct PageRows {
    /// The games' columns.
    pub batch: RecordBatch,
    /// Per row, what CDC needs.
    pub keys: Vec<GameKey>,
}

impl PageRows {
    /// The page's games as columns, with the run's stamp.
    pub(crate) fn new(games: &[Game<'_>], stamp: &RunStamp) -> Result<Self> {
        Ok(Self {
            batch: columns::batch(games, &stamp.run_id, stamp.ingested_at_micros)?,
            keys: games
                .iter()
                .map(|g| GameKey {
                    id: g.id,
                    updated: g.updated,
                    released: g.released,
                    added: g.added,
                })
                .collect(),
        })
    }
}

/// Buffers accepted games of one run and writes them out as raw files.
///
/// Games arrive as whole pages (`PageRows`) with the rows to keep; a file is the kept rows
/// of its pages, in order. `Lander::flush_in_background` encodes and writes a file while the
/// caller goes on parsing the next pages (files land in order, each after the one before);
/// [`Lander::flush`] waits until everything buffered has landed.
#[derive(Debug)]
pub struct Lander {
    stamp: RunStamp,
    run_date: String,
    rows_per_file: usize,
    /// Buffered pages, each with the rows of it that go into the file.
    pages: Vec<(RecordBatch, Vec<bool>)>,
    /// Game id → (page, row, updated) of its buffered version.
    index: HashMap<i64, (usize, usize, NaiveDateTime)>,
    files: Vec<String>,
    /// Files being encoded or written, oldest first.
    in_flight: VecDeque<tokio::task::JoinHandle<Result<String>>>,
    /// Files started so far (landed or in flight).
    started: usize,
    /// Fires once the newest file in flight has landed: the next file waits for it.
    last_landed: Option<oneshot::Receiver<()>>,
}

impl Lander {
    /// A lander for run `run_id`, started at `started`, writing up to `rows_per_file` games
    /// a file.
    pub fn new(run_id: &str, started: chrono::DateTime<chrono::Utc>, rows_per_file: usize) -> Self {
        Self {
            stamp: RunStamp {
                run_id: run_id.into(),
                ingested_at_micros: started.timestamp_micros(),
            },
            run_date: started.format("%Y-%m-%d").to_string(),
            rows_per_file: rows_per_file.max(1),
            pages: Vec::new(),
            index: HashMap::new(),
            files: Vec::new(),
            in_flight: VecDeque::new(),
            started: 0,
            last_landed: None,
        }
    }

    /// What every row of this run carries; for building `PageRows`.
    pub(crate) fn stamp(&self) -> &RunStamp {
        &self.stamp
    }

    /// Adds the `accepted` rows of a page. A second version of the same id in the buffer
    /// replaces the first if later. Returns how many rows this added (a version that replaced
    /// or lost to a buffered one adds none).
    pub(crate) fn push(&mut self, page: PageRows, accepted: &[usize]) -> usize {
        if accepted.is_empty() {
            return 0;
        }
        let p = self.pages.len();
        let mut keep = vec![false; page.batch.num_rows()];
        let mut added = 0;
        for &row in accepted {
            let Some(key) = page.keys.get(row) else {
                continue;
            };
            match self.index.get_mut(&key.id) {
                Some(held) => {
                    if key.updated > held.2 {
                        let (hp, hr, _) = *held;
                        match self.pages.get_mut(hp) {
                            Some((_, k)) => k[hr] = false,
                            None => keep[hr] = false,
                        }
                        *held = (p, row, key.updated);
                        keep[row] = true;
                    }
                }
                None => {
                    self.index.insert(key.id, (p, row, key.updated));
                    keep[row] = true;
                    added += 1;
                }
            }
        }
        self.pages.push((page.batch, keep));
        added
    }

    /// Adds games made elsewhere (benchmarks, tests), all accepted.
    pub fn push_games(&mut self, games: &[Game<'_>]) -> Result<usize> {
        let page = PageRows::new(games, &self.stamp)?;
        let all: Vec<usize> = (0..games.len()).collect();
        Ok(self.push(page, &all))
    }

    /// True when the buffered games make a whole file.
    pub fn is_full(&self) -> bool {
        self.index.len() >= self.rows_per_file
    }

    /// Writes the buffered games as one file (nothing if empty) and waits until every file
    /// of the run has landed.
    pub async fn flush(&mut self, wh: &Warehouse) -> Result<()> {
        self.flush_in_background(wh).await?;
        self.landed().await
    }

    /// Starts encoding the buffered games as one file and returns without waiting for it.
    ///
    /// Up to [`Self::FILES_IN_FLIGHT`] files are encoded at once (encoding a file takes about
    /// as long as parsing the pages of the next one, and would otherwise hold the parsers
    /// up), but each is written only after the one before it has landed: files land in order.
    pub(crate) async fn flush_in_background(&mut self, wh: &Warehouse) -> Result<()> {
        while self.in_flight.len() >= Self::FILES_IN_FLIGHT {
            self.land_oldest().await?;
        }
        if self.index.is_empty() {
            return Ok(());
        }
        let pages = std::mem::take(&mut self.pages);
        self.index.clear();
        self.started += 1;
        let number = self.started;
        let path = raw_file_path(&self.run_date, &self.stamp.run_id, number);
        let wh = wh.clone();
        let (done, done_rx) = oneshot::channel();
        let previous = self.last_landed.replace(done_rx);
        self.in_flight.push_back(tokio::spawn(async move {
            let bytes = tokio::task::spawn_blocking(move || encode_pages(pages)).await??;
            if let Some(previous) = previous {
                previous.await.map_err(|_| {
                    Error::Internal(format!("{path} not written: an earlier raw file failed"))
                })?;
            }
            wh.put(&path, bytes).await?;
            tracing::debug!(%path, "raw file written");
            crate::failpoint::hit_nth("ingest.landed", number);
            let _ = done.send(());
            Ok(path)
        }));
        Ok(())
    }

    /// Files encoded at once by `Lander::flush_in_background`.
    const FILES_IN_FLIGHT: usize = 2;

    /// Waits for the oldest file in flight, if any.
    async fn land_oldest(&mut self) -> Result<()> {
        if let Some(task) = self.in_flight.pop_front() {
            self.files.push(task.await??);
        }
        Ok(())
    }

    /// Waits for every file in flight, in order.
    async fn landed(&mut self) -> Result<()> {
        while !self.in_flight.is_empty() {
            self.land_oldest().await?;
        }
        Ok(())
    }

    /// The files this run wrote.
    pub fn files(&self) -> &[String] {
        &self.files
    }
}

/// The kept rows of buffered pages as one file.
fn encode_pages(pages: Vec<(RecordBatch, Vec<bool>)>) -> Result<Bytes> {
    let mut kept = Vec::with_capacity(pages.len());
    for (batch, keep) in pages {
        if keep.iter().all(|&k| k) {
            kept.push(batch);
        } else if keep.iter().any(|&k| k) {
            kept.push(filter_record_batch(&batch, &BooleanArray::from(keep))?);
        }
    }
    encode_batch(&concat_batches(&raw_schema(), &kept)?)
}

/// Encodes games as one zstd parquet file in the raw schema; `ingested_at` is RFC 3339.
#[cfg(test)]
pub(crate) fn encode(games: &[Game<'_>], run_id: &str, ingested_at: &str) -> Result<Bytes> {
    let at = chrono::DateTime::parse_from_rfc3339(ingested_at)
        .map_err(|e| Error::Schema(format!("ingest time {ingested_at:?}: {e}")))?;
    encode_batch(&columns::batch(games, run_id, at.timestamp_micros())?)
}

/// A batch as one zstd parquet file, as every raw file is written.
pub(crate) fn encode_batch(batch: &RecordBatch) -> Result<Bytes> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use arrow::array::RecordBatch;
    use arrow::json::ReaderBuilder;
    use serde::Serialize;

    use super::*;
    use crate::ingest::parse::parse_page_owned;

    #[derive(Serialize)]
    struct RawRow<'a> {
        #[serde(flatten)]
        game: &'a Game<'a>,
        _run_id: &'a str,
        _ingested_at: &'a str,
    }

    /// The games as arrow-json makes them from their serde form: an independent encoder.
    fn through_json(games: &[Game<'_>], run_id: &str, ingested_at: &str) -> RecordBatch {
        let mut decoder = ReaderBuilder::new(raw_schema())
            .with_batch_size(games.len().max(1))
            .build_decoder()
            .expect("decoder");
        let rows: Vec<RawRow> = games
            .iter()
            .map(|game| RawRow {
                game,
                _run_id: run_id,
                _ingested_at: ingested_at,
            })
            .collect();
        decoder.serialize(&rows).expect("serialize");
        decoder.flush().expect("flush").expect("rows")
    }

    fn recorded(file: &str) -> Vec<Game<'static>> {
        let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/rawg");
        let bytes = std::fs::read(format!("{shared}/{file}")).expect("recorded page");
        parse_page_owned(&bytes, file).expect("parse").games
    }

    #[test]
    fn a_later_version_in_a_later_page_replaces_the_buffered_one() {
        let mut first = recorded("games-released-2015/page-0001.json");
        first.truncate(4);
        let mut second = first[1..3].to_vec();
        second[0].updated += chrono::Duration::days(1); // newer: replaces game #2
        second[0].name = "renamed".to_string().into();
        second[1].updated -= chrono::Duration::days(1); // older: loses to game #3
        second[1].name = "stale".to_string().into();
        let mut lander = Lander::new("run-1", chrono::Utc::now(), 100);
        let stamp = lander.stamp().clone();
        let all = |n: usize| (0..n).collect::<Vec<_>>();
        let page = PageRows::new(&first, &stamp).expect("rows");
        assert_eq!(lander.push(page, &all(4)), 4);
        let page = PageRows::new(&second, &stamp).expect("rows");
        assert_eq!(
            lander.push(page, &all(2)),
            0,
            "both ids are buffered already"
        );
        // Only the accepted rows of a page count.
        let page = PageRows::new(&first[..1], &stamp).expect("rows");
        assert_eq!(lander.push(page, &[]), 0);
        let pages = std::mem::take(&mut lander.pages);
        let batch = crate::etl::read::read_batch(encode_pages(pages).expect("encode"), "test")
            .expect("read back");
        let names: Vec<String> = column_strings(&batch, "name");
        let ids = batch
            .column_by_name("id")
            .and_then(|c| c.as_any().downcast_ref::<arrow::array::Int64Array>())
            .expect("ids")
            .values()
            .to_vec();
        assert_eq!(
            ids,
            vec![first[0].id, first[2].id, first[3].id, first[1].id]
        );
        assert_eq!(names[3], "renamed");
        assert!(!names.contains(&"stale".to_string()));
    }

    fn column_strings(batch: &RecordBatch, name: &str) -> Vec<String> {
        let col = batch
            .column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<arrow::array::StringArray>())
            .expect("string column");
        col.iter().map(|v| v.unwrap_or("").to_string()).collect()
    }

    #[test]
    fn columns_equal_what_arrow_json_makes_of_the_same_games() {
        let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/rawg");
        let mut games = Vec::new();
        for file in [
            "games-released-2015/page-0001.json",
            "games-released-2015/page-0002.json",
            "verbatim/games-page-dates-platforms.json",
            "verbatim/games-search-doom.json",
        ] {
            let bytes = std::fs::read(format!("{shared}/{file}")).expect("recorded page");
            games.extend(parse_page_owned(&bytes, file).expect("parse").games);
        }
        // Absent lists and structs, empty lists, and nulls inside items.
        games[0].platforms = None;
        games[0].esrb_rating = None;
        games[0].added_by_status = None;
        games[1].tags = Some(Vec::new());
        games[1].released = None;
        games[1].metacritic = None;
        if let Some(t) = games[2].tags.as_mut().and_then(|t| t.first_mut()) {
            t.language = None;
            t.games_count = None;
        }
        let at = "2026-01-02T03:04:05.678901Z";
        let micros = chrono::DateTime::parse_from_rfc3339(at)
            .expect("time")
            .timestamp_micros();
        let ours = columns::batch(&games, "run-1", micros).expect("columns");
        let theirs = through_json(&games, "run-1", at);
        assert_eq!(ours.num_rows(), games.len());
        assert_eq!(differing_columns(&ours, &theirs), Vec::<String>::new());

        // The comparison is by name against an encoder that knows the model only by its
        // serde names: two columns of one type built from each other's field would differ.
        let mut swapped: Vec<_> = ours.columns().to_vec();
        let (slug, name) = (column_index("slug"), column_index("name"));
        swapped.swap(slug, name);
        let swapped = RecordBatch::try_new(raw_schema(), swapped).expect("same types");
        assert_eq!(
            differing_columns(&swapped, &theirs),
            vec!["slug".to_string(), "name".to_string()]
        );
    }

    fn column_index(name: &str) -> usize {
        raw_schema().index_of(name).expect("a raw column")
    }

    /// The raw columns whose values differ between two batches of the raw schema.
    fn differing_columns(a: &RecordBatch, b: &RecordBatch) -> Vec<String> {
        raw_schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(i, _)| a.column(*i).to_data() != b.column(*i).to_data())
            .map(|(_, f)| f.name().clone())
            .collect()
    }
}
