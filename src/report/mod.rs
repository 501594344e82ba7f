//! The market report: a fixed set of charts, each the result of one SQL query over the
//! published tables, rendered into one self-contained HTML page ([`render`]).
//!
//! Every figure on the page comes from the query shown next to its chart, run through
//! [`crate::query`], and is embedded in the page as JSON (`<script id="gamelake-report">`),
//! so anyone can rerun the query in `gamelake sql` or Dremio and get the same rows. Queries
//! are written against `{ns}`, replaced by the warehouse's namespace; every `ORDER BY` is total,
//! so a query answers the same rows in the same order each time.
//!
//! Read-only: this module never writes a table. A chart whose tables do not exist yet (no
//! game details fetched) is shown as empty with the reason, never as an error.

pub mod render;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use crate::lakehouse::Lakehouse;
use crate::runs::{self, AsOfView, RunRecord};
use crate::{Result, query};

/// How a chart draws its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Columns (x, series, y): bars per x, stacked by series.
    StackedBars,
    /// Columns (x, series, y): one line per series, broken where a year has no data.
    Lines,
    /// Columns (x, y): vertical bars over a numeric x.
    Histogram,
    /// Columns (label, value, …): horizontal bars, in row order.
    Bars,
    /// Columns (x, y): points, x on a log scale.
    Scatter,
    /// Any columns: a table.
    Table,
}

/// One chart of the report.
#[derive(Debug, Clone, Serialize)]
pub struct ChartDef {
    /// Stable id (the page's element id, the key in the embedded JSON).
    pub id: &'static str,
    /// The chart's heading.
    pub title: &'static str,
    /// One sentence on what it shows and how to read it.
    pub note: &'static str,
    /// How it is drawn.
    pub kind: Kind,
    /// Axis titles, with units: x (or labels), y (or values).
    pub axes: (&'static str, &'static str),
    /// The tables it reads; when one is missing the chart is empty, with this reason.
    pub needs: (&'static [&'static str], &'static str),
    /// The query, with `{ns}` for the namespace.
    pub sql: &'static str,
}

const LIST_TABLES: &str = "the warehouse holds no games yet: run `gamelake run`";
const DETAIL_TABLES: &str = "developers and publishers come from game details, which only \
`gamelake run` against the RAWG API fetches";

