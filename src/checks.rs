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
//! **Every row, or only what a run changed.** Given the [`Changes`] of a run (per table it
//! wrote: the rows it added and the rows it removed, against the published table), the
//! checks read only what could have broken, and catch what a check of every row catches as
//! long as the published tables passed before the run: a duplicate involves an added row
//! (so it is two added rows, or an added row and a kept one sharing its first unique
//! column, which is all that is read of the kept rows unless one does, and not even that
//! when the run's upsert counted them as it read the column: [`KeptKeys`]); a null or an
//! unaccepted value is in an added row; a broken relationship is an added row without its
//! target, or a row whose target key the run removed and did not add back. The fact's row count and freshness
//! always read the whole fact (one column). Whether the published tables did pass is the
//! caller's to know ([`crate::etl`] decides, from `gamelake_runs`).
//!
//! Must never: write anything, or fail a run for a warning.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Array, Int64Array, RecordBatch};
use arrow::util::display::array_value_to_string;
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::lakehouse::Lakehouse;
use crate::lakehouse::scan::{IcebergScan, TableFiles};
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
    /// An error-level check that held without reading a row: the table is as it was when
    /// it last passed.
    pub(crate) fn held(table: &str, check: String) -> Self {
        Self {
            table: table.to_string(),
            check,
            level: Level::Error,
            passed: true,
            failing: 0,
            sample: Vec::new(),
        }
    }

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

/// What one run changed, per table it wrote, against the published tables.
#[derive(Debug)]
pub struct Changes {
    tables: BTreeMap<String, TableChange>,
}

/// One table's change: rows added, rows removed, rows kept (the rest).
#[derive(Debug)]
struct TableChange {
    added: TableFiles,
    removed: TableFiles,
    kept: TableFiles,
    /// What the change's writer found of the kept rows' keys, when it read them.
    kept_keys: Option<KeptKeys>,
}

impl TableChange {
    /// What `after` holds of table `name` that `before` did not, and the other way round;
    /// `None` when its current snapshot is the same in both (or `after` has no such table).
    async fn between(name: &str, before: &Lakehouse, after: &Lakehouse) -> Result<Option<Self>> {
        let Some(now) = after.load(name).await? else {
            return Ok(None);
        };
        let then = before.load(name).await?;
        let snapshot = |t: &iceberg_rust::table::Table| t.metadata().current_snapshot_id;
        if then.as_ref().map(snapshot) == Some(snapshot(&now)) {
            return Ok(None);
        }
        let now = TableFiles::load(&now).await?;
        let then = match then {
            Some(t) => TableFiles::load(&t).await?,
            None => now.with_files(Vec::new()),
        };
        Ok(Some(Self {
            added: now.added_since(&then),
            removed: now.removed_since(&then),
            kept: now.kept_since(&then),
            kept_keys: None,
        }))
    }
}

/// What a change's writer found when it read one column of every row it kept: how many of
/// those rows hold a value that one of the rows it added holds too. A merge-on-read upsert
/// reads its key column whole to find the rows it replaces
/// ([`crate::lakehouse::deletes::RowChange::kept_sharing_added`]); the uniqueness checks
/// that start with that column take its count instead of reading the column a second
/// time. Nulls are not counted: the checks still look for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptKeys {
    /// The column read.
    pub column: String,
    /// Kept rows whose non-null value of `column` an added row holds.
    pub sharing_added: u64,
}

/// Schemas the changed-rows session registers beside the tables' namespace.
const ADDED: &str = "gamelake_added";
const REMOVED: &str = "gamelake_removed";
const KEPT: &str = "gamelake_kept";

impl Changes {
    /// What `after` (a staged lakehouse) holds that `before` (the published one, or the run's
    /// staged tables before it wrote any) did not, and the other way round, for every table
    /// whose current snapshot differs.
    pub async fn between(before: &Lakehouse, after: &Lakehouse) -> Result<Self> {
        let changes: Vec<Option<(String, TableChange)>> = futures::stream::iter(schema::tables())
            .map(|def| async move {
                let change = TableChange::between(&def.name, before, after).await?;
                Ok::<_, Error>(change.map(|c| (def.name.clone(), c)))
            })
            .buffered(crate::lakehouse::TABLES_AT_ONCE)
            .try_collect()
            .await?;
        Ok(Self {
            tables: changes.into_iter().flatten().collect(),
        })
    }

    /// The rows the change added to `table`; `None` when the table did not change.
    pub fn rows_added(&self, table: &str) -> Option<u64> {
        self.tables
            .get(table)
            .map(|c| c.added.files.iter().map(|f| f.live_rows()).sum())
    }

