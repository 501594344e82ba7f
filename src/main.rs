//! The `gamelake` command line: a thin layer over the library. Parses flags (with
//! `GAMELAKE_*` environment fallbacks), resolves settings, calls the library, prints results.
//! Errors end the process with a one-line cause on stderr and a non-zero exit code.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use gamelake::config::{CatalogSettings, Overrides, Settings};
use gamelake::etl::{self, EtlOptions};
use gamelake::ingest::{self, DateRange, IngestOptions};
use gamelake::lakehouse::Lakehouse;
use gamelake::lakehouse::maintain::MaintainOptions;
use gamelake::lease::Lease;
use gamelake::progress::Progress;
use gamelake::query::{self, Format};
use gamelake::storage::Warehouse;

// Ingest and ETL allocate many small, short-lived buffers (a page's nested lists, arrow
// arrays) on one thread and free them on another; glibc's malloc spent ~17% of the ingest's
// CPU on that (docs/benchmarks.md). See `no_transparent_huge_pages` for the one setting it
// needs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
struct Cli {
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
        default_value_t = 600
    )]
    lease_wait: u64,
    /// More log output (-v info, -vv debug). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    /// Run SQL over the tables (addressable as <namespace>.<table>, e.g. rawg.fact_games).
    Sql {
        /// The SQL statement.
        statement: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// List the tables with row count, data files and current snapshot.
    Tables,
    /// Generate RAWG-shaped list pages at any size (and a next-day delta), drawn from
    /// recorded pages, for benchmarks. Touches no warehouse.
    Generate {
        /// How many games.
        #[arg(long)]
        games: usize,
        /// Same seed, same output.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Folder for the list pages (page-NNNNN.json); the delta goes to OUT-delta.
        #[arg(long)]
        out: PathBuf,
        /// Share of games the delta changes (0.01 = 1%); no delta unless given.
        #[arg(long)]
        delta_changed: Option<f64>,
        /// Share of new games in the delta.
        #[arg(long, default_value_t = 0.0)]
        delta_new: f64,
        /// Folders of recorded pages to draw from.
        #[arg(long, default_values_t = [
            "../shared/data/rawg/games-released-2015".to_string(),
            "../shared/data/rawg/games-released-2016".to_string(),
        ])]
        from: Vec<String>,
    },
    /// Compact position deletes, expire old snapshots, remove unreferenced files.
    Maintain {
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
    },
}

#[derive(Args)]
struct IngestArgs {
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
}

#[derive(Args)]
struct EtlArgs {
    /// Rebuild and rewrite every table from all raw data (surrogate keys are kept).
    #[arg(long)]
    full_refresh: bool,
}

impl Cli {
    fn lease_wait(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.lease_wait)
    }
}

