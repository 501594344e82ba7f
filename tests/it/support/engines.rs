//! Spark and Trino, the distributed engines built on the Java Iceberg library (as Dremio is),
//! for the tests: Spark in local mode through `tests/spark_sql.py` (pyspark and the jars
//! scripts/setup-spark.sh caches), Trino as one server on 127.0.0.1 over the tests' Nessie
//! (the server scripts/setup-trino.sh caches, Java 24 or later, a small heap).
//!
//! And one way to compare what engines read: [`profile_sql`] asks every engine the same
//! question of a table (rows; per column the non-null values and a sum: integers, floats,
//! string lengths in characters, true values; distinct dates and timestamps), in SQL that
//! DataFusion, Spark and Trino all accept, and [`assert_reads_the_same`] compares the answers
//! with gamelake's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use gamelake::lakehouse::Lakehouse;
use gamelake::schema::{self, ColumnType, TableDef};
use serde_json::Value;

use super::nessie;
use super::seaweed::{KEY_ID, SECRET};
use super::stack::Stack;
use super::text;

fn cache() -> PathBuf {
    let home = std::env::var_os("HOME").expect("HOME");
    PathBuf::from(home).join(".cache/gamelake")
}

/// Where Spark's Iceberg catalog `gamelake` is.
pub enum SparkCatalog<'a> {
    /// The REST catalog of a stack (SeaweedFS's or Nessie), tables on its S3.
    Rest(&'a Stack),
    /// The embedded layout: Iceberg's JDBC catalog over `<warehouse>/catalog.db`.
    Embedded(&'a Path),
}

/// Runs `statements` in one Spark session; per statement, its rows. Spark's error otherwise.
pub fn try_spark_sql(
    catalog: &SparkCatalog,
    statements: &[String],
) -> Result<Vec<Vec<Vec<Value>>>, String> {
    use std::io::Write;
    let classpath = cache().join("spark/classpath");
    assert!(
        classpath.is_file(),
        "Spark's jars are not set up: run scripts/setup-spark.sh (scripts/test.sh does)"
    );
    let mut cmd = Command::new(super::python());
    cmd.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/spark_sql.py"))
        .env("SPARK_CLASSPATH_FILE", classpath)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env("PYSPARK_PYTHON", super::python())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match catalog {
        SparkCatalog::Rest(stack) => {
            cmd.arg("rest").envs(stack.reader_env());
        }
        SparkCatalog::Embedded(warehouse) => {
            cmd.arg("embedded").arg(warehouse);
        }
    }
    let mut child = cmd.spawn().expect("run spark_sql.py");
    let input = serde_json::to_vec(statements).expect("json");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&input)
        .expect("write statements");
    let out = child.wait_with_output().expect("spark ends");
    if !out.status.success() {
        return Err(text(&out.stderr));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{e}: {}", text(&out.stdout)))
}

/// [`try_spark_sql`], failing the test on an error.
pub fn spark_sql(catalog: &SparkCatalog, statements: &[String]) -> Vec<Vec<Vec<Value>>> {
    try_spark_sql(catalog, statements).unwrap_or_else(|e| panic!("Spark failed: {e}"))
}

/// A Trino server over the tests' Nessie, catalog `nessie`.
pub struct Trino {
    port: u16,
}

/// The shared Trino, started on first use (after Nessie).
pub fn trino() -> &'static Trino {
    static SERVER: OnceLock<Trino> = OnceLock::new();
    SERVER.get_or_init(start_trino)
}

/// The pinned release scripts/setup-trino.sh unpacks.
const TRINO_VERSION: &str = "476";

