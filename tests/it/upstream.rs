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

/// `current` with one optional column appended, as the next schema id.
fn with_a_column_more(
    current: &iceberg_rust::spec::schema::Schema,
) -> iceberg_rust::spec::schema::Schema {
    let mut builder = iceberg_rust::spec::schema::Schema::builder();
    builder.with_schema_id(*current.schema_id() + 1);
    for f in current.fields().iter() {
        builder.with_struct_field(f.clone());
    }
    builder.with_struct_field(iceberg_rust::spec::types::StructField {
        id: current.fields().len() as i32 + 1,
        name: "added".into(),
        required: false,
        field_type: iceberg_rust::spec::types::Type::Primitive(
            iceberg_rust::spec::types::PrimitiveType::Long,
        ),
        doc: None,
    });
    builder.build().expect("schema")
}

/// Workaround: `lakehouse::evolve` commits `add-schema` with `set-current-schema` itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_schema_leaves_the_old_schema_current() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = support::open(dir.path()).await;
    let def = schema::table("dim_genre").expect("def");
    let mut table = lake.load_or_create(def).await.expect("create");
    let current = table.current_schema(None).expect("schema").clone();
    table
        .new_transaction(None)
        .add_schema(with_a_column_more(&current))
        .commit()
        .await
        .expect("commit");
    let table = lake.load("dim_genre").await.expect("load").expect("table");
    assert_eq!(
        table.metadata().schemas.len(),
        2,
        "the schema was not added"
    );
    assert_eq!(
        table.current_schema(None).expect("schema").fields().len(),
        current.fields().len(),
        "add_schema now makes the new schema current: drop the hand-built commit in lakehouse::evolve?"
    );
}

/// Workaround: `lakehouse::evolve` also commits a snapshot of the same files under the new
/// schema id. Without it, iceberg-rust goes on writing with the old schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn current_schema_follows_the_snapshot_not_current_schema_id() {
    use iceberg_rust::catalog::Catalog;
    use iceberg_rust::catalog::commit::{CommitTable, TableUpdate};

    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = support::open(dir.path()).await;
    let def = schema::table("bridge_game_genre").expect("def");
    lake.append(def, pairs("bridge_game_genre", &[(1, 1)]))
        .await
        .expect("append");
    let table = lake
        .load("bridge_game_genre")
        .await
        .expect("load")
        .expect("table");
    let current = table.current_schema(None).expect("schema").clone();
    let catalog: Arc<dyn Catalog> =
        gamelake::catalog::EmbeddedCatalog::open(&dir.path().join("catalog.db")).expect("catalog");
    let table = catalog
        .update_table(CommitTable {
            identifier: lake.identifier("bridge_game_genre"),
            requirements: Vec::new(),
            updates: vec![
                TableUpdate::AddSchema {
                    schema: with_a_column_more(&current),
                    last_column_id: Some(current.fields().len() as i32 + 1),
                },
                TableUpdate::SetCurrentSchema {
                    schema_id: *current.schema_id() + 1,
                },
            ],
        })
        .await
        .expect("commit");
    assert_eq!(
        table.metadata().current_schema_id,
        *current.schema_id() + 1,
        "the new schema is current by id"
    );
    assert_eq!(
        table.current_schema(None).expect("schema").fields().len(),
        current.fields().len(),
        "current_schema now follows current-schema-id: drop the schema snapshot in lakehouse::evolve?"
    );
}

/// iceberg-rust 0.10 leaves `stage-create` out of a create-table request unless it is set,
/// and Nessie 0.99 refuses such a request (HTTP 500 around a 400: "required attributes are
/// not set [stageCreate]"). Workaround: `Lakehouse::load_or_create` sets it to false. When the
/// first assertion fails, iceberg-rust sends it by default; when the second does, Nessie
/// accepts its absence.
#[test]
fn nessie_refuses_a_create_request_without_stage_create() {
    use iceberg_rust::catalog::create::CreateTableBuilder;
    let sw = crate::support::nessie::nessie();
    let def = schema::table("dim_genre").expect("def");
    let create = CreateTableBuilder::default()
        .with_name("upstream_stage_create")
        .with_schema(def.iceberg_schema().expect("schema"))
        .create()
        .expect("create request");
    let body = serde_json::to_value(&create).expect("json");
    assert!(body.get("stage-create").is_none(), "{body}");

    let ns = crate::support::seaweed::unique("upstream");
    let base = format!("{}/v1/main%7Cwarehouse", sw.catalog_http());
    let post = |url: String, json: String| -> String {
        let out = std::process::Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
            .args(["-H", "Content-Type: application/json", "-d", &json, &url])
            .output()
            .expect("curl");
        support::text(&out.stdout)
    };
    let made = post(
        format!("{base}/namespaces"),
        serde_json::json!({"namespace": [ns]}).to_string(),
    );
    assert_eq!(made, "200", "namespace");
    let refused = post(format!("{base}/namespaces/{ns}/tables"), body.to_string());
    assert!(
        refused.starts_with('4') || refused.starts_with('5'),
        "Nessie took a create request without stage-create: HTTP {refused}"
    );
}

/// `iceberg-rest-catalog` 0.10 URL-encodes the prefix into every path, and `/v1/config` hands
/// it out already encoded (Nessie: `main%7Cwarehouse`), so passed on as it comes the prefix
/// is encoded twice and Nessie looks for a branch named `main%7Cwarehouse`. Workaround:
/// `catalog::rest::connect` decodes it once. When this fails, the crate takes the prefix as
/// the server gives it.
#[test]
fn the_rest_client_encodes_the_prefix_the_server_already_encoded() {
    let from_config = "main%7Cwarehouse";
    assert_eq!(
        iceberg_rest_catalog::apis::urlencode(from_config),
        "main%257Cwarehouse"
    );
    assert_eq!(
        iceberg_rest_catalog::apis::urlencode("main|warehouse"),
        from_config
    );
}
