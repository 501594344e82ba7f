//! SQL over the warehouse with DataFusion: every table of the namespace is registered as
//! `<namespace>.<table>` (e.g. `rawg.fact_games`).
//!
//! Read-only: this module never writes a table.

use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::prelude::SessionContext;

use crate::lakehouse::Lakehouse;
use crate::lakehouse::scan::IcebergScan;
use crate::{Error, Result};

/// A DataFusion session with every table of the lakehouse registered.
pub async fn session(lake: &Lakehouse) -> Result<SessionContext> {
    let ctx = SessionContext::new();
    let schema = Arc::new(MemorySchemaProvider::new());
    let catalog = ctx
        .catalog("datafusion")
        .ok_or_else(|| Error::Internal("DataFusion has no default catalog".into()))?;
    catalog.register_schema(lake.namespace(), schema.clone())?;
    for info in lake.infos().await? {
        if let Some(table) = lake.load(&info.name).await? {
            schema.register_table(
                info.name.clone(),
                Arc::new(IcebergScan::load(&table).await?),
            )?;
        }
    }
    Ok(ctx)
}

/// Runs one SQL statement and returns its result.
pub async fn sql(lake: &Lakehouse, statement: &str) -> Result<Vec<RecordBatch>> {
    let ctx = session(lake).await?;
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
