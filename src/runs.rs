//! The runs table, `<namespace>.gamelake_runs` (`schemas/gamelake_runs.toml`): one row per
//! ETL run, rollback or refused publish, appended in the same publish as the tables it
//! describes, so a reader that sees a run's tables sees its row and the other way round.
//!
//! A row names, per star table, the snapshot that run left current: that is what
//! `--as-of RUN` reads and what `rollback RUN` restores. It also keeps the raw files the run
//! processed, so a rollback can tell which raw files later runs must process again.
//!
//! Must never: hold a secret (the source is recorded without its key), or be written outside
//! a publish.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use chrono::NaiveDateTime;
use datafusion::common::ScalarValue;
use datafusion::prelude::{col, lit};
use serde::{Deserialize, Serialize};

use crate::checks::CheckResult;
use crate::lakehouse::{Columns, Lakehouse};
use crate::schema;
use crate::{Error, Result};

/// A run's status, as the `status` column spells it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RunStatus {
    /// Its tables were published (`published`).
    #[default]
    Published,
    /// An error-level data check failed: nothing of it was published (`checks-failed`).
    ChecksFailed,
    /// A rollback: it published an earlier run's tables (`rolled-back`).
    RolledBack,
    /// Every raw file was processed already: no table was written, only this row
    /// (`nothing-new`).
    NothingNew,
    /// A status this release does not know (written by a later one), kept as written.
    Other(String),
}

impl RunStatus {
    /// The column's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            RunStatus::Published => "published",
            RunStatus::ChecksFailed => "checks-failed",
            RunStatus::RolledBack => "rolled-back",
            RunStatus::NothingNew => "nothing-new",
            RunStatus::Other(text) => text,
        }
    }

    /// The status the column's text names.
    pub fn parse(text: &str) -> Self {
        match text {
            "published" => RunStatus::Published,
            "checks-failed" => RunStatus::ChecksFailed,
            "rolled-back" => RunStatus::RolledBack,
            "nothing-new" => RunStatus::NothingNew,
            other => RunStatus::Other(other.to_string()),
        }
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which rows a run's data checks read, as the `checks_scope` column spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckScope {
    /// Every row of every table (`all`).
    All,
    /// Only the rows the run added or removed (`changed`).
    Changed,
}

impl CheckScope {
    /// The column's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckScope::All => "all",
            CheckScope::Changed => "changed",
        }
    }

    /// The scope the column's text names.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "all" => Some(CheckScope::All),
            "changed" => Some(CheckScope::Changed),
            _ => None,
        }
    }
}

/// One table as a run left it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableState {
    /// The table's current snapshot after the run (`None`: no snapshot yet).
    pub snapshot_id: Option<i64>,
    /// Rows the run wrote.
    pub rows_added: u64,
    /// Rows it removed (merge-on-read replacements).
    pub rows_removed: u64,
    /// False when the table was left as it was.
    pub written: bool,
}

/// The raw files a run processed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawFiles {
    /// True when the run rebuilt from every raw file (a first run, `--full-refresh`, a
    /// rollback): `games` and `details` are then every file processed so far.
    pub full: bool,
    /// List landing files.
    pub games: Vec<String>,
    /// Detail landing files.
    pub details: Vec<String>,
}

/// One row of `gamelake_runs`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunRecord {
    /// The run's id.
    pub run_id: String,
    /// `etl`, `run`, `rollback`.
    pub command: String,
    /// When it started (UTC).
    pub started: NaiveDateTime,
    /// When its publish was prepared (UTC).
    pub finished: NaiveDateTime,
    /// What became of it.
    pub status: RunStatus,
    /// Where the ingest read (no key), for `run`.
    pub source: Option<String>,
    /// Merge-on-read run.
    pub incremental: Option<bool>,
    /// Raw files read.
    pub raw_files_read: Option<u64>,
    /// Games rebuilt.
    pub games_processed: Option<u64>,
    /// Ingest: games seen, kept, unchanged; requests spent.
    pub games_seen: Option<u64>,
    /// New or changed games kept.
    pub games_kept: Option<u64>,
    /// Games skipped as unchanged.
    pub games_unchanged: Option<u64>,
    /// HTTP requests spent.
    pub requests: Option<u64>,
    /// Per star table.
    pub tables: BTreeMap<String, TableState>,
    /// Data check results.
    pub checks: Vec<CheckResult>,
    /// Which rows the checks read (`None`: no checks, or a row from before this was
    /// recorded).
    pub checks_scope: Option<CheckScope>,
    /// Why the checks read every row.
    pub checks_why: Option<String>,
    /// The raw files processed.
    pub raw_files: Option<RawFiles>,
    /// For a rollback: the run restored.
    pub rolled_back_to: Option<String>,
    /// On Nessie, for a run whose checks failed: the branch that keeps what it built.
    pub audit_branch: Option<String>,
}

