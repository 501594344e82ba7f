//! Ingest: fetch RAWG list pages, keep only new or changed games, land them as raw parquet.
//!
//! Pages come from a `source` (archive folder or HTTP, a few requests at once), are parsed
//! on rayon while the next pages are fetched ([`parse`]) and turned into arrow columns there
//! (`land::PageRows`: the games' strings borrow the page's bytes until then), filtered by
//! change data capture ([`cdc`]) and written by the [`land::Lander`]. On any error the games
//! already accepted are written before the error is returned, so a rerun only refetches what
//! was in flight.
//!
//! Must never: advance CDC state for games not durably landed (state is derived from landed
//! files), or hold more than a few pages plus one raw file's worth of games in memory.

pub(crate) mod backfill;
pub mod cdc;
pub(crate) mod columns;
pub mod http;
pub mod land;
pub mod model;
pub mod parse;
pub(crate) mod source;

use std::path::Path;

use chrono::{NaiveDate, Utc};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::failpoint;
use crate::progress::Progress;
use crate::secret::Secret;
use crate::storage::Warehouse;
use crate::{Error, Result};

use self::backfill::Plan;
use self::cdc::CdcState;
use self::http::{HttpOptions, RawgClient};
use self::land::{GameKey, Lander, PageRows};
use self::source::RawPage;

pub use self::source::archived_pages;

/// The public RAWG API. Only contacted when the user runs an ingest without `--source`, and
/// then only with a key.
pub const DEFAULT_SOURCE: &str = "https://api.rawg.io/api";

/// An inclusive date range, as RAWG's `dates` and `updated` filters take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    /// First day, inclusive.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
}

impl std::str::FromStr for DateRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, b) = s
            .split_once(',')
            .ok_or_else(|| format!("{s:?}: expected FROM,TO as YYYY-MM-DD,YYYY-MM-DD"))?;
        let parse = |d: &str| {
            NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                .map_err(|e| format!("{d:?}: {e} (expected YYYY-MM-DD)"))
        };
        let (from, to) = (parse(a)?, parse(b)?);
        if from > to {
            return Err(format!("{s:?}: FROM is after TO"));
        }
        Ok(Self { from, to })
    }
}

impl std::fmt::Display for DateRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{}", self.from, self.to)
    }
}

/// What to ingest and how.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// A folder of `page-*.json` or an http(s) base URL such as `https://api.rawg.io/api`.
    pub source: String,
    /// The RAWG key, sent only to the source's host.
    pub api_key: Option<Secret>,
    /// Games whose `updated` date falls in this range.
    pub updated: Option<DateRange>,
    /// Games released in this range.
    pub dates: Option<DateRange>,
    /// Stop after this many pages.
    pub max_pages: Option<usize>,
    /// Retries, timeouts and requests in flight.
    pub http: HttpOptions,
    /// Games per raw file.
    pub rows_per_file: usize,
}

impl IngestOptions {
    /// Options for `source` with the defaults: no key, no filters, 10,000 games a raw file.
    pub fn new(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            api_key: None,
            updated: None,
            dates: None,
            max_pages: None,
            http: HttpOptions::default(),
            rows_per_file: 10_000,
        }
    }
}

/// What an ingest run did.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    /// This run's id (also in every raw row's `_run_id`).
    pub run_id: String,
    /// Pages taken in.
    pub pages: usize,
    /// Games on those pages.
    pub games_seen: usize,
    /// New or changed games landed (a game seen twice in one raw file counts once).
    pub games_kept: usize,
    /// Games already held at this or a later `updated`.
    pub games_unchanged: usize,
    /// Games outside `--dates`/`--updated` (archive sources only; the API filters itself).
    pub games_filtered: usize,
    /// The raw files this run landed.
    pub files: Vec<String>,
}

