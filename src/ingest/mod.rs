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

pub mod cdc;
pub(crate) mod columns;
pub mod details;
pub mod http;
pub mod land;
pub mod model;
pub mod parse;
pub(crate) mod plan;
pub mod quarantine;
pub mod quota;
pub(crate) mod source;

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::failpoint;
use crate::progress::Progress;
use crate::secret::Secret;
use crate::storage::Warehouse;
use crate::task::Latch;
use crate::{Error, Result};

use self::cdc::CdcState;
use self::details::DetailsReport;
use self::http::{Budget, HttpError, HttpOptions, RawgClient};
use self::land::{GameKey, Lander, PageRows};
use self::plan::{MAX_GAMES_PER_QUERY, Plan, Query, SyncState};
use self::quota::Ledger;
use self::source::RawPage;

pub use self::plan::WindowsLeft;
pub use self::source::archived_pages;

/// The public RAWG API. Only contacted when the user runs an ingest without `--source`, and
/// then only with a key.
pub const DEFAULT_SOURCE: &str = "https://api.rawg.io/api";

/// The ledger is written after every this many requests (and when the run ends).
const LEDGER_EVERY: u64 = 25;

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

/// Where pages come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An http(s) base URL of the RAWG API (or a server that behaves like it), such as
    /// `https://api.rawg.io/api`.
    Api(String),
    /// A folder of archived `page-*.json` files.
    Folder(std::path::PathBuf),
}

impl Source {
    /// An http(s) URL is an API; anything else a folder.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("http://") || text.starts_with("https://") {
            Source::Api(text.to_string())
        } else {
            Source::Folder(text.into())
        }
    }
}

/// As given, with any key in a URL redacted: fit for logs and the runs table.
impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Api(url) => f.write_str(&http::redact(url)),
            Source::Folder(path) => write!(f, "{}", path.display()),
        }
    }
}

/// What to ingest and how.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Where pages come from.
    pub source: Source,
    /// The RAWG key, sent only to the source's host.
    pub api_key: Option<Secret>,
    /// Games whose `updated` date falls in this range.
    pub updated: Option<DateRange>,
    /// Games released in this range.
    pub dates: Option<DateRange>,
    /// Stop after this many pages.
    pub max_pages: Option<usize>,
    /// Stop after this many API requests (retries and probes included).
    pub max_requests: Option<u64>,
    /// Requests a month, kept across runs in the warehouse's ledger; 0: no limit.
    pub monthly_request_limit: u64,
    /// Fetch `/games/{id}` for new and changed games (API sources).
    pub details: bool,
    /// Only plan: send the count probes, estimate the requests, fetch no page.
    pub plan_only: bool,
    /// Retries, timeouts and requests in flight.
    pub http: HttpOptions,
    /// Games per raw file.
    pub rows_per_file: usize,
}

impl IngestOptions {
    /// Options for `source` with the defaults: no key, no filters, RAWG's free-tier monthly
    /// quota, details on, 10,000 games a raw file.
    pub fn new(source: impl Into<String>) -> Self {
        Self {
            source: Source::parse(&source.into()),
            api_key: None,
            updated: None,
            dates: None,
            max_pages: None,
            max_requests: None,
            monthly_request_limit: quota::DEFAULT_MONTHLY_LIMIT,
            details: true,
            plan_only: false,
            http: HttpOptions::default(),
            rows_per_file: 10_000,
        }
    }
}

/// Which limit stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `--max-requests` (`max_requests`).
    Run(u64),
    /// The monthly quota (`monthly_request_limit`).
    Monthly(u64),
}

/// The month's request spend, after the run.
#[derive(Debug, Clone, Default)]
pub struct QuotaUse {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// Requests sent this month, this run's included.
    pub spent: u64,
    /// The monthly limit; `None`: no limit.
    pub limit: Option<u64>,
    /// When the month's quota resets.
    pub resets: Option<NaiveDate>,
}

/// What is left for later runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Windows of the pass (or backfill) not yet finished.
    pub windows: usize,
    /// List pages those windows need, as RAWG counted them when planned.
    pub list_pages: u64,
    /// Games waiting for their detail.
    pub details: usize,
}

