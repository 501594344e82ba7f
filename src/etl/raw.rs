//! Reading the raw landing into one Polars frame: the latest version of every game.

use std::io::Cursor;

use polars::prelude::*;

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

/// Reads the given raw files.
pub async fn read_games(wh: &Warehouse, files: &[String]) -> Result<RawGames> {
    let mut frames = Vec::with_capacity(files.len());
    for path in files {
        let bytes = wh.get(path).await?;
        let path = path.clone();
        let df = tokio::task::spawn_blocking(move || {
            ParquetReader::new(Cursor::new(bytes.to_vec()))
                .finish()
                .map_err(|e| Error::Schema(format!("raw file {path} is unreadable: {e}")))
        })
        .await??;
        frames.push(df.lazy());
    }
    if frames.is_empty() {
        return Err(Error::Config(
            "the warehouse holds no raw games: run `gamelake ingest` first".into(),
        ));
    }
    let observations = concat(frames, UnionArgs::default())?.collect()?;
    let latest = observations
        .clone()
        .lazy()
        .sort(
            ["id", "updated", "_ingested_at"],
            SortMultipleOptions::default(),
        )
        .unique_stable(Some(cols(["id"])), UniqueKeepStrategy::Last)
        .collect()?;
    Ok(RawGames {
        observations,
        latest,
    })
}
