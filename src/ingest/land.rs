//! Raw landing: accepted games become parquet files under
//! `raw/games/run_date=YYYY-MM-DD/<run_id>-<seq>.parquet`, keeping RAWG's nesting, plus
//! `_run_id` and `_ingested_at`.
//!
//! A file is written whole (see [`crate::storage`]); a run that dies leaves every file it
//! finished and none it did not. File names sort by run start, then sequence.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::columns;
use super::model::Game;
use crate::storage::Warehouse;
use crate::{Error, Result};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

/// Where raw games land, relative to the warehouse root.
pub const RAW_GAMES_PREFIX: &str = "raw/games";

fn named() -> DataType {
    DataType::Struct(Fields::from(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("slug", DataType::Utf8, true),
    ]))
}

fn list_of(fields: Vec<Field>) -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(Fields::from(fields)),
        true,
    )))
}

/// The arrow schema of raw game files.
pub fn raw_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let i64f = |n: &str| Field::new(n, DataType::Int64, true);
            let strf = |n: &str| Field::new(n, DataType::Utf8, true);
            Arc::new(Schema::new(vec![
                Field::new("id", DataType::Int64, false),
                Field::new("slug", DataType::Utf8, false),
                Field::new("name", DataType::Utf8, false),
                Field::new("released", DataType::Date32, true),
                Field::new("tba", DataType::Boolean, true),
                strf("background_image"),
                Field::new("rating", DataType::Float64, true),
                Field::new("rating_top", DataType::Int32, true),
                Field::new(
                    "ratings",
                    list_of(vec![
                        i64f("id"),
                        strf("title"),
                        i64f("count"),
                        Field::new("percent", DataType::Float64, true),
                    ]),
                    true,
                ),
                i64f("ratings_count"),
                i64f("reviews_text_count"),
                i64f("added"),
                Field::new(
                    "added_by_status",
                    DataType::Struct(Fields::from(
                        ["yet", "owned", "beaten", "toplay", "dropped", "playing"]
                            .map(i64f)
                            .to_vec(),
                    )),
                    true,
                ),
                Field::new("metacritic", DataType::Int32, true),
                Field::new("playtime", DataType::Int32, true),
                i64f("suggestions_count"),
                Field::new(
                    "updated",
                    DataType::Timestamp(TimeUnit::Microsecond, None),
                    false,
                ),
                i64f("reviews_count"),
                Field::new("esrb_rating", named(), true),
                Field::new(
                    "platforms",
                    list_of(vec![
                        Field::new("platform", named(), true),
                        strf("released_at"),
                    ]),
                    true,
                ),
                Field::new(
                    "parent_platforms",
                    list_of(vec![Field::new("platform", named(), true)]),
                    true,
                ),
                Field::new(
                    "stores",
                    list_of(vec![i64f("id"), Field::new("store", named(), true)]),
                    true,
                ),
                Field::new(
                    "genres",
                    list_of(vec![i64f("id"), strf("name"), strf("slug")]),
                    true,
                ),
                Field::new(
                    "tags",
                    list_of(vec![
                        i64f("id"),
                        strf("name"),
                        strf("slug"),
                        strf("language"),
                        i64f("games_count"),
                        strf("image_background"),
                    ]),
                    true,
                ),
                Field::new(
                    "short_screenshots",
                    list_of(vec![i64f("id"), strf("image")]),
                    true,
                ),
                Field::new("_run_id", DataType::Utf8, false),
                Field::new(
                    "_ingested_at",
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    false,
                ),
            ]))
        })
        .clone()
}

/// Buffers accepted games of one run and writes them out as raw files.
///
/// [`Lander::flush_in_background`] encodes and writes a file while the caller goes on parsing
/// the next pages (one file in flight at a time, so files land in order); [`Lander::flush`]
/// waits until everything buffered has landed.
#[derive(Debug)]
pub struct Lander {
    run_id: String,
    run_date: String,
    ingested_at: String,
    rows_per_file: usize,
    buffer: Vec<Game>,
    index: HashMap<i64, usize>,
    files: Vec<String>,
    in_flight: Option<tokio::task::JoinHandle<Result<String>>>,
}

