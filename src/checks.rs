//! Data checks: what must hold of the tables before a run publishes them, declared next to
//! the tables in `schemas/` so nothing spells them twice:
//!
//! - `unique = [[...], ...]`: no two rows share these columns' values (error);
//! - a column's `required = true`: it holds no null (error; see `not_null` for columns
//!   added to an existing table);
//! - a column's `references = "dim_x"`: every value has its row in that table, by the table's
//!   `key` (error);
//! - a column's `accepted = [...]`: no other value, compared as text (error);
//! - `freshness = "column"`: its newest value is younger than the configured age (warning);
//! - and, passed in by the caller, the fact's row count against the distinct games landed
//!   (error).
//!
//! The ETL runs them on its staged tables (they read what the run is about to publish), and
//! `gamelake check` on the published ones. Each is one SQL statement over the
//! [`crate::query`] session, so a failure can be reproduced by hand.
//!
//! Must never: write anything, or fail a run for a warning.

use std::collections::HashSet;
use std::time::Duration;

use arrow::array::{Array, Int64Array, RecordBatch};
use arrow::util::display::array_value_to_string;
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use crate::lakehouse::Lakehouse;
use crate::schema::{self, TableDef};
use crate::{Error, Result};

/// Offending rows shown per failed check.
const SAMPLE: usize = 5;

/// How much a check matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A failure stops the publish.
    Error,
    /// A failure is reported and recorded; the run goes on.
    Warn,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The table checked.
    pub table: String,
    /// What was checked, e.g. `unique(game_key)`, `references(genre_key -> dim_genre)`.
    pub check: String,
    /// Error or warning.
    pub level: Level,
    /// True when it held.
    pub passed: bool,
    /// Offending rows (or values, keys), 0 when it passed.
    pub failing: u64,
    /// A few offending values, or what was found.
    pub sample: Vec<String>,
}

impl CheckResult {
    /// One line: table, check, how many, a few offending keys.
    pub fn line(&self) -> String {
        let what = if self.sample.is_empty() {
            String::new()
        } else {
            format!(", e.g. {}", self.sample.join("; "))
        };
        format!(
            "{}: {} failed ({}{what})",
            self.table,
            self.check,
            if self.failing == 1 {
                "1 row".to_string()
            } else {
                format!("{} rows", self.failing)
            }
        )
    }
}

/// What the caller knows that the tables cannot say.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// Distinct games the raw landing holds: `fact_games` must have one row each.
    pub games_landed: Option<u64>,
    /// The newest value of a `freshness` column may be this old before a warning.
    pub freshness: Option<Duration>,
}

/// Runs every declared check on the tables `lake` shows (a staged lakehouse shows what its
/// run is about to publish). Tables that do not exist are skipped.
pub async fn run(lake: &Lakehouse, expect: &Expectations) -> Result<Vec<CheckResult>> {
    let ctx = crate::query::session(lake).await?;
    let ns = lake.namespace();
    let names = crate::query::present_tables(&ctx, ns)?;
    let present: HashSet<&str> = names.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    for def in schema::tables()
        .iter()
        .filter(|d| present.contains(d.name.as_str()))
    {
        let t = format!("{ns}.{}", def.name);
        for set in &def.unique {
            let cols = set.join(", ");
            let sql = format!(
                "SELECT {cols}, count(*) AS copies FROM {t} GROUP BY {cols} HAVING count(*) > 1"
            );
            out.push(offending(&ctx, def, format!("unique({cols})"), &sql).await?);
        }
        out.extend(not_null(&ctx, def, &t).await?);
        for c in &def.columns {
            if let Some(target) = &c.references {
                let target_present = present.contains(target.as_str());
                out.push(reference(&ctx, ns, def, c, target, target_present).await?);
            }
            if let Some(values) = &c.accepted {
                out.push(accepted(&ctx, &t, def, c, values).await?);
            }
        }
        if let (Some(column), Some(age)) = (&def.freshness, expect.freshness) {
            out.push(freshness(&ctx, def, &t, column, age).await?);
        }
    }
    if let Some(landed) = expect.games_landed {
        let fact = crate::dims::FACT_TABLE;
        let rows = if present.contains(fact) {
            count(&ctx, &format!("SELECT count(*) FROM {ns}.{fact}")).await?
        } else {
            0
        };
        out.push(CheckResult {
            table: fact.to_string(),
            check: "row_count = distinct games landed".to_string(),
            level: Level::Error,
            passed: rows == landed,
            failing: rows.abs_diff(landed),
            sample: if rows == landed {
                Vec::new()
            } else {
                vec![format!("{rows} rows, {landed} games landed")]
            },
        });
    }
    Ok(out)
}

/// `references(column -> target)`: every non-null key of `c` is a key of `target`. A table
/// whose target does not exist passes only while it is empty.
async fn reference(
    ctx: &SessionContext,
    ns: &str,
    def: &TableDef,
    c: &schema::ColumnDef,
    target: &str,
    target_present: bool,
) -> Result<CheckResult> {
    let t = format!("{ns}.{}", def.name);
    let check = format!("references({} -> {target})", c.name);
    if !target_present {
        let rows = count(ctx, &format!("SELECT count(*) FROM {t}")).await?;
        return Ok(CheckResult {
            table: def.name.clone(),
            check,
            level: Level::Error,
            passed: rows == 0,
            failing: rows,
            sample: vec![format!("{target} does not exist")],
        });
    }
    let key = &schema::table(target)?.key;
    let sql = format!(
        "SELECT DISTINCT f.{c} FROM {t} f LEFT JOIN {ns}.{target} d ON f.{c} = d.{key} \
         WHERE d.{key} IS NULL AND f.{c} IS NOT NULL",
        c = c.name
    );
    offending(ctx, def, check, &sql).await
}