impl RunRecord {
    /// The snapshot each star table had after this run (tables without one left out).
    pub fn snapshots(&self) -> BTreeMap<String, i64> {
        self.tables
            .iter()
            .filter_map(|(t, s)| s.snapshot_id.map(|id| (t.clone(), id)))
            .collect()
    }

    /// True when the run published tables (a run or a rollback, not a refused publish).
    pub fn published(&self) -> bool {
        matches!(self.status, RunStatus::Published | RunStatus::RolledBack)
    }

    /// True for a published row from before `checks_scope` was recorded: its check results
    /// tell its scope ([`Self::checked_all_rows`]).
    fn scope_in_checks(&self) -> bool {
        self.status == RunStatus::Published && self.checks_scope.is_none()
    }

    /// True when the run published tables that passed a check of every row. Rows from
    /// before the scope was recorded checked every row whenever they checked anything.
    pub fn checked_all_rows(&self) -> bool {
        self.status == RunStatus::Published
            && match self.checks_scope {
                Some(scope) => scope == CheckScope::All,
                None => !self.checks.is_empty(),
            }
    }

    /// Error-level checks that failed.
    pub fn checks_failed(&self) -> usize {
        crate::checks::failures(&self.checks).len()
    }

    /// The row as a one-row batch of the runs table's schema.
    pub fn to_batch(&self) -> Result<RecordBatch> {
        let def = schema::runs_table();
        let ts = |t: NaiveDateTime| t.and_utc().timestamp_micros();
        let opt_u64 =
            |v: Option<u64>| -> ArrayRef { Arc::new(Int64Array::from(vec![v.map(|v| v as i64)])) };
        let text = |v: Option<&str>| -> ArrayRef { Arc::new(StringArray::from(vec![v])) };
        let columns: Vec<ArrayRef> = def
            .columns
            .iter()
            .map(|c| -> Result<ArrayRef> {
                Ok(match c.name.as_str() {
                    "run_id" => text(Some(&self.run_id)),
                    "command" => text(Some(&self.command)),
                    "started" => Arc::new(TimestampMicrosecondArray::from(vec![ts(self.started)])),
                    "finished" => {
                        Arc::new(TimestampMicrosecondArray::from(vec![ts(self.finished)]))
                    }
                    "status" => text(Some(self.status.as_str())),
                    "source" => text(self.source.as_deref()),
                    "incremental" => Arc::new(BooleanArray::from(vec![self.incremental])),
                    "raw_files_read" => opt_u64(self.raw_files_read),
                    "games_processed" => opt_u64(self.games_processed),
                    "games_seen" => opt_u64(self.games_seen),
                    "games_kept" => opt_u64(self.games_kept),
                    "games_unchanged" => opt_u64(self.games_unchanged),
                    "requests" => opt_u64(self.requests),
                    "tables" => text(Some(&json(&self.tables)?)),
                    "checks" => text(Some(&json(&self.checks)?)),
                    "checks_failed" => {
                        Arc::new(Int32Array::from(vec![self.checks_failed() as i32]))
                    }
                    "raw_files" => match &self.raw_files {
                        Some(f) => text(Some(&json(f)?)),
                        None => text(None),
                    },
                    "rolled_back_to" => text(self.rolled_back_to.as_deref()),
                    "audit_branch" => text(self.audit_branch.as_deref()),
                    "checks_scope" => text(self.checks_scope.map(CheckScope::as_str)),
                    "checks_why" => text(self.checks_why.as_deref()),
                    other => {
                        return Err(Error::Schema(format!(
                            "gamelake_runs.{other}: schemas/gamelake_runs.toml has a column \
                             runs.rs does not fill"
                        )));
                    }
                })
            })
            .collect::<Result<_>>()?;
        Ok(RecordBatch::try_new(def.arrow_schema(), columns)?)
    }
}

/// JSON text of one of the row's structured columns.
fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(format!("runs row: {e}")))
}

/// Appends `record` to the runs table of `lake` (a staged lakehouse: it is published with
/// the run's tables).
pub async fn record(lake: &Lakehouse, record: &RunRecord) -> Result<()> {
    lake.append(schema::runs_table(), record.to_batch()?).await
}