    /// Registers each changed table's added, removed and kept rows in `ctx`, under the
    /// schemas [`ADDED`], [`REMOVED`] and [`KEPT`].
    fn register(&self, ctx: &SessionContext) -> Result<()> {
        let catalog = ctx
            .catalog("datafusion")
            .ok_or_else(|| Error::Internal("DataFusion has no default catalog".into()))?;
        let added = Arc::new(MemorySchemaProvider::new());
        let removed = Arc::new(MemorySchemaProvider::new());
        let kept = Arc::new(MemorySchemaProvider::new());
        for (name, change) in &self.tables {
            let scan = |files: &TableFiles| Arc::new(IcebergScan::of_files(files.clone()));
            added.register_table(name.clone(), scan(&change.added))?;
            removed.register_table(name.clone(), scan(&change.removed))?;
            kept.register_table(name.clone(), scan(&change.kept))?;
        }
        catalog.register_schema(ADDED, added)?;
        catalog.register_schema(REMOVED, removed)?;
        catalog.register_schema(KEPT, kept)?;
        Ok(())
    }

    /// Records what the one write of `table` since the change's first snapshot (the one
    /// [`Self::between`] was given as `before`) found of the rows it kept. Only the writer of
    /// the whole change may say so: a table written twice, or by something else too, must
    /// not be given the count of one of the writes.
    pub fn kept_keys_read(&mut self, table: &str, keys: KeptKeys) {
        if let Some(change) = self.tables.get_mut(table) {
            change.kept_keys = Some(keys);
        }
    }

    fn wrote(&self, table: &str) -> bool {
        self.tables.contains_key(table)
    }

    /// How many kept rows of `table` hold a value of `column` an added row holds, when the
    /// writer counted them.
    fn kept_sharing(&self, table: &str, column: &str) -> Option<u64> {
        let keys = self.tables.get(table)?.kept_keys.as_ref()?;
        (keys.column == column).then_some(keys.sharing_added)
    }
}

/// Runs every declared check on the tables `lake` shows (a staged lakehouse shows what its
/// run is about to publish). Tables that do not exist are skipped. With `changes`, only the
/// rows the run changed are read (see the module's docs); the results are the same checks.
pub async fn run(
    lake: &Lakehouse,
    expect: &Expectations,
    changes: Option<&Changes>,
) -> Result<Vec<CheckResult>> {
    let ctx = crate::query::session(lake).await?;
    if let Some(changes) = changes {
        changes.register(&ctx)?;
    }
    let ns = lake.namespace();
    let names = crate::query::present_tables(&ctx, ns)?;
    let present: HashSet<&str> = names.iter().map(String::as_str).collect();
    let vanished = Vanished::default();
    let tables = schema::tables()
        .iter()
        .filter(|d| present.contains(d.name.as_str()))
        .map(|def| {
            let on = Checked {
                ctx: &ctx,
                ns,
                def,
                changes,
                vanished: &vanished,
            };
            on.all(&present, expect)
        });
    // Tables are checked side by side: most statements are small, and their planning and
    // footer reads would otherwise add up one after another. Results keep the tables' order.
    let per_table: Vec<Vec<CheckResult>> = futures::stream::iter(tables)
        .buffered(crate::query::STATEMENTS_AT_ONCE)
        .try_collect()
        .await?;
    let mut out: Vec<CheckResult> = per_table.into_iter().flatten().collect();
    if let Some(landed) = expect.games_landed {
        let fact = crate::dims::FACT_TABLE;
        out.push(fact_rows(&ctx, ns, present.contains(fact), landed).await?);
    }
    Ok(out)
}

/// Per target table, how many keys the run removed and did not add back: asked by every
/// table that references it, read once.
#[derive(Default)]
struct Vanished(std::sync::Mutex<HashMap<String, Arc<tokio::sync::OnceCell<u64>>>>);

impl Vanished {
    fn cell(&self, target: &str) -> Arc<tokio::sync::OnceCell<u64>> {
        let mut cells = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cells.entry(target.to_string()).or_default().clone()
    }
}

/// `fact_games` has one row per distinct game landed.
async fn fact_rows(
    ctx: &SessionContext,
    ns: &str,
    present: bool,
    landed: u64,
) -> Result<CheckResult> {
    let fact = crate::dims::FACT_TABLE;
    let rows = if present {
        count(ctx, &format!("SELECT count(*) FROM {ns}.{fact}")).await?
    } else {
        0
    };
    Ok(CheckResult {
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
    })
}