/// A plan's estimate (`--plan`): what the run would send.
#[derive(Debug, Clone, Default)]
pub struct Estimate {
    /// Count probes sent to make the plan (0 when a plan was already in progress).
    pub probes: u64,
    /// List pages the windows need.
    pub list_pages: u64,
    /// Games RAWG counts in those windows: an upper bound of the new or changed ones.
    pub list_games: i64,
    /// Games already waiting for their detail.
    pub details: usize,
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
    /// Games over a size limit, set aside in the quarantine instead of landed.
    pub quarantined: usize,
    /// The quarantine files this run wrote.
    pub quarantine_files: Vec<String>,
    /// API requests sent (retries, probes and details included).
    pub requests: u64,
    /// Of those, count probes.
    pub probes: u64,
    /// Game details.
    pub details: DetailsReport,
    /// The limit that stopped the run early, if one did.
    pub stopped_by: Option<Limit>,
    /// The raw games files of the landing after this run, and the distinct games they hold
    /// (the ETL of a `gamelake run` counts the games landed from it).
    pub landed: Option<cdc::GamesLanded>,
    /// What is left for later runs (API sources).
    pub backlog: Backlog,
    /// The month's spend (API sources).
    pub quota: QuotaUse,
    /// `--plan`: the estimate; nothing but probes was sent.
    pub estimate: Option<Estimate>,
}

/// Runs one ingest into the warehouse (the caller holds the lease). `kept` opens as soon as
/// a game is kept for landing: a `gamelake run` then knows its ETL has something to publish.
pub(crate) async fn ingest(
    wh: &Warehouse,
    opts: &IngestOptions,
    kept: &Latch,
    progress: &mut dyn Progress,
) -> Result<IngestReport> {
    let started = Utc::now();
    let run_id = crate::new_run_id();
    if opts.api_key.is_none() && opts.source == Source::Api(DEFAULT_SOURCE.into()) {
        // RAWG answers 401 without a key; say so before any traffic leaves the machine.
        return Err(Error::Config(
            "the RAWG API needs a key: set RAWG_API_KEY (or rawg_api_key in gamelake.toml), \
             or ingest archived pages with --source DIR"
                .into(),
        ));
    }
    let loading = std::time::Instant::now();
    let (state, loaded) = CdcState::load_for_ingest(wh).await?;
    let ms = loading.elapsed().as_millis() as u64;
    tracing::debug!(ms, "change data capture state loaded");
    tracing::info!(run_id, known_games = state.len(), "ingest starting");
    let mut run = Run {
        state,
        lander: Lander::new(&run_id, started, opts.rows_per_file),
        quarantine: quarantine::Quarantine::new(&started.format("%Y-%m-%d").to_string(), &run_id),
        quarantined: quarantine::Versions::load(wh).await?,
        report: IngestReport {
            run_id: run_id.clone(),
            ..Default::default()
        },
        local_filter: matches!(opts.source, Source::Folder(_)).then_some(LocalFilter {
            dates: opts.dates,
            updated: opts.updated,
        }),
        spend: None,
        window_page: 0,
        kept: kept.clone(),
    };

    match &opts.source {
        Source::Api(url) => run.ingest_api(wh, url, opts, started, progress).await?,
        Source::Folder(folder) => run.ingest_archive(wh, folder, opts, progress).await?,
    }
    let landed = run.state.landed(&loaded, &run.report.files);
    run.state
        .index_after_landing(wh, loaded, &run.report.files)
        .await?;
    let mut report = run.report;
    report.landed = Some(landed);
    tracing::info!(
        run_id,
        pages = report.pages,
        kept = report.games_kept,
        unchanged = report.games_unchanged,
        files = report.files.len(),
        requests = report.requests,
        details = report.details.landed,
        "ingest done"
    );
    Ok(report)
}

/// What an API ingest spends, and the ledger it is recorded in.
struct Spend {
    ledger: Ledger,
    /// Requests of this run already in the ledger.
    recorded: u64,
    budget: Budget,
}

