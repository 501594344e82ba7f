//! A third independent reader: ClickHouse's own C++ Iceberg implementation, through chdb
//! (`tests/chdb_read.py`). After day 1 and after day 2 (merge-on-read: position deletes),
//! every table must read the same in ClickHouse as in gamelake: rows, and per column the
//! non-null values and their sum (integers, floats, string lengths, true values). The
//! embedded layout here; S3 and the REST catalog in `production.rs`.

use gamelake::lakehouse::Lakehouse;
use gamelake::schema::{self, ColumnType};

use crate::support::{self, ingest_etl};

/// What chdb reads: `mode` is `embedded WAREHOUSE NAMESPACE` or `rest NAMESPACE`.
pub fn chdb_read(mode: &[&str], env: &[(&'static str, String)]) -> serde_json::Value {
    support::python_json("tests/chdb_read.py", mode, env)
}

/// Every table `seen` by ClickHouse reads as gamelake reads it, and gamelake has no other.
pub async fn reads_the_same(seen: &serde_json::Value, lake: &Lakehouse) {
    let ns = lake.namespace();
    let mut tables = Vec::new();
    // The star tables, and the runs table: every reader must see it too.
    let mut names: Vec<String> = lake
        .infos()
        .await
        .expect("tables")
        .into_iter()
        .map(|i| i.name)
        .collect();
    let runs = schema::runs_table();
    if lake.load(&runs.name).await.expect("load runs").is_some() {
        names.push(runs.name.clone());
    }
    for name in names {
        let def = if name == runs.name {
            runs
        } else {
            schema::table(&name).expect("def")
        };
        let mut parts = vec!["count(*) AS n".to_string()];
        for (i, c) in def.columns.iter().enumerate() {
            let col = &c.name;
            parts.push(format!("count({col}) AS c{i}"));
            parts.push(match c.ty {
                ColumnType::Int | ColumnType::Long => format!("sum(CAST({col} AS BIGINT)) AS s{i}"),
                ColumnType::Double => format!("sum({col}) AS s{i}"),
                ColumnType::String => {
                    format!("sum(CAST(character_length({col}) AS BIGINT)) AS s{i}")
                }
                ColumnType::Boolean => format!("sum(CASE WHEN {col} THEN 1 ELSE 0 END) AS s{i}"),
                ColumnType::Date | ColumnType::Timestamp => format!("0 AS s{i}"),
            });
        }
        let sql = format!("SELECT {} FROM {ns}.{}", parts.join(", "), name);
        let batches = gamelake::query::sql(lake, &sql, None)
            .await
            .expect("profile");
        let row = &gamelake::query::json_rows(&batches).expect("rows")[0];
        let null = serde_json::Value::Null;
        let get = |k: String| row.get(&k).unwrap_or(&null).clone();
        let t = &seen[&name];
        assert_eq!(
            t["rows"].as_i64(),
            get("n".into()).as_i64(),
            "{}: rows in ClickHouse",
            name
        );
        for (i, c) in def.columns.iter().enumerate() {
            let (count, sum) = (get(format!("c{i}")), get(format!("s{i}")));
            let theirs = &t["columns"][&c.name];
            assert_eq!(
                theirs["count"].as_i64(),
                Some(count.as_i64().unwrap_or(0)),
                "{}.{}: non-null values in ClickHouse",
                name,
                c.name
            );
            match c.ty {
                ColumnType::Double => {
                    let (a, b) = (
                        theirs["sum"].as_f64().unwrap_or(0.0),
                        sum.as_f64().unwrap_or(0.0),
                    );
                    assert!(
                        (a - b).abs() <= 1e-6 * b.abs().max(1.0),
                        "{}.{}: sum {a} in ClickHouse, {b} in gamelake",
                        name,
                        c.name
                    );
                }
                ColumnType::Date | ColumnType::Timestamp => {}
                _ => assert_eq!(
                    theirs["sum"].as_i64(),
                    Some(sum.as_i64().unwrap_or(0)),
                    "{}.{}: sum in ClickHouse",
                    name,
                    c.name
                ),
            }
        }
        tables.push(name.clone());
    }
    let mut theirs: Vec<&String> = seen.as_object().expect("tables").keys().collect();
    theirs.sort();
    tables.sort();
    assert_eq!(
        theirs,
        tables.iter().collect::<Vec<_>>(),
        "the tables ClickHouse sees"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clickhouse_reads_day_one_and_the_merge_on_read_day_two_as_gamelake_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let day1 = support::first_pages(&support::pages_2015(), 40, &root.join("day1"));
    let day2 = root.join("day2");
    support::second_day(&support::pages_2015(), 40, &day2);
    let wh_root = root.join("wh");
    let (wh, lake) = support::open(&wh_root).await;
    let wh_arg = wh_root.to_str().expect("utf8");

    ingest_etl(&wh, &lake, &[&day1]).await;
    reads_the_same(&chdb_read(&["embedded", wh_arg, "rawg"], &[]), &lake).await;

    let report = ingest_etl(&wh, &lake, &[&day2]).await;
    assert!(report.incremental);
    let deletes: u64 = lake
        .infos()
        .await
        .expect("infos")
        .iter()
        .map(|i| i.delete_files)
        .sum();
    assert!(deletes > 0, "day 2 wrote no position deletes to read");
    reads_the_same(&chdb_read(&["embedded", wh_arg, "rawg"], &[]), &lake).await;
}