/// One table's checks, over every row or over what a run changed.
struct Checked<'a> {
    ctx: &'a SessionContext,
    ns: &'a str,
    def: &'a TableDef,
    changes: Option<&'a Changes>,
    vanished: &'a Vanished,
}

impl Checked<'_> {
    /// Every check of the table (`present`: the tables that exist).
    async fn all(self, present: &HashSet<&str>, expect: &Expectations) -> Result<Vec<CheckResult>> {
        let t0 = std::time::Instant::now();
        let mut out = self.rows().await?;
        for c in &self.def.columns {
            if let Some(target) = &c.references {
                let target_present = present.contains(target.as_str());
                out.push(self.reference(c, target, target_present).await?);
            }
        }
        if let (Some(column), Some(age)) = (&self.def.freshness, expect.freshness) {
            out.push(freshness(self.ctx, self.def, &self.table(), column, age).await?);
        }
        let ms = t0.elapsed().as_millis() as u64;
        tracing::debug!(table = self.def.name, ms, "table checked");
        Ok(out)
    }

    /// The table, as SQL names it.
    fn table(&self) -> String {
        format!("{}.{}", self.ns, self.def.name)
    }

    /// The rows the row-level checks read: every row, the rows the run added, or none (a
    /// table the run did not write held before it).
    fn rows_to_check(&self) -> Option<String> {
        match self.changes {
            None => Some(self.table()),
            Some(c) if c.wrote(&self.def.name) => Some(format!("{ADDED}.{}", self.def.name)),
            Some(_) => None,
        }
    }

    /// Uniqueness, required columns and accepted values.
    async fn rows(&self) -> Result<Vec<CheckResult>> {
        let (def, ctx) = (self.def, self.ctx);
        let rows = self.rows_to_check();
        let mut out = Vec::new();
        for set in &def.unique {
            let cols = set.join(", ");
            let check = format!("unique({cols})");
            if rows.is_none() {
                out.push(CheckResult::held(&def.name, check));
                continue;
            }
            let sql = match self.changes {
                None => duplicates(&self.table(), set),
                Some(_) => self.duplicates_after_change(set).await?,
            };
            out.push(offending(ctx, def, check, &sql).await?);
        }
        match &rows {
            Some(rows) => out.extend(not_null(ctx, def, rows).await?),
            None => {
                let held = required(ctx, def, &self.table()).await?;
                out.extend(
                    held.iter()
                        .map(|c| CheckResult::held(&def.name, not_null_check(c))),
                );
            }
        }
        for c in &def.columns {
            if let Some(values) = &c.accepted {
                out.push(match &rows {
                    Some(rows) => accepted(ctx, rows, def, c, values).await?,
                    None => CheckResult::held(&def.name, accepted_check(c)),
                });
            }
        }
        Ok(out)
    }

    /// The query for `unique(set)` after a change (the table held before it). A new
    /// duplicate holds an added row, and the row it repeats is either added too, or kept and
    /// sharing the added row's first column (null included, as GROUP BY groups nulls). So
    /// only the kept rows' first column is read (or the count of its writer, who read it
    /// already: [`KeptKeys`]), and the added rows alone are grouped; in the rare case a kept
    /// row shares a first value, the whole table is.
    async fn duplicates_after_change(&self, set: &[String]) -> Result<String> {
        let (first, name) = (&set[0], &self.def.name);
        let (added, kept) = (format!("{ADDED}.{name}"), format!("{KEPT}.{name}"));
        // Nulls apart: DataFusion 53's hash join loses null keys of an `IS NOT DISTINCT
        // FROM` join (docs/architecture.md, upstream gaps).
        let shared = format!(
            "SELECT count(*) FROM {kept} t JOIN (SELECT DISTINCT {first} AS k FROM {added} \
             WHERE {first} IS NOT NULL) a ON t.{first} = a.k"
        );
        let counted = self.changes.and_then(|c| c.kept_sharing(name, first));
        let shares_value = match counted {
            Some(rows) => rows > 0,
            None => count(self.ctx, &shared).await? > 0,
        };
        let null_in = |t: &str| format!("SELECT count(*) FROM {t} WHERE {first} IS NULL");
        let shares = shares_value
            || (count(self.ctx, &null_in(&added)).await? > 0
                && count(self.ctx, &null_in(&kept)).await? > 0);
        let rows = if shares { self.table() } else { added };
        Ok(duplicates(&rows, set))
    }

    /// `references(column -> target)`: every non-null key of `c` is a key of `target`. A
    /// table whose target does not exist passes only while it is empty.
    async fn reference(
        &self,
        c: &schema::ColumnDef,
        target: &str,
        target_present: bool,
    ) -> Result<CheckResult> {
        let (ns, def, ctx) = (self.ns, self.def, self.ctx);
        let t = self.table();
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
        // Values of `c` in `rows` that `keys` (the target, or part of it) does not hold.
        let missing = |rows: &str, keys: &str| {
            format!(
                "SELECT DISTINCT f.{c} FROM {rows} f LEFT JOIN {keys} d \
                 ON f.{c} = d.{key} WHERE d.{key} IS NULL AND f.{c} IS NOT NULL",
                c = c.name
            )
        };
        let whole_target = format!("{ns}.{target}");
        let Some(changes) = self.changes else {
            return offending(ctx, def, check, &missing(&t, &whole_target)).await;
        };
        let mut sql = Vec::new();
        let added = format!("{ADDED}.{}", def.name);
        let target_added = format!("{ADDED}.{target}");
        if changes.wrote(&def.name) {
            // A run adds a changed game's rows to the target and its bridges together: when
            // the target's added rows hold every key, the whole target need not be read.
            let held_by_added =
                changes.wrote(target) && rows(ctx, &missing(&added, &target_added)).await? == 0;
            if !held_by_added {
                sql.push(missing(&added, &whole_target));
            }
        }
        // Keys the run removed from the target and did not add back: no row may still point
        // at one. (A key both removed and kept in an untouched row would be a duplicate key,
        // which the target's own checks caught before this run.)
        let vanished =
            format!("SELECT {key} FROM {REMOVED}.{target} EXCEPT SELECT {key} FROM {target_added}");
        let any_vanished = changes.wrote(target)
            && *self
                .vanished
                .cell(target)
                .get_or_try_init(|| rows(ctx, &vanished))
                .await?
                > 0;
        if any_vanished {
            sql.push(format!(
                "SELECT DISTINCT f.{c} FROM {t} f WHERE f.{c} IN ({vanished})",
                c = c.name
            ));
        }
        if sql.is_empty() {
            return Ok(CheckResult::held(&def.name, check));
        }
        offending(ctx, def, check, &sql.join(" UNION ")).await
    }
}

