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