/// How much of each row [`load_with`] parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every column.
    Whole,
    /// All but the two that grow: the raw files (`None`), and the check results (empty)
    /// except on rows from before `checks_scope` was recorded, whose scope they tell. What
    /// deciding a run's check scope reads: a daily job's runs table gains a row of check
    /// results a day, and reading a year of them would make every run slower than the last,
    /// so neither column is read from the files unless such a row is there.
    Summary,
}

/// Every recorded run, oldest first; empty when the table does not exist yet.
pub async fn load(lake: &Lakehouse) -> Result<Vec<RunRecord>> {
    load_with(lake, Detail::Whole).await
}

/// Every recorded run, oldest first, parsed to `detail`.
pub async fn load_with(lake: &Lakehouse, detail: Detail) -> Result<Vec<RunRecord>> {
    load_rows(lake, detail, None).await
}

/// The recorded runs that started at or after `since`, oldest first, parsed to `detail`:
/// the last rows of the table, without parsing a row a day of history.
pub async fn load_since(
    lake: &Lakehouse,
    detail: Detail,
    since: NaiveDateTime,
) -> Result<Vec<RunRecord>> {
    load_rows(lake, detail, Some(since)).await
}

async fn load_rows(
    lake: &Lakehouse,
    detail: Detail,
    since: Option<NaiveDateTime>,
) -> Result<Vec<RunRecord>> {
    let runs = match detail {
        Detail::Whole => read(lake, Columns::All, detail, since).await?,
        Detail::Summary => {
            let summary = Columns::AllBut(&["checks", "raw_files"]);
            let runs = read(lake, summary, detail, since).await?;
            if runs.iter().any(RunRecord::scope_in_checks) {
                read(lake, Columns::AllBut(&["raw_files"]), detail, since).await?
            } else {
                runs
            }
        }
    };
    Ok(runs)
}

/// The `columns` of every recorded run that started at or after `since` (every run when
/// `None`), oldest first, parsed to `detail`.
async fn read(
    lake: &Lakehouse,
    columns: Columns<'_>,
    detail: Detail,
    since: Option<NaiveDateTime>,
) -> Result<Vec<RunRecord>> {
    // Older runs are filtered out as the files are read: the tidy keeps the runs table at a
    // few files, oldest rows in the largest, whose statistics then rule it out whole.
    let filter = since.map(|t| {
        let micros = ScalarValue::TimestampMicrosecond(Some(t.and_utc().timestamp_micros()), None);
        col("started").gt_eq(lit(micros))
    });
    let table = &schema::runs_table().name;
    let Some(batches) = lake.read_where(table, columns, filter).await? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for b in &batches {
        for row in 0..b.num_rows() {
            out.push(from_row(b, row, detail)?);
        }
    }
    out.sort_by(|a, b| (a.started, &a.run_id).cmp(&(b.started, &b.run_id)));
    Ok(out)
}