impl Spend {
    /// Writes the ledger when enough requests went out since it was last written.
    async fn checkpoint(&mut self, wh: &Warehouse) -> Result<()> {
        let sent = self.budget.sent();
        if sent - self.recorded >= LEDGER_EVERY {
            self.ledger
                .record(wh, sent - self.recorded, Utc::now())
                .await?;
            self.recorded = sent;
        }
        Ok(())
    }
}

/// The state of one ingest run across its queries.
struct Run {
    state: CdcState,
    lander: Lander,
    quarantine: quarantine::Quarantine,
    /// The versions the quarantine holds, this run's included.
    quarantined: quarantine::Versions,
    report: IngestReport,
    /// Archive sources: the date filters applied here (the API applies its own).
    local_filter: Option<LocalFilter>,
    /// API sources: the request budget and ledger.
    spend: Option<Spend>,
    /// The highest page number of the current query whose games were taken in.
    window_page: usize,
    /// Opened once a game is kept.
    kept: Latch,
}

/// True for the error a spent request budget gives: a clean stop, not a failure.
fn is_budget_stop<T>(outcome: &Result<T>) -> bool {
    matches!(outcome, Err(Error::Http(HttpError::BudgetSpent { .. })))
}

impl Run {
    /// An ingest from the API within the run's budget: the smaller of `--max-requests` and
    /// what the month's quota leaves. Whatever happens, the requests sent are counted.
    async fn ingest_api(
        &mut self,
        wh: &Warehouse,
        url: &str,
        opts: &IngestOptions,
        started: DateTime<Utc>,
        progress: &mut dyn Progress,
    ) -> Result<()> {
        let ledger = Ledger::load(wh).await?;
        let month = quota::month_of(started);
        let monthly_left = quota::remaining(opts.monthly_request_limit, ledger.spent(&month));
        let limit = match (opts.max_requests, monthly_left) {
            (Some(r), Some(m)) if m < r => Some(Limit::Monthly(m)),
            (Some(r), _) => Some(Limit::Run(r)),
            (None, Some(m)) => Some(Limit::Monthly(m)),
            (None, None) => None,
        };
        let budget = Budget::new(limit.map(|l| match l {
            Limit::Run(n) | Limit::Monthly(n) => n,
        }));
        let client = RawgClient::new(url, opts.api_key.clone(), opts.http.clone(), budget)?;
        self.spend = Some(Spend {
            ledger,
            recorded: 0,
            budget: client.budget().clone(),
        });
        let outcome = self.crawl_api(wh, &client, opts, started, progress).await;
        let Some(mut spend) = self.spend.take() else {
            return Err(Error::Internal("the request ledger left the run".into()));
        };
        let unrecorded = spend.budget.sent() - spend.recorded;
        let saved = spend.ledger.record(wh, unrecorded, Utc::now()).await;
        self.report.requests = spend.budget.sent();
        self.report.quota = QuotaUse {
            spent: spend.ledger.spent(&month),
            month,
            limit: (opts.monthly_request_limit > 0).then_some(opts.monthly_request_limit),
            resets: Some(quota::resets_on(started)),
        };
        if outcome? == CrawlEnd::Budget && self.report.backlog != Backlog::default() {
            self.report.stopped_by = limit;
        }
        saved
    }

    /// An ingest from archived pages in a folder.
    async fn ingest_archive(
        &mut self,
        wh: &Warehouse,
        folder: &Path,
        opts: &IngestOptions,
        progress: &mut dyn Progress,
    ) -> Result<()> {
        progress.begin("pages", opts.max_pages.map(|n| n as u64));
        let pages = source::archived_pages(folder)?;
        let (tx, rx) = mpsc::channel::<Result<RawPage>>(4);
        let producer = tokio::spawn(source::send_archived(pages, opts.max_pages, tx));
        let outcome = self.consume(rx, wh, progress).await;
        producer.abort();
        self.finish(wh, outcome).await?;
        progress.finish();
        Ok(())
    }
}

