//! The command line's flags (clap), and their conversion into the library's settings and
//! options. Nothing here talks to a warehouse.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use gamelake::config::{Overrides, Settings};
use gamelake::etl::EtlOptions;
use gamelake::ingest::{DateRange, IngestOptions};
use gamelake::lakehouse::maintain::MaintainOptions;

#[derive(Parser)]
#[command(
    name = "gamelake",
    version,
    about = "Embedded Iceberg lakehouse ETL for RAWG video-game data",
    long_about = "Ingests RAWG game pages (API or archived pages), lands them as raw parquet, \
                  builds an Iceberg star schema with Polars, and answers SQL with DataFusion.\n\n\
                  Settings come from flags, then GAMELAKE_* environment variables, then \
                  gamelake.toml. The RAWG key comes only from RAWG_API_KEY or the config file."
)]
pub struct Cli {
    /// Warehouse root: a local folder, or s3://bucket/prefix (S3 settings from AWS_* variables
    /// or [s3] in gamelake.toml).
    #[arg(long, global = true, env = "GAMELAKE_WAREHOUSE")]
    warehouse: Option<String>,
    /// Iceberg catalog: `embedded` (default, an SQLite file in a local warehouse) or
    /// rest+http://host:port/path (e.g. Nessie at rest+http://localhost:19120/iceberg).
    /// Credentials only from GAMELAKE_CATALOG_CREDENTIAL / GAMELAKE_CATALOG_TOKEN.
    #[arg(long, global = true, env = "GAMELAKE_CATALOG")]
    catalog: Option<String>,
    /// Iceberg namespace of the tables.
    #[arg(long, global = true, env = "GAMELAKE_NAMESPACE")]
    namespace: Option<String>,
    /// Config file (default: ./gamelake.toml if present).
    #[arg(long, global = true, env = "GAMELAKE_CONFIG")]
    config: Option<PathBuf>,
    /// Seconds to wait for another gamelake run on the same warehouse to finish.
    #[arg(
        long,
        global = true,
        env = "GAMELAKE_LEASE_WAIT",
        default_value_t = gamelake::ops::DEFAULT_LEASE_WAIT.as_secs()
    )]
    lease_wait: u64,
    /// More log output (-v info, -vv debug). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Fetch RAWG game pages and land new or changed games as raw parquet.
    Ingest(IngestArgs),
    /// Build the star schema in Iceberg from the raw landing.
    Etl(EtlArgs),
    /// Ingest, then ETL.
    Run {
        #[command(flatten)]
        ingest: IngestArgs,
        #[command(flatten)]
        etl: EtlArgs,
    },
    /// Run SQL over the tables (addressable as <namespace>.<table>, e.g. rawg.fact_games;
    /// the runs as <namespace>.gamelake_runs).
    Sql {
        /// The SQL statement.
        statement: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Read the tables as a run published them: a run id (see `gamelake status`), or a
        /// UTC time (2026-12-03T09:00:00, 2026-12-03) for the last run published by then.
        #[arg(long, value_name = "RUN_ID|TIME")]
        as_of: Option<String>,
    },
    /// Run the data checks declared in schemas/ on the published tables; exits 1 when one
    /// of error level fails.
    Check {
        /// Warn when the newest `updated` is older than this many days.
        #[arg(long, env = "GAMELAKE_FRESHNESS_DAYS", default_value_t = 7.0)]
        freshness_days: f64,
    },
    /// Publish every table as an earlier run left it (a new snapshot; history is kept); the
    /// next run processes again the raw files that run had not processed.
    Rollback {
        /// The run to go back to (see `gamelake status` or <namespace>.gamelake_runs).
        run_id: String,
    },
    /// List the tables with row count, data files and current snapshot.
    Tables,
    /// The month's API requests, the sync watermark, and what is left to fetch.
    Status,
    /// Write the market report: one self-contained HTML page of charts, each with its SQL.
    Report {
        /// Where to write the page.
        #[arg(long, value_name = "FILE", default_value = "report.html")]
        out: std::path::PathBuf,
        /// The tables as a run published them (a run id or a UTC time, as for `sql`).
        #[arg(long, value_name = "RUN_ID|TIME")]
        as_of: Option<String>,
    },
    /// Generate RAWG-shaped list pages at any size (and a next-day delta), drawn from
    /// recorded pages, for benchmarks. Touches no warehouse.
    Generate(GenerateArgs),
    /// Compact position deletes, expire old snapshots, remove unreferenced files.
    Maintain(MaintainArgs),
}

