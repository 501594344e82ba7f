//! The `gamelake` command line: a thin layer over the library. It turns flags (with
//! `GAMELAKE_*` environment fallbacks) into settings and options ([`args`]), calls one
//! operation of [`gamelake::Gamelake`], and prints what comes back ([`output`]). Errors end the
//! process with a one-line cause on stderr and a non-zero exit code.

mod args;
mod generate;
mod output;

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use gamelake::Gamelake;

use args::{Cli, Command};

// Ingest and ETL allocate many small, short-lived buffers on one thread and free them on
// another, which glibc's malloc handles poorly (docs/benchmarks.md, "Allocator"). See
// `no_transparent_huge_pages` for the one setting mimalloc needs here.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    let command = cli.command_name();
    let verbose = cli.verbose > 0;
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", error_line(command, &e, verbose));
            ExitCode::FAILURE
        }
    }
}

/// The longest error line printed without `-v`, failed data checks aside (one line each).
const MAX_LINE: usize = 250;
/// The longest "what failed" part of a line that also says the fault and what to do.
const MAX_WHAT: usize = 110;

/// What a person reads when a command fails: one line built from the error's kind (the
/// failed command, the fault in plain words, what failed, what to do) when it is a fault
/// gamelake knows how to word, the error's own words otherwise. `-v` adds the chain of
/// causes beneath, one per line, and cuts nothing.
fn error_line(command: &str, e: &anyhow::Error, verbose: bool) -> String {
    // Context the binary added (e.g. "opening warehouse …"), then the library's error.
    let mut said: Vec<String> = e
        .chain()
        .take_while(|c| !c.is::<gamelake::Error>())
        .map(|c| c.to_string())
        .collect();
    let lake = e.chain().find_map(|c| c.downcast_ref::<gamelake::Error>());
    let diagnosis = lake.and_then(gamelake::Error::diagnosis);
    match (lake, diagnosis) {
        (Some(err), Some(_)) => said.push(err.headline()),
        (Some(err), None) => said.push(err.to_string()),
        (None, _) => {}
    }
    let said = said.join(": ");
    let checks = lake.is_some_and(|l| l.kind() == gamelake::ErrorKind::ChecksFailed);
    let mut line = match diagnosis {
        Some(d) => format!(
            "error: {command} failed, {}: {}. {}",
            d.cause,
            cut(&one_line(&said), MAX_WHAT, verbose),
            d.todo
        ),
        None if checks => format!("error: {said}"),
        None => cut(&format!("error: {}", one_line(&said)), MAX_LINE, verbose),
    };
    if verbose {
        for cause in e.chain().skip(1) {
            line.push_str(&format!("\n  caused by: {}", one_line(&cause.to_string())));
        }
    }
    line
}

fn one_line(text: &str) -> String {
    text.replace('\n', " ")
}

/// `text` cut to `max` characters (unless `verbose`), saying where the rest is.
fn cut(text: &str, max: usize, verbose: bool) -> String {
    if verbose || text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}… (-v shows all)")
}

/// mimalloc asks the kernel for transparent huge pages (`madvise(MADV_HUGEPAGE)`) on the
/// memory it maps; every fault on it then zeroes 2 MiB, and memory it hands back and takes
/// again is zeroed again, which made the ETL spend much of its time in the kernel
/// (docs/benchmarks.md, "Allocator"). Off for this process only, before anything is
/// allocated in earnest; the flag is checked at every page fault, so memory mapped before
/// this call is covered too.
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

