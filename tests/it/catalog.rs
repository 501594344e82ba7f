//! The embedded catalog: a real compare-and-swap, safe identifiers, namespace methods that
//! work (where `iceberg-sql-catalog` 0.10 loses commits, is injectable and panics).

use std::collections::HashMap;

use gamelake::catalog::{EmbeddedCatalog, is_conflict};
use gamelake::lakehouse::Lakehouse;
use gamelake::schema;
use iceberg_rust::arrow::write::write_parquet_partitioned;
use iceberg_rust::catalog::Catalog;
use iceberg_rust::catalog::namespace::Namespace;

use crate::support::{self, sql_i64};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_built_on_stale_metadata_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, a) = support::open(dir.path()).await;
    let (_wh2, b) = support::open(dir.path()).await; // a second catalog instance
    let def = schema::table("bridge_game_genre").expect("def");

    let mut stale = a.load_or_create(def).await.expect("create");
    let files = write_parquet_partitioned(
        &stale,
        futures::stream::iter(vec![Ok(support::pairs("bridge_game_genre", &[(1, 1)]))]),
        None,
    )
    .await
    .expect("write");
    b.append(def, support::pairs("bridge_game_genre", &[(2, 2)]))
        .await
        .expect("other writer");

    let err = stale
        .new_transaction(None)
        .append_data(files)
        .commit()
        .await
        .expect_err("stale commit accepted");
    assert!(is_conflict(&err), "not reported as a conflict: {err}");
    assert_eq!(
        sql_i64(&a, "SELECT count(*) FROM rawg.bridge_game_genre").await,
        [1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_catalog_instances_committing_at_once_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, a) = support::open(dir.path()).await;
    let (_wh2, b) = support::open(dir.path()).await;
    let def = schema::table("bridge_game_genre").expect("def");
    a.load_or_create(def).await.expect("create");

    let writer = |lake: Lakehouse, base: i64| async move {
        for i in 0..15 {
            lake.append(def, support::pairs("bridge_game_genre", &[(base + i, i)]))
                .await
                .expect("append");
        }
    };
    tokio::join!(writer(a.clone(), 1000), writer(b.clone(), 2000));

    let games = sql_i64(&a, "SELECT game_key FROM rawg.bridge_game_genre ORDER BY 1").await;
    let expected: Vec<i64> = (1000..1015).chain(2000..2015).collect();
    assert_eq!(games, expected, "a commit was lost or doubled");
}

#[tokio::test]
async fn hostile_names_are_refused_and_quotes_in_values_are_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = support::open(dir.path()).await;
    for name in [
        "x', 'y'); DELETE FROM iceberg_namespace_properties; --",
        "../../etc",
    ] {
        let err = lake.load(name).await.expect_err("hostile name accepted");
        assert!(err.to_string().contains("invalid identifier"), "{err}");
    }
    let catalog = EmbeddedCatalog::open(&dir.path().join("catalog.db")).expect("catalog");
    let ns = Namespace::try_new(&["rawg".to_string()]).expect("ns");
    catalog
        .update_namespace(
            &ns,
            Some(HashMap::from([(
                "owner".to_string(),
                "o'brien".to_string(),
            )])),
            None,
        )
        .await
        .expect("quote in a value");
    let props = catalog.load_namespace(&ns).await.expect("load");
    assert_eq!(props.get("owner").map(String::as_str), Some("o'brien"));
    let bad = Namespace::try_new(&["x'; drop table iceberg_tables; --".to_string()]).expect("ns");
    assert!(catalog.namespace_exists(&bad).await.is_err());
}

#[tokio::test]
async fn namespace_methods_work_and_creation_is_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = EmbeddedCatalog::open(&dir.path().join("catalog.db")).expect("catalog");
    let ns = Namespace::try_new(&["games".to_string()]).expect("ns");
    assert!(!catalog.namespace_exists(&ns).await.expect("exists"));
    assert!(
        catalog.load_namespace(&ns).await.is_err(),
        "missing namespace loaded"
    );
    catalog.create_namespace(&ns, None).await.expect("create");
    catalog
        .create_namespace(&ns, None)
        .await
        .expect("create again");
    assert!(catalog.namespace_exists(&ns).await.expect("exists"));
    assert_eq!(catalog.list_namespaces(None).await.expect("list").len(), 1);
    catalog.drop_namespace(&ns).await.expect("drop");
    assert!(!catalog.namespace_exists(&ns).await.expect("exists"));
}

/// A catalog parses a metadata file once: loaded again after the file is gone, the table
/// reads as before (a metadata file never changes under its name), where another catalog
/// instance must read the file and fails.
#[tokio::test]
async fn a_catalog_parses_a_metadata_file_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = support::open(dir.path()).await;
    let def = schema::table("bridge_game_genre").expect("def");
    lake.append(def, support::pairs("bridge_game_genre", &[(1, 1)]))
        .await
        .expect("append");
    let snapshot = |t: &iceberg_rust::table::Table| t.metadata().current_snapshot_id;
    let loaded = lake.load(&def.name).await.expect("load").expect("a table");
    let metadata = dir.path().join("rawg").join(&def.name).join("metadata");
    for entry in std::fs::read_dir(&metadata).expect("metadata folder") {
        let path = entry.expect("entry").path();
        if path.to_string_lossy().ends_with(".metadata.json") {
            std::fs::remove_file(path).expect("remove");
        }
    }
    let again = lake
        .load(&def.name)
        .await
        .expect("load again")
        .expect("a table");
    assert_eq!(snapshot(&again), snapshot(&loaded));
    assert!(snapshot(&again).is_some());
    let (_wh2, other) = support::open(dir.path()).await;
    assert!(
        other.load(&def.name).await.is_err(),
        "the metadata files were not removed"
    );
}

/// A run's view of the catalog (`Lakehouse::pinned`) reads each table as it first loaded
/// it, whatever another writer commits meanwhile; its own commit that loses to that writer
/// is retried on the table as it now is, and from then on it reads what it committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_view_reads_a_table_as_first_loaded_and_retries_on_the_current_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = support::open(dir.path()).await;
    let (_wh2, other) = support::open(dir.path()).await; // another writer
    let def = schema::table("bridge_game_genre").expect("def");
    lake.append(def, support::pairs("bridge_game_genre", &[(1, 1)]))
        .await
        .expect("append");
    let snapshot = |t: iceberg_rust::table::Table| t.metadata().current_snapshot_id;
    let load = |lake: &Lakehouse| {
        let lake = lake.clone();
        async move { snapshot(lake.load(&def.name).await.expect("load").expect("a table")) }
    };

    let run = lake.pinned();
    let first = load(&run).await;
    other
        .append(def, support::pairs("bridge_game_genre", &[(2, 2)]))
        .await
        .expect("other writer");
    let theirs = load(&lake).await;
    assert_ne!(theirs, first, "the other writer committed nothing");
    assert_eq!(load(&run).await, first, "a pinned load saw another commit");

    // The append's first commit is built on the pinned table and refused; its retry loads
    // the table as it is now, and the pinned view then holds the commit's result.
    run.append(def, support::pairs("bridge_game_genre", &[(3, 3)]))
        .await
        .expect("append through the pinned view");
    let now = load(&lake).await;
    assert_ne!(now, theirs, "the append was not committed");
    assert_eq!(
        load(&run).await,
        now,
        "the pinned view missed its own commit"
    );
    assert_eq!(
        sql_i64(&lake, "SELECT count(*) FROM rawg.bridge_game_genre").await,
        [3]
    );
}