/// `accepted(column)`: every non-null value of `c` is one of `values`.
async fn accepted(
    ctx: &SessionContext,
    t: &str,
    def: &TableDef,
    c: &schema::ColumnDef,
    values: &[String],
) -> Result<CheckResult> {
    let list = values
        .iter()
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT DISTINCT CAST({c} AS VARCHAR) AS value FROM {t} \
         WHERE {c} IS NOT NULL AND CAST({c} AS VARCHAR) NOT IN ({list})",
        c = c.name
    );
    offending(ctx, def, format!("accepted({})", c.name), &sql).await
}

/// The lines of the error-level checks that failed.
pub fn failures(results: &[CheckResult]) -> Vec<String> {
    results
        .iter()
        .filter(|r| !r.passed && r.level == Level::Error)
        .map(CheckResult::line)
        .collect()
}

/// A check whose query returns the offending rows.
async fn offending(
    ctx: &SessionContext,
    def: &TableDef,
    check: String,
    sql: &str,
) -> Result<CheckResult> {
    let batches = ctx.sql(sql).await?.collect().await?;
    let failing: usize = batches.iter().map(RecordBatch::num_rows).sum();
    Ok(CheckResult {
        table: def.name.clone(),
        check,
        level: Level::Error,
        passed: failing == 0,
        failing: failing as u64,
        sample: sample_rows(&batches)?,
    })
}

/// Required columns: null counts of all of them in one statement. A column appended to a
/// table that held rows is optional in Iceberg (v2 cannot add a required column to such a
/// table) and reads as null in the older rows until they are rebuilt
/// ([`crate::lakehouse::evolve`]), so only columns the table itself declares required are
/// checked.
async fn not_null(ctx: &SessionContext, def: &TableDef, t: &str) -> Result<Vec<CheckResult>> {
    let schema = ctx.table(t).await?.schema().clone();
    let required: Vec<&str> = def
        .columns
        .iter()
        .filter(|c| c.required)
        .filter(|c| {
            schema
                .field_with_unqualified_name(&c.name)
                .is_ok_and(|f| !f.is_nullable())
        })
        .map(|c| c.name.as_str())
        .collect();
    if required.is_empty() {
        return Ok(Vec::new());
    }
    let sums = required
        .iter()
        .map(|c| format!("CAST(sum(CASE WHEN {c} IS NULL THEN 1 ELSE 0 END) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ");
    let batches = ctx
        .sql(&format!("SELECT {sums} FROM {t}"))
        .await?
        .collect()
        .await?;
    Ok(required
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let nulls = first_i64(&batches, i).unwrap_or(0).max(0) as u64;
            CheckResult {
                table: def.name.clone(),
                check: format!("not_null({c})"),
                level: Level::Error,
                passed: nulls == 0,
                failing: nulls,
                sample: Vec::new(),
            }
        })
        .collect())
}

async fn freshness(
    ctx: &SessionContext,
    def: &TableDef,
    t: &str,
    column: &str,
    age: Duration,
) -> Result<CheckResult> {
    let since = chrono::Utc::now().naive_utc()
        - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
    let sql = format!(
        "SELECT CAST(max({column}) AS VARCHAR) AS newest, \
         max({column}) < TIMESTAMP '{}' AS stale FROM {t}",
        since.format("%Y-%m-%d %H:%M:%S")
    );
    let batches = ctx.sql(&sql).await?.collect().await?;
    let cell = |i: usize| -> Result<Option<String>> {
        match batches.iter().find(|b| b.num_rows() > 0) {
            Some(b) if !b.column(i).is_null(0) => Ok(Some(array_value_to_string(b.column(i), 0)?)),
            _ => Ok(None),
        }
    };
    let newest = cell(0)?;
    let stale = cell(1)?.as_deref() == Some("true");
    let days = age.as_secs_f64() / 86_400.0;
    Ok(CheckResult {
        table: def.name.clone(),
        check: format!("freshness(max({column}) within {days} days)"),
        level: Level::Warn,
        passed: newest.is_some() && !stale,
        failing: u64::from(newest.is_none() || stale),
        sample: vec![format!(
            "newest {column}: {}",
            newest.as_deref().unwrap_or("none")
        )],
    })
}

async fn count(ctx: &SessionContext, sql: &str) -> Result<u64> {
    let batches = ctx.sql(sql).await?.collect().await?;
    Ok(first_i64(&batches, 0).unwrap_or(0).max(0) as u64)
}

fn first_i64(batches: &[RecordBatch], column: usize) -> Option<i64> {
    let b = batches.iter().find(|b| b.num_rows() > 0)?;
    let col = b.column(column).as_any().downcast_ref::<Int64Array>()?;
    (!col.is_null(0)).then(|| col.value(0))
}

/// The first few rows as `col=value, …`.
fn sample_rows(batches: &[RecordBatch]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for b in batches {
        for row in 0..b.num_rows() {
            if out.len() == SAMPLE {
                return Ok(out);
            }
            let fields = b
                .schema()
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let v = array_value_to_string(b.column(i), row)
                        .map_err(|e| Error::Internal(format!("check sample: {e}")))?;
                    Ok(format!("{}={v}", f.name()))
                })
                .collect::<Result<Vec<_>>>()?;
            out.push(fields.join(", "));
        }
    }
    Ok(out)
}
