//! The ETL's first step: what this run must read, from the raw files the warehouse holds
//! and the list of those already processed (`gamelake.raw-files` on `fact_games`).
//!
//! Must never: read anything but the raw file listing and one table property.

use std::collections::BTreeSet;

use super::RAW_FILES_PROPERTY;
use crate::dims::FACT_TABLE;
use crate::lakehouse::Lakehouse;
use crate::storage::Warehouse;
use crate::{Error, Result};

/// What one ETL run does.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Every raw file the warehouse holds, sorted; recorded as processed by this run.
    pub files: Vec<String>,
    /// The raw files to read: all of them in a full build, the unprocessed ones otherwise.
    pub to_read: Vec<String>,
    /// Only new raw files are read and their games replace their rows, merge-on-read.
    pub incremental: bool,
    /// Every raw file was processed already: nothing to do.
    pub nothing_new: bool,
}

impl Plan {
    /// Plans a run; `full_refresh` rebuilds everything from all raw files.
    pub async fn make(wh: &Warehouse, lake: &Lakehouse, full_refresh: bool) -> Result<Self> {
        let files = wh.raw_game_files().await?;
        let processed = processed_files(lake).await?;
        let new_files: Vec<String> = files
            .iter()
            .filter(|f| !processed.contains(*f))
            .cloned()
            .collect();
        let nothing_new = !full_refresh && !files.is_empty() && new_files.is_empty();
        let incremental = !full_refresh && !processed.is_empty();
        let to_read = match (nothing_new, incremental) {
            (true, _) => Vec::new(),
            (false, true) => new_files,
            (false, false) => files.clone(),
        };
        Ok(Self {
            files,
            to_read,
            incremental,
            nothing_new,
        })
    }

    /// The processed-files list this run commits with the fact, as JSON.
    pub fn files_json(&self) -> Result<String> {
        serde_json::to_string(&self.files)
            .map_err(|e| Error::Internal(format!("raw file list: {e}")))
    }
}

async fn processed_files(lake: &Lakehouse) -> Result<BTreeSet<String>> {
    let Some(json) = lake.property(FACT_TABLE, RAW_FILES_PROPERTY).await? else {
        return Ok(BTreeSet::new());
    };
    match serde_json::from_str(&json) {
        Ok(files) => Ok(files),
        Err(e) => {
            tracing::warn!(
                "{FACT_TABLE} property {RAW_FILES_PROPERTY} is unreadable ({e}); rebuilding"
            );
            Ok(BTreeSet::new())
        }
    }
}
