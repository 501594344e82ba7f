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

/// A data file of more rows than one row group holds is listed with bounds that hold every
/// row (`lakehouse::data_files`; iceberg-rust alone bounds a string column by its first row
/// group). pyiceberg, which skips the files whose bounds rule a value out, finds a name only
/// the file's last row group holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_finds_a_row_in_the_last_row_group_of_a_large_file() {
    use arrow::array::{Int64Array, RecordBatch, StringArray};
    use iceberg_rust::spec::values::Value;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let (_wh, lake) = support::open(&root).await;
    let def = gamelake::schema::table("dim_genre").expect("def");
    // Names ascend with the key, so the last row group alone holds the largest.
    let rows = parquet::file::properties::DEFAULT_MAX_ROW_GROUP_ROW_COUNT as i64 + 1;
    let keys: Vec<i64> = (0..rows).collect();
    let names: Vec<String> = keys.iter().map(|k| format!("g{k:07}")).collect();
    let last = names.last().expect("rows").clone();
    let name = || std::sync::Arc::new(StringArray::from(names.clone()));
    let columns: Vec<arrow::array::ArrayRef> = vec![
        std::sync::Arc::new(Int64Array::from(keys.clone())),
        std::sync::Arc::new(Int64Array::from(keys)),
        name(),
        name(),
    ];
    let batch = RecordBatch::try_new(def.arrow_schema(), columns).expect("batch");
    lake.append(def, batch).await.expect("append");

    let table = lake.load("dim_genre").await.expect("load").expect("table");
    let files = gamelake::lakehouse::scan::TableFiles::load(&table)
        .await
        .expect("files");
    let [file] = files.files.as_slice() else {
        panic!("one data file, not {}", files.files.len());
    };
    let iceberg = def.iceberg_schema().expect("schema");
    let name_id = iceberg.get_name("name").expect("name").id;
    let upper = file
        .data_file
        .upper_bounds()
        .as_ref()
        .and_then(|b| b.get(&name_id));
    assert_eq!(upper, Some(&Value::String(last.clone())));
    let found: serde_json::Value = support::python_json(
        "tests/pyiceberg_read.py",
        [
            root.to_str().expect("utf-8"),
            "rawg",
            "where",
            "dim_genre",
            "name",
            &last,
        ],
        &[],
    );
    assert_eq!(
        found["rows"], 1,
        "pyiceberg skipped the file holding {last}"
    );
}
