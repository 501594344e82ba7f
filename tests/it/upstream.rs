//! What the chosen libraries do that gamelake works around, pinned as behaviour. Each test
//! asserts today's upstream behaviour: when one fails after a dependency upgrade, the gap is
//! fixed upstream and the named workaround can go.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::prelude::SessionContext;
use datafusion_iceberg::DataFusionTable;
use gamelake::lakehouse::Columns;
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
        &|_| Vec::new(),
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

/// A `bridge_game_genre` table of one row, written by gamelake, and the table as loaded.
async fn a_genre_table(
    root: &std::path::Path,
) -> (
    gamelake::storage::Warehouse,
    gamelake::lakehouse::Lakehouse,
    iceberg_rust::table::Table,
) {
    let (wh, lake) = support::open(root).await;
    let def = schema::table("bridge_game_genre").expect("def");
    lake.append(def, pairs("bridge_game_genre", &[(1, 1)]))
        .await
        .expect("append");
    let table = lake
        .load("bridge_game_genre")
        .await
        .expect("load")
        .expect("table");
    (wh, lake, table)
}

/// The genre keys [`table_with_a_position_delete`]'s table reads.
async fn genre_keys(lake: &gamelake::lakehouse::Lakehouse) -> Vec<i64> {
    sql_i64(
        lake,
        "SELECT genre_key FROM rawg.bridge_game_genre ORDER BY 1",
    )
    .await
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
    assert_eq!(genre_keys(&lake).await, [2, 3, 9]);
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

/// Workaround: `checks` never joins `IS NOT DISTINCT FROM`; it counts null keys apart
/// (`Checked::duplicates_after_change`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datafusion_loses_null_keys_of_a_null_equal_join() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wh, lake) = support::open(dir.path()).await;
    support::ingest_etl(&wh, &lake, &[&support::pages_2015()]).await;
    // A second file with one more row whose genre_id is null, as the Unknown member's is.
    let dim = schema::table("dim_genre").expect("def");
    let batches = lake
        .read("dim_genre", Columns::All)
        .await
        .expect("read")
        .expect("rows");
    let unknown = batches
        .iter()
        .find_map(|b| {
            let ids = b.column_by_name("genre_id").expect("genre_id");
            (0..b.num_rows())
                .find(|i| ids.is_null(*i))
                .map(|i| b.slice(i, 1))
        })
        .expect("a member without a genre_id");
    let i = unknown.schema().index_of("genre_key").expect("genre_key");
    let mut columns = unknown.columns().to_vec();
    columns[i] = Arc::new(arrow::array::Int64Array::from(vec![777_777]));
    let copy = arrow::array::RecordBatch::try_new(unknown.schema(), columns).expect("batch");
    lake.append(dim, copy).await.expect("append");
    let nulls = "SELECT count(*) FROM rawg.dim_genre WHERE genre_id IS NULL";
    assert_eq!(sql_i64(&lake, nulls).await, [2]);
    let joined = sql_i64(
        &lake,
        "SELECT count(*) FROM rawg.dim_genre t JOIN \
         (SELECT DISTINCT genre_id AS k FROM rawg.dim_genre WHERE genre_key = 777777) a \
         ON t.genre_id IS NOT DISTINCT FROM a.k",
    )
    .await;
    assert_ne!(
        joined,
        [2],
        "DataFusion now joins null keys: checks may use IS NOT DISTINCT FROM again"
    );
}

/// Workaround: `catalog::embedded::log_previous` keeps `metadata-log` in our catalog's
/// commits (and deletes what falls off it), so metadata files stay bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_a_commit_keeps_no_metadata_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = support::open(dir.path()).await;
    let table = lake
        .load_or_create(schema::table("dim_genre").expect("def"))
        .await
        .expect("create");
    let mut metadata = table.metadata().clone();
    metadata.metadata_log.clear();
    let update = iceberg_rust::catalog::commit::TableUpdate::SetProperties {
        updates: std::collections::HashMap::from([("a".to_string(), "b".to_string())]),
    };
    iceberg_rust::catalog::commit::apply_table_updates(&mut metadata, vec![update]).expect("apply");
    assert_eq!(metadata.properties.get("a").map(String::as_str), Some("b"));
    assert!(
        metadata.metadata_log.is_empty(),
        "iceberg-rust now logs the previous metadata file: drop catalog::embedded::log_previous?"
    );
}

