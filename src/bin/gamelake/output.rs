//! What the command line prints: query results in a format, the tables' state, one summary
//! line per operation, and progress (a bar on a terminal, log lines elsewhere).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::Result;
use arrow::array::RecordBatch;
use gamelake::etl::EtlReport;
use gamelake::etl::coverage::{Coverage, WhyAll};
use gamelake::ingest::{IngestReport, Limit};
use gamelake::lakehouse::TableInfo;
use gamelake::lakehouse::maintain::MaintainReport;
use gamelake::ops::Status;
use gamelake::progress::Progress;
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::Format;

/// Query results as text, ending without a newline (the caller prints one). CSV has a header
/// line and one line per row, so a CSV reader sees no empty record at the end.
pub fn render(batches: &[RecordBatch], format: Format) -> Result<String> {
    let text = match format {
        Format::Table => arrow::util::pretty::pretty_format_batches(batches)?.to_string(),
        Format::Csv => {
            let mut out = Vec::new();
            {
                let mut writer = arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(&mut out);
                for b in batches {
                    writer.write(b)?;
                }
            }
            String::from_utf8(out)?
        }
        Format::Json => gamelake::query::json_text(batches)?,
    };
    Ok(text.trim_end_matches('\n').to_string())
}

/// `gamelake tables`: one aligned line per table.
pub fn tables(namespace: &str, infos: &[TableInfo]) -> String {
    let names: Vec<String> = infos
        .iter()
        .map(|t| format!("{namespace}.{}", t.name))
        .collect();
    let width = names.iter().map(String::len).max().unwrap_or(5).max(5);
    let mut out = format!(
        "{:<width$} {:>10} {:>10} {:>10} {:>10}  snapshot",
        "table", "rows", "files", "deletes", "snapshots"
    );
    for (t, name) in infos.iter().zip(&names) {
        out.push_str(&format!(
            "\n{:<width$} {:>10} {:>10} {:>10} {:>10}  {}",
            name,
            t.rows,
            t.data_files,
            t.delete_files,
            t.snapshots,
            t.snapshot_id.map_or("-".into(), |s| s.to_string())
        ));
    }
    out
}

/// Thousands separated by commas: request counts are read against a quota.
fn n(v: impl Into<u64>) -> String {
    gamelake::report::render::thousands(v.into())
}

/// The month's spend against its limit: "1,234 of 20,000 requests in 2026-12".
fn month_spend(month: &str, spent: u64, limit: Option<u64>) -> String {
    match limit {
        Some(l) => format!("{} of {} requests in {month}", n(spent), n(l)),
        None => format!("{} requests in {month} (no monthly limit)", n(spent)),
    }
}

/// The ingest's summary lines: what landed, what it cost, and what is left (API sources).
pub fn ingest_line(r: &IngestReport) -> String {
    if let Some(e) = &r.estimate {
        return format!(
            "plan: {} list requests for up to {} new or changed games, then up to {} detail \
             requests ({} waiting now); {} count requests spent planning; {}",
            n(e.list_pages),
            n(e.list_games.max(0) as u64),
            n(e.details as u64 + e.list_games.max(0) as u64),
            n(e.details as u64),
            n(e.probes),
            month_spend(&r.quota.month, r.quota.spent, r.quota.limit)
        );
    }
    let mut line = format!(
        "ingest {}: {} pages, {} games seen, {} new or changed, {} unchanged, {} raw files",
        r.run_id,
        r.pages,
        r.games_seen,
        r.games_kept,
        r.games_unchanged,
        r.files.len()
    );
    if r.quarantined > 0 {
        line.push_str(&format!(
            "; {} over a size limit, quarantined in {}",
            n(r.quarantined as u64),
            r.quarantine_files.join(", ")
        ));
    }
    if r.requests > 0 || !r.quota.month.is_empty() {
        line.push_str(&format!(
            "; {} details landed{}; {} requests ({})",
            n(r.details.landed as u64),
            if r.details.failed > 0 {
                format!(", {} failed (asked again next run)", r.details.failed)
            } else {
                String::new()
            },
            n(r.requests),
            month_spend(&r.quota.month, r.quota.spent, r.quota.limit)
        ));
    }
    if let Some(limit) = r.stopped_by {
        let b = &r.backlog;
        let why = match limit {
            Limit::Run(l) => format!("the run's limit of {} requests (--max-requests)", n(l)),
            Limit::Monthly(_) => format!(
                "the monthly quota ({}); it resets on {}",
                month_spend(&r.quota.month, r.quota.spent, r.quota.limit),
                r.quota.resets.map_or("-".into(), |d| d.to_string())
            ),
        };
        line.push_str(&format!(
            "\nstopped at {why}: {} windows (about {} list pages) and {} game details are \
             left; everything fetched has landed, and the next run goes on from here",
            b.windows,
            n(b.list_pages),
            n(b.details as u64)
        ));
    }
    line
}

