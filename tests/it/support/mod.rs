//! Shared test helpers: the recorded data, a replay server, expected counts computed
//! independently from the JSON (with serde_json values, not gamelake's model).

pub mod engines;
pub mod nessie;
pub mod proxy;
pub mod seaweed;
pub mod server;
pub mod stack;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use gamelake::Gamelake;
use gamelake::etl::{EtlOptions, EtlReport};
use gamelake::ingest::{IngestOptions, IngestReport};
use gamelake::lakehouse::Lakehouse;
use gamelake::lakehouse::scan::TableFiles;
use gamelake::progress::NoProgress;
use gamelake::storage::Warehouse;

pub use bin::{KILL_AT, error_line, gamelake_at, gamelake_in, text};

mod bin {
    //! The `gamelake` binary, as the tests run it.

    use std::path::Path;
    use std::process::Command;

    /// The environment variable that arms a kill point (`src/failpoint.rs`).
    pub const KILL_AT: &str = "GAMELAKE_KILL_AT";

    /// The binary, run from `cwd`, hermetic: no RAWG key, source, warehouse, config file or
    /// kill point from the environment the tests run in, no colours.
    pub fn gamelake_in(cwd: &Path) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gamelake"));
        cmd.current_dir(cwd)
            .env_remove("RAWG_API_KEY")
            .env_remove("GAMELAKE_SOURCE")
            .env_remove("GAMELAKE_WAREHOUSE")
            .env_remove("GAMELAKE_CONFIG")
            .env_remove(KILL_AT)
            .env_remove("GAMELAKE_STOP_AT")
            .env_remove("GAMELAKE_PANIC_AT")
            .env_remove("GAMELAKE_LEASE_STALE_SECS")
            .env("NO_COLOR", "1");
        cmd
    }

    /// The binary on a local warehouse, run from the warehouse's parent folder.
    pub fn gamelake_at(warehouse: &Path) -> Command {
        let mut cmd = gamelake_in(warehouse.parent().expect("warehouse has a parent"));
        cmd.arg("--warehouse").arg(warehouse);
        cmd
    }

    /// Output as text.
    pub fn text(b: &[u8]) -> String {
        String::from_utf8_lossy(b).into_owned()
    }

    /// The `error:` line of a command that must have failed (`what` names it in the
    /// assertion), and its whole log.
    pub fn error_line(out: &std::process::Output, what: &str) -> (String, String) {
        let log = text(&out.stderr);
        assert!(!out.status.success(), "{what} must fail: {log}");
        let line = log
            .lines()
            .find(|l| l.starts_with("error:"))
            .unwrap_or_else(|| panic!("{what}: no error line: {log}"))
            .to_string();
        (line, log)
    }
}

/// `../shared/data/rawg`, which CI provides beside the clone.
pub fn shared() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/rawg");
    assert!(
        p.join("games-released-2015").is_dir(),
        "recorded RAWG data not found at {}: the repository expects ../shared beside it",
        p.display()
    );
    p
}

pub fn pages_2015() -> PathBuf {
    shared().join("games-released-2015")
}

pub fn pages_2016() -> PathBuf {
    shared().join("games-released-2016")
}

/// Two days of pages under `root`: the first 10 recorded pages of 2015 (`day1`), then a
/// changed next day (`day2`, [`second_day`]).
pub fn two_days(root: &Path) -> [PathBuf; 2] {
    let day1 = first_pages(&pages_2015(), 10, &root.join("day1"));
    let day2 = root.join("day2");
    second_day(&pages_2015(), 10, &day2);
    [day1, day2]
}

/// A folder with the first `n` pages of `src` (for fast tests and partial sources).
pub fn first_pages(src: &Path, n: usize, into: &Path) -> PathBuf {
    std::fs::create_dir_all(into).expect("mkdir");
    for i in 1..=n {
        let name = format!("page-{i:04}.json");
        std::fs::copy(src.join(&name), into.join(&name)).expect("copy page");
    }
    into.to_path_buf()
}