/// Workaround: `lakehouse::evolve` also commits a snapshot of the same files under the new
/// schema id. Without it, iceberg-rust goes on writing with the old schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn current_schema_follows_the_snapshot_not_current_schema_id() {
    use iceberg_rust::catalog::Catalog;
    use iceberg_rust::catalog::commit::{CommitTable, TableUpdate};

    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake, table) = a_genre_table(dir.path()).await;
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

/// Workaround: `lakehouse::foreign` (a table whose manifests list DELETED entries is relisted
/// before gamelake appends to it). iceberg-rust 0.10's append rewrites one existing manifest
/// with every entry EXISTING: after Spark's `rewrite_data_files` (old file listed DELETED)
/// an append brings the rewritten-away file back, and its rows are read twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_after_a_java_rewrite_brings_the_removed_files_back() {
    use crate::support::engines::{self, SparkCatalog};
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let (_wh, lake) = support::open(&root).await;
    let def = schema::table("bridge_game_genre").expect("def");
    lake.append(def, pairs(&def.name, &[(1, 1), (2, 2)]))
        .await
        .expect("append");
    let rewrite = |table: &str| {
        format!(
            "CALL gamelake.system.rewrite_data_files(table => 'rawg.{table}', \
             options => map('rewrite-all', 'true'))"
        )
    };
    engines::spark_sql(&SparkCatalog::Embedded(&root), &[rewrite(&def.name)]);
    let count = async |lake: &gamelake::lakehouse::Lakehouse| {
        sql_i64(lake, "SELECT count(*) FROM rawg.bridge_game_genre").await[0]
    };
    assert_eq!(count(&lake).await, 2, "Spark's rewrite changed the rows");

    // iceberg-rust's own append, as gamelake called it before the workaround.
    let mut table = lake.load(&def.name).await.expect("load").expect("table");
    let files = iceberg_rust::arrow::write::write_parquet_partitioned(
        &table,
        futures::stream::iter(vec![Ok(pairs(&def.name, &[(3, 3)]))]),
        None,
    )
    .await
    .expect("write");
    table
        .new_transaction(None)
        .append_data(files)
        .commit()
        .await
        .expect("append");
    assert_eq!(
        count(&lake).await,
        5,
        "iceberg-rust's append kept the rewritten-away file out: drop lakehouse::foreign?"
    );

    // gamelake's append relists first: a second table, same steps, reads right.
    let tag = schema::table("bridge_game_tag").expect("def");
    lake.append(tag, pairs(&tag.name, &[(1, 1), (2, 2)]))
        .await
        .expect("append");
    engines::spark_sql(&SparkCatalog::Embedded(&root), &[rewrite(&tag.name)]);
    lake.append(tag, pairs(&tag.name, &[(3, 3)]))
        .await
        .expect("append");
    assert_eq!(
        sql_i64(&lake, "SELECT count(*) FROM rawg.bridge_game_tag").await[0],
        3
    );
}