fn from_row(b: &RecordBatch, row: usize, detail: Detail) -> Result<RunRecord> {
    let bad = |what: &str| Error::corrupt("gamelake_runs", format!("column {what}"));
    let col = |name: &str| b.column_by_name(name).ok_or_else(|| bad(name));
    let text = |name: &str| -> Result<Option<String>> {
        let c = col(name)?;
        let a = c
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| bad(name))?;
        Ok((!a.is_null(row)).then(|| a.value(row).to_string()))
    };
    let long = |name: &str| -> Result<Option<u64>> {
        let c = col(name)?;
        let a = c
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or_else(|| bad(name))?;
        Ok((!a.is_null(row)).then(|| a.value(row).max(0) as u64))
    };
    let time = |name: &str| -> Result<NaiveDateTime> {
        let c = col(name)?;
        let a = c
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .ok_or_else(|| bad(name))?;
        chrono::DateTime::from_timestamp_micros(a.value(row))
            .map(|t| t.naive_utc())
            .ok_or_else(|| bad(name))
    };
    fn parse<T: serde::de::DeserializeOwned>(
        name: &str,
        text: Option<String>,
    ) -> Result<Option<T>> {
        text.map(|t| {
            serde_json::from_str(&t)
                .map_err(|e| Error::corrupt("gamelake_runs", format!("column {name}: {e}")))
        })
        .transpose()
    }
    let incremental = {
        let c = col("incremental")?;
        let a = c
            .as_any()
            .downcast_ref::<BooleanArray>()
            .ok_or_else(|| bad("incremental"))?;
        (!a.is_null(row)).then(|| a.value(row))
    };
    // Appended by a later release: absent from a table no run of it has upgraded yet.
    let optional = |name: &str| -> Result<Option<String>> {
        match b.column_by_name(name) {
            Some(_) => text(name),
            None => Ok(None),
        }
    };
    let checks_scope = optional("checks_scope")?
        .map(|s| CheckScope::parse(&s).ok_or_else(|| bad("checks_scope")))
        .transpose()?;
    let whole = detail == Detail::Whole;
    // A summary reads the checks column only when a row needs it (`scope_in_checks`).
    let checks = if whole || (checks_scope.is_none() && b.column_by_name("checks").is_some()) {
        parse("checks", text("checks")?)?.unwrap_or_default()
    } else {
        Vec::new()
    };
    let raw_files = if whole {
        parse("raw_files", text("raw_files")?)?
    } else {
        None
    };
    Ok(RunRecord {
        run_id: text("run_id")?.unwrap_or_default(),
        command: text("command")?.unwrap_or_default(),
        started: time("started")?,
        finished: time("finished")?,
        status: RunStatus::parse(&text("status")?.unwrap_or_default()),
        source: text("source")?,
        incremental,
        raw_files_read: long("raw_files_read")?,
        games_processed: long("games_processed")?,
        games_seen: long("games_seen")?,
        games_kept: long("games_kept")?,
        games_unchanged: long("games_unchanged")?,
        requests: long("requests")?,
        tables: parse("tables", text("tables")?)?.unwrap_or_default(),
        checks,
        raw_files,
        rolled_back_to: text("rolled_back_to")?,
        audit_branch: optional("audit_branch")?,
        checks_scope,
        checks_why: optional("checks_why")?,
    })
}

/// Which published state to read: a run, or the last run published at or before a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsOf {
    /// A run id.
    Run(String),
    /// A UTC time.
    Time(NaiveDateTime),
}

impl AsOf {
    /// `RUN_ID`, or a time: `2026-12-03T09:00:00`, `2026-12-03 09:00:00`, `2026-12-03`
    /// (UTC, or with an offset).
    pub fn parse(text: &str) -> Self {
        let t = text.trim();
        if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
            return Self::Time(dt.naive_utc());
        }
        for format in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
        ] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(t, format) {
                return Self::Time(dt);
            }
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            && let Some(dt) = d.and_hms_opt(23, 59, 59)
        {
            return Self::Time(dt);
        }
        Self::Run(t.to_string())
    }

    /// The run whose published state this names: the run itself, or the last run that
    /// published tables at or before the time.
    pub fn find<'a>(&self, runs: &'a [RunRecord]) -> Result<&'a RunRecord> {
        let publishing = |r: &&RunRecord| r.published();
        let listed = || {
            let mut ids: Vec<&str> = runs
                .iter()
                .rev()
                .filter(publishing)
                .take(5)
                .map(|r| r.run_id.as_str())
                .collect();
            ids.reverse();
            if ids.is_empty() {
                "no run is recorded yet".to_string()
            } else {
                format!("the latest runs: {}", ids.join(", "))
            }
        };
        match self {
            Self::Run(id) => {
                let run = runs.iter().find(|r| &r.run_id == id).ok_or_else(|| {
                    Error::AsOf(format!(
                        "no run {id:?} in gamelake_runs ({}); see `gamelake status`",
                        listed()
                    ))
                })?;
                if !publishing(&run) {
                    return Err(Error::AsOf(format!(
                        "run {id} published nothing (status {}): its tables are those of the \
                         run before it",
                        run.status
                    )));
                }
                Ok(run)
            }
            Self::Time(t) => runs
                .iter()
                .rev()
                .filter(publishing)
                .find(|r| r.finished <= *t)
                .ok_or_else(|| {
                    Error::AsOf(format!(
                        "no run had published before {t} UTC ({})",
                        listed()
                    ))
                }),
        }
    }
}

/// How an `--as-of` reads the tables a run left: by the snapshots its row names (they stay
/// in each table's metadata until `maintain` expires them), or, on Nessie, whose tables keep
/// only their current snapshot, through the whole catalog at the Nessie commit the run
/// published (found in the default branch's log by the run id in its message).
#[derive(Debug, Clone)]
pub struct AsOfView {
    /// The run whose published state is read.
    pub run: RunRecord,
    /// Where its tables are read.
    pub read: ReadAt,
}

