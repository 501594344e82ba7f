//! An incremental run's work on its tables that needs nothing from the raw landing: which
//! rows its checks read ([`super::coverage`]), the tidy of the most overdue star table, the
//! runs table's tidy and the expiry of old snapshots, each staged with the run.
//!
//! It runs on a task of its own from the run's start ([`Begun::start`]) to just before the
//! run's first write, which waits for it ([`Begun::finish`]): `gamelake run` starts it before
//! its ingest, whose page reads (network waits on the live API) leave the cores mostly idle,
//! and the ETL's read of the landing and its build leave one core idle again. The run then
//! writes the tables as the tidy left them: a tidy never rewrites rows the run just wrote,
//! and nothing it does races the run's own commits.
//!
//! It writes nothing until the run knows it has something to publish (its latch, opened by
//! the ingest's first game kept or by the ETL's plan): a run with nothing new writes no
//! file. A run whose ingest fails after that leaves the files its upkeep staged
//! unreferenced, as a run whose checks fail leaves its own: `maintain` removes them.
//!
//! Must never: publish (everything is staged, and goes with the run's publish or nowhere),
//! or write before its latch opens.

use super::coverage::{self, Coverage, WhyAll};
use super::{EtlOptions, Lap, stopped};
use crate::lakehouse::maintain::{Expired, Tidied, TidyPolicy};
use crate::lakehouse::{Lakehouse, StagedLakehouse};
use crate::task::{AbortOnDrop, Latch};
use crate::{Result, failpoint};

/// What an incremental run settled before it wrote a table.
#[derive(Debug)]
pub(super) struct Upkept {
    /// Which rows the checks read, and whether the tidy waits.
    pub decision: coverage::Decision,
    /// The star table tidied, if one was due.
    pub tidied: Option<Tidied>,
    /// The table whose old snapshots were expired, if one was due.
    pub expired: Option<Expired>,
}

impl Upkept {
    /// A full build: every row checked, nothing to tidy or expire (every table is written
    /// afresh).
    fn full_build() -> Self {
        Self {
            decision: coverage::Decision {
                coverage: Coverage::All(WhyAll::FullBuild),
                tidy_waits: false,
            },
            tidied: None,
            expired: None,
        }
    }
}

/// A run's tables as it first loaded them, its staging, and its upkeep under way.
pub(crate) struct Begun {
    /// The published tables, pinned: every step reads them as the run first loaded them, and
    /// a REST catalog is asked for each table once, not at every step.
    pub lake: Lakehouse,
    /// Everything the run writes, staged until its publish.
    pub staged: StagedLakehouse,
    /// An incremental run's upkeep; `None` for a full build.
    upkeep: Option<AbortOnDrop<Result<Upkept>>>,
    /// Lets the upkeep write.
    go: Latch,
}

impl Begun {
    /// Pins the tables, stages the upgrade of any a former release wrote (they gain this
    /// release's columns before anything reads or tidies them), and starts an incremental
    /// run's upkeep, which reads from now on and writes once `go` opens (the run has
    /// something to publish). `full_refresh`: the run rewrites every table, and needs none.
    pub(crate) async fn start(lake: &Lakehouse, opts: &EtlOptions, go: Latch) -> Result<Self> {
        let lake = lake.pinned();
        let incremental = super::plan::incremental(&lake, opts.full_refresh).await?;
        let staged = lake.staged();
        staged.upgrade().await?;
        let upkeep = incremental.then(|| {
            AbortOnDrop::spawn(upkeep(
                lake.clone(),
                (*staged).clone(),
                opts.clone(),
                go.clone(),
            ))
        });
        Ok(Self {
            lake,
            staged,
            upkeep,
            go,
        })
    }

    /// Lets the upkeep write: the run has something to publish.
    pub(super) fn go(&self) {
        self.go.open();
    }

    /// Whether the run is incremental, as [`Self::start`] found it.
    pub(super) fn incremental(&self) -> bool {
        self.upkeep.is_some()
    }

    /// Waits for the upkeep (a full build has none).
    pub(super) async fn finish(&mut self) -> Result<Upkept> {
        match self.upkeep.take() {
            Some(task) => task
                .join()
                .await
                .map_err(|e| stopped("the upkeep of this run's tables", &e))?,
            None => Ok(Upkept::full_build()),
        }
    }
}

/// The upkeep's steps, in order: each writes staged tables the one before may have written,
/// and the first once `go` opens.
async fn upkeep(
    published: Lakehouse,
    staged: Lakehouse,
    opts: EtlOptions,
    go: Latch,
) -> Result<Upkept> {
    let recent = coverage::RecentRuns::read(published.clone(), opts.full_check_every).await?;
    let decision = coverage::decide(&published, recent).await?;
    go.opened().await;
    // Each step on a task of its own, so a panic says which one stopped.
    let tidied = AbortOnDrop::spawn(tidy(staged.clone(), decision.tidy_waits, opts.tidy))
        .join()
        .await
        .map_err(|e| stopped("the tidy of this run's tables", &e))??;
    let expired = AbortOnDrop::spawn(runs_table_and_expiry(staged, opts))
        .join()
        .await
        .map_err(|e| stopped("the upkeep of this run's tables", &e))??;
    Ok(Upkept {
        decision,
        tidied,
        expired,
    })
}

/// Tidies the most overdue star table, staged, unless the run checks every row
/// (`waits`: the tidy waits for the next run).
async fn tidy(staged: Lakehouse, waits: bool, policy: TidyPolicy) -> Result<Option<Tidied>> {
    failpoint::hit("etl.tidy");
    let mut lap = Lap::start();
    if waits {
        tracing::info!("this run checks every row: tidying waits for the next run");
        lap.done("tidy");
        return Ok(None);
    }
    let tidied = staged.tidy_most_overdue(&policy).await?;
    if let Some(t) = &tidied {
        tracing::info!(
            table = t.table,
            files = t.files_rewritten,
            rows_dropped = t.rows_dropped,
            "tidied"
        );
    }
    lap.done("tidy");
    Ok(tidied)
}

/// The runs table tidied when it is overdue under its own policy
/// ([`TidyPolicy::for_runs_table`]), on full-check days too, as it costs little: only its
/// smallest files are merged (`maintain::tidy`), not the year of rows in its large ones.
/// Then the snapshots older than the keep period of the table with most of them expired,
/// once it has `opts.expire_batch` ([`Lakehouse::expire_most_overdue`]).
async fn runs_table_and_expiry(staged: Lakehouse, opts: EtlOptions) -> Result<Option<Expired>> {
    failpoint::hit("etl.upkeep");
    let mut lap = Lap::start();
    let runs = &crate::schema::runs_table().name;
    if let Some(t) = staged
        .tidy_if_overdue(runs, &opts.tidy.for_runs_table())
        .await?
    {
        tracing::debug!(table = t.table, files = t.files_rewritten, "tidied");
    }
    let expired = staged
        .expire_most_overdue(opts.keep_snapshots, opts.expire_batch)
        .await?;
    if let Some(e) = &expired {
        tracing::info!(
            table = e.table,
            snapshots = e.snapshots,
            files_freed = e.freed.len(),
            "expired snapshots older than the keep period"
        );
    }
    lap.done("tidy the runs table and expire");
    Ok(expired)
}
