//! Reading the raw landing into one Polars frame: the latest version of every game.
//!
//! Only the parquet leaves the star schema uses are read (arrow-rs projection masks prune
//! struct fields inside lists, which Polars' reader cannot): screenshots, tag images and the
//! like are most of a raw file's bytes and would otherwise sit in memory for the whole ETL.

use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use polars::prelude::*;

use super::interop::{batch_to_frame, concat as concat_batches};
use crate::ingest::land::RAW_GAMES_PREFIX;
use crate::storage::Warehouse;
use crate::{Error, Result};

/// The raw files currently in the warehouse, sorted.
pub async fn raw_files(wh: &Warehouse) -> Result<Vec<String>> {
    Ok(wh
        .list(RAW_GAMES_PREFIX)
        .await?
        .into_iter()
        .map(|m| m.location.to_string())
        .filter(|p| p.ends_with(".parquet"))
        .collect())
}

/// What raw files hold, as the ETL uses it.
pub struct RawGames {
    /// Every row of the files: every observation of every game, superseded versions too
    /// (dimension members and their newest attributes come from these).
    pub observations: DataFrame,
    /// Per game id, the row with the latest `updated` (ties go to the later ingest): the
    /// facts and bridges come from these.
    pub latest: DataFrame,
}

/// Raw leaves the ETL never reads, as dotted paths without the list levels.
const UNUSED_LEAVES: [&str; 8] = [
    "_run_id",
    "ratings.id",
    "ratings.percent",
    "platforms.released_at",
    "stores.id",
    "tags.image_background",
    "short_screenshots.id",
    "short_screenshots.image",
];

/// Reads one raw file's used leaves into a frame.
pub(crate) fn read_file(bytes: bytes::Bytes, path: &str) -> Result<DataFrame> {
    let bad = |e: String| Error::Schema(format!("raw file {path} is unreadable: {e}"));
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| bad(e.to_string()))?;
    let leaves: Vec<usize> = builder
        .parquet_schema()
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            let parts: Vec<&str> = c
                .path()
                .parts()
                .iter()
                .map(String::as_str)
                .filter(|p| !matches!(*p, "list" | "item" | "element"))
                .collect();
            !UNUSED_LEAVES.contains(&parts.join(".").as_str())
        })
        .map(|(i, _)| i)
        .collect();
    let mask = ProjectionMask::leaves(builder.parquet_schema(), leaves);
    let batches = builder
        .with_projection(mask)
        .build()
        .map_err(|e| bad(e.to_string()))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    match concat_batches(&batches)? {
        Some(batch) => batch_to_frame(&batch),
        None => Err(bad("no rows".into())),
    }
}

/// Reads the given raw files.
pub async fn read_games(wh: &Warehouse, files: &[String]) -> Result<RawGames> {
    let mut frames = Vec::with_capacity(files.len());
    for path in files {
        let bytes = wh.get(path).await?;
        let path = path.clone();
        let df = tokio::task::spawn_blocking(move || read_file(bytes, &path)).await??;
        frames.push(df.lazy());
    }
    if frames.is_empty() {
        return Err(Error::Config(
            "the warehouse holds no raw games: run `gamelake ingest` first".into(),
        ));
    }
    let observations = concat(frames, UnionArgs::default())?.collect()?;
    // A first load or a run of new games sees each id once: then every row is the latest,
    // and the frame is shared rather than sorted into a second copy.
    let latest = if observations.column("id")?.n_unique()? == observations.height() {
        observations.clone()
    } else {
        observations
            .clone()
            .lazy()
            .sort(
                ["id", "updated", "_ingested_at"],
                SortMultipleOptions::default(),
            )
            .unique_stable(Some(cols(["id"])), UniqueKeepStrategy::Last)
            .collect()?
    };
    Ok(RawGames {
        observations,
        latest,
    })
}