/// The folders under `dir` (itself included) that hold nothing: what deleting a table's
/// files must not leave behind. None when `dir` is missing.
pub fn empty_folders_under(dir: &Path) -> Vec<String> {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let entries: Vec<PathBuf> = listing.flatten().map(|e| e.path()).collect();
    if entries.is_empty() {
        return vec![dir.display().to_string()];
    }
    entries
        .iter()
        .filter(|p| p.is_dir())
        .flat_map(|p| empty_folders_under(p))
        .collect()
}

/// Every file below `dir`, recursively, as paths relative to it, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The library's front door on a local warehouse with the embedded catalog.
pub fn gamelake(wh: &Warehouse, namespace: &str) -> Gamelake {
    Gamelake::embedded(wh.clone(), namespace)
}

/// One ingest, as `gamelake ingest` runs it (with the lease).
pub async fn ingest(wh: &Warehouse, opts: &IngestOptions) -> gamelake::Result<IngestReport> {
    gamelake(wh, "rawg").ingest(opts, &mut NoProgress).await
}

/// One ingest of a folder of pages, which must succeed.
pub async fn ingest_dir(wh: &Warehouse, dir: &Path) -> IngestReport {
    ingest(wh, &IngestOptions::new(dir.to_str().expect("utf8")))
        .await
        .expect("ingest")
}

/// One ETL into `lake`'s namespace, as `gamelake etl` runs it (with the lease).
pub async fn etl(
    wh: &Warehouse,
    lake: &Lakehouse,
    opts: &EtlOptions,
) -> gamelake::Result<EtlReport> {
    gamelake(wh, lake.namespace())
        .etl(opts, &mut NoProgress)
        .await
}

/// `gamelake etl --full-refresh`: every table rebuilt from every raw file, keys kept.
pub async fn full_refresh(wh: &Warehouse, lake: &Lakehouse) -> EtlReport {
    let opts = EtlOptions {
        full_refresh: true,
        ..Default::default()
    };
    etl(wh, lake, &opts).await.expect("full refresh")
}

pub async fn open(dir: &Path) -> (Warehouse, Lakehouse) {
    let wh = Warehouse::open(dir.to_str().expect("utf8")).expect("warehouse");
    let lake = Lakehouse::open(&wh, "rawg").await.expect("lakehouse");
    (wh, lake)
}

