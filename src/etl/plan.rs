//! The ETL's first step: what this run must read, from the raw files the warehouse holds and
//! the lists of those already processed: `gamelake.raw-files` on `fact_games` for the list
//! landing, and on `dim_game` for the detail landing.
//!
//! Those lists are [`Covered`] records: a span of the landing's files, a few dozen bytes
//! however many files a year of daily runs lands.
//!
//! Must never: read anything but the raw file listings and those two table properties.

use super::RAW_FILES_PROPERTY;
use crate::Result;
use crate::dims::{FACT_TABLE, GAME_DETAIL_TABLE};
use crate::lakehouse::Lakehouse;
use crate::raw::Covered;
use crate::storage::Warehouse;

/// One landing's files: all of them, and those this run reads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Files {
    /// Every raw file of the landing, sorted; recorded as processed by this run.
    pub all: Vec<String>,
    /// The files to read: all of them in a full build, the unprocessed ones otherwise.
    pub to_read: Vec<String>,
}

impl Files {
    /// The processed-files record this run commits, as JSON: a [`Covered`] span of them all.
    pub fn json(&self) -> Result<String> {
        Covered::span_of(&self.all).to_json()
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
    /// Plans a run. `incremental`: as the run's start decided it ([`incremental`]), so the
    /// run's upkeep and its plan agree; otherwise the run rebuilds everything from all raw
    /// files (a first run, `--full-refresh`).
    pub async fn make(
        wh: &Warehouse,
        lake: &Lakehouse,
        incremental: bool,
        full_refresh: bool,
    ) -> Result<Self> {
        let (game_files, detail_files) = futures::try_join!(
            wh.parquet_files(crate::raw::RAW_GAMES_PREFIX),
            wh.parquet_files(crate::raw::RAW_DETAILS_PREFIX)
        )?;
        let (processed_games, processed_details) = futures::try_join!(
            processed_files(lake, FACT_TABLE),
            processed_files(lake, GAME_DETAIL_TABLE)
        )?;
        let files = |all: Vec<String>, processed: Option<Covered>, table: &str| {
            let to_read = if incremental {
                unprocessed(&all, processed.as_ref(), table)
            } else {
                all.clone()
            };
            Files { all, to_read }
        };
        let games = files(game_files, processed_games, FACT_TABLE);
        let details = files(detail_files, processed_details, GAME_DETAIL_TABLE);
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

/// Whether a run is incremental: it is not a `full_refresh`, and the fact records raw files
/// processed. Decided once, at the run's start ([`super::upkeep::Begun::start`]), before the
/// landing is listed: the upkeep starts on it, and [`Plan::make`] takes it.
pub(crate) async fn incremental(lake: &Lakehouse, full_refresh: bool) -> Result<bool> {
    let processed = processed_files(lake, FACT_TABLE).await?;
    Ok(!full_refresh && processed.is_some_and(|p| !p.is_empty()))
}

/// The files of a landing (`all`) that `table`'s record (`processed`) does not cover. When
/// the landing no longer holds exactly what the record covered, every file: a game read
/// again keeps its key and takes its newest version, while a file skipped would be lost.
fn unprocessed(all: &[String], processed: Option<&Covered>, table: &str) -> Vec<String> {
    let Some(record) = processed else {
        return all.to_vec();
    };
    match record.covered(all) {
        Some(done) => all
            .iter()
            .filter(|f| !done.contains(f.as_str()))
            .cloned()
            .collect(),
        None => {
            tracing::warn!(
                "{table}'s record of processed raw files no longer matches the landing: a \
                 processed file is gone, or a raw file landed among them since (out of name \
                 order: a clock set back, a file copied in); reading all {} raw files of that \
                 landing again: games keep their keys and take their newest version",
                all.len()
            );
            all.to_vec()
        }
    }
}

/// The record of the raw files `table` processed; `None` when it has none, or one that
/// cannot be read (then the run rebuilds, as on a first run).
async fn processed_files(lake: &Lakehouse, table: &str) -> Result<Option<Covered>> {
    let Some(json) = lake.property(table, RAW_FILES_PROPERTY).await? else {
        return Ok(None);
    };
    match Covered::from_json(&json) {
        Ok(record) => Ok(Some(record)),
        Err(e) => {
            tracing::warn!("{table} property {RAW_FILES_PROPERTY} is unreadable ({e}); rebuilding");
            Ok(None)
        }
    }
}
