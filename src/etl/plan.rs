//! The ETL's first step: what this run must read, from the raw files the warehouse holds and
//! the lists of those already processed: `gamelake.raw-files` on `fact_games` for the list
//! landing, and on `dim_game` for the detail landing.
//!
//! Must never: read anything but the raw file listings and those two table properties.

use std::collections::BTreeSet;

use super::RAW_FILES_PROPERTY;
use crate::dims::{FACT_TABLE, GAME_DETAIL_TABLE};
use crate::lakehouse::Lakehouse;
use crate::storage::Warehouse;
use crate::{Error, Result};

/// One landing's files: all of them, and those this run reads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Files {
    /// Every raw file of the landing, sorted; recorded as processed by this run.
    pub all: Vec<String>,
    /// The files to read: all of them in a full build, the unprocessed ones otherwise.
    pub to_read: Vec<String>,
}

impl Files {
    /// The processed-files list this run commits, as JSON.
    pub fn json(&self) -> Result<String> {
        serde_json::to_string(&self.all).map_err(|e| Error::Internal(format!("raw file list: {e}")))
    }
}

/// What one ETL run does.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The list landing (`raw/games`).
    pub games: Files,
    /// The detail landing (`raw/game_details`).
    pub details: Files,
    /// Only new raw files are read and their games replace their rows, merge-on-read.
    pub incremental: bool,
    /// Every raw file was processed already: nothing to do.
    pub nothing_new: bool,
}

impl Plan {
    /// Plans a run; `full_refresh` rebuilds everything from all raw files.
    pub async fn make(wh: &Warehouse, lake: &Lakehouse, full_refresh: bool) -> Result<Self> {
        let (game_files, detail_files) = futures::try_join!(
            wh.parquet_files(crate::raw::RAW_GAMES_PREFIX),
            wh.parquet_files(crate::raw::RAW_DETAILS_PREFIX)
        )?;
        let (processed_games, processed_details) = futures::try_join!(
            processed_files(lake, FACT_TABLE),
            processed_files(lake, GAME_DETAIL_TABLE)
        )?;
        let incremental = !full_refresh && !processed_games.is_empty();
        let files = |all: Vec<String>, processed: &BTreeSet<String>| {
            let to_read = if incremental {
                all.iter()
                    .filter(|f| !processed.contains(*f))
                    .cloned()
                    .collect()
            } else {
                all.clone()
            };
            Files { all, to_read }
        };
        let games = files(game_files, &processed_games);
        let details = files(detail_files, &processed_details);
        let nothing_new = !full_refresh
            && !games.all.is_empty()
            && games.to_read.is_empty()
            && details.to_read.is_empty();
        Ok(Self {
            games,
            details,
            incremental,
            nothing_new,
        })
    }
}

async fn processed_files(lake: &Lakehouse, table: &str) -> Result<BTreeSet<String>> {
    let Some(json) = lake.property(table, RAW_FILES_PROPERTY).await? else {
        return Ok(BTreeSet::new());
    };
    match serde_json::from_str(&json) {
        Ok(files) => Ok(files),
        Err(e) => {
            tracing::warn!("{table} property {RAW_FILES_PROPERTY} is unreadable ({e}); rebuilding");
            Ok(BTreeSet::new())
        }
    }
}
