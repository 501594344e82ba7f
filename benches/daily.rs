//! A year of daily runs: does a day's `gamelake run` cost what changed that day, or what the
//! warehouse has become?
//!
//! `gamelake generate` draws N games (day 1) and D daily deltas from the recorded pages, each
//! changing a share of the games as the days before left them and adding new ones (with
//! `--steady`, shares of the first day's games: every day's delta the same size, so a growing
//! cost is the warehouse's, not the day's; with `--churn recorded`, the changed games fall on
//! the ids RAWG's recorded updates fell on, mostly its oldest, instead of evenly). Day 1 is
//! `gamelake run --source <pages>`; every later day is one plain `gamelake run --source
//! <that day's pages>`, nothing else (no `maintain`). Each run is its own process: wall and
//! CPU time, peak RSS and pages touched come from the kernel (`wait4`); after each, the
//! warehouse's files and bytes are counted. It reports; it
//! asserts only that every run succeeds and that the fact ends with one row per game.
//!
//! Day 2 is one run, and the goal compares the year's end with it, so on a local warehouse
//! it is measured on `--day2-warehouses` (default 4) more warehouses of its own before the
//! year starts: each its day 1, then day 2 timed, then removed. The year's day 2 and those
//! give a median that one slow or fast run does not move. Those runs come minutes before the
//! year's end, and this machine's speed drifts over minutes, so day 2 is also measured beside
//! the year's end (`--late-day2`, default 5; 0 for none): as many warehouses get their day 1
//! before the year and their day 2 one on each of its last days, in the pause after that
//! day's run (`LateDayTwo`). The goal's comparison is printed against both.
//!
//! A day here lasts `--day-seconds` (default 1) of wall time, counted from the start of day
//! 1's ETL (`DayClock`): the bench waits for the next day's start after each run, and a
//! run that overruns its day delays the next one. The periods a daily job lives
//! by are scaled to it: the keep period of snapshots (`GAMELAKE_KEEP_DAYS`) and the period of
//! the full check (`GAMELAKE_FULL_CHECK_DAYS`), both 7 days, become 7 of those days, so runs
//! expire snapshots and check every row once a week of runs, as they would in a year of real
//! days.
//!
//! Run: `cargo bench --bench daily -- [--games N] [--days D] [--changed 0.005] [--new 0.001]
//! [--steady] [--churn uniform|recorded] [--day-seconds 1] [--day2-warehouses 4] [--late-day2 5]
//! [--keep DIR] [--warehouse s3://… --metrics http://127.0.0.1:PORT/metrics]` (add `--profile
//! dev` for the profile tests use; `GAMELAKE_BENCH_BIN=<copy>` runs a copy of the binary).
//! With `--warehouse s3://…` the runs go to S3 and its catalog as the environment configures
//! them (`AWS_*`, `GAMELAKE_CATALOG`, docs/production.md), and with `--metrics` (SeaweedFS
//! started with `-s3.metricsPort`) each run's S3 requests are counted from the server's
//! `SeaweedFS_s3_request_total`; files and bytes are counted on local warehouses only. Every
//! day's figures go to `daily.csv` in the work folder (printed at the end); the tables show a
//! few days, 30-day windows, the last four weeks against the first, and the median of each
//! kind of day (plain, tidy, full check) at the start and the end. Needs ../shared/data/rawg.

#[allow(dead_code)]
mod support;

use std::io::Write;
use std::path::{Path, PathBuf};

use support::{Cost, arg, binary, gamelake, measure};

/// Files and bytes under `dir`.
fn footprint(dir: &Path) -> (u64, u64) {
    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    (files, bytes)
}

/// One day's figures.
struct Day {
    day: usize,
    cost: Cost,
    files: u64,
    bytes: u64,
    /// S3 requests the run made, when counted.
    requests: Option<u64>,
    line: String,
}

