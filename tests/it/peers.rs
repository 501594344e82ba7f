//! The benchmark's peers (`benches/peers/`: DuckDB SQL and pandas) build the same star schema
//! as gamelake from the same raw parquet: same tables, same row counts. Checked on a warehouse
//! with a second day folded in, so superseded versions are in the raw landing too.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{self, ingest_etl, table_counts};

fn peer(name: &str, raw: &Path, out: &Path) -> BTreeMap<String, usize> {
    support::python_json(&format!("benches/peers/{name}_star.py"), [raw, out], &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_peers_build_the_same_tables_as_gamelake() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let [day1, day2] = support::two_days(&root);
    let (wh, lake) = support::open(&root.join("wh")).await;
    ingest_etl(&wh, &lake, &[&day1]).await;
    ingest_etl(&wh, &lake, &[&day2]).await;
    let ours = table_counts(&lake).await;
    for name in ["duckdb", "pandas"] {
        let theirs = peer(
            name,
            &root.join("wh/raw"),
            &root.join(format!("{name}-out")),
        );
        assert_eq!(theirs, ours, "{name}");
        for table in ours.keys() {
            assert!(
                root.join(format!("{name}-out/{table}.parquet")).exists(),
                "{name} wrote no {table}.parquet"
            );
        }
    }
}