fn main() -> ExitCode {
    no_transparent_huge_pages();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("{first} (see --help)");
            return ExitCode::from(2);
        }
    };
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Library errors often display their source too: skip a cause the line says already.
            let mut chain: Vec<String> = Vec::new();
            for cause in e.chain().map(|c| c.to_string()) {
                if !chain.last().is_some_and(|last| last.contains(&cause)) {
                    chain.push(cause);
                }
            }
            eprintln!("error: {}", chain.join(": ").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// mimalloc asks the kernel for transparent huge pages (`madvise(MADV_HUGEPAGE)`) on the
/// memory it maps; every fault on it then zeroes 2 MiB, and memory it hands back and takes
/// again is zeroed again. The full ETL of 1,000,000 games spent 5 to 6 of its 10 to 12 CPU
/// seconds in the kernel that way (mostly `clear_page`), and took 6.1 to 7.3 s against 4.1
/// to 4.8 s with huge pages off; the ingest was no faster with them (docs/benchmarks.md).
/// Off for this process only, before anything is allocated in earnest; the flag is checked
/// at every page fault, so memory mapped before this call is covered too.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process; no memory is touched.
    // A kernel that refuses it leaves huge pages on, which costs time, not correctness.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Warnings by default; on a non-terminal also gamelake's progress lines (a terminal gets a
/// progress bar instead).
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 if std::io::stderr().is_terminal() => "warn",
        0 | 1 => "warn,gamelake=info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .init();
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Generate {
        games,
        seed,
        out,
        delta_changed,
        delta_new,
        from,
    } = &cli.command
    {
        return generate(*games, *seed, out, *delta_changed, *delta_new, from);
    }
    let source = match &cli.command {
        Command::Ingest(a) | Command::Run { ingest: a, .. } => a.source.clone(),
        _ => None,
    };
    let settings = Settings::resolve(
        Overrides {
            config_file: cli.config.clone(),
            warehouse: cli.warehouse.clone(),
            namespace: cli.namespace.clone(),
            catalog: cli.catalog.clone(),
            source,
            api_key: None,
            env: Vec::new(),
        }
        .read_env(),
    )?;
    let embedded = settings.catalog == CatalogSettings::Embedded;
    let local = !settings.warehouse.contains("://") || settings.warehouse.starts_with("file://");
    if embedded
        && local
        && matches!(
            cli.command,
            Command::Sql { .. } | Command::Tables | Command::Maintain { .. }
        )
        && !Path::new(settings.warehouse.trim_start_matches("file://"))
            .join("catalog.db")
            .exists()
    {
        anyhow::bail!(
            "no warehouse at {}: run `gamelake run` first, or point --warehouse at one",
            settings.warehouse
        );
    }
    let wh = Warehouse::connect(&settings.warehouse, &settings.s3)
        .await
        .with_context(|| format!("opening warehouse {}", settings.warehouse))?;
    // Writing commands take the warehouse lease for their whole duration.
    let writer = match &cli.command {
        Command::Ingest(_) => Some("ingest"),
        Command::Etl(_) => Some("etl"),
        Command::Run { .. } => Some("run"),
        Command::Maintain { .. } => Some("maintain"),
        Command::Sql { .. } | Command::Tables | Command::Generate { .. } => None,
    };
    let lease = match writer {
        Some(command) => Some(Lease::acquire(&wh, command, cli.lease_wait()).await?),
        None => None,
    };
    let result = dispatch(cli.command, &wh, &settings).await;
    if let Some(lease) = lease {
        lease.release().await;
    }
    result
}

async fn dispatch(command: Command, wh: &Warehouse, settings: &Settings) -> anyhow::Result<()> {
    let wh = wh.clone();
    let lakehouse =
        || Lakehouse::connect(&wh, &settings.namespace, &settings.catalog, &settings.s3);
    match command {
        Command::Ingest(args) => {
            ingest_cmd(&wh, settings, &args).await?;
        }
        Command::Etl(args) => {
            let lake = lakehouse().await?;
            etl_cmd(&wh, &lake, &args).await?;
        }
        Command::Run { ingest, etl } => {
            // Connect first: an unreachable catalog should fail before an ingest, not after.
            let lake = lakehouse().await?;
            ingest_cmd(&wh, settings, &ingest).await?;
            etl_cmd(&wh, &lake, &etl).await?;
        }
        Command::Sql { statement, format } => {
            let lake = lakehouse().await?;
            let batches = query::sql(&lake, &statement).await?;
            println!("{}", query::render(&batches, format)?);
        }
        Command::Generate { .. } => unreachable!("handled before the warehouse is opened"),
        Command::Maintain {
            delete_threshold,
            keep_days,
            orphan_grace_minutes,
        } => {
            let seconds = |v: f64, what: &str| {
                if v.is_finite() && v >= 0.0 {
                    Ok(std::time::Duration::from_secs_f64(v))
                } else {
                    Err(anyhow::anyhow!("{what} must be a number >= 0, got {v}"))
                }
            };
            if !(0.0..=1.0).contains(&delete_threshold) {
                anyhow::bail!("--delete-threshold must be between 0 and 1, got {delete_threshold}");
            }
            let opts = MaintainOptions {
                delete_threshold,
                retain: seconds(keep_days * 86_400.0, "--keep-days")?,
                orphan_grace: seconds(orphan_grace_minutes * 60.0, "--orphan-grace-minutes")?,
            };
            let lake = lakehouse().await?;
            for r in lake.maintain(&opts).await? {
                eprintln!(
                    "{}: {} files compacted ({} deleted rows dropped), {} snapshots expired, {} files removed",
                    r.table,
                    r.files_compacted,
                    r.rows_dropped,
                    r.snapshots_expired,
                    r.files_removed
                );
            }
        }
        Command::Tables => {
            let lake = lakehouse().await?;
            let infos = lake.infos().await?;
            let names: Vec<String> = infos
                .iter()
                .map(|t| format!("{}.{}", lake.namespace(), t.name))
                .collect();
            let width = names.iter().map(String::len).max().unwrap_or(5).max(5);
            println!(
                "{:<width$} {:>10} {:>10} {:>10} {:>10}  snapshot",
                "table", "rows", "files", "deletes", "snapshots"
            );
            for (t, name) in infos.iter().zip(&names) {
                println!(
                    "{:<width$} {:>10} {:>10} {:>10} {:>10}  {}",
                    name,
                    t.rows,
                    t.data_files,
                    t.delete_files,
                    t.snapshots,
                    t.snapshot_id.map(|s| s.to_string()).unwrap_or("-".into())
                );
            }
        }
    }
    Ok(())
}