/// The report's charts, in page order.
pub const CHARTS: &[ChartDef] = &[
    ChartDef {
        id: "releases_by_genre",
        title: "Games released per year, by genre",
        note: "Games with a release date, by year of release; a game with several genres counts once in each. The eight largest genres are named, the rest are Other.",
        kind: Kind::StackedBars,
        axes: ("year of release", "games (one per genre)"),
        needs: (&["fact_games", "bridge_game_genre", "dim_genre"], LIST_TABLES),
        sql: "WITH g AS (
  SELECT CAST(extract(year FROM f.released) AS INT) AS year, d.name AS genre
  FROM {ns}.fact_games f
  JOIN {ns}.bridge_game_genre b ON b.game_key = f.game_key
  JOIN {ns}.dim_genre d ON d.genre_key = b.genre_key
  WHERE f.released IS NOT NULL
),
top AS (SELECT genre FROM g GROUP BY genre ORDER BY count(*) DESC, genre LIMIT 8)
SELECT g.year, coalesce(top.genre, 'Other') AS genre, count(*) AS games
FROM g LEFT JOIN top ON top.genre = g.genre
GROUP BY 1, 2 ORDER BY 1, 2",
    },
    ChartDef {
        id: "platform_share",
        title: "Platform share by year",
        note: "Share of each year's released games available on a platform family (RAWG's parent platforms, the seven largest); a game on several families counts in each, so shares add up to more than 100%.",
        kind: Kind::Lines,
        axes: ("year of release", "% of the year's games"),
        needs: (&["fact_games", "bridge_game_parent_platform", "dim_parent_platform"], LIST_TABLES),
        sql: "WITH y AS (
  SELECT game_key, CAST(extract(year FROM released) AS INT) AS year
  FROM {ns}.fact_games WHERE released IS NOT NULL
),
totals AS (SELECT year, count(*) AS games FROM y GROUP BY year),
on_platform AS (
  SELECT y.year, p.name AS platform, count(*) AS games
  FROM y
  JOIN {ns}.bridge_game_parent_platform b ON b.game_key = y.game_key
  JOIN {ns}.dim_parent_platform p ON p.parent_platform_key = b.parent_platform_key
  GROUP BY 1, 2
),
top AS (SELECT platform FROM on_platform GROUP BY platform ORDER BY sum(games) DESC, platform LIMIT 7)
SELECT o.year, o.platform, round(100.0 * o.games / t.games, 1) AS share_pct
FROM on_platform o
JOIN totals t ON t.year = o.year
JOIN top ON top.platform = o.platform
ORDER BY 1, 2",
    },
    ChartDef {
        id: "rating_distribution",
        title: "Rating distribution",
        note: "RAWG's user rating (0 to 5) of the games that have one (RAWG shows 0 until a game has enough ratings), in steps of 0.25.",
        kind: Kind::Histogram,
        axes: ("rating (lower bound of the step)", "games"),
        needs: (&["fact_games"], LIST_TABLES),
        sql: "SELECT floor(rating * 4) / 4 AS rating, count(*) AS games
FROM {ns}.fact_games WHERE rating > 0
GROUP BY 1 ORDER BY 1",
    },
    ChartDef {
        id: "rating_vs_ratings",
        title: "Rating against number of ratings",
        note: "The 2,000 most-rated games that have a rating: does a game that many people rate score higher?",
        kind: Kind::Scatter,
        axes: ("ratings (log scale)", "rating (0 to 5)"),
        needs: (&["fact_games"], LIST_TABLES),
        sql: "SELECT ratings_count, rating
FROM {ns}.fact_games WHERE rating > 0
ORDER BY ratings_count DESC, game_id LIMIT 2000",
    },
    ChartDef {
        id: "top_games_by_genre",
        title: "Top games by genre",
        note: "The three best games of each genre by weighted rating: the rating pulled toward the mean of all rated games by 50 phantom ratings, so a game rated by few people cannot top the list. Metacritic where RAWG has it.",
        kind: Kind::Table,
        axes: ("genre", "weighted rating"),
        needs: (&["fact_games", "bridge_game_genre", "dim_genre"], LIST_TABLES),
        sql: "WITH c AS (SELECT avg(rating) AS mean FROM {ns}.fact_games WHERE ratings_count > 0),
s AS (
  SELECT d.name AS genre, f.game_id, f.name AS game, f.ratings_count, f.metacritic,
    (f.rating * f.ratings_count + 50 * c.mean) / (f.ratings_count + 50) AS score
  FROM {ns}.fact_games f
  JOIN {ns}.bridge_game_genre b ON b.game_key = f.game_key
  JOIN {ns}.dim_genre d ON d.genre_key = b.genre_key
  CROSS JOIN c
  WHERE f.ratings_count > 0
),
r AS (SELECT *, row_number() OVER (PARTITION BY genre ORDER BY score DESC, game_id) AS rank FROM s)
SELECT genre, rank, game, round(score, 2) AS weighted_rating, ratings_count, metacritic
FROM r WHERE rank <= 3 ORDER BY genre, rank",
    },
    ChartDef {
        id: "tags_trend",
        title: "Tags rising and falling",
        note: "Change in the share of released games carrying a tag, from the year before the latest release year to the latest (English tags on at least 20 games); the eight largest rises and falls.",
        kind: Kind::Bars,
        axes: ("tag", "change in share of the year's games (percentage points)"),
        needs: (&["fact_games", "bridge_game_tag", "dim_tag"], LIST_TABLES),
        sql: "WITH y AS (
  SELECT game_key, CAST(extract(year FROM released) AS INT) AS year
  FROM {ns}.fact_games WHERE released IS NOT NULL AND released <= current_date()
),
latest AS (SELECT max(year) AS year FROM y),
w AS (SELECT y.* FROM y CROSS JOIN latest WHERE y.year >= latest.year - 1),
totals AS (SELECT year, count(*) AS games FROM w GROUP BY year),
tagged AS (
  SELECT w.year, t.name AS tag, count(*) AS games
  FROM w
  JOIN {ns}.bridge_game_tag b ON b.game_key = w.game_key
  JOIN {ns}.dim_tag t ON t.tag_key = b.tag_key
  WHERE t.language = 'eng'
  GROUP BY 1, 2
),
d AS (
  SELECT g.tag,
    sum(CASE WHEN g.year = l.year THEN 100.0 * g.games / t.games ELSE 0 END)
      - sum(CASE WHEN g.year = l.year - 1 THEN 100.0 * g.games / t.games ELSE 0 END) AS change_pts,
    max(l.year) AS latest_year
  FROM tagged g JOIN totals t ON t.year = g.year CROSS JOIN latest l
  GROUP BY g.tag HAVING sum(g.games) >= 20
),
r AS (
  SELECT *, row_number() OVER (ORDER BY change_pts DESC, tag) AS up,
    row_number() OVER (ORDER BY change_pts ASC, tag) AS down
  FROM d
)
SELECT tag, round(change_pts, 2) AS change_pts, latest_year
FROM r WHERE up <= 8 OR down <= 8 ORDER BY change_pts DESC, tag",
    },
    ChartDef {
        id: "esrb_mix",
        title: "ESRB rating mix",
        note: "Games by their ESRB age rating; most games on RAWG have none.",
        kind: Kind::Bars,
        axes: ("ESRB rating", "games"),
        needs: (&["fact_games", "dim_esrb_rating"], LIST_TABLES),
        sql: "SELECT coalesce(e.name, 'Not rated') AS esrb_rating, count(*) AS games
FROM {ns}.fact_games f
LEFT JOIN {ns}.dim_esrb_rating e ON e.esrb_rating_key = f.esrb_rating_key
GROUP BY 1 ORDER BY 2 DESC, 1",
    },
    ChartDef {
        id: "top_developers",
        title: "Top developers",
        note: "Developers with the most games among the games whose details were fetched.",
        kind: Kind::Bars,
        axes: ("developer", "games"),
        needs: (&["fact_games", "bridge_game_developer", "dim_developer"], DETAIL_TABLES),
        sql: "SELECT d.name AS developer, count(*) AS games
FROM {ns}.bridge_game_developer b
JOIN {ns}.dim_developer d ON d.developer_key = b.developer_key
JOIN {ns}.fact_games f ON f.game_key = b.game_key
GROUP BY d.developer_key, d.name ORDER BY 2 DESC, 1, d.developer_key LIMIT 15",
    },
    ChartDef {
        id: "top_publishers",
        title: "Top publishers",
        note: "Publishers with the most games among the games whose details were fetched.",
        kind: Kind::Bars,
        axes: ("publisher", "games"),
        needs: (&["fact_games", "bridge_game_publisher", "dim_publisher"], DETAIL_TABLES),
        sql: "SELECT d.name AS publisher, count(*) AS games
FROM {ns}.bridge_game_publisher b
JOIN {ns}.dim_publisher d ON d.publisher_key = b.publisher_key
JOIN {ns}.fact_games f ON f.game_key = b.game_key
GROUP BY d.publisher_key, d.name ORDER BY 2 DESC, 1, d.publisher_key LIMIT 15",
    },
];