/// Runs one ingest into the warehouse (the caller holds the lease).
pub(crate) async fn ingest(
    wh: &Warehouse,
    opts: &IngestOptions,
    progress: &mut dyn Progress,
) -> Result<IngestReport> {
    let started = Utc::now();
    let run_id = crate::new_run_id();
    let is_http = opts.source.starts_with("http://") || opts.source.starts_with("https://");
    if is_http && opts.api_key.is_none() && opts.source == DEFAULT_SOURCE {
        // RAWG answers 401 without a key; say so before any traffic leaves the machine.
        return Err(Error::Config(
            "the RAWG API needs a key: set RAWG_API_KEY (or rawg_api_key in gamelake.toml), \
             or ingest archived pages with --source DIR"
                .into(),
        ));
    }
    let state = CdcState::load(wh).await?;
    progress.begin("pages", opts.max_pages.map(|n| n as u64));
    tracing::info!(run_id, known_games = state.len(), "ingest starting");
    let mut run = Run {
        state,
        lander: Lander::new(&run_id, started, opts.rows_per_file),
        report: IngestReport {
            run_id: run_id.clone(),
            ..Default::default()
        },
        local_filter: (!is_http).then_some((opts.dates, opts.updated)),
    };

    if is_http {
        let client = RawgClient::new(&opts.source, opts.api_key.clone(), opts.http.clone())?;
        let mut plan = Plan::new(wh, &client, opts.dates, opts.updated).await?;
        let (windows, done) = plan.progress();
        if windows > 1 || done > 0 {
            tracing::info!(
                windows,
                done,
                "backfill in windows under RAWG's 250-page limit"
            );
        }
        for query in plan.pending()? {
            let remaining = opts.max_pages.map(|m| m.saturating_sub(run.report.pages));
            if remaining == Some(0) {
                break;
            }
            let (tx, rx) = mpsc::channel::<Result<RawPage>>(4);
            let first = client.games_url(&query.filters);
            let producer = tokio::spawn(source::send_http(
                client.clone(),
                first,
                remaining,
                opts.http.concurrency,
                tx,
            ));
            let outcome = run.consume(rx, wh, progress).await;
            producer.abort();
            run.finish(wh, outcome).await?;
            // Only a window whose pages all came through is finished; --max-pages may have
            // cut it short.
            if opts.max_pages.is_none_or(|m| run.report.pages < m) {
                plan.finish(wh, &query).await?;
            }
        }
    } else {
        let pages = source::archived_pages(Path::new(&opts.source))?;
        let (tx, rx) = mpsc::channel::<Result<RawPage>>(4);
        let producer = tokio::spawn(source::send_archived(pages, opts.max_pages, tx));
        let outcome = run.consume(rx, wh, progress).await;
        producer.abort();
        run.finish(wh, outcome).await?;
    }
    progress.finish();
    let report = run.report;
    tracing::info!(
        run_id,
        pages = report.pages,
        kept = report.games_kept,
        unchanged = report.games_unchanged,
        files = report.files.len(),
        "ingest done"
    );
    Ok(report)
}

/// The state of one ingest run across its queries.
struct Run {
    state: CdcState,
    lander: Lander,
    report: IngestReport,
    /// Archive sources: the date filters applied here (the API applies its own).
    local_filter: Option<(Option<DateRange>, Option<DateRange>)>,
}

impl Run {
    /// Parses pages from `rx` on rayon (a few at once, in order) and keeps the new or changed
    /// games.
    async fn consume(
        &mut self,
        rx: mpsc::Receiver<Result<RawPage>>,
        wh: &Warehouse,
        progress: &mut dyn Progress,
    ) -> Result<()> {
        let workers = rayon::current_num_threads().max(1);
        let stamp = self.lander.stamp().clone();
        let parsed = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|page| (page, rx))
        })
        .map(|page| {
            let stamp = stamp.clone();
            async move {
                let page = page?;
                let (tx, rx) = tokio::sync::oneshot::channel();
                // Parsed and turned into columns in one go: the games borrow the page's bytes.
                rayon::spawn(move || {
                    let rows = parse::parse_page(&page.bytes, &page.label)
                        .map_err(Error::from)
                        .and_then(|p| PageRows::new(&p.games, &stamp));
                    let _ = tx.send(rows);
                });
                rx.await
                    .map_err(|_| Error::Internal("page parser stopped".into()))?
            }
        })
        .buffered(workers);
        let mut parsed = std::pin::pin!(parsed);
        let mut accepted = Vec::new();
        while let Some(page) = parsed.next().await {
            let page = page?;
            let report = &mut self.report;
            report.pages += 1;
            accepted.clear();
            for (row, game) in page.keys.iter().enumerate() {
                report.games_seen += 1;
                if let Some((dates, updated)) = self.local_filter
                    && !in_ranges(game, dates, updated)
                {
                    report.games_filtered += 1;
                    continue;
                }
                if self.state.is_newer(game.id, game.updated) {
                    self.state.observe(game.id, game.updated);
                    accepted.push(row);
                } else {
                    report.games_unchanged += 1;
                }
            }
            report.games_kept += self.lander.push(page, &accepted);
            if self.lander.is_full() {
                self.lander.flush_in_background(wh).await?;
            }
            failpoint::hit(&format!("ingest.page.{}", self.report.pages));
            progress.advance(
                1,
                &format!(
                    "{} games kept, {} unchanged",
                    self.report.games_kept, self.report.games_unchanged
                ),
            );
        }
        Ok(())
    }

    /// Lands what was accepted, even when the pages failed (keep what was good), then
    /// reports the first error.
    async fn finish(&mut self, wh: &Warehouse, outcome: Result<()>) -> Result<()> {
        let flushed = self.lander.flush(wh).await;
        self.report.files = self.lander.files().to_vec();
        outcome?;
        flushed
    }
}

fn in_ranges(game: &GameKey, dates: Option<DateRange>, updated: Option<DateRange>) -> bool {
    let released_ok =
        dates.is_none_or(|r| game.released.is_some_and(|d| (r.from..=r.to).contains(&d)));
    let updated_ok = updated.is_none_or(|r| (r.from..=r.to).contains(&game.updated.date()));
    released_ok && updated_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_ranges_parse_and_refuse_nonsense() {
        let r: DateRange = "2015-01-01,2015-12-31".parse().expect("range");
        assert_eq!(r.to_string(), "2015-01-01,2015-12-31");
        assert!("2015-12-31,2015-01-01".parse::<DateRange>().is_err());
        assert!("2015-01-01".parse::<DateRange>().is_err());
        assert!("2015-13-01,2015-12-31".parse::<DateRange>().is_err());
    }
}
