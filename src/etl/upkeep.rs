//! A run's work on its tables that needs nothing from the raw landing: their first loads,
//! whether the run is incremental and the upgrade of tables a former release wrote; then an
//! incremental run's upkeep: which rows its checks read ([`super::coverage`]), the tidy of the
//! most overdue star table, the runs table's tidy and the expiry of old snapshots, each
//! staged with the run.
//!
//! It runs on a task of its own from the run's start ([`Begun::start`]). The ETL waits for
//! its first part before it reads a table ([`Begun::incremental`]), and for the upkeep just
//! before the run's first write ([`Begun::finish`]): `gamelake run` starts it before
//! its ingest, whose page reads (network waits on the live API) leave the cores mostly idle,
//! and the ETL's read of the landing and its build leave one core idle again. The run then
//! writes the tables as the tidy left them: a tidy never rewrites rows the run just wrote,
//! and nothing it does races the run's own commits.
//!
//! It writes nothing until the run knows it has something to publish (its latch, opened by
//! the ingest's first game kept or by the ETL's plan): a run with nothing new writes no
//! file (the staged upgrade, which a table of a former release needs before anything reads
//! it, is the exception). A run whose ingest fails after that leaves the files its upkeep
//! staged unreferenced, as a run whose checks fail leaves its own: `maintain` removes them.
//! A catalog that fails the first loads fails the run after its ingest, which keeps what it
//! landed for the next run.
//!
//! Must never: publish (everything is staged, and goes with the run's publish or nowhere),
//! or write before its latch opens.

use tokio::sync::oneshot;

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

/// A run's tables as it first loads them, its staging, and its upkeep under way.
pub(crate) struct Begun {
    /// The published tables, pinned: every step reads them as the run first loaded them, and
    /// a REST catalog is asked for each table once, not at every step.
    pub lake: Lakehouse,
    /// Everything the run writes, staged until its publish.
    pub staged: StagedLakehouse,
    /// Whether the run is incremental: sent by the task once it has loaded the tables and
    /// staged their upgrade; `None` once received.
    incremental: Option<oneshot::Receiver<bool>>,
    /// The tables' first loads and upgrade, then an incremental run's upkeep; `None` once
    /// joined.
    task: Option<AbortOnDrop<Result<Upkept>>>,
    /// Lets the upkeep write.
    go: Latch,
}

impl Begun {
    /// Starts a run's first work on its tables, on a task of its own: it pins them, loads
    /// each (a request to a REST catalog), finds whether the run is incremental and stages
    /// the upgrade of any table a former release wrote (they gain this release's columns
    /// before anything reads or tidies them); then an incremental run's upkeep, which writes
    /// once `go` opens (the run has something to publish). A `gamelake run` starts it before
    /// its ingest, so the catalog's answers come while the ingest reads pages.
    pub(crate) fn start(lake: &Lakehouse, opts: &EtlOptions, go: Latch) -> Self {
        let lake = lake.pinned();
        let staged = lake.staged();
        let (said, incremental) = oneshot::channel();
        let task = AbortOnDrop::spawn(prepare_then_upkeep(
            lake.clone(),
            (*staged).clone(),
            opts.clone(),
            go.clone(),
            said,
        ));
        Self {
            lake,
            staged,
            incremental: Some(incremental),
            task: Some(task),
            go,
        }
    }

    /// Lets the upkeep write: the run has something to publish.
    pub(super) fn go(&self) {
        self.go.open();
    }

    /// Whether the run is incremental, once the tables are loaded and their upgrade staged:
    /// nothing may read them before. An error of that first work is returned here. Asked
    /// once.
    pub(super) async fn incremental(&mut self) -> Result<bool> {
        let receiver = self.incremental.take().ok_or_else(|| {
            crate::Error::Internal("the run asked twice whether it is incremental".into())
        })?;
        if let Ok(incremental) = receiver.await {
            return Ok(incremental);
        }
        // The task ended before it said: its result says why.
        if let Some(task) = self.task.take() {
            task.join()
                .await
                .map_err(|e| stopped("the first loads of this run's tables", &e))??;
        }
        Err(crate::Error::Internal(
            "the run's first loads of its tables ended without saying whether the run is \
             incremental: rerun it, and report this line, as it is a gamelake bug"
                .into(),
        ))
    }

    /// Waits for the upkeep (a full build has none).
    pub(super) async fn finish(&mut self) -> Result<Upkept> {
        let task = self.task.take().ok_or_else(|| {
            crate::Error::Internal("the run's upkeep was waited for twice".into())
        })?;
        task.join()
            .await
            .map_err(|e| stopped("the upkeep of this run's tables", &e))?
    }
}

/// The run's first loads of its tables ([`Begun::start`]): whether it is incremental, said
/// on `said` once the upgrade is staged; then its upkeep, when it is incremental.
async fn prepare_then_upkeep(
    lake: Lakehouse,
    staged: Lakehouse,
    opts: EtlOptions,
    go: Latch,
    said: oneshot::Sender<bool>,
) -> Result<Upkept> {
    failpoint::hit("etl.first-loads");
    let incremental = super::plan::incremental(&lake, opts.full_refresh).await?;
    staged.upgrade().await?;
    // The run stopped waiting when nobody listens: it has stopped, and this task with it.
    let _ = said.send(incremental);
    if !incremental {
        return Ok(Upkept::full_build());
    }
    upkeep(lake, staged, opts, go).await
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