/// How a crawl of the API ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CrawlEnd {
    /// Everything asked for was read (or `--max-pages` was reached).
    Done,
    /// The request budget ran out first: what is left waits for a later run.
    Budget,
}

/// How the crawl of one window ended.
enum WindowEnd {
    /// All its pages came through: the window is finished.
    Finished,
    /// It outgrew RAWG's page cap and was split; its parts are read later.
    Resplit,
    /// `--max-pages` was reached: the window stays open.
    MaxPages,
    /// The request budget ran out inside it: where it stopped is recorded.
    Budget,
}

impl Run {
    /// An ingest from the API: plan (or resume) the windows, crawl them in order, then fetch
    /// the details of new and changed games, all within the request budget.
    async fn crawl_api(
        &mut self,
        wh: &Warehouse,
        client: &RawgClient,
        opts: &IngestOptions,
        started: DateTime<Utc>,
        progress: &mut dyn Progress,
    ) -> Result<CrawlEnd> {
        let now = started.naive_utc();
        let planned = Plan::new(wh, client, opts.dates, opts.updated, now).await;
        if is_budget_stop(&planned) {
            tracing::warn!("the request budget is spent before the plan was made");
            self.report.backlog = self.backlog_without_plan(wh).await?;
            return Ok(CrawlEnd::Budget);
        }
        let mut plan = planned?;
        self.report.probes = plan.probes;
        let (windows, done) = plan.progress();
        if windows > 1 || done > 0 {
            tracing::info!(
                windows,
                done,
                "reading in windows under RAWG's 250-page limit"
            );
        }
        if opts.plan_only {
            self.estimate(wh, &plan).await?;
            return Ok(CrawlEnd::Done);
        }
        let mut end = self
            .crawl_windows(wh, client, opts, &mut plan, now, progress)
            .await?;
        self.report.probes = plan.probes;
        if opts.details && end == CrawlEnd::Done && client.budget().is_spent() {
            // The details wait for a later run, as the rest of a window would.
            end = CrawlEnd::Budget;
        } else if opts.details && end == CrawlEnd::Done {
            let (fetched, stopped) = details::fetch(
                wh,
                client,
                &self.state,
                &self.report.run_id,
                started,
                progress,
            )
            .await?;
            self.report.details = fetched;
            if stopped == details::Stopped::Budget {
                end = CrawlEnd::Budget;
            }
        }
        self.report.backlog = self.backlog(wh, &plan).await?;
        Ok(end)
    }

    /// `--plan`: what the run would send, with nothing sent but the plan's probes.
    async fn estimate(&mut self, wh: &Warehouse, plan: &Plan) -> Result<()> {
        let held = details::DetailState::load(wh).await?;
        self.report.estimate = Some(Estimate {
            probes: plan.probes,
            list_pages: plan.left().list_pages,
            list_games: plan.games_left(),
            details: details::backlog(&self.state, &held, &Default::default()).len(),
        });
        self.report.backlog = self.backlog(wh, plan).await?;
        Ok(())
    }

    /// Crawls the plan's pending windows in order until they are done, `--max-pages` is
    /// reached or the budget runs out.
    async fn crawl_windows(
        &mut self,
        wh: &Warehouse,
        client: &RawgClient,
        opts: &IngestOptions,
        plan: &mut Plan,
        now: chrono::NaiveDateTime,
        progress: &mut dyn Progress,
    ) -> Result<CrawlEnd> {
        let pages_left = plan.left().list_pages;
        let expected = opts
            .max_pages
            .map_or(pages_left, |m| (m as u64).min(pages_left));
        progress.begin("pages", Some(expected));
        let mut end = CrawlEnd::Done;
        for query in plan.pending()? {
            let remaining = opts.max_pages.map(|m| m.saturating_sub(self.report.pages));
            if remaining == Some(0) {
                break;
            }
            let window = self
                .crawl_window(wh, client, opts, plan, &query, progress)
                .await?;
            match window {
                WindowEnd::Resplit => continue,
                WindowEnd::MaxPages => break,
                WindowEnd::Budget => {
                    end = CrawlEnd::Budget;
                    break;
                }
                WindowEnd::Finished => {
                    plan.finish(wh, &query, self.state.newest_updated(), now)
                        .await?;
                }
            }
        }
        progress.finish();
        Ok(end)
    }