/// `gamelake status`.
pub fn status(s: &Status) -> String {
    let mut out = format!(
        "requests:  {}; resets on {}\n",
        month_spend(&s.month, s.month_spent, s.monthly_limit),
        s.resets
    );
    out.push_str(&format!(
        "watermark: {}\n",
        match (s.watermark, s.last_pass_finished) {
            (Some(w), Some(f)) => format!("games updated up to {w} (last sync pass finished {f})"),
            (Some(w), None) => format!("games updated up to {w}"),
            _ => "none yet: the next `gamelake run` against the API backfills the catalogue".into(),
        }
    ));
    let gamelake::ingest::WindowsLeft {
        windows,
        list_pages: pages,
    } = s.pass_left;
    if windows > 0 {
        out.push_str(&format!(
            "sync pass: in progress, {windows} windows (about {} list pages) left\n",
            n(pages)
        ));
    }
    for b in &s.backfills {
        out.push_str(&format!("backfill:  in progress ({b})\n"));
    }
    out.push_str(&match s.details_waiting {
        Some(waiting) => format!(
            "games:     {} held, {} waiting for their detail",
            n(s.games as u64),
            n(waiting as u64)
        ),
        None => format!(
            "games:     {} held; no details fetched: archived pages carry none, a run against \
             the API fetches them (developers, publishers)",
            n(s.games as u64)
        ),
    });
    out.push_str(&status_details(s));
    out.push_str(&status_runs(s));
    out.push_str(&status_tables(s));
    out
}

/// `status`: details that failed, and the quarantine.
fn status_details(s: &Status) -> String {
    let mut out = String::new();
    if !s.details_failed.is_empty() {
        out.push_str(&format!(
            "\ndetails that failed ({}), asked again on a later run:",
            s.details_failed.len()
        ));
        for (id, reason) in s.details_failed.iter().take(10) {
            out.push_str(&format!("\n  game {id}: {reason}"));
        }
    }
    let gamelake::ingest::quarantine::Held { games, files } = s.quarantined;
    if games > 0 {
        out.push_str(&format!(
            "\nquarantine: {} games over a size limit, in {} files under raw/quarantine/ \
             (one JSON object a line: page, id, field, reason, game)",
            n(games as u64),
            n(files as u64)
        ));
    }
    out
}

/// `status`: the last runs and the branches kept for audits.
fn status_runs(s: &Status) -> String {
    let mut out = String::new();
    if s.last_runs.is_empty() {
        out.push_str(
            "
runs:      none recorded yet",
        );
    } else {
        out.push_str(
            "
runs (newest first, from gamelake_runs):",
        );
        for r in &s.last_runs {
            let failed = r.checks_failed();
            out.push_str(&format!(
                "
  {} {:<8} {:<13} {} UTC{}{}{}",
                r.run_id,
                r.command,
                r.status,
                r.finished.format("%Y-%m-%d %H:%M:%S"),
                r.games_processed
                    .map_or(String::new(), |g| format!(", {} games rebuilt", n(g))),
                if failed > 0 {
                    format!(", {failed} checks failed")
                } else {
                    String::new()
                },
                r.audit_branch
                    .as_ref()
                    .map_or(String::new(), |b| format!(", kept on branch {b}"))
            ));
        }
    }
    if !s.audit_branches.is_empty() {
        out.push_str(
            "
Nessie branches keeping the tables of runs whose checks failed (dropped by `maintain` after --keep-days):",
        );
        for b in &s.audit_branches {
            out.push_str(&format!("\n  {b}"));
        }
    }
    out
}

/// `status`: every table's rows and snapshot.
fn status_tables(s: &Status) -> String {
    let mut out = String::new();
    if !s.tables.is_empty() {
        out.push_str(
            "
tables:",
        );
        for t in &s.tables {
            out.push_str(&format!(
                "
  {:<28} {:>10} rows  snapshot {}",
                t.name,
                n(t.rows),
                t.snapshot_id.map_or("-".into(), |id| id.to_string())
            ));
        }
    }
    out
}

/// The data checks, one line each; failures first.
pub fn check_lines(results: &[gamelake::checks::CheckResult]) -> String {
    let failed: Vec<_> = results.iter().filter(|r| !r.passed).collect();
    let mut out = String::new();
    for r in &failed {
        let level = match r.level {
            gamelake::checks::Level::Error => "FAIL",
            gamelake::checks::Level::Warn => "WARN",
        };
        out.push_str(&format!("{level} {}\n", r.line()));
    }
    out.push_str(&format!(
        "{} checks: {} passed, {} failed, {} warnings",
        results.len(),
        results.len() - failed.len(),
        gamelake::checks::failures(results).len(),
        failed
            .iter()
            .filter(|r| r.level == gamelake::checks::Level::Warn)
            .count()
    ));
    out
}