/// Where [`AsOfView`] reads.
#[derive(Debug, Clone)]
pub enum ReadAt {
    /// Each star table at the snapshot the run's row names.
    Snapshots(BTreeMap<String, i64>),
    /// Every table at a Nessie commit.
    Commit {
        /// The lakehouse at that commit.
        lake: Lakehouse,
        /// `<branch>@<hash>`.
        reference: String,
    },
}

impl AsOfView {
    /// Finds the run `as_of` names in `lake`'s runs table and where its tables are.
    pub async fn resolve(lake: &Lakehouse, as_of: &AsOf) -> Result<Self> {
        Self::resolve_in(lake, &load(lake).await?, as_of).await
    }

    /// The same, among `runs` already read from `lake`'s runs table.
    pub async fn resolve_in(lake: &Lakehouse, runs: &[RunRecord], as_of: &AsOf) -> Result<Self> {
        let run = as_of.find(runs)?.clone();
        let Some(nessie) = lake.nessie() else {
            return Ok(Self {
                read: ReadAt::Snapshots(run.snapshots()),
                run,
            });
        };
        let branch = &nessie.default_branch;
        let commit = nessie
            .find_commit(branch, &run.run_id)
            .await?
            .ok_or_else(|| {
                Error::AsOf(format!(
                    "run {}: no commit of Nessie branch {branch} names it (it may have been \
                     published on another branch, or the log was rewritten)",
                    run.run_id
                ))
            })?;
        let reference = format!("{branch}@{}", commit.hash);
        let at = lake
            .at_reference(&reference)
            .ok_or_else(|| Error::Internal("a Nessie catalog without references".into()))?;
        Ok(Self {
            run,
            read: ReadAt::Commit {
                lake: at,
                reference,
            },
        })
    }

    /// The lakehouse to read and, where it reads by snapshot, the snapshots; `current` is
    /// the lakehouse as it is now.
    pub fn reading<'a>(
        &'a self,
        current: &'a Lakehouse,
    ) -> (&'a Lakehouse, Option<&'a BTreeMap<String, i64>>) {
        match &self.read {
            ReadAt::Snapshots(s) => (current, Some(s)),
            ReadAt::Commit { lake, .. } => (lake, None),
        }
    }
}