/// The rows of `t` whose `set` columns repeat, and how often.
fn duplicates(t: &str, set: &[String]) -> String {
    let cols = set.join(", ");
    format!("SELECT {cols}, count(*) AS copies FROM {t} GROUP BY {cols} HAVING count(*) > 1")
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
    offending(ctx, def, accepted_check(c), &sql).await
}

fn accepted_check(c: &schema::ColumnDef) -> String {
    format!("accepted({})", c.name)
}

fn not_null_check(column: &str) -> String {
    format!("not_null({column})")
}

/// The columns `not_null` checks in table `t`: required by `schemas/` and by the table.
async fn required<'a>(ctx: &SessionContext, def: &'a TableDef, t: &str) -> Result<Vec<&'a str>> {
    let schema = ctx.table(t).await?.schema().clone();
    Ok(def
        .columns
        .iter()
        .filter(|c| c.required)
        .filter(|c| {
            schema
                .field_with_unqualified_name(&c.name)
                .is_ok_and(|f| !f.is_nullable())
        })
        .map(|c| c.name.as_str())
        .collect())
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
    let batches = query(ctx, sql).await?;
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
    let required = required(ctx, def, t).await?;
    if required.is_empty() {
        return Ok(Vec::new());
    }
    let sums = required
        .iter()
        .map(|c| format!("CAST(sum(CASE WHEN {c} IS NULL THEN 1 ELSE 0 END) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ");
    let batches = query(ctx, &format!("SELECT {sums} FROM {t}")).await?;
    Ok(required
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let nulls = first_i64(&batches, i).unwrap_or(0).max(0) as u64;
            CheckResult {
                table: def.name.clone(),
                check: not_null_check(c),
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
    let batches = query(ctx, &sql).await?;
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

/// Rows a query returns.
/// Runs one check's statement; its time and text at debug level (to find a slow check, and
/// to run it again by hand).
async fn query(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    let t0 = std::time::Instant::now();
    let batches = ctx.sql(sql).await?.collect().await?;
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, sql, "check query");
    Ok(batches)
}

async fn rows(ctx: &SessionContext, sql: &str) -> Result<u64> {
    count(ctx, &format!("SELECT count(*) FROM ({sql})")).await
}

async fn count(ctx: &SessionContext, sql: &str) -> Result<u64> {
    let batches = query(ctx, sql).await?;
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
