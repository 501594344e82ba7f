//! What the command line prints: query results in a format, the tables' state, one summary
//! line per operation, and progress (a bar on a terminal, log lines elsewhere).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::Result;
use arrow::array::RecordBatch;
use gamelake::etl::EtlReport;
use gamelake::ingest::IngestReport;
use gamelake::lakehouse::TableInfo;
use gamelake::lakehouse::maintain::MaintainReport;
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
        Format::Json => {
            let mut writer = arrow::json::ArrayWriter::new(Vec::new());
            let refs: Vec<&RecordBatch> = batches.iter().collect();
            writer.write_batches(&refs)?;
            writer.finish()?;
            let text = String::from_utf8(writer.into_inner())?;
            if text.is_empty() { "[]".into() } else { text }
        }
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

/// The ingest's summary line.
pub fn ingest_line(r: &IngestReport) -> String {
    format!(
        "ingest {}: {} pages, {} games seen, {} new or changed, {} unchanged, {} raw files",
        r.run_id,
        r.pages,
        r.games_seen,
        r.games_kept,
        r.games_unchanged,
        r.files.len()
    )
}

/// The ETL's summary line.
pub fn etl_line(r: &EtlReport) -> String {
    if r.nothing_new {
        return format!(
            "etl: nothing new since the last run ({} raw files)",
            r.raw_files
        );
    }
    let written = r.tables.iter().filter(|t| t.written).count();
    format!(
        "etl {}: {} games from {} raw files; {} tables written, {} unchanged",
        r.run_id,
        r.games,
        r.raw_files,
        written,
        r.tables.len() - written
    )
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