/// Table name → expected row count, computed from the recorded pages.
pub fn expected_counts(dirs: &[&Path]) -> BTreeMap<String, usize> {
    let mut games: BTreeMap<i64, serde_json::Value> = BTreeMap::new();
    for dir in dirs {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for f in files {
            let page: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&f).expect("read")).expect("json");
            for g in page["results"].as_array().expect("results") {
                let id = g["id"].as_i64().expect("id");
                let newer = games
                    .get(&id)
                    .is_none_or(|old| g["updated"].as_str() > old["updated"].as_str());
                if newer {
                    games.insert(id, g.clone());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    out.insert("fact_games".to_string(), games.len());
    let members = |list: &str, inner: Option<&str>| {
        let mut pairs = BTreeSet::new();
        let mut ids = BTreeSet::new();
        for (gid, g) in &games {
            for m in g[list].as_array().into_iter().flatten() {
                let m = inner.map_or(m, |k| &m[k]);
                let id = m["id"].as_i64().expect("member id");
                pairs.insert((*gid, id));
                ids.insert(id);
            }
        }
        (ids.len() + 1, pairs.len())
    };
    for (member, list, inner) in [
        ("platform", "platforms", Some("platform")),
        ("parent_platform", "parent_platforms", Some("platform")),
        ("store", "stores", Some("store")),
        ("genre", "genres", None),
        ("tag", "tags", None),
    ] {
        let (dim, bridge) = members(list, inner);
        out.insert(format!("dim_{member}"), dim);
        out.insert(format!("bridge_game_{member}"), bridge);
    }
    let esrb: BTreeSet<i64> = games
        .values()
        .filter_map(|g| g["esrb_rating"]["id"].as_i64())
        .collect();
    out.insert("dim_esrb_rating".into(), esrb.len() + 1);
    let mut dates = BTreeSet::new();
    for g in games.values() {
        if let Some(r) = g["released"].as_str() {
            dates.insert(r.to_string());
        }
        dates.insert(g["updated"].as_str().expect("updated")[..10].to_string());
    }
    out.insert("dim_date".into(), dates.len() + 1);
    out
}

/// Runs one SQL statement; tables are written `rawg.<table>` and mean the lake's namespace.
async fn sql(lake: &Lakehouse, statement: &str) -> Vec<arrow::array::RecordBatch> {
    let statement = statement.replace("rawg.", &format!("{}.", lake.namespace()));
    gamelake::query::sql(lake, &statement, None)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"))
}

/// Runs one SQL query and returns the first column of every row as i64.
pub async fn sql_i64(lake: &Lakehouse, statement: &str) -> Vec<i64> {
    use arrow::array::AsArray;
    use arrow::datatypes::Int64Type;
    let batches = sql(lake, statement).await;
    let mut out = Vec::new();
    for b in batches {
        let col = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Int64)
            .expect("cast to i64");
        let col = col.as_primitive::<Int64Type>();
        for i in 0..col.len() {
            out.push(col.value(i));
        }
    }
    out
}

/// The tables built from list results: all of a warehouse that never landed a detail.
pub fn list_tables() -> Vec<&'static gamelake::schema::TableDef> {
    gamelake::schema::tables()
        .iter()
        .filter(|t| !gamelake::dims::is_detail_table(&t.name))
        .collect()
}

/// Row counts of every list table through `gamelake sql`.
pub async fn table_counts(lake: &Lakehouse) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for t in list_tables() {
        let n = sql_i64(lake, &format!("SELECT count(*) FROM rawg.{}", t.name)).await;
        out.insert(t.name.clone(), n[0] as usize);
    }
    out
}

/// A program from `.venv` (scripts/setup-python.sh), or from the environment variable `env`.
pub fn venv_tool(name: &str, env: &str) -> PathBuf {
    if let Ok(p) = std::env::var(env) {
        return p.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/bin")
        .join(name);
    assert!(
        venv.exists(),
        "{name} is needed for this test: run scripts/setup-python.sh (or set {env})"
    );
    venv
}

/// The Python with pyiceberg, DuckDB and pandas: `GAMELAKE_PYTHON`, else `.venv`.
pub fn python() -> PathBuf {
    venv_tool("python", "GAMELAKE_PYTHON")
}

/// Runs one of the repository's Python scripts (`script`, relative to it) with [`python`],
/// `args` and `env`, and parses what it prints as JSON. Fails the test with the script's
/// stderr when it fails: every reader script and peer runs through here.
pub fn python_json<T, I, S>(script: &str, args: I, env: &[(&str, String)]) -> T
where
    T: serde::de::DeserializeOwned,
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = std::process::Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(script))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v.as_str())))
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"));
    assert!(
        out.status.success(),
        "{script} failed: {}",
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {}", text(&out.stdout)))
}

/// Table → current snapshot id.
pub async fn snapshot_ids(lake: &Lakehouse) -> BTreeMap<String, Option<i64>> {
    lake.infos()
        .await
        .expect("infos")
        .into_iter()
        .map(|t| (t.name, t.snapshot_id))
        .collect()
}

/// What pyiceberg reads from every table of namespace `rawg` in the warehouse at `root`
/// (see tests/pyiceberg_read.py).
pub fn pyiceberg_read(root: &Path) -> serde_json::Value {
    pyiceberg_read_with(root, &[])
}

