//! ETL: raw parquet to the star schema in Iceberg, in five steps:
//!
//! 1. `plan`: which raw files to read. The first run (and `--full-refresh`) reads every
//!    one; later runs read only those no run has processed (incremental), and a run with
//!    nothing new stops here.
//! 2. `read`: the latest version of each game as one flat frame, and the newest mention of
//!    every dimension member (`members`); then what the warehouse already holds
//!    (`stored`: keys, dimension rows).
//! 3. `star`: the tables, built in Polars with stable keys (`keys`), as a `star::Star`
//!    of named parts (dimensions, bridges, fact).
//!    Details (developers, publishers, the texts of `dim_game`) are read and built beside
//!    the list results, from their own landing and processed-files record.
//! 4. `commit`: dimensions, bridges, `dim_game`, then `fact_games`, each landing's record of
//!    raw files covered committed with the last table it feeds;
//!    whole tables in a full build, the changed games' rows merge-on-read
//!    ([`crate::lakehouse::deletes`]) in an incremental one.
//! 5. `publish`: every commit of steps 3–4 was staged ([`Lakehouse::staged`]), so nobody saw
//!    it yet. The data checks ([`crate::checks`]) run on the staged tables; if one of error
//!    level fails, nothing is published and only the run's row (status `checks-failed`)
//!    is; on Nessie what the run built is kept on a branch of its own
//!    (`gamelake-run-<id>`, write-audit-publish), which the row and the error name.
//!    Otherwise the run's row joins the staged tables in `gamelake_runs`, the lease is
//!    checked (a run that lost it stops here), and everything is published at once.
//!
//! An incremental run's upkeep (`upkeep`: which rows its checks read, the tidy of the most
//! overdue star table, the runs table's tidy and the expiry of old snapshots) runs on a task
//! of its own from the run's start (before the ingest of a `gamelake run`) and is staged
//! before step 4 writes anything, so the run appends to the tidied tables and never has its
//! own rows rewritten.
//!
//! Kill points for the crash tests: `etl.tidy` as an incremental run's tidy starts,
//! `etl.committed.<table>` after each table is staged, `etl.upkeep` as the runs table's tidy
//! and the expiry start, `etl.before-publish` with everything staged and checked,
//! `etl.published` right after.
//!
//! Must never: move a surrogate key, write a table whose contents did not change (no new
//! snapshot on a rerun with nothing new), leave a required column null, or publish a run
//! whose checks failed or whose lease was lost. It takes no lease: [`crate::ops`] does,
//! around it, and hands in its fence.

pub(crate) mod commit;
pub mod coverage;
pub(crate) mod interop;
pub(crate) mod keys;
pub(crate) mod members;
pub(crate) mod plan;
pub(crate) mod read;
pub mod retired;
pub(crate) mod star;
pub(crate) mod stored;
pub(crate) mod upkeep;

use std::sync::Arc;
use std::time::Duration;

use crate::catalog::staged::{Fence, PublishMode};
use crate::checks::{self, CheckResult, Expectations};
use crate::ingest::IngestReport;
use crate::keyset::KeySet;
use crate::lakehouse::maintain::{Expired, Tidied, TidyPolicy};
use crate::lakehouse::{Lakehouse, StagedLakehouse};
use crate::lease::LeaseFence;
use crate::progress::Progress;
use crate::runs::{self, RawFiles, RunRecord, TableState};
use crate::schema::TableDef;
use crate::storage::Warehouse;
use crate::{Error, Result, failpoint};
use coverage::Coverage;
use upkeep::Begun;

