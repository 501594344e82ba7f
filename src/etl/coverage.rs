//! Which rows a run's data checks read: every row, or only the rows the run changed
//! ([`crate::checks::Changes`]).
//!
//! Changed rows catch what a check of every row catches only when the published tables are
//! a state that passed, changed since by nothing but the run itself. So a run checks only
//! what it changed when all of these hold, read from `gamelake_runs` and the tables:
//!
//! - it is incremental (a full build writes every table whole);
//! - every star table's current snapshot is the one the last publishing run recorded:
//!   nothing committed since (another engine's compaction, a hand edit, `gamelake maintain`,
//!   a rollback by another engine) — a `nothing-new` or `checks-failed` row publishes no
//!   table and proves nothing, so the comparison is with the last run that published;
//! - no rollback published since the last check of every row (a rollback publishes an
//!   earlier state without checks);
//! - that last check of every row started less than the period ago (`--full-check-days`,
//!   default a week), so whatever a narrow check could miss is found within it. A daily job
//!   starts at about the same time each day, a little earlier or later: so the period counts
//!   from the start of the checked run, and a check is due from half a day per week before
//!   it ends ([`due_after`]), or a weekly check would slip to every eighth day.
//!
//! Otherwise every row is checked, and the run says why. `gamelake check` always checks
//! every row.
//!
//! A run that checks every row because the period is due, after a run that checked only
//! what it changed, leaves the tidy of its tables to the next run ([`Decision::tidy_waits`]):
//! the weekly full check and the tidy of a large table each make a run much dearer than a
//! plain day's, and on the same day they would add up. The tidy waits one run at most: a run
//! after a full check tidies whatever its own checks.
//!
//! Must never: choose changed rows when any of the above is unknown.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDateTime;

use crate::Result;
use crate::lakehouse::Lakehouse;
use crate::runs::{self, CheckScope, RunRecord, RunStatus};

/// How often every row is checked at least, by default.
pub const DEFAULT_FULL_CHECK_EVERY: Duration = Duration::from_secs(7 * 86_400);

/// Which rows a run's checks read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// Every row of every table, and why.
    All(WhyAll),
    /// Only what the run changed.
    Changed,
}

/// Why a run checks every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhyAll {
    /// The run rebuilds every table.
    FullBuild,
    /// No run that checked every row is recorded.
    NoCheckedRun,
    /// A table's current snapshot is not the one the last publishing run left.
    ChangedOutside {
        /// The first such table.
        table: String,
        /// The last publishing run.
        since_run: String,
    },
    /// A rollback published an earlier state since the last full check.
    Rollback {
        /// The rollback's run id.
        run_id: String,
    },
    /// The last check of every row is due again ([`due_after`]).
    PeriodDue {
        /// When that run started.
        last: NaiveDateTime,
        /// The period.
        every: Duration,
    },
}

impl std::fmt::Display for WhyAll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WhyAll::FullBuild => f.write_str("a full build"),
            WhyAll::NoCheckedRun => f.write_str("no earlier run checked every row"),
            WhyAll::ChangedOutside { table, since_run } => write!(
                f,
                "{table} has a commit that is not a gamelake run's since run {since_run} \
                 (another engine, a hand edit or gamelake maintain)"
            ),
            WhyAll::Rollback { run_id } => write!(f, "rollback {run_id} since the last full check"),
            WhyAll::PeriodDue { last, every } => write!(
                f,
                "every row is checked every {}; the last full check started {}",
                period(*every),
                last.format("%Y-%m-%d %H:%M")
            ),
        }
    }
}

/// What an incremental run decides of its checks and its tidy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Which rows its checks read.
    pub coverage: Coverage,
    /// True when it leaves tidying to the next run (the module's docs).
    pub tidy_waits: bool,
}

