//! Upgrading in place: a table written by an earlier release, whose `schemas/` file has since
//! gained columns, gets them by Iceberg schema evolution on the next run: no key moves, no
//! stored data file is rewritten, old rows read the new columns as null, and other readers
//! see the new schema.

use std::sync::Arc;

use gamelake::catalog::EmbeddedCatalog;
use gamelake::lakehouse::evolve::{self, Evolution};
use gamelake::lakehouse::{Columns, Lakehouse};
use gamelake::schema::{self, TableDef};
use iceberg_rust::catalog::Catalog;

use crate::support::{self, files_and_snapshots, ingest_etl, keys, sql_i64};

/// The columns an earlier release did not have yet.
const ADDED: [&str; 2] = ["ratings_skip", "background_image"];

/// Rewrites `fact_games` as an earlier release would have left it: the same rows and table
/// properties, without the last columns of its definition. Returns that release's definition.
async fn as_an_earlier_release_left_it(root: &std::path::Path, lake: &Lakehouse) -> TableDef {
    let def = schema::table("fact_games").expect("def");
    let mut old = def.clone();
    old.columns.truncate(def.columns.len() - ADDED.len());
    assert_eq!(
        def.columns[old.columns.len()..]
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ADDED,
        "the test drops the definition's last columns"
    );
    let table = lake.load("fact_games").await.expect("load").expect("table");
    let properties: Vec<(String, String)> = table
        .metadata()
        .properties
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let names: Vec<&str> = old.columns.iter().map(|c| c.name.as_str()).collect();
    let rows = lake
        .read("fact_games", Columns::Only(&names))
        .await
        .expect("read")
        .expect("rows");
    let batch = arrow::compute::concat_batches(&rows[0].schema(), &rows).expect("concat");
    let batch = arrow::array::RecordBatch::try_new(old.arrow_schema(), batch.columns().to_vec())
        .expect("old shape");

    let catalog: Arc<dyn Catalog> =
        EmbeddedCatalog::open(&root.join("catalog.db")).expect("catalog");
    catalog
        .drop_table(&lake.identifier("fact_games"))
        .await
        .expect("drop");
    lake.append(&old, batch).await.expect("old release's write");
    lake.set_properties(&old, properties)
        .await
        .expect("properties");
    old
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_from_an_earlier_release_gains_new_columns_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let day1 = support::first_pages(&support::pages_2015(), 40, &root.join("day1"));
    let day2_dir = root.join("day2");
    let day2 = support::second_day(&support::pages_2015(), 40, &day2_dir);
    let touched = (day2.changed.len() + day2.new.len()) as i64;

    let wh_root = root.join("wh");
    let (wh, lake) = support::open(&wh_root).await;
    ingest_etl(&wh, &lake, &[&day1]).await;
    let games = sql_i64(&lake, "SELECT count(*) FROM rawg.fact_games").await[0];
    let old = as_an_earlier_release_left_it(&wh_root, &lake).await;
    let table = lake.load("fact_games").await.expect("load").expect("table");
    assert!(
        matches!(evolve::plan(&table, schema::table("fact_games").expect("def")), Ok(Evolution::Append(ref cols)) if cols.len() == ADDED.len()),
        "the table should lack the new columns"
    );
    assert_eq!(
        evolve::plan(&table, &old).expect("plan"),
        Evolution::UpToDate
    );
    let keys_before = keys(&lake).await;
    let before = files_and_snapshots(&lake).await;

    // The new release's next run: day 2, incremental.
    let report = ingest_etl(&wh, &lake, &[&day2_dir]).await;
    assert!(report.incremental, "the upgrade rebuilt the warehouse");

    let table = lake.load("fact_games").await.expect("load").expect("table");
    let fields: Vec<String> = table
        .current_schema(None)
        .expect("schema")
        .fields()
        .iter()
        .map(|f| f.name.clone())
        .collect();
    assert_eq!(fields.len(), old.columns.len() + ADDED.len(), "{fields:?}");
    assert_eq!(table.metadata().schemas.len(), 2, "one schema added");
    let keys_after = keys(&lake).await;
    let moved: Vec<&String> = keys_before
        .iter()
        .filter(|k| !keys_after.contains(k))
        .collect();
    assert!(
        moved.is_empty(),
        "keys moved: {:?}",
        &moved[..moved.len().min(5)]
    );
    let after = files_and_snapshots(&lake).await;
    let (old_files, new_files) = (&before["fact_games"].0, &after["fact_games"].0);
    assert!(
        old_files.iter().all(|f| new_files.contains(f)),
        "a stored data file was rewritten"
    );

    // Old rows read the new columns as null; rebuilt games carry them.
    let total = games + day2.new.len() as i64;
    assert_eq!(
        sql_i64(&lake, "SELECT count(*) FROM rawg.fact_games").await[0],
        total
    );
    assert_eq!(
        sql_i64(
            &lake,
            "SELECT count(*) FROM rawg.fact_games WHERE ratings_skip IS NULL"
        )
        .await[0],
        total - touched,
        "only the rebuilt games carry the new column"
    );
    let py = support::pyiceberg_read(&wh_root);
    assert_eq!(py["fact_games"]["rows"].as_i64(), Some(total));
    let columns = py["fact_games"]["columns"].as_array().expect("columns");
    assert!(
        ADDED
            .iter()
            .all(|c| columns.iter().any(|x| x.as_str() == Some(c))),
        "pyiceberg does not see the new columns: {columns:?}"
    );
    assert_eq!(
        py["fact_games"]["sums"]["ratings_skip"].as_i64(),
        Some(
            sql_i64(
                &lake,
                "SELECT coalesce(sum(ratings_skip), 0) FROM rawg.fact_games"
            )
            .await[0]
        ),
        "pyiceberg and gamelake disagree on the new column"
    );

    // A full refresh fills the column for every game, keys still in place.
    support::full_refresh(&wh, &lake).await;
    assert_eq!(
        sql_i64(
            &lake,
            "SELECT count(*) FROM rawg.fact_games WHERE ratings_skip IS NULL"
        )
        .await[0],
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_that_changed_type_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = support::open(dir.path()).await;
    let def = schema::table("dim_genre").expect("def");
    let mut other = def.clone();
    other.columns[1].ty = schema::ColumnType::Double;
    lake.load_or_create(&other).await.expect("create");
    let err = lake
        .load_or_create(def)
        .await
        .expect_err("a retyped column");
    let text = err.to_string();
    assert!(
        text.contains("dim_genre")
            && text.contains(&def.columns[1].name)
            && text.contains("full-refresh"),
        "{text}"
    );
}