/// Where the runs go, and what is counted there.
struct Target {
    /// A local folder, or an `s3://` warehouse (its settings from the environment).
    warehouse: PathBuf,
    /// SeaweedFS's S3 metrics (`http://127.0.0.1:PORT/metrics`), to count requests.
    metrics: Option<String>,
}

impl Target {
    fn local(&self) -> bool {
        !self.warehouse.to_string_lossy().starts_with("s3://")
    }
}

/// SeaweedFS's count of S3 requests served so far (`SeaweedFS_s3_request_total`, summed).
fn s3_requests(metrics: &str) -> u64 {
    use std::io::Read;
    let rest = metrics
        .strip_prefix("http://")
        .expect("an http:// metrics URL");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut conn = std::net::TcpStream::connect(host).expect("metrics endpoint");
    write!(conn, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").expect("request");
    let mut text = String::new();
    conn.read_to_string(&mut text).expect("metrics");
    text.lines()
        .filter(|l| l.starts_with("SeaweedFS_s3_request_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

fn run_day(target: &Target, pages: &Path, logs: &Path, day: usize, week: &str) -> Day {
    run_day_named(target, pages, logs, day, week, &format!("day-{day:03}"))
}

/// [`run_day`], its output and log files named `name`.
fn run_day_named(
    target: &Target,
    pages: &Path,
    logs: &Path,
    day: usize,
    week: &str,
    name: &str,
) -> Day {
    let (out, log) = (
        logs.join(format!("{name}.out")),
        logs.join(format!("{name}.log")),
    );
    let source = pages.to_str().expect("UTF-8 path");
    let mut cmd = gamelake(&target.warehouse, &["run", "--source", source]);
    cmd.env("GAMELAKE_KEEP_DAYS", week)
        .env("GAMELAKE_FULL_CHECK_DAYS", week);
    let before = target.metrics.as_deref().map(s3_requests);
    let cost = measure(name, &mut cmd, &out, &log);
    let requests = before.map(|b| s3_requests(target.metrics.as_deref().unwrap_or_default()) - b);
    let (files, bytes) = if target.local() {
        footprint(&target.warehouse)
    } else {
        (0, 0)
    };
    let line = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    Day {
        day,
        cost,
        files,
        bytes,
        requests,
        line,
    }
}

/// When each day starts. A run checks every row once the last full check's ETL started
/// 6.5 days ago (`etl::coverage::due_after`), a margin meant for a daily job that starts
/// at about the same time each day. Day 1's ETL starts late in its day, after it ingests
/// every game, and the other days' ETL early in theirs. Days counted from day 1's start
/// then put day 8's ETL at about the full check's due moment: whether day 8 checks every
/// row is a coin flip. So day N starts N - 1 days after day 1's ETL started, and each ETL
/// starts a moment after its day does, half a day clear of the due moment on either side.
struct DayClock {
    /// When day 1's ETL started.
    first_etl: std::time::Instant,
}

impl DayClock {
    /// The clock of day 1's run, from the start of its ETL (the run id on its last line,
    /// `etl <yyyymmddThhmmss.ffffffZ>-…`), or from the run's `start` if the line has none.
    fn from_first_run(line: &str, start: std::time::Instant) -> Self {
        let etl_start = line
            .strip_prefix("etl ")
            .and_then(|rest| rest.split('-').next())
            .and_then(|id| chrono::NaiveDateTime::parse_from_str(id, "%Y%m%dT%H%M%S%.fZ").ok())
            .and_then(|at| (chrono::Utc::now().naive_utc() - at).to_std().ok());
        let first_etl = etl_start.and_then(|ago| std::time::Instant::now().checked_sub(ago));
        match first_etl {
            Some(first_etl) => Self { first_etl },
            None => {
                eprintln!(
                    "day 1's ETL start not found in its line {line:?}: days count from its run's start"
                );
                Self { first_etl: start }
            }
        }
    }

    /// How long to wait for day `day` (1-based) to start; nothing when it is late.
    fn until_day(&self, day: usize, length: std::time::Duration) -> std::time::Duration {
        let starts = self.first_etl + length * u32::try_from(day - 1).unwrap_or(u32::MAX);
        starts.saturating_duration_since(std::time::Instant::now())
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let num = |name: &str, default: &str| arg(&args, name).unwrap_or_else(|| default.into());
    let games = num("--games", "200000");
    let days: usize = num("--days", "365").parse().expect("--days D");
    let (changed, new) = (num("--changed", "0.005"), num("--new", "0.001"));
    let day_seconds: f64 = num("--day-seconds", "1").parse().expect("--day-seconds S");
    let steady = args.iter().any(|a| a == "--steady");
    // Which games a day changes: `uniform`, or `recorded` (as RAWG's recorded updates fell).
    let churn = num("--churn", "uniform");
    // A week of `day_seconds`-long days, in days.
    let week = format!("{}", 7.0 * day_seconds / 86_400.0);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/data/rawg");
    let work = match arg(&args, "--keep") {
        Some(dir) => PathBuf::from(dir),
        None => tempfile::Builder::new()
            .prefix("gamelake-daily-")
            .tempdir()
            .expect("temp dir")
            .keep(),
    };
    let (pages, logs) = (work.join("pages"), work.join("logs"));
    let target = Target {
        warehouse: arg(&args, "--warehouse").map_or_else(|| work.join("wh"), PathBuf::from),
        metrics: arg(&args, "--metrics"),
    };
    std::fs::create_dir_all(&logs).expect("logs dir");
    let from = [
        shared.join("games-released-2015"),
        shared.join("games-released-2016"),
    ];
    let mut generate = std::process::Command::new(binary());
    generate
        .args(["generate", "--games", &games, "--days", &days.to_string()])
        .args([
            "--delta-changed",
            &changed,
            "--delta-new",
            &new,
            "--churn",
            &churn,
        ])
        .arg("--out")
        .arg(&pages)
        .arg("--from")
        .args(&from);
    if steady {
        generate.arg("--steady-days");
    }
    let status = generate.status().expect("generate");
    assert!(status.success(), "generate failed");

    let mut csv = std::fs::File::create(work.join("daily.csv")).expect("csv");
    writeln!(
        csv,
        "day,wall_s,cpu_s,peak_rss_mib,pages_touched,files,bytes,s3_requests"
    )
    .expect("csv");
    let day2_warehouses: usize = num("--day2-warehouses", "4")
        .parse()
        .expect("--day2-warehouses K");
    let mut day2 = if target.local() {
        day_two_elsewhere(&work, &pages, &logs, &week, day2_warehouses)
    } else {
        Vec::new()
    };
    let late_count: usize = num("--late-day2", "5").parse().expect("--late-day2 K");
    let mut late = if target.local() {
        LateDayTwo::prepare(&work, &pages, &logs, &week, late_count.min(days))
    } else {
        LateDayTwo::default()
    };
    let mut all = Vec::new();
    let day_length = std::time::Duration::from_secs_f64(day_seconds);
    // Set by day 1's run.
    let mut clock: Option<DayClock> = None;
    for day in 0..=days {
        let dir = if day == 0 {
            pages.clone()
        } else {
            day_pages(&pages, day)
        };
        let start = std::time::Instant::now();
        let d = run_day(&target, &dir, &logs, day + 1, &week);
        let clock = clock.get_or_insert_with(|| DayClock::from_first_run(&d.line, start));
        // A day 2 beside this day starts halfway through the rest of it, after a pause as
        // every day of the year starts after one.
        std::thread::sleep(clock.until_day(day + 2, day_length) / 2);
        late.run_beside(day + 1, days + 1, &logs);
        std::thread::sleep(clock.until_day(day + 2, day_length));
        let c = &d.cost;
        writeln!(
            csv,
            "{},{:.3},{:.3},{:.0},{},{},{},{}",
            d.day,
            c.wall,
            c.cpu,
            c.peak_rss_mib,
            c.pages_touched,
            d.files,
            d.bytes,
            d.requests.map_or(String::new(), |r| r.to_string())
        )
        .expect("csv");
        eprintln!("day {}: {:.2} s wall, {} files", d.day, c.wall, d.files);
        if day > 0 && !late.needs(&dir) {
            // Its pages are not needed again.
            std::fs::remove_dir_all(&dir).ok();
        }
        all.push(d);
    }
    let share_of = if steady {
        "the first day's"
    } else {
        "the day's"
    };
    day2.extend(all.get(1).map(|d| d.cost.clone()));
    print(
        &all,
        &games,
        &format!("{changed} and {new} of {share_of} games, {churn} churn"),
    );
    against_day_two(&all, &day2, &late.costs);
    println!("a week: 7 days of {day_seconds} s of wall time");
    println!("\nevery day: {}", work.join("daily.csv").display());
}

/// Day 2 on `count` warehouses of its own under `work`, before the year starts: each its
/// day 1 (`pages`), then day 2 (`pages-day-001`) timed, then removed, so day 2 is measured
/// on a warehouse just built, as the year's is.
fn day_two_elsewhere(
    work: &Path,
    pages: &Path,
    logs: &Path,
    week: &str,
    count: usize,
) -> Vec<Cost> {
    let day2_pages = day_pages(pages, 1);
    (1..=count)
        .map(|k| {
            let target = day_one_warehouse(work, &format!("day2-{k}"), pages, logs, week);
            let d = run_day_named(
                &target,
                &day2_pages,
                logs,
                2,
                week,
                &format!("day2-{k}-day-002"),
            );
            std::fs::remove_dir_all(&target.warehouse).expect("remove the day-2 warehouse");
            eprintln!(
                "day 2 on a warehouse of its own ({k}/{count}): {:.2} s wall",
                d.cost.wall
            );
            d.cost
        })
        .collect()
}

/// The pages of the delta after day `day` (day `day + 1`'s), as `gamelake generate` names them.
fn day_pages(pages: &Path, day: usize) -> PathBuf {
    PathBuf::from(format!("{}-day-{day:03}", pages.display()))
}

/// A warehouse `wh-<name>` under `work` with its day 1 (`pages`) run, its log `<name>-day-001`.
fn day_one_warehouse(work: &Path, name: &str, pages: &Path, logs: &Path, week: &str) -> Target {
    let target = Target {
        warehouse: work.join(format!("wh-{name}")),
        metrics: None,
    };
    run_day_named(&target, pages, logs, 1, week, &format!("{name}-day-001"));
    target
}

/// Day 2 measured beside the year's end: warehouses whose day 1 runs before the year, and
/// whose day 2 runs one on each of the year's last days, in the pause after that day's run
/// (halfway through it, so it too starts after a pause, as every day of the year does). Day 2
/// measured before the year and the year's end measured minutes later compare two states of
/// the machine as well as two warehouses (a virtual machine's speed drifts by 10-30% over
/// minutes, docs/benchmarks.md); these share the year's end's. Their day 2 runs with the
/// periods of real days ([`REAL_WEEK`]), so it is a plain day, as a day 2 a day after day 1
/// is.
#[derive(Default)]
struct LateDayTwo {
    warehouses: Vec<Target>,
    pages: PathBuf,
    costs: Vec<Cost>,
}

/// The keep period and the full-check period of a day 2 beside the year's end, in days: a
/// week of real days, so its day 1, minutes before, is neither due a full check nor expired.
const REAL_WEEK: &str = "7";

impl LateDayTwo {
    /// Runs day 1 (`pages`) on `count` warehouses under `work`.
    fn prepare(work: &Path, pages: &Path, logs: &Path, week: &str, count: usize) -> Self {
        let warehouses = (1..=count)
            .map(|k| day_one_warehouse(work, &format!("late2-{k}"), pages, logs, week))
            .collect();
        Self {
            warehouses,
            pages: day_pages(pages, 1),
            costs: Vec::new(),
        }
    }

    /// Whether its day 2 runs still need the pages in `dir`.
    fn needs(&self, dir: &Path) -> bool {
        dir == self.pages && self.costs.len() < self.warehouses.len()
    }

    /// After the year's day `day` of `last`: day 2 on the next warehouse when `day` is one
    /// of the last days, which is then removed.
    fn run_beside(&mut self, day: usize, last: usize, logs: &Path) {
        let Some(k) = (day + self.warehouses.len()).checked_sub(last + 1) else {
            return;
        };
        let Some(target) = self.warehouses.get(k) else {
            return;
        };
        let name = format!("late2-{}-day-002", k + 1);
        let d = run_day_named(target, &self.pages, logs, 2, REAL_WEEK, &name);
        std::fs::remove_dir_all(&target.warehouse).expect("remove the late day-2 warehouse");
        if self.costs.len() + 1 == self.warehouses.len() {
            std::fs::remove_dir_all(&self.pages).ok();
        }
        eprintln!("day 2 beside day {day}: {:.2} s wall", d.cost.wall);
        self.costs.push(d.cost);
    }
}

/// The median of `values`; `NaN` when there are none.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The goal's comparison: the last 30 days but the weekly full checks (medians) against the
/// median of every day 2 measured before the year, and against the median of those measured
/// beside its end ([`LateDayTwo`]).
fn against_day_two(all: &[Day], day2: &[Cost], late: &[Cost]) {
    let daily = all.get(1..).unwrap_or_default();
    if daily.len() < 60 {
        return;
    }
    let last: Vec<&Day> = daily[daily.len() - 30..]
        .iter()
        .filter(|d| Kind::of(d) != Kind::FullCheck)
        .collect();
    for (runs, when) in [
        (day2, "each on a warehouse just built, before the year"),
        (late, "each beside one of the year's last days"),
    ] {
        if runs.is_empty() {
            continue;
        }
        let walls: Vec<String> = runs.iter().map(|c| format!("{:.3}", c.wall)).collect();
        println!(
            "\nday 2, {} runs ({when}): wall {}",
            runs.len(),
            walls.join(", ")
        );
        for (name, f) in [
            ("wall", (|c| c.wall) as fn(&Cost) -> f64),
            ("CPU", |c| c.cpu),
        ] {
            let day2 = median(runs.iter().map(f).collect());
            let end = median(last.iter().map(|d| f(&d.cost)).collect());
            println!(
                "the last 30 days but full checks ({} days) / day 2, medians, {name}: {:.2} ({end:.3} / {day2:.3} s)",
                last.len(),
                end / day2
            );
        }
    }
}

fn print(all: &[Day], games: &str, delta: &str) {
    println!(
        "\n{games} games, then {} daily runs, changed and new: {delta}, {} cores\n",
        all.len() - 1,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| day | wall s | CPU s | peak RSS MiB | files | MiB | S3 requests | the run's line |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    let last = all.len();
    let shown = [1, 2, 3, 7, 8, 14, 30, 60, 90, 120, 180, 240, 300, 365, last];
    for d in all.iter().filter(|d| shown.contains(&d.day)) {
        let c = &d.cost;
        println!(
            "| {} | {:.2} | {:.2} | {:.0} | {} | {:.1} | {} | {} |",
            d.day,
            c.wall,
            c.cpu,
            c.peak_rss_mib,
            d.files,
            d.bytes as f64 / 1048576.0,
            d.requests.map_or("-".to_string(), |r| r.to_string()),
            d.line.replace('|', "/")
        );
    }
    if let (Some(day2), Some(end)) = (all.get(1), all.last()) {
        println!(
            "\nday {} / day 2: wall {:.2}, CPU {:.2}",
            end.day,
            end.cost.wall / day2.cost.wall,
            end.cost.cpu / day2.cost.cpu
        );
    }
    by_month(all);
}

/// Days 2 on in 30-day windows: mean and worst wall time, mean CPU, and the warehouse at
/// the window's end; then the last four weeks against the first, and each kind of day.
fn by_month(all: &[Day]) {
    println!(
        "\n| days | mean wall s | worst wall s | mean CPU s | files at end | MiB at end | \
         mean S3 requests |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let daily = all.get(1..).unwrap_or_default();
    for window in daily.chunks(30) {
        let n = window.len() as f64;
        let (first, last) = (&window[0], &window[window.len() - 1]);
        println!(
            "| {}–{} | {:.2} | {:.2} | {:.2} | {} | {:.1} | {} |",
            first.day,
            last.day,
            window.iter().map(|d| d.cost.wall).sum::<f64>() / n,
            window.iter().map(|d| d.cost.wall).fold(0.0, f64::max),
            window.iter().map(|d| d.cost.cpu).sum::<f64>() / n,
            last.files,
            last.bytes as f64 / 1048576.0,
            match window.iter().map(|d| d.requests).sum::<Option<u64>>() {
                Some(r) => format!("{:.0}", r as f64 / n),
                None => "-".into(),
            }
        );
    }
    let mean = |days: &[Day]| days.iter().map(|d| d.cost.wall).sum::<f64>() / days.len() as f64;
    if daily.len() >= 56 {
        // Four weeks hold four full checks and the tidy days of every table, so their mean
        // is the cost a daily job pays, whichever day a spike falls on.
        let (first, last) = (&daily[..28], &daily[daily.len() - 28..]);
        println!(
            "\nmean wall of the last 28 days / of days 2–29: {:.2} ({:.2} / {:.2} s)",
            mean(last) / mean(first),
            mean(last),
            mean(first)
        );
    }
    by_kind(daily);
}

/// What a run did besides its change, from its line: days of each kind cost alike, so
/// their medians at the start and the end compare like with like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Checked the rows it changed, tidied nothing.
    Plain,
    /// Tidied a table's files in its publish.
    Tidy,
    /// Checked every row (the weekly full check), perhaps tidied too.
    FullCheck,
}

impl Kind {
    fn of(day: &Day) -> Self {
        if day.line.contains("on every row") {
            Kind::FullCheck
        } else if day.line.contains("tidied") {
            Kind::Tidy
        } else {
            Kind::Plain
        }
    }
}

/// One figure of a day's cost the kinds of day are compared by.
struct Measure {
    name: &'static str,
    decimals: usize,
    of: fn(&Cost) -> f64,
}

/// Medians of each kind of day in the first and the last 60 days: wall and CPU time, and
/// pages touched (the steadiest of the three on a virtual machine).
fn by_kind(daily: &[Day]) {
    if daily.len() < 120 {
        return;
    }
    let of_kind = |days: &[Day], kind: Kind, of: fn(&Cost) -> f64| {
        let v: Vec<f64> = days
            .iter()
            .filter(|d| Kind::of(d) == kind)
            .map(|d| of(&d.cost))
            .collect();
        (v.len(), median(v))
    };
    let (first, last) = (&daily[..60], &daily[daily.len() - 60..]);
    println!(
        "\n| kind of day | measure | days 2–61: n, median | last 60: n, median | last / first |"
    );
    println!("| --- | --- | ---: | ---: | ---: |");
    let measures = [
        Measure {
            name: "wall s",
            decimals: 2,
            of: |c| c.wall,
        },
        Measure {
            name: "CPU s",
            decimals: 2,
            of: |c| c.cpu,
        },
        Measure {
            name: "pages touched",
            decimals: 0,
            of: |c| c.pages_touched as f64,
        },
    ];
    for kind in [Kind::Plain, Kind::Tidy, Kind::FullCheck] {
        for &Measure { name, decimals, of } in &measures {
            let ((n0, m0), (n1, m1)) = (of_kind(first, kind, of), of_kind(last, kind, of));
            println!(
                "| {kind:?} | {name} | {n0}, {m0:.decimals$} | {n1}, {m1:.decimals$} | {:.2} |",
                m1 / m0
            );
        }
    }
}