/// Output formats of `gamelake sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An aligned text table.
    Table,
    /// CSV with a header line.
    Csv,
    /// A JSON array of objects.
    Json,
}

#[derive(Args)]
pub struct IngestArgs {
    /// RAWG API base URL, or a folder of archived list pages (page-*.json).
    /// [default: https://api.rawg.io/api]
    #[arg(long, env = "GAMELAKE_SOURCE")]
    source: Option<String>,
    /// Only games updated in FROM,TO (YYYY-MM-DD,YYYY-MM-DD).
    #[arg(long, value_name = "FROM,TO")]
    updated: Option<DateRange>,
    /// Only games released in FROM,TO (YYYY-MM-DD,YYYY-MM-DD).
    #[arg(long, value_name = "FROM,TO")]
    dates: Option<DateRange>,
    /// Stop after N pages.
    #[arg(long, value_name = "N")]
    max_pages: Option<usize>,
    /// Pages requested at once from an HTTP source: the page the last `next` link named and
    /// the ones expected after it (1: one request at a time).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    concurrency: u16,
    /// Send at most N API requests this run (retries, count probes and details included);
    /// a run that reaches it lands what it has and the next run goes on from there.
    #[arg(long, value_name = "N", env = "GAMELAKE_MAX_REQUESTS")]
    max_requests: Option<u64>,
    /// Fetch no game details (developers, publishers) this run.
    #[arg(long)]
    no_details: bool,
    /// Only plan: ask RAWG how many games the run would fetch (a few count requests), print
    /// the requests it would need, and fetch nothing.
    #[arg(long)]
    plan: bool,
}

#[derive(Args)]
pub struct EtlArgs {
    /// Rebuild and rewrite every table from all raw data (surrogate keys are kept).
    #[arg(long)]
    full_refresh: bool,
    /// The freshness check warns when the newest `updated` is older than this many days.
    #[arg(long, env = "GAMELAKE_FRESHNESS_DAYS", default_value_t = 7.0)]
    freshness_days: f64,
    /// An incremental run checks only the rows it changed, and every row once in this many
    /// days (a daily job: every 7th run), or when anything but a gamelake run committed to
    /// the tables since the last run, or after a rollback.
    #[arg(long, env = "GAMELAKE_FULL_CHECK_DAYS", default_value_t = 7.0)]
    full_check_days: f64,
    /// An incremental run expires table snapshots older than this many days (a few at a
    /// time): `--as-of` and rollback reach back this far. Not on Nessie.
    #[arg(long, env = "GAMELAKE_KEEP_DAYS", default_value_t = 7.0)]
    keep_days: f64,
}

/// `--freshness-days` as a duration; a bad number (negative, not finite) is refused.
pub fn days(days: f64) -> gamelake::Result<Duration> {
    days_of("--freshness-days", days)
}

/// A flag's number of days as a duration; a bad number (negative, not finite) is refused.
fn days_of(flag: &str, days: f64) -> gamelake::Result<Duration> {
    if !(days.is_finite() && days >= 0.0) {
        return Err(gamelake::Error::Config(format!(
            "{flag} {days}: expected a number of days, 0 or more"
        )));
    }
    Ok(Duration::from_secs_f64(days * 86_400.0))
}

#[derive(Args)]
pub struct GenerateArgs {
    /// How many games.
    #[arg(long)]
    pub games: usize,
    /// Same seed, same output.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder for the list pages (page-NNNNN.json); the delta goes to OUT-delta.
    #[arg(long)]
    pub out: PathBuf,
    /// Share of games the delta changes (0.01 = 1%); no delta unless given.
    #[arg(long)]
    pub delta_changed: Option<f64>,
    /// Days of deltas, each over the games as the days before left them, in OUT-day-001,
    /// OUT-day-002, … (instead of one OUT-delta); needs --delta-changed.
    #[arg(long, requires = "delta_changed")]
    pub days: Option<usize>,
    /// Share of new games in the delta.
    #[arg(long, default_value_t = 0.0)]
    pub delta_new: f64,
    /// With --days: the shares are of the first day's games, so every day changes and adds
    /// as many games (by default they are of the games as the days before left them, and the
    /// deltas grow with the games).
    #[arg(long, requires = "days")]
    pub steady_days: bool,
    /// Folders of recorded pages to draw from (the recorded RAWG pages beside the repository,
    /// where the benchmarks expect them).
    #[arg(long, required = true, num_args = 1..)]
    pub from: Vec<PathBuf>,
    /// Which games a delta changes.
    #[arg(long, value_enum, default_value_t = Churn::Uniform)]
    pub churn: Churn,
}

