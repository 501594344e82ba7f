//! pyiceberg, an independent Iceberg implementation, reads every table through the same
//! embedded catalog and must see what `gamelake sql` sees.

use gamelake::lakehouse::Lakehouse;
use gamelake::schema::TableDef;

use crate::support::{self, sql_i64};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyiceberg_reads_the_same_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let (wh, lake) = support::open(&root).await;
    support::ingest_etl(&wh, &lake, &[&support::pages_2015()]).await;
    reads_the_same(&root, &lake, &support::list_tables()).await;
}

/// pyiceberg sees exactly `tables` and the runs table in the warehouse at `root`, each with
/// the rows, key sum and columns `gamelake sql` sees.
pub async fn reads_the_same(root: &std::path::Path, lake: &Lakehouse, tables: &[&TableDef]) {
    let seen = support::pyiceberg_read(root);
    let mut tables = tables.to_vec();
    tables.push(gamelake::schema::runs_table());
    let mut names: Vec<&str> = seen
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    let mut want: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    want.sort_unstable();
    assert_eq!(names, want, "the tables pyiceberg sees");
    for def in tables {
        let t = &seen[&def.name];
        let rows = sql_i64(lake, &format!("SELECT count(*) FROM rawg.{}", def.name)).await[0];
        assert_eq!(t["rows"].as_i64(), Some(rows), "{}: row count", def.name);
        if def.columns[0].ty == gamelake::schema::ColumnType::String {
            continue;
        }
        let key_sum = sql_i64(
            lake,
            &format!(
                "SELECT coalesce(sum({}), 0) FROM rawg.{}",
                def.columns[0].name, def.name
            ),
        )
        .await[0];
        assert_eq!(t["rows"].as_i64(), Some(rows), "{}: row count", def.name);
        assert_eq!(
            t["key_sum"].as_i64(),
            Some(key_sum),
            "{}: key sum",
            def.name
        );
        let columns: Vec<&str> = def.columns.iter().map(|c| c.name.as_str()).collect();
        let seen_cols: Vec<&str> = t["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .filter_map(|c| c.as_str())
            .collect();
        assert_eq!(seen_cols, columns, "{}: columns", def.name);
    }
}