/// One chart's query and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct ChartData {
    /// What the chart is.
    #[serde(flatten)]
    pub def: ChartDef,
    /// The query as run (namespace filled in).
    pub query: String,
    /// Column names of the answer.
    pub columns: Vec<String>,
    /// The answer, one JSON object per row, as `gamelake sql --format json` prints it.
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Why the chart is empty without having run, if it is.
    pub missing: Option<String>,
}

/// Coverage and freshness: what the report's data is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    /// Games in `fact_games`.
    pub games: i64,
    /// The latest `updated` among them.
    pub newest_updated: Option<String>,
    /// Games with a fetched detail (`dim_game`).
    pub games_with_details: i64,
    /// Games waiting for their detail, if known.
    pub details_waiting: Option<usize>,
    /// The ETL run that last wrote `fact_games`.
    pub run_id: Option<String>,
    /// When that run committed (its snapshot's time, UTC).
    pub data_time: Option<String>,
    /// Set when the report shows an earlier run's tables (`--as-of`): that run's id.
    pub as_of: Option<String>,
    /// The last runs recorded in `gamelake_runs`, newest first.
    pub last_runs: Vec<RunLine>,
}

/// One recorded run, as the coverage block lists it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunLine {
    /// Its id.
    pub run_id: String,
    /// `etl`, `run`, `rollback`.
    pub command: String,
    /// `published`, `checks-failed`, `rolled-back`.
    pub status: String,
    /// When it finished (UTC).
    pub finished: String,
    /// Games it rebuilt.
    pub games_processed: Option<u64>,
    /// Error-level checks that failed.
    pub checks_failed: usize,
}

/// Runs listed in the coverage block.
const LAST_RUNS: usize = 5;

/// The whole report: coverage and every chart's data.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The namespace the queries read.
    pub namespace: String,
    /// When the report was made (UTC).
    pub generated: String,
    /// What the data is.
    pub coverage: Coverage,
    /// The charts, in page order.
    pub charts: Vec<ChartData>,
}