/// Which games `gamelake generate`'s deltas change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Churn {
    /// Every game alike.
    Uniform,
    /// As the recorded games changed: a game's chance follows its id's tenth of the
    /// catalogue, weighted by the share of the recorded games in that tenth of their ids
    /// that RAWG updated in the recorded data's last year (most of them among the oldest
    /// ids: the popular games).
    Recorded,
}

#[derive(Args)]
pub struct MaintainArgs {
    /// Compact a table when its deleted rows exceed this share of its rows.
    #[arg(long, default_value_t = 0.10)]
    delete_threshold: f64,
    /// Keep snapshots younger than this many days.
    #[arg(long, default_value_t = 7.0)]
    keep_days: f64,
    /// Only remove unreferenced files older than this many minutes (writes in flight
    /// in another process are younger).
    #[arg(long, default_value_t = 60.0)]
    orphan_grace_minutes: f64,
}

impl Cli {
    /// The command's name, as typed.
    pub fn command_name(&self) -> &'static str {
        match &self.command {
            Command::Ingest(_) => "ingest",
            Command::Etl(_) => "etl",
            Command::Run { .. } => "run",
            Command::Sql { .. } => "sql",
            Command::Tables => "tables",
            Command::Status => "status",
            Command::Report { .. } => "report",
            Command::Check { .. } => "check",
            Command::Rollback { .. } => "rollback",
            Command::Generate(_) => "generate",
            Command::Maintain(_) => "maintain",
        }
    }

    /// Settings from the flags, the environment and the config file.
    pub fn settings(&self) -> gamelake::Result<Settings> {
        let (source, max_requests) = match &self.command {
            Command::Ingest(a) | Command::Run { ingest: a, .. } => {
                (a.source.clone(), a.max_requests)
            }
            _ => (None, None),
        };
        Settings::resolve(
            Overrides {
                config_file: self.config.clone(),
                warehouse: self.warehouse.clone(),
                namespace: self.namespace.clone(),
                catalog: self.catalog.clone(),
                source,
                max_requests,
                api_key: None,
                env: Vec::new(),
            }
            .read_env(),
        )
    }

    /// How long a writing command waits for another run's lease.
    pub fn lease_wait(&self) -> Duration {
        Duration::from_secs(self.lease_wait)
    }
}

impl IngestArgs {
    /// The ingest's options; source and key come from `settings`.
    pub fn options(&self, settings: &Settings) -> IngestOptions {
        let mut opts = IngestOptions::new(settings.source.clone());
        opts.api_key = settings.api_key.clone();
        opts.updated = self.updated;
        opts.dates = self.dates;
        opts.max_pages = self.max_pages;
        opts.http.concurrency = usize::from(self.concurrency);
        opts.max_requests = settings.max_requests;
        opts.monthly_request_limit = settings.monthly_request_limit;
        opts.details = !self.no_details;
        opts.plan_only = self.plan;
        opts
    }

    /// True for `--plan`: nothing is fetched, so nothing is built either.
    pub fn plan_only(&self) -> bool {
        self.plan
    }
}

impl EtlArgs {
    /// The ETL's options.
    pub fn options(&self) -> gamelake::Result<EtlOptions> {
        Ok(EtlOptions {
            full_refresh: self.full_refresh,
            freshness: days(self.freshness_days)?,
            full_check_every: days_of("--full-check-days", self.full_check_days)?,
            keep_snapshots: days_of("--keep-days", self.keep_days)?,
            ..EtlOptions::default()
        })
    }
}

impl MaintainArgs {
    /// The checked maintenance policy.
    pub fn options(&self) -> gamelake::Result<MaintainOptions> {
        MaintainOptions::new(
            self.delete_threshold,
            self.keep_days,
            self.orphan_grace_minutes,
        )
    }
}
