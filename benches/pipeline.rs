//! The whole pipeline at RAWG scale, side by side with what users would pick instead.
//!
//! In one run, on N generated games (`gamelake generate`, drawn from the recorded pages):
//! 1. ingest: `gamelake ingest` from the folder of pages (parse + land), games/s. Not from
//!    HTTP: an HTTP source is crawled as the live API since the live sync (windows by
//!    `updated`, probes by `count`), which a stand-in serving generated pages cannot honour
//!    at this size (a million games with RAWG's few distinct days of `updated`);
//! 2. full ETL: `gamelake etl` into Iceberg, then `gamelake report` over its tables;
//! 3. incremental ETL of a next-day delta (1% of the games changed), as a ratio of (2),
//!    run right after it so both see the same machine state;
//! 4. the peers on the raw parquet of (2), building the same star schema (row counts checked
//!    against gamelake's): DuckDB SQL, and pandas written with per-row loops the way the
//!    original Python pipeline was (`benches/peers/`).
//!
//! Every stage runs as its own process, so wall time, CPU time (user + system) and peak RSS
//! come from the kernel (`wait4`) for that stage alone. It reports; it asserts nothing but
//! that the peers' tables have gamelake's row counts.
//!
//! Run: `cargo bench --bench pipeline -- [--games N] [--seed S] [--no-pandas]` (release
//! build; add `--profile dev` for the profile tests and CI use). `--ingest-only [--pages DIR]`
//! times stage 1 alone, on pages already generated; `--cold` drops the page cache before
//! every stage (needs root). Needs ../shared/data/rawg and
//! `.venv` from scripts/setup-python.sh.

// Stays small itself, so it measures its stages directly, without the launcher.
#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Cost, GAMELAKE, arg, gamelake, measure, print_rows};

/// `gamelake tables`: table → live rows.
fn gamelake_counts(warehouse: &Path) -> BTreeMap<String, u64> {
    let out = gamelake(warehouse, &["tables"]).output().expect("tables");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let name = f.next()?.rsplit('.').next()?.to_string();
            Some((name, f.next()?.parse().ok()?))
        })
        .collect()
}