/// Table property: the raw files the table's contents were built from (on `fact_games` the
/// list landing's, on `dim_game` the detail landing's), a [`crate::raw::Covered`] record.
pub const RAW_FILES_PROPERTY: &str = "gamelake.raw-files";
/// Table property: fingerprint of the table's contents, to skip unchanged tables.
pub const FINGERPRINT_PROPERTY: &str = "gamelake.fingerprint";
/// Snapshot summary key (full writes) and table property (every write): the ETL run that
/// wrote the table last.
pub const RUN_ID_SUMMARY: &str = "gamelake.run-id";
/// Table properties set in the same commit as each write: rows the last run added and
/// removed. They stand in for snapshot-summary fields because iceberg-rust 0.10's append
/// (which merge-on-read commits through) takes no caller summary.
pub const ROWS_ADDED_PROPERTY: &str = "gamelake.last-run.rows-added";
/// Table property set in the same commit as each write: rows the last run removed
/// (`all` for a whole-table write), for the reason given at [`ROWS_ADDED_PROPERTY`].
pub const ROWS_REMOVED_PROPERTY: &str = "gamelake.last-run.rows-removed";

/// How old the newest `updated` may be before the freshness check warns, by default.
pub const DEFAULT_FRESHNESS: Duration = Duration::from_secs(7 * 86_400);

/// How an ETL run works.
#[derive(Debug, Clone)]
pub struct EtlOptions {
    /// Rebuild and rewrite every table from all raw data (keys are kept).
    pub full_refresh: bool,
    /// The freshness check warns when the newest `updated` is older than this.
    pub freshness: Duration,
    /// An incremental run checks every row once in this period ([`coverage::due_after`]);
    /// otherwise only the rows it changed.
    pub full_check_every: Duration,
    /// When an incremental run tidies a table's files in its own publish (one table a run,
    /// the most overdue).
    pub tidy: TidyPolicy,
    /// An incremental run expires snapshots older than this in its own publish (one table a
    /// run, the one with most, once it has `expire_batch` of them), so `--as-of` and
    /// rollback reach back this far.
    pub keep_snapshots: Duration,
    /// How many of a table's snapshots must be past `keep_snapshots` before a run expires
    /// them ([`EXPIRE_BATCH`] by default).
    pub expire_batch: usize,
}

/// A run expires a table's old snapshots once it has this many past the keep period, not
/// one a day. An expiry reads the manifests of every snapshot it keeps to tell which files
/// it frees, whatever the batch, so a larger batch pays that read less often; the price is
/// a longer history (the keep period and up to a batch of daily snapshots more) in each
/// table's metadata, and a table waits a run for each other table due before it (one is
/// expired a run). The daily-runs benchmark chose it (docs/benchmarks.md).
pub const EXPIRE_BATCH: usize = 32;

impl Default for EtlOptions {
    fn default() -> Self {
        Self {
            full_refresh: false,
            freshness: DEFAULT_FRESHNESS,
            full_check_every: coverage::DEFAULT_FULL_CHECK_EVERY,
            tidy: TidyPolicy::default(),
            keep_snapshots: crate::lakehouse::maintain::MaintainOptions::default().retain,
            expire_batch: EXPIRE_BATCH,
        }
    }
}

/// The ingest a `gamelake run` did before its ETL.
#[derive(Debug, Clone)]
pub struct IngestRun {
    /// What it did.
    pub report: IngestReport,
    /// Where it read from (shown with any key redacted).
    pub source: crate::ingest::Source,
}

/// Who runs the ETL, for its row in `gamelake_runs`, and the lease it must still hold to
/// publish.
#[derive(Debug, Clone, Default)]
pub struct RunContext {
    /// `etl` or `run`.
    pub command: String,
    /// The ingest that ran before it (`gamelake run`).
    pub ingest: Option<IngestRun>,
    /// The lease's fence; `None` only for callers that hold no lease (tests).
    pub fence: Option<LeaseFence>,
}

/// What happened to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOutcome {
    /// The table's name, without namespace.
    pub name: String,
    /// Rows written: the whole table, or in an incremental run the changed games' rows.
    pub rows: usize,
    /// False when the contents were unchanged and nothing was written.
    pub written: bool,
    /// Rows replaced through position deletes (incremental runs).
    pub rows_removed: u64,
    /// Incremental runs: what the upsert's read of the key column found of the rows it
    /// kept, which the checks take instead of reading the column again.
    pub kept_keys: Option<checks::KeptKeys>,
}