/// [`pyiceberg_read`] with extra arguments (`history`: every snapshot, read by time travel).
pub fn pyiceberg_read_with(root: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![root.as_os_str(), "rawg".as_ref()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    python_json("tests/pyiceberg_read.py", args, &[])
}

/// Runs one SQL query and returns the first column of every row as text.
pub async fn sql_strings(lake: &Lakehouse, statement: &str) -> Vec<String> {
    use arrow::array::Array;
    let batches = sql(lake, statement).await;
    let mut out = Vec::new();
    for b in batches {
        let col = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)
            .expect("cast to text");
        let col = col
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .expect("utf8");
        for i in 0..col.len() {
            out.push(if col.is_null(i) {
                "NULL".into()
            } else {
                col.value(i).to_string()
            });
        }
    }
    out
}

/// Asserts that each of `games` has exactly one row in `fact_games` (a changed game is
/// replaced, neither doubled nor lost).
pub async fn assert_once_each(lake: &Lakehouse, games: &[i64]) {
    let ids: Vec<String> = games.iter().map(i64::to_string).collect();
    let rows = sql_i64(
        lake,
        &format!(
            "SELECT count(*) FROM rawg.fact_games WHERE game_id IN ({})",
            ids.join(",")
        ),
    )
    .await;
    assert_eq!(rows, [games.len() as i64], "changed games doubled or lost");
}

/// What [`second_day`] changed.
#[derive(Debug)]
pub struct SecondDay {
    pub changed: Vec<i64>,
    pub new: Vec<i64>,
    pub renamed_tag: i64,
}

/// Derives a "next day" page from recorded pages: every 40th game of the first `day1_pages`
/// pages comes back with a later `updated`, another rating, a genre dropped and one added, a
/// tag list cut down plus a new tag, one more platform; the first changed game also renames
/// one of its tags; 20 games of later pages are new. Written to `into/page-0001.json`.
pub fn second_day(src: &Path, day1_pages: usize, into: &Path) -> SecondDay {
    later_day(src, day1_pages, into, 1)
}