/// `gamelake ingest` of the pages in `dir` (a folder source).
fn ingest_folder(dir: &Path, wh: &Path, logs: &Path, name: &str) -> Cost {
    let (out, log) = (
        logs.join(format!("{name}.out")),
        logs.join(format!("{name}.log")),
    );
    let source = dir.to_str().expect("UTF-8 path");
    measure(
        name,
        &mut gamelake(wh, &["ingest", "--source", source]),
        &out,
        &log,
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let games: usize = arg(&args, "--games").map_or(100_000, |v| v.parse().expect("--games N"));
    let seed = arg(&args, "--seed").unwrap_or_else(|| "1".into());
    let pandas = !args.iter().any(|a| a == "--no-pandas");
    let ingest_only = args.iter().any(|a| a == "--ingest-only");
    let settle = Settle {
        cold: args.iter().any(|a| a == "--cold"),
    };
    let given_pages = arg(&args, "--pages").map(PathBuf::from);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/data/rawg");
    let python = root.join(".venv/bin/python");
    assert!(python.exists(), "run scripts/setup-python.sh first");

    let work = tempfile::Builder::new()
        .prefix("gamelake-bench-")
        .tempdir()
        .expect("tempdir");
    let dir = work.path();
    let (mut pages, delta, wh) = (dir.join("pages"), dir.join("pages-delta"), dir.join("wh"));
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).expect("mkdir");
    let log = |name: &str| {
        (
            logs.join(format!("{name}.out")),
            logs.join(format!("{name}.log")),
        )
    };

    if let Some(given) = given_pages {
        assert!(ingest_only, "--pages DIR goes with --ingest-only");
        pages = given;
    } else {
        eprintln!(
            "bench: generating {games} games and a 1% delta under {}",
            dir.display()
        );
        let status = Command::new(GAMELAKE)
            .args(["generate", "--games", &games.to_string(), "--seed", &seed])
            .arg("--out")
            .arg(&pages)
            .args(["--delta-changed", "0.01", "--delta-new", "0", "--from"])
            .args(["games-released-2015", "games-released-2016"].map(|d| shared.join(d)))
            .current_dir(root)
            .status()
            .expect("generate");
        assert!(status.success(), "generate failed");
    }
    let raw_bytes: u64 = std::fs::read_dir(&pages)
        .expect("pages")
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();

    let mut rows: Vec<(String, Cost, String)> = Vec::new();

    // 1. Ingest from the folder of pages.
    settle.before_stage();
    let cost = ingest_folder(&pages, &wh, &logs, "ingest");
    let seen = games_seen(&logs.join("ingest.log"));
    let rate = seen as f64 / cost.wall;
    rows.push((
        "ingest: parse + land from a folder".into(),
        cost,
        format!(
            "{rate:.0} games/s ({seen} games, {:.0} MiB of JSON)",
            raw_bytes as f64 / 1048576.0
        ),
    ));
    if ingest_only {
        print_rows(&format!("N = {seen} games (seed {seed})"), &rows);
        return;
    }

    // 2. Full ETL.
    let (out, l) = log("etl-full");
    settle.before_stage();
    let full = measure("full ETL", &mut gamelake(&wh, &["etl"]), &out, &l);
    let full_wall = full.wall;
    rows.push(("full ETL into Iceberg".into(), full, String::new()));
    let (out, l) = log("report");
    settle.before_stage();
    let report_page = dir.join("report.html");
    let report = measure(
        "report",
        gamelake(&wh, &["report", "--out"]).arg(&report_page),
        &out,
        &l,
    );
    let page_kib = std::fs::metadata(&report_page).map_or(0, |m| m.len()) / 1024;
    rows.push((
        "report (every chart's query, the page)".into(),
        report,
        format!("{page_kib} KiB page"),
    ));
    let ours = gamelake_counts(&wh);
    // The peers get the raw files the full ETL read (hard links), so the incremental run
    // can follow the full one directly, in the same conditions (the peers' runs, pandas's
    // 10 GiB above all, would otherwise evict the page cache in between).
    let raw_day1 = dir.join("raw-day1");
    link_tree(&wh.join("raw"), &raw_day1);

    // 3. Incremental ETL of the delta.
    settle.before_stage();
    let cost = ingest_folder(&delta, &wh, &logs, "ingest-delta");
    rows.push(("ingest of the 1% delta".into(), cost, String::new()));
    let (out, l) = log("etl-incremental");
    settle.before_stage();
    let inc = measure("incremental ETL", &mut gamelake(&wh, &["etl"]), &out, &l);
    let ratio = inc.wall / full_wall;
    rows.push((
        "incremental ETL of the 1% delta".into(),
        inc,
        format!("/ full ETL = {ratio:.3}"),
    ));

    // 4. Peers on the same raw parquet as the full ETL.
    let mut peers = vec!["duckdb"];
    if pandas {
        peers.push("pandas");
    }
    for peer in peers {
        let (out, l) = log(peer);
        let script = root.join(format!("benches/peers/{peer}_star.py"));
        settle.before_stage();
        let cost = measure(
            peer,
            Command::new(&python)
                .arg(&script)
                .arg(&raw_day1)
                .arg(dir.join(format!("{peer}-out"))),
            &out,
            &l,
        );
        let counts: BTreeMap<String, u64> =
            serde_json::from_slice(&std::fs::read(&out).expect("peer output")).expect("JSON");
        assert_eq!(counts, ours, "{peer}: row counts differ from gamelake's");
        let ratio = full_wall / cost.wall;
        rows.push((
            format!("{peer} peer (parquet out)"),
            cost,
            format!("gamelake full ETL / {peer} = {ratio:.3}"),
        ));
    }

    print_rows(&format!("N = {games} games (seed {seed})"), &rows);
    println!(
        "\nrow counts (gamelake = duckdb{}): {ours:?}",
        if pandas { " = pandas" } else { "" }
    );
    let _: PathBuf = logs;
}

/// Before every measured stage, what the previous one wrote is flushed to disk, so that no
/// stage pays for another's writeback (generating 2.3 GiB of pages, or the full ETL's tables,
/// would otherwise be flushed during the next stage and, on ext4, hold up its small syncs).
/// With `--cold` the page cache is dropped too (Linux, as root), so each stage reads its
/// input from disk as a daily run on yesterday's files would.
struct Settle {
    cold: bool,
}

impl Settle {
    fn before_stage(&self) {
        // SAFETY: sync(2) has no preconditions.
        unsafe { libc::sync() };
        if self.cold {
            std::fs::write("/proc/sys/vm/drop_caches", "3")
                .unwrap_or_else(|e| panic!("--cold: cannot drop the page cache (needs root): {e}"));
        }
    }
}

/// Hard-links every file under `src` into the same place under `dst`.
fn link_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for entry in std::fs::read_dir(src).expect("read_dir").flatten() {
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        if from.is_dir() {
            link_tree(&from, &to);
        } else {
            std::fs::hard_link(&from, &to).expect("hard link");
        }
    }
}

/// The games an ingest saw, from its summary line ("..., N games seen, ...").
fn games_seen(log: &Path) -> usize {
    let text = std::fs::read_to_string(log).expect("ingest log");
    text.lines()
        .filter_map(|l| {
            l.split(" games seen")
                .next()?
                .rsplit(' ')
                .next()?
                .parse()
                .ok()
        })
        .next_back()
        .unwrap_or_else(|| panic!("no 'games seen' in {}", log.display()))
}