fn generate(
    games: usize,
    seed: u64,
    out: &Path,
    delta_changed: Option<f64>,
    delta_new: f64,
    from: &[String],
) -> anyhow::Result<()> {
    let dirs: Vec<&Path> = from.iter().map(Path::new).collect();
    let sampler = gamelake::generate::Sampler::from_recorded(&dirs)
        .with_context(|| format!("reading recorded pages from {from:?}"))?;
    let base = sampler.games(games, seed);
    let pages = gamelake::generate::write_pages(&base, out)?;
    eprintln!(
        "generate: {games} games in {pages} pages under {}",
        out.display()
    );
    if let Some(changed) = delta_changed {
        for (what, v) in [("--delta-changed", changed), ("--delta-new", delta_new)] {
            if !(0.0..=1.0).contains(&v) {
                anyhow::bail!("{what} must be between 0 and 1, got {v}");
            }
        }
        let delta = sampler.delta(&base, changed, delta_new, seed);
        let dir = PathBuf::from(format!("{}-delta", out.display()));
        let pages = gamelake::generate::write_pages(&delta, &dir)?;
        eprintln!(
            "generate: delta of {} games in {pages} pages under {}",
            delta.len(),
            dir.display()
        );
    }
    Ok(())
}

async fn ingest_cmd(wh: &Warehouse, settings: &Settings, args: &IngestArgs) -> anyhow::Result<()> {
    let mut opts = IngestOptions::new(settings.source.clone());
    opts.api_key = settings.api_key.clone();
    opts.updated = args.updated;
    opts.dates = args.dates;
    opts.max_pages = args.max_pages;
    opts.http.concurrency = usize::from(args.concurrency);
    let mut progress = Progress::new("pages", None);
    let report = ingest::ingest(wh, &opts, &mut progress).await?;
    eprintln!(
        "ingest {}: {} pages, {} games seen, {} new or changed, {} unchanged, {} raw files",
        report.run_id,
        report.pages,
        report.games_seen,
        report.games_kept,
        report.games_unchanged,
        report.files.len()
    );
    Ok(())
}

async fn etl_cmd(wh: &Warehouse, lake: &Lakehouse, args: &EtlArgs) -> anyhow::Result<()> {
    let opts = EtlOptions {
        full_refresh: args.full_refresh,
    };
    let mut progress = Progress::new("tables", Some(13));
    let report = etl::run(wh, lake, &opts, &mut progress).await?;
    if report.nothing_new {
        eprintln!(
            "etl: nothing new since the last run ({} raw files)",
            report.raw_files
        );
        return Ok(());
    }
    let written = report.tables.iter().filter(|t| t.written).count();
    eprintln!(
        "etl {}: {} games from {} raw files; {} tables written, {} unchanged",
        report.run_id,
        report.games,
        report.raw_files,
        written,
        report.tables.len() - written
    );
    Ok(())
}