/// [`second_day`]'s changes `n` days on: other games change (every 40th from the
/// `13 * (n - 1)`th on), `updated` moves `400 * n` days, and 20 games of another later page
/// are new. `n = 1` is the second day.
pub fn later_day(src: &Path, day1_pages: usize, into: &Path, n: usize) -> SecondDay {
    std::fs::create_dir_all(into).expect("mkdir");
    let read = |n: usize| -> Vec<serde_json::Value> {
        let page: serde_json::Value = serde_json::from_slice(
            &std::fs::read(src.join(format!("page-{n:04}.json"))).expect("page"),
        )
        .expect("json");
        page["results"].as_array().expect("results").clone()
    };
    let day1: Vec<serde_json::Value> = (1..=day1_pages).flat_map(read).collect();
    let mut results = Vec::new();
    let mut out = SecondDay {
        changed: Vec::new(),
        new: Vec::new(),
        renamed_tag: 0,
    };
    let offset = (7 + 13 * (n - 1)) % 40;
    for (i, g) in day1.iter().enumerate().filter(|(i, _)| i % 40 == offset) {
        let mut g = g.clone();
        let updated = chrono::NaiveDateTime::parse_from_str(
            g["updated"].as_str().expect("updated"),
            "%Y-%m-%dT%H:%M:%S",
        )
        .expect("timestamp");
        g["updated"] = (updated + chrono::Duration::days(400 * n as i64))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
            .into();
        g["rating"] = serde_json::json!(1.5 + (i % 3) as f64);
        let mut genres = g["genres"].as_array().cloned().unwrap_or_default();
        if !genres.is_empty() {
            genres.remove(0);
        }
        genres.push(serde_json::json!({"id": 900_001, "name": "Cozy", "slug": "cozy"}));
        g["genres"] = genres.into();
        let mut tags: Vec<serde_json::Value> = g["tags"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .take(2)
            .collect();
        if out.renamed_tag == 0
            && let Some(t) = tags.first_mut()
        {
            out.renamed_tag = t["id"].as_i64().expect("tag id");
            t["name"] = format!("{} (renamed)", t["name"].as_str().unwrap_or("")).into();
        }
        tags.push(
            serde_json::json!({"id": 900_002, "name": "Новый тег", "slug": "novyi-teg",
            "language": "rus", "games_count": 1, "image_background": null}),
        );
        g["tags"] = tags.into();
        let mut platforms = g["platforms"].as_array().cloned().unwrap_or_default();
        platforms.push(
            serde_json::json!({"platform": {"id": 186, "name": "Xbox Series S/X",
            "slug": "xbox-series-x"}}),
        );
        g["platforms"] = platforms.into();
        out.changed.push(g["id"].as_i64().expect("id"));
        results.push(g);
    }
    for g in read(day1_pages + 4 + n).into_iter().take(20) {
        out.new.push(g["id"].as_i64().expect("id"));
        results.push(g);
    }
    let page = serde_json::json!({"count": results.len(), "next": null, "previous": null,
        "results": results});
    std::fs::write(into.join("page-0001.json"), page.to_string()).expect("write day 2");
    out
}

/// Rows of a bridge (game_key, member key): the smallest tables to write by hand.
pub fn pairs(bridge: &str, rows: &[(i64, i64)]) -> arrow::array::RecordBatch {
    let def = gamelake::schema::table(bridge).expect("bridge");
    let (a, b): (Vec<i64>, Vec<i64>) = rows.iter().copied().unzip();
    arrow::array::RecordBatch::try_new(
        def.arrow_schema(),
        vec![
            std::sync::Arc::new(arrow::array::Int64Array::from(a)),
            std::sync::Arc::new(arrow::array::Int64Array::from(b)),
        ],
    )
    .expect("batch")
}

/// Member dimensions and whether they have a bridge.
const MEMBERS: [(&str, bool); 6] = [
    ("platform", true),
    ("parent_platform", true),
    ("store", true),
    ("genre", true),
    ("tag", true),
    ("esrb_rating", false),
];

pub async fn ingest_etl(wh: &Warehouse, lake: &Lakehouse, dirs: &[&Path]) -> EtlReport {
    for dir in dirs {
        ingest_dir(wh, dir).await;
    }
    etl(wh, lake, &EtlOptions::default()).await.expect("etl")
}

/// Every table's contents with surrogate keys replaced by RAWG ids, so two warehouses that
/// assigned keys in a different order compare equal.
pub async fn contents_by_natural_key(lake: &Lakehouse) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    out.insert(
        "fact_games".into(),
        sql_strings(
            lake,
            "SELECT concat_ws('|', f.game_id, f.name, f.slug, f.rating, f.updated, f.released, \
             f.released_date_key, f.updated_date_key, e.esrb_rating_id, f.ratings_count, \
             f.added, f.added_owned, f.ratings_exceptional, f.ratings_skip, f.metacritic, \
             f.playtime, f.background_image) \
             FROM rawg.fact_games f JOIN rawg.dim_esrb_rating e USING (esrb_rating_key) ORDER BY 1",
        )
        .await,
    );
    for (member, bridged) in MEMBERS {
        let extra = if member == "tag" {
            ", d.language, d.games_count"
        } else {
            ""
        };
        out.insert(
            format!("dim_{member}"),
            sql_strings(
                lake,
                &format!(
                    "SELECT concat_ws('|', d.{member}_id, d.name, d.slug{extra}) \
                     FROM rawg.dim_{member} d ORDER BY 1"
                ),
            )
            .await,
        );
        if bridged {
            out.insert(
                format!("bridge_game_{member}"),
                sql_strings(
                    lake,
                    &format!(
                        "SELECT concat_ws('|', f.game_id, d.{member}_id) FROM rawg.bridge_game_{member} b \
                         JOIN rawg.fact_games f USING (game_key) \
                         JOIN rawg.dim_{member} d USING ({member}_key) ORDER BY 1"
                    ),
                )
                .await,
            );
        }
    }
    out.insert(
        "dim_date".into(),
        sql_strings(
            lake,
            "SELECT concat_ws('|', date_key, date, day_name, is_weekend) FROM rawg.dim_date ORDER BY 1",
        )
        .await,
    );
    out
}