/// What an ETL run did.
#[derive(Debug, Clone, Default)]
pub struct EtlReport {
    /// This run's id (also in the tables' `gamelake.run-id`).
    pub run_id: String,
    /// Raw files the warehouse holds.
    pub raw_files: usize,
    /// Raw files this run read (all of them in a full build, the new ones otherwise).
    pub new_raw_files: usize,
    /// Games processed: all games in a full build, the new or changed ones otherwise.
    pub games: usize,
    /// True when only new raw files were processed, merge-on-read.
    pub incremental: bool,
    /// True when every raw file had been processed already and nothing was done.
    pub nothing_new: bool,
    /// Per table, in commit order.
    pub tables: Vec<TableOutcome>,
    /// The data checks' results (empty when nothing was new).
    pub checks: Vec<CheckResult>,
    /// Which rows the checks read (`None` when nothing was new).
    pub coverage: Option<Coverage>,
    /// The table this run tidied in its publish, if one was due.
    pub tidied: Option<Tidied>,
    /// The table whose old snapshots this run expired in its publish, if one was due.
    pub expired: Option<Expired>,
    /// How the tables were published.
    pub published: Option<PublishMode>,
}

/// Logs (at debug level) how long each step of a run took, the CPU time the process spent
/// in it (all threads: above the wall time when the step used both cores), and how many
/// pages of memory it touched for the first time (the process's minor page faults):
/// figures for benchmarks. Steps that run side by side (the upkeep and the checks) each
/// count the other's CPU and pages too. On a virtual machine a first touch is dear and
/// varies from run to run, so the pages are the steadier of the figures.
struct Lap {
    at: std::time::Instant,
    usage: Option<Usage>,
}

impl Lap {
    fn start() -> Self {
        Self {
            at: std::time::Instant::now(),
            usage: Usage::now(),
        }
    }

    fn done(&mut self, step: &str) {
        let ms = self.at.elapsed().as_millis() as u64;
        let usage = Usage::now();
        match (self.usage, usage) {
            (Some(before), Some(now)) => tracing::debug!(
                step,
                ms,
                cpu_ms = now.cpu_us.saturating_sub(before.cpu_us) / 1000,
                pages = now.minor_faults.saturating_sub(before.minor_faults),
                "etl step"
            ),
            _ => tracing::debug!(step, ms, "etl step"),
        }
        (self.at, self.usage) = (std::time::Instant::now(), usage);
    }
}

/// What the process has used so far, all threads.
#[derive(Debug, Clone, Copy)]
struct Usage {
    /// User and system CPU time, in microseconds.
    cpu_us: u64,
    /// Minor page faults: pages touched for the first time.
    minor_faults: u64,
}

impl Usage {
    /// `None` if the kernel does not say.
    fn now() -> Option<Self> {
        // SAFETY: an all-zero rusage is valid, and getrusage only writes into the one we own.
        let (rc, usage) = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            (libc::getrusage(libc::RUSAGE_SELF, &mut usage), usage)
        };
        let micros = |t: libc::timeval| {
            u64::try_from(t.tv_sec)
                .ok()?
                .checked_mul(1_000_000)?
                .checked_add(u64::try_from(t.tv_usec).ok()?)
        };
        if rc != 0 {
            return None;
        }
        Some(Self {
            cpu_us: micros(usage.ru_utime)?.checked_add(micros(usage.ru_stime)?)?,
            minor_faults: u64::try_from(usage.ru_minflt).ok()?,
        })
    }
}