impl Lander {
    pub fn new(run_id: &str, started: chrono::DateTime<chrono::Utc>, rows_per_file: usize) -> Self {
        Self {
            run_id: run_id.to_string(),
            run_date: started.format("%Y-%m-%d").to_string(),
            ingested_at: started.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            rows_per_file: rows_per_file.max(1),
            buffer: Vec::new(),
            index: HashMap::new(),
            files: Vec::new(),
            in_flight: None,
        }
    }

    /// Adds a game; a second version of the same id in the buffer replaces the first if later.
    /// Returns true when this added a row (false: it replaced or lost to a buffered version).
    pub fn push(&mut self, game: Game) -> bool {
        match self.index.get(&game.id) {
            Some(&i) => {
                if game.updated > self.buffer[i].updated {
                    self.buffer[i] = game;
                }
                false
            }
            None => {
                self.index.insert(game.id, self.buffer.len());
                self.buffer.push(game);
                true
            }
        }
    }

    pub fn is_full(&self) -> bool {
        self.buffer.len() >= self.rows_per_file
    }

    /// Writes the buffered games as one file (nothing if empty) and waits until every file
    /// of the run has landed.
    pub async fn flush(&mut self, wh: &Warehouse) -> Result<()> {
        self.flush_in_background(wh).await?;
        self.landed().await
    }

    /// Starts writing the buffered games as one file once the previous file has landed, and
    /// returns without waiting for it.
    pub async fn flush_in_background(&mut self, wh: &Warehouse) -> Result<()> {
        self.landed().await?;
        if self.buffer.is_empty() {
            return Ok(());
        }
        let games = std::mem::take(&mut self.buffer);
        self.index.clear();
        let (run_id, ingested_at) = (self.run_id.clone(), self.ingested_at.clone());
        let number = self.files.len() + 1;
        let path = format!(
            "{RAW_GAMES_PREFIX}/run_date={}/{}-{number:05}.parquet",
            self.run_date, self.run_id,
        );
        let wh = wh.clone();
        self.in_flight = Some(tokio::spawn(async move {
            let bytes = tokio::task::spawn_blocking(move || encode(&games, &run_id, &ingested_at))
                .await??;
            wh.put(&path, bytes).await?;
            tracing::debug!(%path, "raw file written");
            crate::failpoint::hit(&format!("ingest.landed.{number}"));
            Ok(path)
        }));
        Ok(())
    }

    /// Waits for the file in flight, if any.
    async fn landed(&mut self) -> Result<()> {
        if let Some(task) = self.in_flight.take() {
            self.files.push(task.await??);
        }
        Ok(())
    }

    /// The files this run wrote.
    pub fn files(&self) -> &[String] {
        &self.files
    }
}

/// Encodes games as one zstd parquet file in the raw schema; `ingested_at` is RFC 3339.
pub fn encode(games: &[Game], run_id: &str, ingested_at: &str) -> Result<Bytes> {
    let at = chrono::DateTime::parse_from_rfc3339(ingested_at)
        .map_err(|e| Error::Schema(format!("ingest time {ingested_at:?}: {e}")))?;
    let batch = columns::batch(games, run_id, at.timestamp_micros())?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use arrow::array::RecordBatch;
    use arrow::json::ReaderBuilder;
    use serde::Serialize;

    use super::*;
    use crate::ingest::parse::parse_page;

    #[derive(Serialize)]
    struct RawRow<'a> {
        #[serde(flatten)]
        game: &'a Game,
        _run_id: &'a str,
        _ingested_at: &'a str,
    }

    /// The games as arrow-json makes them from their serde form: an independent encoder.
    fn through_json(games: &[Game], run_id: &str, ingested_at: &str) -> RecordBatch {
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
            games.extend(parse_page(&bytes, file).expect("parse").games);
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
        for (i, field) in raw_schema().fields().iter().enumerate() {
            assert_eq!(
                ours.column(i).to_data(),
                theirs.column(i).to_data(),
                "column {}",
                field.name()
            );
        }
    }
}