pub async fn keys(lake: &Lakehouse) -> Vec<String> {
    let mut all = sql_strings(
        lake,
        "SELECT concat('game ', game_id, '=', game_key) FROM rawg.fact_games",
    )
    .await;
    for (member, _) in MEMBERS {
        all.extend(
            sql_strings(
                lake,
                &format!("SELECT concat('{member} ', {member}_id, '=', {member}_key) FROM rawg.dim_{member}"),
            )
            .await,
        );
    }
    all.sort();
    all
}

pub async fn files_and_snapshots(lake: &Lakehouse) -> BTreeMap<String, (Vec<String>, usize)> {
    let mut out = BTreeMap::new();
    for info in lake.infos().await.expect("infos") {
        let table = lake.load(&info.name).await.expect("load").expect("table");
        let files = TableFiles::load(&table).await.expect("files");
        out.insert(
            info.name,
            (
                files.files.into_iter().map(|f| f.path).collect(),
                info.snapshots,
            ),
        );
    }
    out
}

/// Waits until `child` has stopped itself at a stop point (`GAMELAKE_STOP_AT`): its state
/// in /proc is `T`. Fails if it ends first or takes more than three minutes.
pub fn wait_stopped(child: &mut std::process::Child, point: &str) {
    let stopped = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit(')')
                    .next()
                    .map(|t| t.trim_start().starts_with('T'))
            })
            == Some(true)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    while !stopped(child.id()) {
        assert!(
            std::time::Instant::now() < deadline,
            "never reached {point}"
        );
        assert!(
            child.try_wait().expect("wait").is_none(),
            "ended before {point}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Resumes a stopped child (SIGCONT).
pub fn resume(child: &std::process::Child) {
    // SAFETY: kill(2) with SIGCONT on a child we spawned.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGCONT);
    }
}

/// The fixture of a broken relationship: removes by hand the dimension row of a genre that
/// games still point at (a foreign commit). Returns its key.
pub async fn remove_a_referenced_genre(lake: &Lakehouse) -> i64 {
    let ns = lake.namespace();
    let genre = sql_i64(
        lake,
        &format!("SELECT min(genre_key) FROM {ns}.bridge_game_genre WHERE genre_key > 0"),
    )
    .await[0];
    let def = gamelake::schema::table("dim_genre").expect("dim_genre");
    lake.upsert(
        def,
        "genre_key",
        &[genre].into_iter().collect(),
        None,
        &|_| Vec::new(),
    )
    .await
    .expect("remove a genre");
    genre
}

/// Lease settings that wait `wait` for another holder, stale time as by default.
pub fn waiting(wait: std::time::Duration) -> gamelake::lease::LeaseSettings {
    gamelake::lease::LeaseSettings {
        wait,
        ..Default::default()
    }
}

/// `what` of each column chunk of a local parquet file's first row group, by column name.
fn first_row_group<T>(
    path: &str,
    what: impl Fn(&parquet::file::metadata::ColumnChunkMetaData) -> T,
) -> std::collections::HashMap<String, T> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let file = std::fs::File::open(path).expect("open data file");
    let reader = SerializedFileReader::new(file).expect("parquet");
    let group = reader.metadata().row_group(0);
    group
        .columns()
        .iter()
        .map(|c| (c.column_path().string(), what(c)))
        .collect()
}

/// The codec of each column of a local parquet file's first row group, by column name.
pub fn column_codecs(path: &str) -> std::collections::HashMap<String, parquet::basic::Compression> {
    first_row_group(path, |c| c.compression())
}

/// Whether each column of a local parquet file's first row group has a dictionary page, by
/// column name.
pub fn dictionary_pages(path: &str) -> std::collections::HashMap<String, bool> {
    first_row_group(path, |c| c.dictionary_page_offset().is_some())
}