/// The runs table's part of a run's decision: the runs that decide it, as read when the
/// run started. It reads only `gamelake_runs`, which a run writes at its publish and no
/// step before, so a run reads it beside its build ([`RecentRuns::read`], then [`decide`]).
#[derive(Debug)]
pub(crate) struct RecentRuns {
    runs: Vec<RunRecord>,
    now: NaiveDateTime,
    every: Duration,
}

impl RecentRuns {
    /// The runs that decide a run's checks with period `every`, as of now.
    pub(crate) async fn read(lake: Lakehouse, every: Duration) -> Result<Self> {
        let now = chrono::Utc::now().naive_utc();
        let runs = runs_that_decide(&lake, every, now).await?;
        Ok(Self { runs, now, every })
    }
}

/// Decides what an incremental run checks: from `recent` and the published tables' current
/// snapshots (`lake` shows the published tables, not what the run staged).
pub(crate) async fn decide(lake: &Lakehouse, recent: RecentRuns) -> Result<Decision> {
    let RecentRuns { runs, now, every } = recent;
    let current = super::table_states(lake, &[])
        .await?
        .into_iter()
        .map(|(table, state)| (table, state.snapshot_id))
        .collect();
    let coverage = judge(&runs, &current, every, now);
    let tidy_waits = tidy_waits(&coverage, &runs);
    Ok(Decision {
        coverage,
        tidy_waits,
    })
}

/// The runs [`judge`] and [`tidy_waits`] need, oldest first: those of the last period when
/// it holds a check of every row, else all of them. Both look only at the runs from the
/// last check of every row on (a published run), and a check older than the period makes
/// every row checked whatever came after; so the period's rows decide as all rows would,
/// and a daily run parses a week of the runs table, not a row a day of its history. Only
/// when the period holds no such check (a check is due, or there never was one) is the
/// whole table read, to say which.
async fn runs_that_decide(
    lake: &Lakehouse,
    every: Duration,
    now: NaiveDateTime,
) -> Result<Vec<RunRecord>> {
    let since = chrono::Duration::from_std(due_after(every))
        .ok()
        .and_then(|period| now.checked_sub_signed(period));
    if let Some(since) = since {
        let recent = runs::load_since(lake, runs::Detail::Summary, since).await?;
        if recent.iter().any(RunRecord::checked_all_rows) {
            return Ok(recent);
        }
    }
    runs::load_with(lake, runs::Detail::Summary).await
}

/// True when the run checks every row because the period is due and the last publishing
/// run checked only what it changed: its tidy waits for the next run.
fn tidy_waits(coverage: &Coverage, runs: &[RunRecord]) -> bool {
    let last = runs.iter().rev().find(|r| r.status == RunStatus::Published);
    matches!(coverage, Coverage::All(WhyAll::PeriodDue { .. }))
        && last.is_some_and(|r| r.checks_scope == Some(CheckScope::Changed))
}

/// The rule of the module's docs, over the recorded runs (oldest first) and each star
/// table's current snapshot.
fn judge(
    runs: &[RunRecord],
    current: &BTreeMap<String, Option<i64>>,
    every: Duration,
    now: NaiveDateTime,
) -> Coverage {
    let Some(full) = runs.iter().rposition(RunRecord::checked_all_rows) else {
        return Coverage::All(WhyAll::NoCheckedRun);
    };
    let since = &runs[full..];
    if let Some(r) = since.iter().find(|r| r.status == RunStatus::RolledBack) {
        return Coverage::All(WhyAll::Rollback {
            run_id: r.run_id.clone(),
        });
    }
    // The last publishing run is at or after the full check (a rollback would have
    // returned above).
    let Some(last) = since
        .iter()
        .rev()
        .find(|r| r.status == RunStatus::Published)
    else {
        return Coverage::All(WhyAll::NoCheckedRun);
    };
    for (table, snapshot) in current {
        let recorded = last.tables.get(table).and_then(|s| s.snapshot_id);
        if recorded != *snapshot {
            return Coverage::All(WhyAll::ChangedOutside {
                table: table.clone(),
                since_run: last.run_id.clone(),
            });
        }
    }
    let last_full = runs[full].started;
    let age = (now - last_full).to_std().unwrap_or_default();
    if age >= due_after(every) {
        return Coverage::All(WhyAll::PeriodDue {
            last: last_full,
            every,
        });
    }
    Coverage::Changed
}

