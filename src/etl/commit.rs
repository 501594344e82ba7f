//! The ETL's last step: the built [`Star`] into the tables, in dependency order: dimensions,
//! then bridges, then `dim_game` and `fact_games`, which carry the lists of raw files
//! covered (`gamelake.raw-files`: detail files, list files) in the same commit as their data. A run that dies before that commit
//! is redone by the next one; every step is idempotent, so the redo converges.
//!
//! A full build writes each table whose contents changed whole, in one snapshot; unchanged
//! tables (same fingerprint) are not written. An incremental run writes dimensions whole and
//! replaces the changed games' rows of the bridges and the fact, merge-on-read.
//!
//! Must never: commit the fact before every other table of the run, or write a table whose
//! contents did not change.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use polars::prelude::DataFrame;

use super::star::{Built, Star};
use super::{
    FINGERPRINT_PROPERTY, RAW_FILES_PROPERTY, ROWS_ADDED_PROPERTY, ROWS_REMOVED_PROPERTY,
    RUN_ID_SUMMARY, TableOutcome, interop,
};
use crate::checks;
use crate::failpoint;
use crate::lakehouse::deletes::RowChange;
use crate::lakehouse::{Lakehouse, Staged};
use crate::progress::Progress;
use crate::schema::TableDef;
use crate::task::{AbortOnDrop, Latch};
use crate::{Error, Result};

/// What every commit of one run shares.
pub(crate) struct Commit<'a> {
    pub lake: &'a Lakehouse,
    pub run_id: &'a str,
    /// The processed list files, as JSON: committed with the fact.
    pub game_files_json: String,
    /// The processed detail files, as JSON: committed with `dim_game`.
    pub detail_files_json: String,
    /// Rewrite every table even when unchanged.
    pub full_refresh: bool,
}

/// The column a per-game table's rows are replaced by.
const GAME_KEY: &str = "game_key";

/// The game keys of a per-game table's built rows: the games whose rows it replaces.
fn game_keys(built: &Built) -> Result<Arc<HashSet<i64>>> {
    Ok(Arc::new(
        built
            .1
            .column(GAME_KEY)?
            .as_materialized_series()
            .i64()?
            .iter()
            .flatten()
            .collect(),
    ))
}