/// Workaround: `lakehouse::foreign::Entries` (a manifest iceberg-rust read only in part is
/// read raw). iceberg-rust 0.10 skips, without an error, a manifest entry it cannot convert:
/// the position delete files Java writes carry bounds for the reserved `file_path` and `pos`
/// field ids, which are not in the table schema, so every one is skipped and the rows it
/// deletes would be read again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_position_delete_files_are_skipped_by_iceberg_rusts_manifest_reader() {
    use crate::support::engines::{self, SparkCatalog};
    use iceberg_rust::spec::manifest::Content;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let (lake, _) = table_with_a_position_delete(&root).await;
    engines::spark_sql(
        &SparkCatalog::Embedded(&root),
        &["CALL gamelake.system.rewrite_position_delete_files(\
           table => 'rawg.bridge_game_genre', options => map('rewrite-all', 'true'))"
            .to_string()],
    );
    let table = lake
        .load("bridge_game_genre")
        .await
        .expect("load")
        .expect("table");
    let manifests = table.manifests(None, None).await.expect("manifests");
    let live_deletes = table
        .datafiles(&manifests, None, (None, None))
        .await
        .expect("entries")
        .filter_map(Result::ok)
        .filter(|(_, e)| {
            *e.status() != iceberg_rust::spec::manifest::Status::Deleted
                && *e.data_file().content() == Content::PositionDeletes
        })
        .count();
    assert_eq!(
        live_deletes, 0,
        "iceberg-rust read Spark's delete file: drop lakehouse::foreign::Entries' raw pass?"
    );
    // gamelake reads it, and the row it deletes stays deleted.
    let files = gamelake::lakehouse::scan::TableFiles::load(&table)
        .await
        .expect("files");
    assert_eq!((files.delete_files.len(), files.unparsed_entries), (1, 1));
    assert_eq!(genre_keys(&lake).await, [2, 3, 9]);
}

/// Gap: parquet 58's `From<ParquetError> for ArrowError` keeps only the text
/// (`ArrowError::ParquetError(String)`), and iceberg-rust 0.10's writer returns that, so a
/// storage fault while writing a table's data files has no typed cause: an unreachable S3
/// server reads as a parquet error. Workaround: `lakehouse::storage_fault` asks the table's
/// storage once after a failed write. When this test fails, the conversion keeps its source
/// and the probe can go.
#[test]
fn parquet_errors_reach_arrow_as_text_only() {
    let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    let arrow =
        arrow::error::ArrowError::from(parquet::errors::ParquetError::External(Box::new(refused)));
    assert!(
        matches!(arrow, arrow::error::ArrowError::ParquetError(_))
            && std::error::Error::source(&arrow).is_none(),
        "the conversion now keeps its source: {arrow:?}"
    );
    let e = gamelake::Error::Arrow(arrow);
    assert_eq!(e.kind(), gamelake::ErrorKind::Other);
}

/// Workaround: `lakehouse::rewrite`. A transaction builds a snapshot per operation, its append
/// and its replace each from the same table state (the same sequence number), which the
/// catalog refuses; and a replace writes data manifests only (the next test). So no commit
/// of iceberg-rust's can rewrite some data files and put the rest under a fresh delete file,
/// which a tidy does (`lakehouse::maintain::tidy`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_appends_and_replaces_in_snapshots_of_their_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = support::open(dir.path()).await;
    let def = schema::table("bridge_game_genre").expect("def");
    lake.append(def, pairs("bridge_game_genre", &[(1, 1), (2, 2)]))
        .await
        .expect("append");
    let mut table = lake
        .load("bridge_game_genre")
        .await
        .expect("load")
        .expect("table");
    let kept: Vec<_> = gamelake::lakehouse::scan::TableFiles::load(&table)
        .await
        .expect("files")
        .files
        .into_iter()
        .map(|f| f.data_file)
        .collect();
    let rows = pairs("bridge_game_genre", &[(3, 3)]);
    let added = iceberg_rust::arrow::write::write_parquet_partitioned(
        &table,
        futures::stream::iter(vec![Ok(rows)]),
        None,
    )
    .await
    .expect("write");
    let before = table.metadata().snapshots.len();
    let committed = table
        .new_transaction(None)
        .append_data(added)
        .replace_with_lineage(kept, std::collections::HashMap::new())
        .commit()
        .await;
    let refused = match committed {
        Err(e) => gamelake::catalog::is_conflict(&e),
        Ok(()) => false,
    };
    assert!(
        refused,
        "an append and a replace now commit together: if in one snapshot, with delete \
         manifests (a_replace_lists_delete_files_in_a_data_manifest), lakehouse::rewrite \
         can go"
    );
    let table = lake
        .load("bridge_game_genre")
        .await
        .expect("load")
        .expect("table");
    assert_eq!(
        table.metadata().snapshots.len(),
        before,
        "a refused commit left a snapshot"
    );
}