fn start_trino() -> Trino {
    let stack = nessie::nessie();
    let home = cache().join(format!("trino/trino-server-{TRINO_VERSION}"));
    assert!(
        home.join("plugin/iceberg").is_dir(),
        "Trino not found at {}: run scripts/setup-trino.sh (scripts/test.sh does)",
        home.display()
    );
    let java = std::fs::read_to_string(cache().join("trino/java"))
        .expect("no Java recorded: run scripts/setup-trino.sh");
    let java_home = Path::new(java.trim())
        .parent()
        .and_then(Path::parent)
        .expect("java's home")
        .to_path_buf();
    let dir = std::env::temp_dir().join(format!("gamelake-trino-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("etc/catalog")).expect("mkdir");
    let port = super::stack::free_port();
    let write = |name: &str, body: String| {
        std::fs::write(dir.join("etc").join(name), body).expect("trino config");
    };
    write(
        "node.properties",
        format!(
            "node.environment=gamelake_tests\nnode.id=gamelake-tests\nnode.data-dir={}\n\
             node.bind-ip=127.0.0.1\nnode.internal-address=127.0.0.1\n",
            dir.join("data").display()
        ),
    );
    // Trino 476 asks for the vector module (trino#29220); the heap stays small beside the
    // build and the other servers.
    write(
        "jvm.config",
        "-server\n-Xmx1G\n-XX:+UseSerialGC\n-XX:+ExitOnOutOfMemoryError\n\
         -Djdk.attach.allowAttachSelf=true\n--add-modules=jdk.incubator.vector\n"
            .into(),
    );
    write(
        "config.properties",
        format!(
            "coordinator=true\nnode-scheduler.include-coordinator=true\n\
             http-server.http.port={port}\ndiscovery.uri=http://127.0.0.1:{port}\n\
             query.max-memory=512MB\nquery.max-memory-per-node=512MB\n"
        ),
    );
    write("log.properties", "io.trino=WARN\n".into());
    // The keys sit in this file, not on a command line.
    write(
        "catalog/nessie.properties",
        format!(
            "connector.name=iceberg\niceberg.catalog.type=rest\n\
             iceberg.rest-catalog.uri={uri}\niceberg.rest-catalog.warehouse={warehouse}\n\
             fs.native-s3.enabled=true\ns3.endpoint={endpoint}\ns3.path-style-access=true\n\
             s3.region=us-east-1\ns3.aws-access-key={KEY_ID}\ns3.aws-secret-key={SECRET}\n",
            uri = stack.catalog_http(),
            warehouse = stack.catalog_warehouse,
            endpoint = stack.endpoint(),
        ),
    );
    let log = dir.join("trino.log");
    let dir2 = dir.clone();
    super::stack::spawn_for_life("Trino", &log, move || {
        let mut cmd = Command::new(home.join("bin/launcher"));
        cmd.arg("run")
            .arg(format!("--etc-dir={}", dir2.join("etc").display()))
            .arg(format!("--data-dir={}", dir2.join("data").display()))
            .env("JAVA_HOME", &java_home)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    java_home.join("bin").display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            );
        cmd
    });
    let deadline = Instant::now() + Duration::from_secs(300);
    let info = format!("http://127.0.0.1:{port}/v1/info");
    loop {
        let out = Command::new("curl").args(["-sf", &info]).output();
        if let Ok(out) = out
            && serde_json::from_slice::<Value>(&out.stdout)
                .is_ok_and(|v| v["starting"] == Value::Bool(false))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Trino never started; its log: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    Trino { port }
}

impl Trino {
    /// Runs one statement (Trino's HTTP protocol: post it, follow `nextUri`); its rows, or
    /// Trino's error message.
    pub fn try_query(&self, sql: &str) -> Result<Vec<Vec<Value>>, String> {
        let curl = |args: &[&str]| -> Value {
            let out = Command::new("curl")
                .args(["-sS", "-H", "X-Trino-User: gamelake-tests"])
                .args(args)
                .output()
                .expect("curl");
            assert!(out.status.success(), "Trino: {}", text(&out.stderr));
            serde_json::from_slice(&out.stdout).expect("Trino answers JSON")
        };
        let statement = format!("http://127.0.0.1:{}/v1/statement", self.port);
        let mut page = curl(&["--data-binary", sql, &statement]);
        let mut rows = Vec::new();
        loop {
            if let Some(error) = page.get("error") {
                return Err(error["message"].as_str().unwrap_or("?").to_string());
            }
            if let Some(data) = page["data"].as_array() {
                rows.extend(
                    data.iter()
                        .map(|r| r.as_array().cloned().unwrap_or_default()),
                );
            }
            match page["nextUri"].as_str() {
                Some(next) => {
                    let next = next.to_string();
                    page = curl(&[&next]);
                }
                None => return Ok(rows),
            }
        }
    }

    /// [`Trino::try_query`], failing the test on an error.
    pub fn query(&self, sql: &str) -> Vec<Vec<Value>> {
        self.try_query(sql)
            .unwrap_or_else(|e| panic!("Trino failed on {sql}: {e}"))
    }
}

/// How an engine names columns: DataFusion and Trino quote with `"`, Spark with `` ` ``.
#[derive(Clone, Copy)]
pub enum Quote {
    Double,
    Backtick,
}

impl Quote {
    fn id(self, name: &str) -> String {
        match self {
            Quote::Double => format!("\"{name}\""),
            Quote::Backtick => format!("`{name}`"),
        }
    }
}

/// One table's profile query on `table_ref`: `count(*)`, then per column its non-null values
/// and its sum (see the module's docs), in the order of the table's definition.
pub fn profile_sql(def: &TableDef, table_ref: &str, quote: Quote) -> String {
    let mut parts = vec!["count(*) AS n".to_string()];
    for (i, c) in def.columns.iter().enumerate() {
        let col = quote.id(&c.name);
        parts.push(format!("count({col}) AS c{i}"));
        let sum = match c.ty {
            ColumnType::Int | ColumnType::Long => format!("sum(CAST({col} AS BIGINT))"),
            ColumnType::Double => format!("sum({col})"),
            ColumnType::String => format!("sum(CAST(length({col}) AS BIGINT))"),
            ColumnType::Boolean => format!("sum(CASE WHEN {col} THEN 1 ELSE 0 END)"),
            ColumnType::Date | ColumnType::Timestamp => format!("count(DISTINCT {col})"),
        };
        parts.push(format!("{sum} AS s{i}"));
    }
    format!("SELECT {} FROM {table_ref}", parts.join(", "))
}

/// The tables every reader must see: the star tables gamelake lists, and its runs table.
pub async fn published_tables(lake: &Lakehouse) -> Vec<&'static TableDef> {
    let mut defs: Vec<&'static TableDef> = lake
        .infos()
        .await
        .expect("tables")
        .into_iter()
        .map(|i| schema::table(&i.name).expect("a table of schemas/"))
        .collect();
    let runs = schema::runs_table();
    if lake.load(&runs.name).await.expect("load runs").is_some() {
        defs.push(runs);
    }
    defs
}

/// One engine's answers: table name to its profile row.
pub type Profiles = BTreeMap<String, Vec<Value>>;

/// gamelake's own answers (DataFusion over iceberg-rust).
pub async fn gamelake_profiles(lake: &Lakehouse) -> Profiles {
    let mut out = Profiles::new();
    for def in published_tables(lake).await {
        let table_ref = format!("{}.{}", lake.namespace(), def.name);
        let sql = profile_sql(def, &table_ref, Quote::Double);
        let batches = gamelake::query::sql(lake, &sql, None)
            .await
            .expect("profile");
        let rows = gamelake::query::json_rows(&batches).expect("rows");
        let row = &rows[0];
        let aliases = std::iter::once("n".to_string())
            .chain((0..def.columns.len()).flat_map(|i| [format!("c{i}"), format!("s{i}")]));
        let values = aliases
            .map(|a| row.get(&a).cloned().unwrap_or(Value::Null))
            .collect();
        out.insert(def.name.clone(), values);
    }
    out
}

/// Spark's answers, through `catalog`, for namespace `ns`.
pub fn spark_profiles(catalog: &SparkCatalog, ns: &str, defs: &[&TableDef]) -> Profiles {
    let statements: Vec<String> = defs
        .iter()
        .map(|d| profile_sql(d, &format!("gamelake.{ns}.{}", d.name), Quote::Backtick))
        .collect();
    let answers = spark_sql(catalog, &statements);
    defs.iter()
        .zip(answers)
        .map(|(d, rows)| (d.name.clone(), rows.into_iter().next().expect("a row")))
        .collect()
}

/// Trino's answers for namespace `ns` of the Nessie catalog.
pub fn trino_profiles(trino: &Trino, ns: &str, defs: &[&TableDef]) -> Profiles {
    defs.iter()
        .map(|d| {
            let sql = profile_sql(d, &format!("nessie.\"{ns}\".\"{}\"", d.name), Quote::Double);
            let row = trino.query(&sql).into_iter().next().expect("a row");
            (d.name.clone(), row)
        })
        .collect()
}

/// Every table reads the same in `reader` as in gamelake, value by value (floats' sums to a
/// relative 1e-9), and `reader` sees no table gamelake does not.
pub fn assert_reads_the_same(reader: &str, theirs: &Profiles, ours: &Profiles) {
    assert_eq!(
        theirs.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>(),
        "the tables {reader} reads"
    );
    for (table, want) in ours {
        let got = &theirs[table];
        assert_eq!(got.len(), want.len(), "{table}: columns in {reader}");
        for (i, (a, b)) in got.iter().zip(want).enumerate() {
            let same = match (a.as_i64(), b.as_i64()) {
                (Some(x), Some(y)) => x == y,
                _ => match (number(a), number(b)) {
                    (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                    _ => a == b,
                },
            };
            assert!(
                same,
                "{table}: value {i} of the profile is {a} in {reader}, {b} in gamelake"
            );
        }
    }
}

/// A JSON number, or a number written as text (Spark's decimals), or null as 0 (a sum of no
/// rows is null in some engines, 0 in none, but count columns never are).
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        Value::Null => Some(0.0),
        _ => None,
    }
}

/// The star-schema question every engine is asked: games per genre, largest first.
pub fn games_per_genre(ns_ref: &str) -> String {
    format!(
        "SELECT g.name, count(*) AS games FROM {ns_ref}.fact_games f \
         JOIN {ns_ref}.bridge_game_genre b ON f.game_key = b.game_key \
         JOIN {ns_ref}.dim_genre g ON b.genre_key = g.genre_key \
         GROUP BY g.name ORDER BY games DESC, g.name"
    )
}

/// Rows as `name=count` lines, to compare engines' answers to [`games_per_genre`].
pub fn name_counts(rows: &[Vec<Value>]) -> Vec<String> {
    rows.iter()
        .map(|r| format!("{}={}", r[0].as_str().unwrap_or("?"), r[1]))
        .collect()
}