impl Commit<'_> {
    /// A full build: the fact, the largest table, is shaped, fingerprinted and its data files
    /// written on its own task while the other tables are written; it is committed last.
    pub async fn whole(
        &self,
        star: Star,
        progress: &mut dyn Progress,
    ) -> Result<Vec<TableOutcome>> {
        let Star {
            dims,
            games,
            details,
        } = star;
        let (bridges, fact) = match games {
            Some(g) => (g.bridges, Some(g.fact)),
            None => (Vec::new(), None),
        };
        let (detail_bridges, detail_table) = match details {
            Some(d) => (d.bridges, Some(d.table)),
            None => (Vec::new(), None),
        };
        let (lake, full_refresh) = (self.lake.clone(), self.full_refresh);
        let fact_task = fact.map(|fact| {
            AbortOnDrop::spawn(async move { prepare_whole(&lake, fact, full_refresh).await })
        });
        let mut outcomes = Vec::new();
        for built in dims.into_iter().chain(bridges).chain(detail_bridges) {
            let whole = prepare_whole(self.lake, built, self.full_refresh).await?;
            let outcome = self.commit_whole(whole, None).await?;
            done(&mut outcomes, progress, outcome);
        }
        if let Some(built) = detail_table {
            let whole = prepare_whole(self.lake, built, self.full_refresh).await?;
            let outcome = self
                .commit_whole(whole, Some(&self.detail_files_json))
                .await?;
            done(&mut outcomes, progress, outcome);
        }
        if let Some(task) = fact_task {
            let whole = task.join().await??;
            let outcome = self
                .commit_whole(whole, Some(&self.game_files_json))
                .await?;
            done(&mut outcomes, progress, outcome);
        }
        Ok(outcomes)
    }

    /// An incremental run: dimensions whole, then the changed games' rows of the bridges
    /// (all at once: they are independent tables), of `dim_game`, and last of the fact,
    /// merge-on-read. The list bridges and the fact replace the games of the new list files,
    /// the detail bridges and `dim_game` those of the new detail files. The fact's rows are
    /// read and its files written beside the bridges; its commit waits for every other
    /// table's.
    pub async fn incremental(
        &self,
        star: Star,
        progress: &mut dyn Progress,
    ) -> Result<Vec<TableOutcome>> {
        let Star {
            dims,
            games,
            details,
        } = star;
        let mut outcomes = Vec::new();
        for built in dims {
            let whole = prepare_whole(self.lake, built, self.full_refresh).await?;
            let outcome = self.commit_whole(whole, None).await?;
            done(&mut outcomes, progress, outcome);
        }
        let mut bridges = Vec::new();
        let mut detail_table = None;
        if let Some(d) = details {
            let changed = game_keys(&d.table)?;
            for built in d.bridges {
                bridges.push((built, changed.clone()));
            }
            detail_table = Some((d.table, changed));
        }
        let others_committed = Latch::new();
        let fact = match games {
            Some(g) => {
                let changed = game_keys(&g.fact)?;
                for built in g.bridges {
                    bridges.push((built, changed.clone()));
                }
                let props = per_game_properties(self.run_id, Some(&self.game_files_json));
                let (lake, ready) = (self.lake.clone(), others_committed.clone());
                Some(AbortOnDrop::spawn(async move {
                    upsert_changed(&lake, g.fact, &changed, props, Some(&ready)).await
                }))
            }
            None => None,
        };
        let tasks: Vec<_> = bridges
            .into_iter()
            .map(|(built, changed)| {
                let lake = self.lake.clone();
                let props = per_game_properties(self.run_id, None);
                AbortOnDrop::spawn(async move {
                    upsert_changed(&lake, built, &changed, props, None).await
                })
            })
            .collect();
        for task in tasks {
            let outcome = task.join().await??;
            done(&mut outcomes, progress, outcome);
        }
        // `dim_game`, then the fact: each carries its landing's processed files.
        if let Some((built, changed)) = detail_table {
            let props = per_game_properties(self.run_id, Some(&self.detail_files_json));
            let outcome = upsert_changed(self.lake, built, &changed, props, None).await?;
            done(&mut outcomes, progress, outcome);
        }
        others_committed.open();
        if let Some(task) = fact {
            let outcome = task.join().await??;
            done(&mut outcomes, progress, outcome);
        }
        Ok(outcomes)
    }

    /// Commits a prepared whole table. `raw_files` (the fact only): the processed-files record,
    /// recorded even when the data is unchanged.
    async fn commit_whole(&self, whole: Whole, raw_files: Option<&str>) -> Result<TableOutcome> {
        let Whole {
            def,
            rows,
            fingerprint,
            staged,
        } = whole;
        let mut props = vec![(FINGERPRINT_PROPERTY.to_string(), fingerprint)];
        props.extend(crate::lakehouse::metadata_log_properties());
        if let Some(files) = raw_files {
            props.push((RAW_FILES_PROPERTY.to_string(), files.to_string()));
        }
        let written = staged.is_some();
        match staged {
            Some(staged) => {
                let summary = HashMap::from([
                    (RUN_ID_SUMMARY.to_string(), self.run_id.to_string()),
                    ("gamelake.rows".to_string(), rows.to_string()),
                ]);
                props.extend([
                    (RUN_ID_SUMMARY.to_string(), self.run_id.to_string()),
                    (ROWS_ADDED_PROPERTY.to_string(), rows.to_string()),
                    (ROWS_REMOVED_PROPERTY.to_string(), "all".to_string()),
                ]);
                self.lake.commit_staged(staged, props, summary).await?;
            }
            // The data is the same but the processed-files record moves on.
            None if raw_files.is_some() => self.lake.set_properties(def, props).await?,
            None => {}
        }
        Ok(TableOutcome {
            name: def.name.clone(),
            rows,
            written,
            rows_removed: 0,
            kept_keys: None,
        })
    }
}