/// Runs the ETL over the warehouse's raw landing (the caller holds the lease) and publishes
/// it with its row in `gamelake_runs`. `begun`: the run's tables and upkeep, started by the
/// caller ([`Begun::start`]) as early as it may.
pub(crate) async fn run(
    wh: &Warehouse,
    mut begun: Begun,
    opts: &EtlOptions,
    ctx: &RunContext,
    progress: &mut dyn Progress,
) -> Result<EtlReport> {
    let lake = &begun.lake.clone();
    let started = chrono::Utc::now().naive_utc();
    let run_id = crate::new_run_id();
    let incremental = begun.incremental().await?;
    let plan = plan::Plan::make(wh, lake, incremental, opts.full_refresh).await?;
    let mut report = EtlReport {
        run_id: run_id.clone(),
        raw_files: plan.games.all.len() + plan.details.all.len(),
        new_raw_files: plan.games.to_read.len() + plan.details.to_read.len(),
        incremental: plan.incremental,
        nothing_new: plan.nothing_new,
        ..Default::default()
    };
    if plan.nothing_new {
        tracing::info!("every raw file was processed already: nothing to do");
        let mut record = run_record(&run_id, started, &plan, &report, ctx);
        record.status = runs::RunStatus::NothingNew;
        record.raw_files = None;
        report.published = Some(publish_row(lake, record, ctx).await?);
        return Ok(report);
    }
    begun.go();
    let mut lap = Lap::start();
    let landing = Landing::read(wh, &plan).await?;
    lap.done("read the landing");
    report.games = landing.games.as_ref().map_or(0, |g| g.latest.height());
    let star = build(wh, &begun.staged, landing).await?;
    let upkept = begun.finish().await?;
    lap.done("build, the upkeep beside");
    let staged = begun.staged;
    // What the run writes is compared against the tables as the tidy left them: a tidy keeps
    // every row (it refuses to commit otherwise), so its files need no check of their own.
    let before_writes = staged.as_staged_now();
    report.tables = stage_tables(&staged, star, &plan, opts, &run_id, progress).await?;
    lap.done("stage the tables");
    let coverage = upkept.decision.coverage;
    let changes = match coverage {
        Coverage::Changed => {
            let mut changes = checks::Changes::between(&before_writes, &staged).await?;
            for t in &report.tables {
                if let Some(keys) = &t.kept_keys {
                    changes.kept_keys_read(&t.name, keys.clone());
                }
            }
            Some(changes)
        }
        Coverage::All(_) => None,
    };
    lap.done("list the run's changes");
    let mut lap = Lap::start();
    let landed = games_landed(wh, &plan, report.games, ctx).await?;
    lap.done("count the games landed");
    report.checks = check_staged(&staged, landed, opts, &coverage, changes).await?;
    lap.done("check");
    report.tidied = upkept.tidied;
    report.expired = upkept.expired;
    report.coverage = Some(coverage);
    let record = run_record(&run_id, started, &plan, &report, ctx);
    let failed = checks::failures(&report.checks);
    if !failed.is_empty() {
        return Err(refuse_publish(lake, staged, record, failed, ctx).await);
    }
    let tidied = report.tidied.as_ref();
    report.published = Some(publish_run(staged, record, &report.tables, tidied, ctx).await?);
    tracing::info!(run = run_id, "published");
    lake.delete_freed(report.expired.as_ref()).await;
    Ok(report)
}

/// What an ETL run reads from the raw landing, and which games it rebuilds.
struct Landing {
    /// The list landing's new games (`None`: an incremental run with new details only).
    games: Option<star::RawGames>,
    details: star::RawDetails,
    /// Incremental runs: the games whose list part is rebuilt.
    rebuilt: Option<KeySet>,
    /// Incremental runs: the games whose detail part is rebuilt.
    detailed: Option<KeySet>,
}

impl Landing {
    async fn read(wh: &Warehouse, plan: &plan::Plan) -> Result<Self> {
        tracing::info!(
            files = plan.games.to_read.len(),
            detail_files = plan.details.to_read.len(),
            incremental = plan.incremental,
            "reading raw"
        );
        // An incremental run with new details only reads no list file.
        let games = if plan.incremental && plan.games.to_read.is_empty() {
            None
        } else {
            Some(read::read_games(wh, &plan.games.to_read).await?)
        };
        let details = read::read_details(wh, &plan.details.to_read).await?;
        let ids_of = |frame: &polars::prelude::DataFrame| -> Result<KeySet> {
            let ids = frame.column("id")?.as_materialized_series().i64()?;
            Ok(KeySet::new(ids.iter().flatten()))
        };
        let (rebuilt, detailed) = if plan.incremental {
            (
                // Nothing of the list part rebuilt: no game's dates are left out.
                Some(match &games {
                    Some(g) => ids_of(&g.latest)?,
                    None => KeySet::new([]),
                }),
                details.latest.as_ref().map(ids_of).transpose()?,
            )
        } else {
            (None, None)
        };
        Ok(Self {
            games,
            details,
            rebuilt,
            detailed,
        })
    }
}

