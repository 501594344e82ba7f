//! SQL over the warehouse with DataFusion: every table of the namespace is registered as
//! `<namespace>.<table>` (e.g. `rawg.fact_games`), now or as a recorded run left it.
//!
//! Read-only: this module never writes a table.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::prelude::SessionContext;

use crate::lakehouse::Lakehouse;
use crate::lakehouse::scan::IcebergScan;
use crate::{Error, Result};

/// Statements a caller runs side by side in one session (the checks' tables, the report's
/// charts): most are small, and their planning and footer reads would otherwise add up one
/// after another; two cores are kept busy without a queue of half-done scans.
pub const STATEMENTS_AT_ONCE: usize = 4;

/// A DataFusion session with every table of the lakehouse registered (the star schema and
/// `gamelake_runs`).
pub async fn session(lake: &Lakehouse) -> Result<SessionContext> {
    session_as_of(lake, None).await
}

/// A session whose star tables read at the given snapshots (table name → snapshot id, as a
/// run's row in `gamelake_runs` names them; a table not named is left out);
/// `gamelake_runs` itself reads as it is now. `None`: the current tables.
pub async fn session_as_of(
    lake: &Lakehouse,
    snapshots: Option<&BTreeMap<String, i64>>,
) -> Result<SessionContext> {
    let ctx = SessionContext::new();
    let schema = Arc::new(MemorySchemaProvider::new());
    let catalog = ctx
        .catalog("datafusion")
        .ok_or_else(|| Error::Internal("DataFusion has no default catalog".into()))?;
    catalog.register_schema(lake.namespace(), schema.clone())?;
    for def in crate::schema::tables() {
        let table = match snapshots {
            None => lake.load(&def.name).await?,
            Some(at) => match at.get(&def.name) {
                Some(id) => lake.load_at(&def.name, *id).await?,
                None => None,
            },
        };
        if let Some(table) = table {
            schema.register_table(def.name.clone(), Arc::new(IcebergScan::load(&table).await?))?;
        }
    }
    let runs = &crate::schema::runs_table().name;
    if let Some(table) = lake.load(runs).await? {
        schema.register_table(runs.clone(), Arc::new(IcebergScan::load(&table).await?))?;
    }
    Ok(ctx)
}

/// The star tables (of `schemas/`) a session has registered under namespace `ns`: those
/// that exist.
pub fn present_tables(ctx: &SessionContext, ns: &str) -> Result<Vec<String>> {
    let mut present = Vec::new();
    for def in crate::schema::tables() {
        if ctx.table_exist(format!("{ns}.{}", def.name).as_str())? {
            present.push(def.name.clone());
        }
    }
    Ok(present)
}

/// Runs one SQL statement and returns its result; `as_of`: over the tables at those
/// snapshots (see [`session_as_of`]).
pub async fn sql(
    lake: &Lakehouse,
    statement: &str,
    as_of: Option<&BTreeMap<String, i64>>,
) -> Result<Vec<RecordBatch>> {
    let ctx = session_as_of(lake, as_of).await?;
    Ok(ctx.sql(statement).await?.collect().await?)
}

/// Rows as the JSON array `gamelake sql --format json` prints (arrow's JSON writer: nulls left
/// out, dates and decimals as text); `[]` for no rows.
pub fn json_text(batches: &[RecordBatch]) -> Result<String> {
    let mut writer = arrow::json::ArrayWriter::new(Vec::new());
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    writer.write_batches(&refs)?;
    writer.finish()?;
    let text = String::from_utf8(writer.into_inner())
        .map_err(|e| Error::Internal(format!("arrow JSON is not UTF-8: {e}")))?;
    Ok(if text.is_empty() { "[]".into() } else { text })
}

/// The same rows as JSON objects.
pub fn json_rows(
    batches: &[RecordBatch],
) -> Result<Vec<serde_json::Map<String, serde_json::Value>>> {
    serde_json::from_str(&json_text(batches)?)
        .map_err(|e| Error::Internal(format!("arrow JSON: {e}")))
}