/// A table is committed: log it, pass its kill point, count it.
fn done(outcomes: &mut Vec<TableOutcome>, progress: &mut dyn Progress, outcome: TableOutcome) {
    tracing::info!(
        table = outcome.name,
        rows = outcome.rows,
        removed = outcome.rows_removed,
        written = outcome.written,
        "table done"
    );
    failpoint::hit(&format!("etl.committed.{}", outcome.name));
    progress.advance(1, &outcome.name);
    outcomes.push(outcome);
}

/// A whole table ready to commit: shaped, fingerprinted, and its data files staged unless
/// its contents are unchanged.
struct Whole {
    def: &'static TableDef,
    rows: usize,
    fingerprint: String,
    /// `None`: the contents equal the stored ones (and no full refresh was asked for).
    staged: Option<Staged>,
}

async fn prepare_whole(lake: &Lakehouse, built: Built, full_refresh: bool) -> Result<Whole> {
    let (def, frame) = built;
    let (batch, fingerprint) = tokio::task::spawn_blocking(move || {
        let batch = interop::frame_to_batch(&frame, def)?;
        drop(frame);
        let fingerprint = interop::fingerprint(&batch)?;
        Ok::<_, Error>((batch, fingerprint))
    })
    .await??;
    let rows = batch.num_rows();
    let unchanged = lake
        .property(&def.name, FINGERPRINT_PROPERTY)
        .await?
        .as_deref()
        == Some(fingerprint.as_str());
    let staged = if unchanged && !full_refresh {
        None
    } else {
        Some(lake.stage(def, batch).await?)
    };
    Ok(Whole {
        def,
        rows,
        fingerprint,
        staged,
    })
}

/// The properties of a merge-on-read write; the fact's also carry the raw files covered.
fn per_game_properties(run_id: &str, raw_files_json: Option<&str>) -> Vec<(String, String)> {
    let mut props = vec![
        (
            FINGERPRINT_PROPERTY.to_string(),
            format!("incremental:{run_id}"),
        ),
        (RUN_ID_SUMMARY.to_string(), run_id.to_string()),
    ];
    props.extend(crate::lakehouse::metadata_log_properties());
    if let Some(files) = raw_files_json {
        props.push((RAW_FILES_PROPERTY.to_string(), files.to_string()));
    }
    props
}

/// Replaces the changed games' rows of a bridge or the fact with the built rows,
/// merge-on-read; the rows it removed join the properties of the same commit, which waits
/// for `ready` when given.
async fn upsert_changed(
    lake: &Lakehouse,
    built: Built,
    changed_games: &HashSet<i64>,
    mut props: Vec<(String, String)>,
    ready: Option<&Latch>,
) -> Result<TableOutcome> {
    let (def, frame): (&'static TableDef, DataFrame) = built;
    let batch = interop::frame_to_batch(&frame, def)?;
    drop(frame);
    let rows = batch.num_rows();
    props.push((ROWS_ADDED_PROPERTY.to_string(), rows.to_string()));
    let properties = |change: &RowChange| {
        let mut props = props.clone();
        props.push((
            ROWS_REMOVED_PROPERTY.to_string(),
            change.rows_removed.to_string(),
        ));
        props
    };
    let change = lake
        .upsert_when(
            def,
            GAME_KEY,
            changed_games,
            Some(batch),
            &properties,
            ready,
        )
        .await?;
    Ok(TableOutcome {
        name: def.name.clone(),
        rows,
        written: change.rows_added + change.rows_removed > 0,
        rows_removed: change.rows_removed,
        kept_keys: Some(checks::KeptKeys {
            column: GAME_KEY.to_string(),
            sharing_added: change.kept_sharing_added,
        }),
    })
}