/// The raw files processed as of `run`: its own list if it rebuilt from all of them, else
/// the last full list before it plus every published run's files since, up to `run`.
pub fn processed_as_of(runs: &[RunRecord], run: &RunRecord) -> Option<RawFiles> {
    let upto = runs.iter().position(|r| r.run_id == run.run_id)?;
    let mut chain: Vec<&RawFiles> = Vec::new();
    for r in runs[..=upto].iter().rev().filter(|r| r.published()) {
        let Some(files) = &r.raw_files else {
            continue;
        };
        chain.push(files);
        if files.full {
            let mut out = RawFiles {
                full: true,
                ..Default::default()
            };
            for f in chain.iter().rev() {
                out.games.extend(f.games.iter().cloned());
                out.details.extend(f.details.iter().cloned());
            }
            out.games.sort();
            out.games.dedup();
            out.details.sort();
            out.details.dedup();
            return Some(out);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").expect("time")
    }

    fn run(id: &str, finished: &str, status: RunStatus, files: Option<RawFiles>) -> RunRecord {
        RunRecord {
            run_id: id.into(),
            command: "run".into(),
            started: at(finished),
            finished: at(finished),
            status,
            raw_files: files,
            ..Default::default()
        }
    }

    fn files(full: bool, games: &[&str]) -> Option<RawFiles> {
        Some(RawFiles {
            full,
            games: games.iter().map(|g| g.to_string()).collect(),
            details: Vec::new(),
        })
    }

    #[test]
    fn a_row_reads_back_as_it_was_written() {
        let mut r = run(
            "r1",
            "2026-12-03 06:00:00",
            RunStatus::Published,
            files(true, &["a"]),
        );
        r.tables.insert(
            "fact_games".into(),
            TableState {
                snapshot_id: Some(7),
                rows_added: 3,
                rows_removed: 1,
                written: true,
            },
        );
        r.requests = Some(12);
        r.checks = vec![crate::checks::CheckResult::held(
            "fact_games",
            "unique(game_key)".into(),
        )];
        r.checks_scope = Some(CheckScope::Changed);
        let batch = r.to_batch().expect("batch");
        assert_eq!(from_row(&batch, 0, Detail::Whole).expect("row"), r);

        // A summary leaves out what grows, but not the checks that tell an old row's scope.
        let summary = from_row(&batch, 0, Detail::Summary).expect("row");
        let mut want = r.clone();
        (want.checks, want.raw_files) = (Vec::new(), None);
        assert_eq!(summary, want);
        r.checks_scope = None;
        let old = from_row(&r.to_batch().expect("batch"), 0, Detail::Summary).expect("row");
        assert!(old.checked_all_rows(), "{old:?}");
    }

    /// A summary leaves the checks column unread, unless a row from before `checks_scope`
    /// was recorded needs its checks to tell that it checked every row.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_summary_reads_the_checks_only_for_a_row_that_needs_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wh =
            crate::storage::Warehouse::open(dir.path().to_str().expect("utf8")).expect("warehouse");
        let lake = Lakehouse::open(&wh, "rawg").await.expect("lakehouse");
        let held = vec![crate::checks::CheckResult::held(
            "fact_games",
            "unique(game_key)".into(),
        )];
        let mut scoped = run(
            "r2",
            "2026-12-03 06:00:00",
            RunStatus::Published,
            files(true, &["a"]),
        );
        (scoped.checks, scoped.checks_scope) = (held.clone(), Some(CheckScope::All));
        record(&lake, &scoped).await.expect("record");
        let summary = load_with(&lake, Detail::Summary).await.expect("summary");
        assert_eq!((summary[0].checks.len(), &summary[0].raw_files), (0, &None));
        assert!(summary[0].checked_all_rows());

        let mut old = run("r1", "2026-12-02 06:00:00", RunStatus::Published, None);
        old.checks = held;
        record(&lake, &old).await.expect("record");
        let summary = load_with(&lake, Detail::Summary).await.expect("summary");
        let ids: Vec<&str> = summary.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(ids, ["r1", "r2"]);
        // The rows since a time, and only those, parsed as the whole table's are.
        let since = load_since(&lake, Detail::Summary, at("2026-12-03 00:00:00"))
            .await
            .expect("since");
        assert_eq!(since.as_slice(), &summary[1..]);
        assert!(summary[0].checked_all_rows(), "{:?}", summary[0]);
        assert_eq!((summary[1].checks.len(), &summary[1].raw_files), (0, &None));
        assert_eq!(load(&lake).await.expect("whole")[1], scoped);
    }

    #[test]
    fn as_of_finds_runs_and_times_and_skips_refused_publishes() {
        let runs = [
            run("r1", "2026-12-01 06:00:00", RunStatus::Published, None),
            run("r2", "2026-12-02 06:00:00", RunStatus::ChecksFailed, None),
            run("r3", "2026-12-03 06:00:00", RunStatus::Published, None),
        ];
        let find = |text: &str| AsOf::parse(text).find(&runs).map(|r| r.run_id.clone());
        assert_eq!(find("r1").expect("r1"), "r1");
        assert_eq!(find("2026-12-02T12:00:00").expect("by time"), "r1");
        assert_eq!(find("2026-12-03").expect("a day means its end"), "r3");
        assert!(matches!(find("r2"), Err(Error::AsOf(_))), "refused run");
        assert!(
            matches!(find("2026-11-30"), Err(Error::AsOf(_))),
            "before all"
        );
        let err = find("nope").expect_err("unknown").to_string();
        assert!(err.contains("r1, r3"), "{err}");
    }

    #[test]
    fn processed_files_are_the_last_full_list_and_what_published_runs_added_since() {
        let runs = [
            run(
                "r1",
                "2026-12-01 06:00:00",
                RunStatus::Published,
                files(true, &["a", "b"]),
            ),
            run(
                "r2",
                "2026-12-02 06:00:00",
                RunStatus::Published,
                files(false, &["c"]),
            ),
            run(
                "r3",
                "2026-12-03 06:00:00",
                RunStatus::ChecksFailed,
                files(false, &["d"]),
            ),
            run(
                "r4",
                "2026-12-04 06:00:00",
                RunStatus::Published,
                files(false, &["d"]),
            ),
        ];
        let games = |i: usize| processed_as_of(&runs, &runs[i]).map(|f| f.games);
        assert_eq!(games(0), Some(vec!["a".into(), "b".into()]));
        assert_eq!(games(1), Some(vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(
            games(3),
            Some(vec!["a".into(), "b".into(), "c".into(), "d".into()])
        );
        let no_full = [run(
            "x",
            "2026-12-01 06:00:00",
            RunStatus::Published,
            files(false, &["a"]),
        )];
        assert_eq!(processed_as_of(&no_full, &no_full[0]), None);
    }
}