/// The warehouse the command works on: created if missing for commands that write, else it
/// must exist.
async fn open(cli: &Cli, settings: &gamelake::config::Settings) -> anyhow::Result<Gamelake> {
    let writes = matches!(
        cli.command,
        Command::Ingest(_) | Command::Etl(_) | Command::Run { .. }
    );
    let lake = if writes {
        Gamelake::open(settings).await
    } else {
        Gamelake::open_existing(settings).await
    }
    .with_context(|| format!("opening warehouse {}", settings.warehouse))?;
    Ok(lake.with_lease_wait(cli.lease_wait()))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Generate(args) = &cli.command {
        return generate::run(args);
    }
    let settings = cli.settings()?;
    let lake = open(&cli, &settings).await?;
    let as_of = |text: &Option<String>| text.as_deref().map(gamelake::runs::AsOf::parse);
    let mut bar = output::Bar::default();
    match cli.command {
        Command::Ingest(args) => {
            let report = lake.ingest(&args.options(&settings), &mut bar).await?;
            eprintln!("{}", output::ingest_line(&report));
        }
        Command::Etl(args) => {
            let report = lake.etl(&args.options()?, &mut bar).await?;
            eprintln!("{}", output::etl_line(&report));
        }
        Command::Run { ingest, .. } if ingest.plan_only() => {
            let report = lake.ingest(&ingest.options(&settings), &mut bar).await?;
            eprintln!("{}", output::ingest_line(&report));
        }
        Command::Run { ingest, etl } => {
            let report = lake
                .run(&ingest.options(&settings), &etl.options()?, &mut bar)
                .await?;
            eprintln!("{}", output::ingest_line(&report.ingest));
            eprintln!("{}", output::etl_line(&report.etl));
        }
        Command::Sql {
            statement,
            format,
            as_of: at,
        } => {
            let batches = lake.sql_as_of(&statement, as_of(&at).as_ref()).await?;
            println!("{}", output::render(&batches, format)?);
        }
        Command::Check { freshness_days } => {
            let results = lake.check(args::days(freshness_days)?).await?;
            println!("{}", output::check_lines(&results));
            let failed = gamelake::checks::failures(&results);
            if !failed.is_empty() {
                anyhow::bail!(
                    "{} data check(s) failed on the published tables (listed above)",
                    failed.len()
                );
            }
        }
        Command::Rollback { run_id } => {
            let report = lake.rollback(&run_id).await?;
            eprintln!("{}", output::rollback_line(&report));
        }
        Command::Status => {
            println!(
                "{}",
                output::status(&lake.status(settings.monthly_request_limit).await?)
            );
        }
        Command::Report { out, as_of: at } => {
            let report = lake.report_as_of(as_of(&at).as_ref()).await?;
            let page = gamelake::report::render::html(&report)?;
            std::fs::write(&out, page)
                .with_context(|| format!("writing the report to {}", out.display()))?;
            eprintln!("{}", output::report_line(&report, &out));
        }
        Command::Tables => {
            println!(
                "{}",
                output::tables(&settings.namespace, &lake.tables().await?)
            );
        }
        Command::Maintain(args) => {
            let outcome = lake.maintain(&args.options()?).await?;
            let lines = output::maintain_lines(&outcome);
            if !lines.is_empty() {
                eprintln!("{lines}");
            }
        }
        // Handled above, before any warehouse is opened; the same call if it ever got here.
        Command::Generate(args) => generate::run(&args)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk_full(path: &str) -> anyhow::Error {
        let store = object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(std::io::Error::from_raw_os_error(28)),
        };
        anyhow::Error::from(gamelake::Error::Object {
            action: gamelake::error::ObjectAction::Writing,
            path: path.to_string(),
            source: store,
        })
    }

    #[test]
    fn a_known_fault_reads_as_the_command_the_fault_the_object_and_what_to_do() {
        let line = error_line("run", &disk_full("file:///wh/raw/x.parquet"), false);
        assert_eq!(
            line,
            "error: run failed, disk full: writing file:///wh/raw/x.parquet. Free space on the \
             warehouse's disk and rerun; nothing of the failed run was published, and the rerun \
             goes on from what landed"
        );
        let verbose = error_line("run", &disk_full("file:///wh/raw/x.parquet"), true);
        assert!(
            verbose.starts_with(&line)
                && verbose.contains("\n  caused by: Generic LocalFileSystem"),
            "{verbose}"
        );
    }

    #[test]
    fn a_long_line_is_cut_and_says_where_the_rest_is() {
        let long = format!("file:///wh/{}", "a/".repeat(200));
        let line = error_line("run", &disk_full(&long), false);
        assert!(line.chars().count() < MAX_LINE + 150, "{line}");
        assert!(line.contains("… (-v shows all). Free space"), "{line}");
        let other = anyhow::Error::from(gamelake::Error::Internal("x".repeat(400)));
        let line = error_line("sql", &other, false);
        assert!(
            line.chars().count() <= MAX_LINE + 20 && line.ends_with("(-v shows all)"),
            "{line}"
        );
        assert!(error_line("sql", &other, true).contains(&"x".repeat(400)));
    }
}