/// Runs every chart's query over `lake`, or over its tables as run `as_of` left them.
/// `details_waiting` (from `gamelake status`) is shown with the coverage.
pub async fn build(
    lake: &Lakehouse,
    details_waiting: Option<usize>,
    as_of: Option<&AsOfView>,
) -> Result<Report> {
    let ns = lake.namespace();
    let (read, snapshots) = match as_of {
        Some(view) => view.reading(lake),
        None => (lake, None),
    };
    let ctx = query::session_as_of(read, snapshots).await?;
    let as_of = as_of.map(|v| &v.run);
    // The tables the session registered: those that exist.
    let present = query::present_tables(&ctx, ns)?;
    // Charts are queried side by side (their order kept): each is a small aggregate whose
    // planning and reads would otherwise add up one after another.
    let charts: Vec<ChartData> = futures::stream::iter(CHARTS.iter())
        .map(|def| chart(&ctx, ns, &present, def))
        .buffered(query::STATEMENTS_AT_ONCE)
        .try_collect()
        .await?;
    Ok(Report {
        namespace: ns.to_string(),
        generated: Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        coverage: coverage(lake, &ctx, &present, details_waiting, as_of).await?,
        charts,
    })
}

/// One chart's rows, or what it is missing.
async fn chart(
    ctx: &datafusion::prelude::SessionContext,
    ns: &str,
    present: &[String],
    def: &ChartDef,
) -> Result<ChartData> {
    let query = def.sql.replace("{ns}", ns);
    let missing = def
        .needs
        .0
        .iter()
        .find(|t| !present.iter().any(|p| p == *t));
    let (columns, rows, missing) = match missing {
        Some(_) => (Vec::new(), Vec::new(), Some(def.needs.1.to_string())),
        None => {
            let df = ctx.sql(&query).await?;
            let columns = df
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            let batches = df.collect().await?;
            (columns, query::json_rows(&batches)?, None)
        }
    };
    Ok(ChartData {
        def: def.clone(),
        query,
        columns,
        rows,
        missing,
    })
}

async fn coverage(
    lake: &Lakehouse,
    ctx: &datafusion::prelude::SessionContext,
    present: &[String],
    details_waiting: Option<usize>,
    as_of: Option<&RunRecord>,
) -> Result<Coverage> {
    let ns = lake.namespace();
    let history = runs::load(lake).await?;
    let mut out = Coverage {
        details_waiting,
        as_of: as_of.map(|r| r.run_id.clone()),
        last_runs: history
            .iter()
            .rev()
            .take(LAST_RUNS)
            .map(|r| RunLine {
                run_id: r.run_id.clone(),
                command: r.command.clone(),
                status: r.status.to_string(),
                finished: r.finished.format("%Y-%m-%d %H:%M UTC").to_string(),
                games_processed: r.games_processed,
                checks_failed: r.checks_failed(),
            })
            .collect(),
        ..Coverage::default()
    };
    if !present.iter().any(|p| p == "fact_games") {
        return Ok(out);
    }
    let facts = ctx
        .sql(&format!(
            "SELECT count(*) AS games, CAST(max(updated) AS VARCHAR) AS newest FROM {ns}.fact_games"
        ))
        .await?
        .collect()
        .await?;
    if let Some(row) = query::json_rows(&facts)?.first() {
        out.games = row.get("games").and_then(|v| v.as_i64()).unwrap_or(0);
        out.newest_updated = row
            .get("newest")
            .and_then(|v| v.as_str())
            .map(str::to_string);
    }
    if present.iter().any(|p| p == "dim_game") {
        let n = ctx
            .sql(&format!("SELECT count(*) AS n FROM {ns}.dim_game"))
            .await?
            .collect()
            .await?;
        out.games_with_details = query::json_rows(&n)?
            .first()
            .and_then(|r| r.get("n"))
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
    }
    if let Some(run) = as_of {
        out.run_id = Some(run.run_id.clone());
        out.data_time = Some(run.finished.format("%Y-%m-%d %H:%M UTC").to_string());
    } else if let Some(table) = lake.load("fact_games").await? {
        let meta = table.metadata();
        out.run_id = meta.properties.get(crate::etl::RUN_ID_SUMMARY).cloned();
        out.data_time = meta
            .current_snapshot(None)
            .ok()
            .flatten()
            .and_then(|s| DateTime::from_timestamp_millis(*s.timestamp_ms()))
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    }
    Ok(out)
}