/// Builds the star schema from the landing and the keys and members the tables hold.
async fn build(wh: &Warehouse, lake: &Lakehouse, landing: Landing) -> Result<star::Star> {
    let retired = retired::RetiredKeys::load(wh).await?;
    tracing::info!("reading existing keys");
    let Landing {
        games,
        details,
        rebuilt,
        detailed,
    } = landing;
    let existing = stored::load(lake, &retired, rebuilt.as_ref(), detailed.as_ref()).await?;
    tracing::info!("building the star schema");
    tokio::task::spawn_blocking(move || star::build(games, details, &existing)).await?
}

/// Stages the built tables: whole in a full build, the changed games' rows otherwise.
async fn stage_tables(
    lake: &Lakehouse,
    star: star::Star,
    plan: &plan::Plan,
    opts: &EtlOptions,
    run_id: &str,
    progress: &mut dyn Progress,
) -> Result<Vec<TableOutcome>> {
    progress.begin("tables", Some(star.len() as u64));
    let commit = commit::Commit {
        lake,
        run_id,
        game_files_json: plan.games.json()?,
        detail_files_json: plan.details.json()?,
        full_refresh: opts.full_refresh,
    };
    let tables = if plan.incremental {
        commit.incremental(star, progress).await?
    } else {
        commit.whole(star, progress).await?
    };
    progress.finish();
    Ok(tables)
}

/// A task of the run's that stopped (it panicked), `what` it did: an error that says nothing
/// was published.
fn stopped(what: &str, e: &tokio::task::JoinError) -> Error {
    Error::Internal(format!(
        "{what} stopped: {e}. Nothing of this run was published: rerun it, and report this \
         line, as it is a gamelake bug"
    ))
}

/// How many distinct games the landing holds, which the fact's rows must match. A full
/// build read them all; otherwise the change data capture state counts them, derived from
/// every raw list file: as the run's own ingest left it when the ETL listed the same files,
/// else read again from the index and the files outside it.
async fn games_landed(
    wh: &Warehouse,
    plan: &plan::Plan,
    games_read: usize,
    ctx: &RunContext,
) -> Result<u64> {
    if !plan.incremental {
        return Ok(games_read as u64);
    }
    let counted = ctx
        .ingest
        .as_ref()
        .and_then(|ingest| ingest.report.landed.as_ref())
        .and_then(|landed| landed.games_in(&plan.games.all));
    match counted {
        Some(games) => Ok(games),
        None => crate::ingest::cdc::CdcState::count_games_of(wh, &plan.games.all).await,
    }
}

/// The data checks on the staged tables (every row, or `changes`: what the run changed
/// against the published tables), the fact against the `landed` games; warnings are logged.
async fn check_staged(
    lake: &Lakehouse,
    landed: u64,
    opts: &EtlOptions,
    coverage: &Coverage,
    changes: Option<checks::Changes>,
) -> Result<Vec<CheckResult>> {
    match coverage {
        Coverage::Changed => tracing::info!("checking the rows this run changed before publishing"),
        Coverage::All(why) => tracing::info!("checking every row before publishing: {why}"),
    }
    let expect = Expectations {
        games_landed: Some(landed),
        freshness: Some(opts.freshness),
    };
    let results = checks::run(lake, &expect, changes.as_ref()).await?;
    for warning in results.iter().filter(|c| !c.passed) {
        tracing::warn!("data check: {}", warning.line());
    }
    Ok(results)
}