    /// Reads one window's pages and lands its games; says how it ended. Only a window whose
    /// pages all came through is finished: `--max-pages` may have cut it short, and one
    /// that outgrew RAWG's limit is split and read again.
    async fn crawl_window(
        &mut self,
        wh: &Warehouse,
        client: &RawgClient,
        opts: &IngestOptions,
        plan: &mut Plan,
        query: &Query,
        progress: &mut dyn Progress,
    ) -> Result<WindowEnd> {
        let (crawl, outcome) = self.read_window(wh, client, opts, query, progress).await;
        let budget_stop = is_budget_stop(&outcome);
        self.finish(wh, if budget_stop { Ok(()) } else { outcome })
            .await?;
        if budget_stop {
            plan.stopped(wh, query, self.window_page).await?;
            return Ok(WindowEnd::Budget);
        }
        if opts.max_pages.is_some_and(|m| self.report.pages >= m) {
            return Ok(WindowEnd::MaxPages);
        }
        let single_day = query.window.is_some_and(|w| w.from == w.to);
        if crawl.max_count.is_some_and(|c| c > MAX_GAMES_PER_QUERY) && !single_day {
            let resplit = plan.resplit(wh, client, query).await;
            if is_budget_stop(&resplit) {
                return Ok(WindowEnd::Budget);
            }
            if resplit? {
                return Ok(WindowEnd::Resplit);
            }
        }
        Ok(WindowEnd::Finished)
    }

    /// One crawler task fetches the window's pages while this task parses and keeps them.
    /// A crawler that ended without finishing (a panic) fails its window: the pages it did
    /// not hand over were never read, and the window must not count as finished.
    async fn read_window(
        &mut self,
        wh: &Warehouse,
        client: &RawgClient,
        opts: &IngestOptions,
        query: &Query,
        progress: &mut dyn Progress,
    ) -> (source::Crawl, Result<()>) {
        let remaining = opts.max_pages.map(|m| m.saturating_sub(self.report.pages));
        let (tx, rx) = mpsc::channel::<Result<RawPage>>(4);
        let mut first = client.games_url(&query.filters);
        if query.start_page > 1 {
            first = http::with_param(&first, "page", &query.start_page.to_string());
        }
        self.window_page = 0;
        // An overfull day's tail needs only its own pages.
        let own = query
            .max_pages
            .map(|m| m.saturating_sub(query.start_page - 1).max(1));
        let limit = match (remaining, own) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let concurrency = opts.http.concurrency;
        let mut producer = tokio::spawn(source::send_http(
            client.clone(),
            first,
            limit,
            concurrency,
            tx,
        ));
        match self.consume(rx, wh, progress).await {
            Ok(()) => match (&mut producer).await {
                Ok(crawl) => (crawl, Ok(())),
                Err(e) => (source::Crawl::default(), Err(crawler_failed(query, &e))),
            },
            Err(e) => {
                producer.abort();
                (source::Crawl::default(), Err(e))
            }
        }
    }

    /// What is left after this run: the plan's open windows and the details backlog.
    async fn backlog(&self, wh: &Warehouse, plan: &Plan) -> Result<Backlog> {
        let WindowsLeft {
            windows,
            list_pages,
        } = plan.left();
        Ok(Backlog {
            windows,
            list_pages,
            details: details::backlog_len(wh, &self.state).await?,
        })
    }

