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

/// Output formats of `gamelake sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// A DataFusion session with every table of the lakehouse registered.
pub async fn session(lake: &Lakehouse) -> Result<SessionContext> {
    let ctx = SessionContext::new();
    let schema = Arc::new(MemorySchemaProvider::new());
    let catalog = ctx
        .catalog("datafusion")
        .ok_or_else(|| Error::Task("DataFusion has no default catalog".into()))?;
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

/// Renders batches in a format.
pub fn render(batches: &[RecordBatch], format: Format) -> Result<String> {
    match format {
        Format::Table => Ok(arrow::util::pretty::pretty_format_batches(batches)?.to_string()),
        Format::Csv => {
            let mut out = Vec::new();
            {
                let mut writer = arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(&mut out);
                for b in batches {
                    writer.write(b)?;
                }
            }
            String::from_utf8(out).map_err(|e| Error::Schema(e.to_string()))
        }
        Format::Json => {
            let mut writer = arrow::json::ArrayWriter::new(Vec::new());
            let refs: Vec<&RecordBatch> = batches.iter().collect();
            writer.write_batches(&refs)?;
            writer.finish()?;
            let mut text =
                String::from_utf8(writer.into_inner()).map_err(|e| Error::Schema(e.to_string()))?;
            if text.is_empty() {
                text.push_str("[]");
            }
            Ok(text)
        }
    }
}