/// The run's row in `gamelake_runs`, as if it publishes (the tables are added at the end).
fn run_record(
    run_id: &str,
    started: chrono::NaiveDateTime,
    plan: &plan::Plan,
    report: &EtlReport,
    ctx: &RunContext,
) -> RunRecord {
    let mut record = RunRecord {
        run_id: run_id.to_string(),
        command: ctx.command.clone(),
        started,
        finished: chrono::Utc::now().naive_utc(),
        status: runs::RunStatus::Published,
        incremental: Some(plan.incremental),
        raw_files_read: Some(report.new_raw_files as u64),
        games_processed: Some(report.games as u64),
        checks: report.checks.clone(),
        checks_scope: report.coverage.as_ref().map(|c| match c {
            Coverage::All(_) => runs::CheckScope::All,
            Coverage::Changed => runs::CheckScope::Changed,
        }),
        checks_why: match &report.coverage {
            Some(Coverage::All(why)) => Some(why.to_string()),
            _ => None,
        },
        raw_files: Some(RawFiles {
            full: !plan.incremental,
            games: plan.games.to_read.clone(),
            details: plan.details.to_read.clone(),
        }),
        ..Default::default()
    };
    if let Some(IngestRun {
        report: ingest,
        source,
    }) = &ctx.ingest
    {
        record.source = Some(source.to_string());
        record.games_seen = Some(ingest.games_seen as u64);
        record.games_kept = Some(ingest.games_kept as u64);
        record.games_unchanged = Some(ingest.games_unchanged as u64);
        record.requests = Some(ingest.requests);
    }
    record
}

/// Publishes the staged tables with the run's row, fenced by the lease.
async fn publish_run(
    staged: StagedLakehouse,
    mut record: RunRecord,
    outcomes: &[TableOutcome],
    tidied: Option<&Tidied>,
    ctx: &RunContext,
) -> Result<PublishMode> {
    let mut lap = Lap::start();
    record.tables = table_states(&staged, outcomes).await?;
    if let Some(t) = tidied.and_then(|t| record.tables.get_mut(&t.table)) {
        t.written = true;
    }
    runs::record(&staged, &record).await?;
    lap.done("stage the run's row");
    failpoint::hit("etl.before-publish");
    let message = crate::catalog::nessie::commit_message(&ctx.command, &record.run_id);
    let published = publish(staged, ctx.fence.as_ref(), &message).await?;
    lap.done("publish");
    failpoint::hit("etl.published");
    Ok(published)
}

/// Checks failed: nothing of the run reaches the published tables, only its row
/// (`checks-failed`). On Nessie what it built is kept on a branch of its own, to be queried
/// and audited; the row names it. Returns the run's error (or what failed in recording it).
async fn refuse_publish(
    published: &Lakehouse,
    staged: StagedLakehouse,
    mut record: RunRecord,
    failed: Vec<String>,
    ctx: &RunContext,
) -> Error {
    let message = crate::catalog::nessie::commit_message(&ctx.command, &record.run_id);
    let branch = crate::catalog::nessie::audit_branch(&record.run_id);
    // Keeping them is a help for the audit, not the run's result: if it fails, the run
    // still fails for its checks, with its row.
    let kept = match staged.publish_to_new_branch(&branch, &message).await {
        Ok(kept) => kept,
        Err(e) => {
            tracing::warn!("the run's tables could not be kept on Nessie branch {branch}: {e}");
            false
        }
    };
    record.status = runs::RunStatus::ChecksFailed;
    record.audit_branch = kept.then(|| branch.clone());
    match publish_row(published, record, ctx).await {
        Ok(_) => Error::ChecksFailed {
            failed,
            kept_on: kept.then_some(branch),
        },
        Err(e) => e,
    }
}

/// Publishes the run's row alone (no table of the run): the tables are recorded as `lake`
/// shows them.
async fn publish_row(
    lake: &Lakehouse,
    mut record: RunRecord,
    ctx: &RunContext,
) -> Result<PublishMode> {
    let message = crate::catalog::nessie::commit_message(&ctx.command, &record.run_id);
    record.tables = table_states(lake, &[]).await?;
    let row = lake.staged();
    runs::record(&row, &record).await?;
    publish(row, ctx.fence.as_ref(), &message).await
}

