//! `gamelake rollback RUN_ID`: publish every table as that run left it.
//!
//! Each star table gets a new snapshot of the files it had after the run (history is kept;
//! see [`crate::lakehouse::restore`]); a table the run did not have is emptied. The
//! processed-files records go back to what they were then, so the next incremental run
//! processes again every raw file landed or processed after it. All of it, and the
//! rollback's own row in `gamelake_runs`, is published at once, fenced by the lease.
//!
//! Must never: delete a raw file or a data file, or publish part of a rollback.

use super::Gamelake;
use crate::catalog::staged::PublishMode;
use crate::etl::{publish, table_states};
use crate::lakehouse::restore;
use crate::runs::{self, AsOf, AsOfView, ReadAt, RunRecord};
use crate::{Error, Result, schema};

/// What a rollback did.
#[derive(Debug, Clone)]
pub struct RollbackReport {
    /// The rollback's own run id (its row in `gamelake_runs`).
    pub run_id: String,
    /// The run restored.
    pub restored: String,
    /// What became of the tables.
    pub tables: RolledBackTables,
    /// Raw files the next run will process again (list and detail landings).
    pub to_reprocess: usize,
    /// How the tables were published.
    pub published: PublishMode,
}

/// The tables a rollback published.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RolledBackTables {
    /// Restored to the snapshot the run left.
    pub restored: usize,
    /// Emptied: the run did not have them.
    pub emptied: usize,
}

impl Gamelake {
    /// Publishes every table as run `run_id` left it (see the module docs). Holds the lease.
    pub async fn rollback(&self, run_id: &str) -> Result<RollbackReport> {
        self.locked("rollback", |fence| async move {
            let started = chrono::Utc::now().naive_utc();
            let lake = self.lakehouse().await?;
            let history = runs::load(&lake).await?;
            // Where the run's tables are: on Nessie at the commit that published it.
            let then =
                AsOfView::resolve_in(&lake, &history, &AsOf::Run(run_id.to_string())).await?;
            let target = &then.run;
            let processed = runs::processed_as_of(&history, target).ok_or_else(|| {
                Error::AsOf(format!(
                    "run {run_id}: gamelake_runs does not say which raw files had been \
                     processed by then (no full build recorded before it), so a rollback \
                     could not tell what to process again"
                ))
            })?;
            let own_id = crate::new_run_id();
            let staged = lake.staged();
            let mut tables = RolledBackTables::default();
            for def in schema::tables() {
                let Some(table) = staged.load(&def.name).await? else {
                    continue;
                };
                let props = crate::etl::rollback_properties(def, &own_id, &processed)?;
                match target.tables.get(&def.name).and_then(|t| t.snapshot_id) {
                    Some(id) => {
                        let old = match &then.read {
                            ReadAt::Snapshots(_) => Some(table.clone()),
                            ReadAt::Commit { lake: at, .. } => at.load(&def.name).await?,
                        };
                        let from = restore::snapshot_then(old.as_ref(), &def.name, id)?;
                        restore::restore(&table, &from, props).await?;
                        tables.restored += 1;
                    }
                    None => {
                        let empty = staged.stage(def, empty_batch(def)?).await?;
                        staged
                            .commit_staged(empty, props, Default::default())
                            .await?;
                        tables.emptied += 1;
                    }
                }
            }
            let all_files = self
                .wh
                .parquet_files(crate::raw::RAW_GAMES_PREFIX)
                .await?
                .len()
                + self
                    .wh
                    .parquet_files(crate::raw::RAW_DETAILS_PREFIX)
                    .await?
                    .len();
            let record = RunRecord {
                run_id: own_id.clone(),
                command: "rollback".to_string(),
                started,
                finished: chrono::Utc::now().naive_utc(),
                status: runs::RunStatus::RolledBack,
                tables: table_states(&staged, &[]).await?,
                rolled_back_to: Some(run_id.to_string()),
                raw_files: Some(processed.clone()),
                ..Default::default()
            };
            // Members only later runs introduced leave the tables: their keys are kept for
            // when they come back.
            crate::etl::retired::retire_dropped(&self.wh, &lake, &staged).await?;
            runs::record(&staged, &record).await?;
            let message = crate::catalog::nessie::commit_message("rollback", &own_id);
            let published = publish(staged, Some(&fence), &message).await?;
            Ok(RollbackReport {
                run_id: own_id,
                restored: run_id.to_string(),
                tables,
                to_reprocess: all_files
                    .saturating_sub(processed.games.len() + processed.details.len()),
                published,
            })
        })
        .await
    }
}

/// No rows, in the table's schema.
fn empty_batch(def: &schema::TableDef) -> Result<arrow::array::RecordBatch> {
    Ok(arrow::array::RecordBatch::new_empty(def.arrow_schema()))
}