/// The rollback's summary line.
pub fn rollback_line(r: &gamelake::ops::RollbackReport) -> String {
    format!(
        "rollback {}: tables as run {} left them ({} restored, {} emptied), published {}; \
         the next run processes {} raw files again",
        r.run_id,
        r.restored,
        r.tables.restored,
        r.tables.emptied,
        match r.published {
            gamelake::catalog::staged::PublishMode::PerTable => "table by table",
            _ => "at once",
        },
        r.to_reprocess
    )
}

/// The ETL's summary line.
pub fn etl_line(r: &EtlReport) -> String {
    if r.nothing_new {
        return format!(
            "etl {}: nothing new since the last run ({} raw files); recorded in gamelake_runs",
            r.run_id, r.raw_files
        );
    }
    let written = r.tables.iter().filter(|t| t.written).count();
    let warnings = r.checks.iter().filter(|c| !c.passed).count();
    let scope = match &r.coverage {
        Some(Coverage::Changed) => " on the changed rows".to_string(),
        Some(Coverage::All(why)) if *why != WhyAll::FullBuild => format!(" on every row ({why})"),
        _ => String::new(),
    };
    let tidied = match &r.tidied {
        Some(t) => format!(
            "; tidied {} ({} files rewritten)",
            t.table, t.files_rewritten
        ),
        None => String::new(),
    };
    format!(
        "etl {}: {} games from {} raw files; {} tables written, {} unchanged{tidied}; {} checks passed{scope}{}{}",
        r.run_id,
        r.games,
        r.raw_files,
        written,
        r.tables.len() - written,
        r.checks.len() - warnings,
        if warnings > 0 {
            format!(", {warnings} warnings")
        } else {
            String::new()
        },
        if r.published == Some(gamelake::catalog::staged::PublishMode::PerTable) {
            "; published table by table (the catalog has no multi-table commit)"
        } else {
            ""
        }
    )
}

/// `gamelake maintain`: one line per table, the branches dropped, what is left to the
/// catalog.
pub fn maintain_lines(outcome: &gamelake::ops::MaintainOutcome) -> String {
    let mut lines: Vec<String> = outcome.tables.iter().map(maintain_line).collect();
    for branch in &outcome.branches_dropped {
        lines.push(format!(
            "dropped Nessie branch {branch} (a failed run's tables, past --keep-days)"
        ));
    }
    lines.extend(outcome.left_to_catalog.clone());
    lines.join("\n")
}

/// One maintenance line per table.
pub fn maintain_line(r: &MaintainReport) -> String {
    format!(
        "{}: {} files compacted ({} deleted rows dropped), {} snapshots expired, {} files removed",
        r.table, r.files_compacted, r.rows_dropped, r.snapshots_expired, r.files_removed
    )
}

/// Progress as a bar when stderr is a terminal, otherwise a log line now and then, so CI
/// logs and cron mails stay readable.
#[derive(Default)]
pub struct Bar {
    unit: &'static str,
    bar: Option<ProgressBar>,
    done: u64,
    last_log: Option<Instant>,
}

impl Progress for Bar {
    fn begin(&mut self, unit: &'static str, total: Option<u64>) {
        self.finish();
        self.unit = unit;
        self.done = 0;
        self.last_log = Some(Instant::now());
        self.bar = std::io::stderr().is_terminal().then(|| {
            let bar = total.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
            let style = ProgressStyle::with_template(
                "{spinner} {prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(unit);
            bar
        });
    }

    fn advance(&mut self, n: u64, status: &str) {
        self.done += n;
        match &self.bar {
            Some(bar) => {
                bar.inc(n);
                bar.set_message(status.to_string());
            }
            None if self
                .last_log
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(5)) =>
            {
                self.last_log = Some(Instant::now());
                tracing::info!("{} {}: {status}", self.done, self.unit);
            }
            None => {}
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.finish();
    }
}

/// `gamelake report`: where the page went and what it holds.
pub fn report_line(report: &gamelake::report::Report, out: &std::path::Path) -> String {
    let empty: Vec<&str> = report
        .charts
        .iter()
        .filter(|c| c.rows.is_empty())
        .map(|c| c.def.id)
        .collect();
    let mut line = format!(
        "report: {} charts over {} games written to {}",
        report.charts.len(),
        n(report.coverage.games.max(0) as u64),
        out.display()
    );
    if !empty.is_empty() {
        line.push_str(&format!("; without data: {}", empty.join(", ")));
    }
    line
}
