//! The raw landing's layout: where raw game files (list results) and raw detail files
//! (`/games/{id}`) go, what they are named, and their arrow schemas. The one description that the model (`ingest::model`, whose field order follows
//! it), the lander (`ingest::land`, `ingest::columns`) and the readers (`ingest::cdc`,
//! `etl::read`) share.
//!
//! Must never: change a column's name or type in place. Raw files written by older runs are
//! read again by every full refresh; a change here is a migration.

use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

/// Where raw games land, relative to the warehouse root.
pub const RAW_GAMES_PREFIX: &str = "raw/games";

/// Where raw game details (`/games/{id}`) land, relative to the warehouse root.
pub const RAW_DETAILS_PREFIX: &str = "raw/game_details";

/// Where games over a size limit are kept (JSON lines), relative to the warehouse root.
pub const QUARANTINE_PREFIX: &str = "raw/quarantine";

fn named() -> DataType {
    DataType::Struct(Fields::from(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("slug", DataType::Utf8, true),
    ]))
}

fn list_of(fields: Vec<Field>) -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(Fields::from(fields)),
        true,
    )))
}

/// The arrow schema of raw game files: the game's own fields, its member lists, then the
/// run's lineage, in this order.
pub fn raw_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let fields: Vec<Field> = game_fields()
                .into_iter()
                .chain(member_fields())
                .chain([
                    Field::new("_run_id", DataType::Utf8, false),
                    Field::new(
                        "_ingested_at",
                        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                        false,
                    ),
                ])
                .collect();
            Arc::new(Schema::new(fields))
        })
        .clone()
}

fn i64f(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

fn strf(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

/// The game's own fields, `id` to `reviews_count`.
fn game_fields() -> Vec<Field> {
    vec![
        Field::new("id", DataType::Int64, false),
        Field::new("slug", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("released", DataType::Date32, true),
        Field::new("tba", DataType::Boolean, true),
        strf("background_image"),
        Field::new("rating", DataType::Float64, true),
        Field::new("rating_top", DataType::Int32, true),
        Field::new(
            "ratings",
            list_of(vec![
                i64f("id"),
                strf("title"),
                i64f("count"),
                Field::new("percent", DataType::Float64, true),
            ]),
            true,
        ),
        i64f("ratings_count"),
        i64f("reviews_text_count"),
        i64f("added"),
        Field::new(
            "added_by_status",
            DataType::Struct(Fields::from(
                ["yet", "owned", "beaten", "toplay", "dropped", "playing"]
                    .map(i64f)
                    .to_vec(),
            )),
            true,
        ),
        Field::new("metacritic", DataType::Int32, true),
        Field::new("playtime", DataType::Int32, true),
        i64f("suggestions_count"),
        Field::new(
            "updated",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        i64f("reviews_count"),
    ]
}

/// The dimension members a game names: `esrb_rating` and the member lists.
fn member_fields() -> Vec<Field> {
    let list = |name: &str, items: Vec<Field>| Field::new(name, list_of(items), true);
    vec![
        Field::new("esrb_rating", named(), true),
        list(
            "platforms",
            vec![Field::new("platform", named(), true), strf("released_at")],
        ),
        list(
            "parent_platforms",
            vec![Field::new("platform", named(), true)],
        ),
        list(
            "stores",
            vec![i64f("id"), Field::new("store", named(), true)],
        ),
        list("genres", vec![i64f("id"), strf("name"), strf("slug")]),
        list(
            "tags",
            vec![
                i64f("id"),
                strf("name"),
                strf("slug"),
                strf("language"),
                i64f("games_count"),
                strf("image_background"),
            ],
        ),
        list("short_screenshots", vec![i64f("id"), strf("image")]),
    ]
}

/// A raw file's path: `raw/games/run_date=YYYY-MM-DD/<run_id>-NNNNN.parquet`. Names sort by
/// run start (run ids do), then by the file's sequence number within the run.
pub fn raw_file_path(run_date: &str, run_id: &str, number: usize) -> String {
    format!("{RAW_GAMES_PREFIX}/run_date={run_date}/{run_id}-{number:05}.parquet")
}

/// A quarantine file's path: `raw/quarantine/run_date=YYYY-MM-DD/<run_id>-NNNNN.jsonl`.
pub fn quarantine_path(run_date: &str, run_id: &str, number: usize) -> String {
    format!("{QUARANTINE_PREFIX}/run_date={run_date}/{run_id}-{number:05}.jsonl")
}

/// A raw detail file's path: `raw/game_details/run_date=YYYY-MM-DD/<run_id>-NNNNN.parquet`.
pub fn raw_detail_path(run_date: &str, run_id: &str, number: usize) -> String {
    format!("{RAW_DETAILS_PREFIX}/run_date={run_date}/{run_id}-{number:05}.parquet")
}

/// The arrow schema of raw detail files: what `/games/{id}` adds to the list results
/// (developers, publishers, texts), the detail's own `updated`, and `list_updated`, the list
/// version whose change asked for it (what the details backlog compares with).
pub fn detail_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let strf = |n: &str| Field::new(n, DataType::Utf8, true);
            let micros =
                |n: &str| Field::new(n, DataType::Timestamp(TimeUnit::Microsecond, None), false);
            let named_list = |n: &str| {
                Field::new(
                    n,
                    list_of(vec![
                        Field::new("id", DataType::Int64, true),
                        strf("name"),
                        strf("slug"),
                    ]),
                    true,
                )
            };
            Arc::new(Schema::new(vec![
                Field::new("id", DataType::Int64, false),
                micros("updated"),
                micros("list_updated"),
                strf("name_original"),
                strf("description_raw"),
                strf("website"),
                strf("reddit_url"),
                strf("metacritic_url"),
                Field::new(
                    "alternative_names",
                    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                    true,
                ),
                named_list("developers"),
                named_list("publishers"),
                Field::new("_run_id", DataType::Utf8, false),
                Field::new(
                    "_ingested_at",
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    false,
                ),
            ]))
        })
        .clone()
}

/// The rating titles RAWG uses in a game's `ratings` list; the ETL counts each into
/// `ratings_<title>` of `fact_games`.
pub const RATING_TITLES: [&str; 4] = ["exceptional", "recommended", "meh", "skip"];