/// The properties a rollback to a run sets on table `def`, as the ETL reads them: the
/// rollback's run id; a fingerprint that matches no contents, so the next full build writes
/// the table again; and on the tables that carry a processed-files record, the record of
/// the files processed as of that run (`processed`), so the next run processes again what
/// came later.
pub fn rollback_properties(
    def: &TableDef,
    rollback_run_id: &str,
    processed: &RawFiles,
) -> Result<Vec<(String, String)>> {
    let mut props = vec![
        (RUN_ID_SUMMARY.to_string(), rollback_run_id.to_string()),
        (
            FINGERPRINT_PROPERTY.to_string(),
            format!("rollback:{rollback_run_id}"),
        ),
    ];
    let files = match def.name.as_str() {
        crate::dims::FACT_TABLE => Some(&processed.games),
        crate::dims::GAME_DETAIL_TABLE => Some(&processed.details),
        _ => None,
    };
    if let Some(files) = files {
        let json = crate::raw::Covered::span_of(files).to_json()?;
        props.push((RAW_FILES_PROPERTY.to_string(), json));
    }
    Ok(props)
}

/// Publishes a staged lakehouse, fenced by the lease: checked just before (on S3 that renews
/// it) and, on the embedded catalog, again inside the publishing transaction.
pub(crate) async fn publish(
    staged: StagedLakehouse,
    fence: Option<&LeaseFence>,
    message: &str,
) -> Result<PublishMode> {
    let fence: Option<Fence> = match fence {
        Some(f) => {
            f.check().await?;
            let f = f.clone();
            Some(Arc::new(move || f.check_local()))
        }
        None => None,
    };
    staged.publish(fence, message).await
}

/// Every star table as `lake` shows it: its current snapshot, and what `outcomes` did to it.
pub(crate) async fn table_states(
    lake: &Lakehouse,
    outcomes: &[TableOutcome],
) -> Result<std::collections::BTreeMap<String, TableState>> {
    let mut out = std::collections::BTreeMap::new();
    for def in crate::schema::tables() {
        let Some(t) = lake.load(&def.name).await? else {
            continue;
        };
        let snapshot_id = t
            .metadata()
            .current_snapshot(None)
            .map_err(iceberg_rust::error::Error::from)?
            .map(|s| *s.snapshot_id());
        let outcome = outcomes.iter().find(|o| o.name == def.name);
        out.insert(
            def.name.clone(),
            TableState {
                snapshot_id,
                rows_added: outcome.filter(|o| o.written).map_or(0, |o| o.rows as u64),
                rows_removed: outcome.map_or(0, |o| o.rows_removed),
                written: outcome.is_some_and(|o| o.written),
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Source;
    use crate::ingest::cdc::CdcState;

    fn incremental(all: Vec<String>) -> plan::Plan {
        plan::Plan {
            games: plan::Files {
                all,
                to_read: Vec::new(),
            },
            details: plan::Files::default(),
            incremental: true,
            nothing_new: false,
        }
    }

    /// A `gamelake run`'s ETL takes the games landed from its ingest when it lists the files
    /// the ingest left, and reads the landing again when it lists others.
    #[tokio::test]
    async fn the_games_landed_come_from_the_ingest_of_the_same_landing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("open");
        let (mut state, loaded) = CdcState::load_for_ingest(&wh).await.expect("load");
        for id in 1..=3 {
            state.observe(id, chrono::NaiveDateTime::default(), 1);
        }
        // The ingest's count, of a file that is not there: a read would fail.
        let ingested = "raw/games/run_date=2026-01-01/a.parquet".to_string();
        let ctx = RunContext {
            command: "run".into(),
            ingest: Some(IngestRun {
                report: IngestReport {
                    landed: Some(state.landed(&loaded, std::slice::from_ref(&ingested))),
                    ..IngestReport::default()
                },
                source: Source::Folder("pages".into()),
            }),
            fence: None,
        };
        let plan = incremental(vec![ingested.clone()]);
        assert_eq!(games_landed(&wh, &plan, 0, &ctx).await.expect("count"), 3);

        // Another listing (here an empty landing): read, not taken from the ingest.
        let plan = incremental(Vec::new());
        assert_eq!(games_landed(&wh, &plan, 0, &ctx).await.expect("count"), 0);
        let full_build = plan::Plan {
            incremental: false,
            ..incremental(vec![ingested])
        };
        assert_eq!(
            games_landed(&wh, &full_build, 5, &ctx)
                .await
                .expect("count"),
            5
        );
    }
}