    /// The backlog when no plan could be made: the sync pass in progress, if any.
    async fn backlog_without_plan(&self, wh: &Warehouse) -> Result<Backlog> {
        let WindowsLeft {
            windows,
            list_pages,
        } = SyncState::load(wh).await?.left();
        Ok(Backlog {
            windows,
            list_pages,
            details: details::backlog_len(wh, &self.state).await?,
        })
    }

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
                let number = page.page;
                let (tx, rx) = tokio::sync::oneshot::channel();
                // Parsed and turned into columns in one go: the games borrow the page's bytes.
                rayon::spawn(move || {
                    let rows = parse::parse_page(&page.bytes, &page.label)
                        .map_err(Error::from)
                        .and_then(|p| {
                            Ok((PageRows::new(&p.games, &stamp)?, p.quarantined, page.label))
                        });
                    let _ = tx.send(rows);
                });
                let rows = rx
                    .await
                    .map_err(|_| Error::Internal("page parser stopped".into()))??;
                Ok::<_, Error>((number, rows))
            }
        })
        .buffered(workers);
        let mut parsed = std::pin::pin!(parsed);
        let mut accepted = Vec::new();
        while let Some(page) = parsed.next().await {
            let (number, (page, quarantined, label)) = page?;
            self.window_page = self.window_page.max(number);
            self.report.pages += 1;
            self.set_aside(quarantined, &label);
            self.keep_changed(page, &mut accepted);
            if self.lander.is_full() {
                self.lander.flush_in_background(wh).await?;
            }
            failpoint::hit_nth("ingest.page", self.report.pages);
            if let Some(spend) = &mut self.spend {
                spend.checkpoint(wh).await?;
            }
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

    /// Sets aside the page's games over a size limit, each version once.
    fn set_aside(&mut self, quarantined: Vec<parse::Quarantined>, label: &str) {
        let report = &mut self.report;
        report.games_seen += quarantined.len();
        for q in quarantined {
            // A version quarantined before (or already held) is not set aside again.
            if self.quarantined.holds(q.id, q.updated) || !self.state.is_newer(q.id, q.updated) {
                report.games_unchanged += 1;
                continue;
            }
            self.quarantined.observe(q.id, q.updated);
            report.quarantined += 1;
            self.quarantine.push(label, q);
        }
    }

    /// Keeps the page's new or changed games (within the local filter) for landing;
    /// `accepted` is scratch space for their rows.
    fn keep_changed(&mut self, page: PageRows, accepted: &mut Vec<usize>) {
        let report = &mut self.report;
        accepted.clear();
        for (row, game) in page.keys.iter().enumerate() {
            report.games_seen += 1;
            if self.local_filter.is_some_and(|f| !f.keeps(game)) {
                report.games_filtered += 1;
                continue;
            }
            if self.state.is_newer(game.id, game.updated) {
                self.state.observe(game.id, game.updated, game.added);
                accepted.push(row);
            } else {
                report.games_unchanged += 1;
            }
        }
        report.games_kept += self.lander.push(page, accepted);
        if report.games_kept > 0 {
            self.kept.open();
        }
    }

    /// Lands what was accepted, even when the pages failed (keep what was good), then
    /// reports the first error.
    async fn finish(&mut self, wh: &Warehouse, outcome: Result<()>) -> Result<()> {
        let flushed = self.lander.flush(wh).await;
        self.report.files = self.lander.files().to_vec();
        let set_aside = self.quarantine.flush(wh).await;
        self.report.quarantine_files = self.quarantine.files().to_vec();
        outcome?;
        flushed?;
        set_aside
    }
}

/// The error of a window whose crawler task ended without finishing.
fn crawler_failed(query: &plan::Query, e: &tokio::task::JoinError) -> Error {
    let window = query
        .filters
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let cause = if e.is_panic() {
        "panicked"
    } else {
        "was cancelled"
    };
    Error::Internal(format!(
        "the crawler of window {window} {cause}: the pages it handed over have landed, the \
         window is not marked finished, and a rerun reads it again"
    ))
}

/// `--dates` and `--updated` applied to archived pages (the API applies its own).
#[derive(Debug, Clone, Copy)]
struct LocalFilter {
    dates: Option<DateRange>,
    updated: Option<DateRange>,
}

impl LocalFilter {
    fn keeps(&self, game: &GameKey) -> bool {
        let released_ok = self
            .dates
            .is_none_or(|r| game.released.is_some_and(|d| (r.from..=r.to).contains(&d)));
        let updated_ok = self
            .updated
            .is_none_or(|r| (r.from..=r.to).contains(&game.updated.date()));
        released_ok && updated_ok
    }
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