/// How long after a full check's start the next is due: the period less half a day per
/// week of it (1/14), so a job that runs every day checks every row every `every` of them
/// even when a day's run starts a little earlier than the checked run did.
pub fn due_after(every: Duration) -> Duration {
    every - every / 14
}

/// A period as people read it: `7 days`, `1.5 days`, or seconds below a day.
fn period(every: Duration) -> String {
    let trim = |x: f64| {
        let text = format!("{x:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let days = every.as_secs_f64() / 86_400.0;
    if days >= 1.0 {
        format!("{} days", trim(days))
    } else {
        format!("{} s", trim(every.as_secs_f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::{CheckScope, TableState};

    const WEEK: Duration = DEFAULT_FULL_CHECK_EVERY;

    fn at(day: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, day)
            .and_then(|d| d.and_hms_opt(6, 0, 0))
            .expect("a valid date")
    }

    fn run(
        id: &str,
        day: u32,
        status: RunStatus,
        scope: Option<CheckScope>,
        fact: i64,
    ) -> RunRecord {
        RunRecord {
            run_id: id.into(),
            started: at(day),
            finished: at(day),
            status,
            checks_scope: scope,
            tables: BTreeMap::from([(
                "fact_games".to_string(),
                TableState {
                    snapshot_id: Some(fact),
                    ..Default::default()
                },
            )]),
            ..Default::default()
        }
    }

    fn fact_at(snapshot: i64) -> BTreeMap<String, Option<i64>> {
        BTreeMap::from([("fact_games".to_string(), Some(snapshot))])
    }

    /// The period's rows decide as all rows do when they hold a check of every row; when
    /// they hold none, every row is read, to say why every row is checked.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_last_period_of_runs_decides_as_every_run_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wh =
            crate::storage::Warehouse::open(dir.path().to_str().expect("utf8")).expect("warehouse");
        let lake = Lakehouse::open(&wh, "rawg").await.expect("lakehouse");
        let now = at(30);
        let ids = |runs: &[RunRecord]| runs.iter().map(|r| r.run_id.clone()).collect::<Vec<_>>();
        let all = Some(CheckScope::All);
        let changed = Some(CheckScope::Changed);
        for r in [
            run("r1", 1, RunStatus::Published, all, 1),
            run("r2", 28, RunStatus::Published, changed, 2),
        ] {
            runs::record(&lake, &r).await.expect("record");
        }
        // No check of every row in the period: all rows, and the old check is due.
        let runs = runs_that_decide(&lake, WEEK, now).await.expect("runs");
        assert_eq!(ids(&runs), ["r1", "r2"]);
        assert!(matches!(
            judge(&runs, &fact_at(2), WEEK, now),
            Coverage::All(WhyAll::PeriodDue { .. })
        ));
        for r in [
            run("r3", 29, RunStatus::Published, all, 3),
            run("r4", 29, RunStatus::Published, changed, 4),
        ] {
            runs::record(&lake, &r).await.expect("record");
        }
        let recent = runs_that_decide(&lake, WEEK, now).await.expect("runs");
        assert_eq!(ids(&recent), ["r2", "r3", "r4"]);
        let every = runs::load_with(&lake, runs::Detail::Summary)
            .await
            .expect("all");
        for current in [fact_at(4), fact_at(5)] {
            assert_eq!(
                judge(&recent, &current, WEEK, now),
                judge(&every, &current, WEEK, now)
            );
        }
    }

    #[test]
    fn a_run_after_a_checked_run_with_nothing_else_committed_checks_what_it_changed() {
        let runs = [
            run("a", 1, RunStatus::Published, Some(CheckScope::All), 1),
            run("b", 2, RunStatus::Published, Some(CheckScope::Changed), 2),
            run("c", 3, RunStatus::NothingNew, None, 2),
            run(
                "d",
                3,
                RunStatus::ChecksFailed,
                Some(CheckScope::Changed),
                2,
            ),
        ];
        assert_eq!(judge(&runs, &fact_at(2), WEEK, at(4)), Coverage::Changed);
    }

    #[test]
    fn a_commit_since_the_last_publishing_run_means_every_row() {
        let runs = [
            run("a", 1, RunStatus::Published, Some(CheckScope::All), 1),
            // A nothing-new row after the foreign commit records its snapshot, and proves
            // nothing about it.
            run("b", 2, RunStatus::NothingNew, None, 7),
        ];
        assert_eq!(
            judge(&runs, &fact_at(7), WEEK, at(3)),
            Coverage::All(WhyAll::ChangedOutside {
                table: "fact_games".into(),
                since_run: "a".into()
            })
        );
    }

    #[test]
    fn a_rollback_since_the_last_full_check_means_every_row() {
        let runs = [
            run("a", 1, RunStatus::Published, Some(CheckScope::All), 1),
            run("r", 2, RunStatus::RolledBack, None, 3),
            run("n", 3, RunStatus::NothingNew, None, 3),
        ];
        assert_eq!(
            judge(&runs, &fact_at(3), WEEK, at(4)),
            Coverage::All(WhyAll::Rollback { run_id: "r".into() })
        );
    }

    #[test]
    fn the_period_and_an_empty_history_mean_every_row_and_a_due_check_defers_the_tidy() {
        let runs = [
            run("a", 1, RunStatus::Published, Some(CheckScope::All), 1),
            run("b", 7, RunStatus::Published, Some(CheckScope::Changed), 2),
        ];
        assert_eq!(judge(&runs, &fact_at(2), WEEK, at(7)), Coverage::Changed);
        // A week after the checked run started, and a little before: a daily job checks
        // every seventh day, not every eighth.
        let early = at(8) - chrono::Duration::hours(2);
        for now in [at(8), early] {
            let why = judge(&runs, &fact_at(2), WEEK, now);
            let Coverage::All(why @ WhyAll::PeriodDue { .. }) = why else {
                panic!("no full check due at {now}: {why:?}");
            };
            assert_eq!(
                why.to_string(),
                "every row is checked every 7 days; the last full check started 2026-12-01 06:00"
            );
        }
        // The full check's run leaves its tidy to the next, when the last run was a plain one.
        let due = judge(&runs, &fact_at(2), WEEK, at(8));
        assert!(tidy_waits(&due, &runs));
        let mut after_full = runs.to_vec();
        after_full.push(run("c", 8, RunStatus::Published, Some(CheckScope::All), 3));
        assert!(
            !tidy_waits(&due, &after_full),
            "a tidy waits one run at most"
        );
        let outside = Coverage::All(WhyAll::NoCheckedRun);
        assert!(!tidy_waits(&outside, &runs));
        assert!(!tidy_waits(&Coverage::Changed, &runs));
        assert_eq!(period(Duration::from_secs(7)), "7 s");
        assert_eq!(period(Duration::from_secs(36 * 3600)), "1.5 days");
        assert_eq!(
            judge(&[], &fact_at(2), WEEK, at(9)),
            Coverage::All(WhyAll::NoCheckedRun)
        );
        // A row from before the scope was recorded checked every row when it checked.
        let mut old = run("o", 1, RunStatus::Published, None, 1);
        assert_eq!(
            judge(std::slice::from_ref(&old), &fact_at(1), WEEK, at(2)),
            Coverage::All(WhyAll::NoCheckedRun)
        );
        old.checks = vec![crate::checks::CheckResult::held(
            "fact_games",
            "unique(game_key)".into(),
        )];
        assert_eq!(judge(&[old], &fact_at(1), WEEK, at(2)), Coverage::Changed);
    }
}