/// Workaround: `lakehouse::rewrite` (our own snapshot of data and delete files).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replace_lists_delete_files_in_a_data_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_lake, mut table) = table_with_a_position_delete(dir.path()).await;
    let files = gamelake::lakehouse::scan::TableFiles::load(&table)
        .await
        .expect("files");
    let positions: Vec<(String, Vec<i64>)> = files
        .files
        .iter()
        .filter_map(gamelake::lakehouse::scan::LiveFile::deletions)
        .collect();
    let delete = gamelake::lakehouse::deletes::write_position_deletes(&table, &positions)
        .await
        .expect("delete file");
    let mut listed: Vec<_> = files.files.into_iter().map(|f| f.data_file).collect();
    listed.push(delete);
    table
        .new_transaction(None)
        .replace_with_lineage(listed, std::collections::HashMap::new())
        .commit()
        .await
        .expect("replace");
    let manifests = table.manifests(None, None).await.expect("manifests");
    use iceberg_rust::spec::manifest_list::Content;
    // The spec keeps delete files in delete manifests; readers that plan by a manifest's
    // content (Java's engines, pyiceberg) would take this one for data.
    assert!(
        manifests.iter().all(|m| m.content == Content::Data),
        "a replace now writes delete manifests: lakehouse::rewrite can go"
    );
}

/// iceberg-rust's `parquet_to_datafile` widens bounds across row groups for numbers, dates and
/// times only: a string column of a file of two row groups keeps the first one's. Worked
/// around in `lakehouse::data_files`, which reads such a file's footer back and records bounds
/// over every row group.
#[test]
fn parquet_to_datafile_bounds_a_string_column_by_its_first_row_group() {
    use arrow::array::{RecordBatch, StringArray};
    use iceberg_rust::spec::values::Value;
    let def = schema::table("dim_genre").expect("def");
    let arrow_schema = def.arrow_schema();
    let (_, field) = arrow_schema.column_with_name("name").expect("name");
    let one = Arc::new(arrow::datatypes::Schema::new(vec![field.clone()]));
    let mut bytes = Vec::new();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(&mut bytes, one.clone(), None).expect("writer");
    for name in ["b", "z"] {
        let column = Arc::new(StringArray::from(vec![name]));
        let batch = RecordBatch::try_new(one.clone(), vec![column]).expect("batch");
        writer.write(&batch).expect("write");
        writer.flush().expect("a row group each");
    }
    let metadata = writer.close().expect("close");
    assert_eq!(metadata.num_row_groups(), 2);
    let iceberg = def.iceberg_schema().expect("schema");
    let id = iceberg.get_name("name").expect("name").id;
    let file = iceberg_rust::file_format::parquet::parquet_to_datafile(
        "x.parquet",
        bytes.len() as u64,
        &metadata,
        &iceberg,
        &[],
        None,
    )
    .expect("entry");
    let upper = file.upper_bounds().as_ref().and_then(|b| b.get(&id));
    assert_eq!(
        upper,
        Some(&Value::String("b".into())),
        "parquet_to_datafile now bounds strings across row groups: data_files can keep its entry"
    );
}

/// Workaround: `lakehouse::data_files::write` writes unpartitioned tables' files itself.
/// iceberg-rust's writer takes no `WriterProperties`: every column gets a dictionary, the
/// key column of distinct values too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iceberg_rusts_writer_gives_every_column_a_dictionary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, _lake, table) = a_genre_table(dir.path()).await;
    let rows: Vec<(i64, i64)> = (0..1_000).map(|g| (g, g % 7)).collect();
    let written = iceberg_rust::arrow::write::write_parquet_partitioned(
        &table,
        futures::stream::iter(vec![Ok(pairs("bridge_game_genre", &rows))]),
        None,
    )
    .await
    .expect("write");
    let dictionaries = support::dictionary_pages(written[0].file_path());
    assert!(
        dictionaries["game_key"] && dictionaries["genre_key"],
        "iceberg-rust's writer now leaves a column without a dictionary ({dictionaries:?}): if \
         it takes WriterProperties, lakehouse::data_files::write_one can go"
    );
}
