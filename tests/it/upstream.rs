//! What the chosen libraries do that gamelake works around, pinned as behaviour. Each test
//! asserts today's upstream behaviour: when one fails after a dependency upgrade, the gap is
//! fixed upstream and the named workaround can go.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::prelude::SessionContext;
use datafusion_iceberg::DataFusionTable;
use gamelake::schema;

use crate::support::{self, pairs, sql_i64};

/// A table with one position delete: game 1's row replaced.
async fn table_with_a_position_delete(
    root: &std::path::Path,
) -> (gamelake::lakehouse::Lakehouse, iceberg_rust::table::Table) {
    let (_wh, lake) = support::open(root).await;
    let def = schema::table("bridge_game_genre").expect("def");
    lake.append(def, pairs("bridge_game_genre", &[(1, 1), (2, 2), (3, 3)]))
        .await
        .expect("append");
    lake.upsert(
        def,
        "game_key",
        &HashSet::from([1]),
        Some(pairs("bridge_game_genre", &[(1, 9)])),
        Vec::new(),
    )
    .await
    .expect("upsert");
    let table = lake
        .load("bridge_game_genre")
        .await
        .expect("load")
        .expect("table");
    (lake, table)
}

/// Workaround: `lakehouse::scan::IcebergScan`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datafusion_iceberg_panics_on_position_deletes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lake, table) = table_with_a_position_delete(dir.path()).await;
    let outcome = tokio::spawn(async move {
        let ctx = SessionContext::new();
        let df = ctx.read_table(Arc::new(DataFusionTable::from(table)))?;
        df.collect().await
    })
    .await;
    assert!(
        matches!(&outcome, Err(e) if e.is_panic()),
        "datafusion_iceberg read position deletes without panicking: drop the workaround? {outcome:?}"
    );
    // Our scan reads the same table correctly.
    assert_eq!(
        sql_i64(
            &lake,
            "SELECT genre_key FROM rawg.bridge_game_genre ORDER BY 1"
        )
        .await,
        [2, 3, 9]
    );
}

/// Workaround: run facts as table properties (`etl::ROWS_REMOVED_PROPERTY`), row counts from
/// the files (`Lakehouse::infos`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_summaries_ignore_position_deletes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lake, table) = table_with_a_position_delete(dir.path()).await;
    let snapshot = table
        .metadata()
        .current_snapshot(None)
        .expect("metadata")
        .expect("snapshot");
    let total: u64 = snapshot.summary().other["total-records"]
        .parse()
        .expect("number");
    assert_eq!(
        total, 4,
        "total-records now subtracts position deletes: drop the workaround?"
    );
    let info = lake.infos().await.expect("infos");
    assert_eq!(info[0].rows, 3, "gamelake's own count is the live rows");
}
