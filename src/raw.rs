//! The raw landing's layout: where raw game files (list results) and raw detail files
//! (`/games/{id}`) go, what they are named, and their arrow schemas. The one description that
//! the model (`ingest::model`, whose field order follows it), the lander (`ingest::land`,
//! `ingest::columns`) and the readers (`ingest::cdc`, `etl::read`) share. And [`Covered`],
//! the one way to record which of a landing's files something covers.
//!
//! Must never: change a column's name or type in place. Raw files written by older runs are
//! read again by every full refresh; a change here is a migration. Nor read a [`Covered`]
//! record so that a file it did not cover passes for covered.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use serde::{Deserialize, Serialize};

use crate::digest::Fnv1a;
use crate::{Error, Result};

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

/// A record of which raw files of one landing something covers: the files a table processed
/// (`gamelake.raw-files`), the files the change data capture index was built from.
///
/// Written as a span: every file of the landing up to `through` in name order, with their
/// count and digest; a few dozen bytes however many files land (a name per file grew a
/// table's metadata by a line a day). Files land in name order (a run id starts with the
/// run's start time, and one writer holds the lease at a time), so a file after `through` is
/// one the record does not cover. A reader checks the count and digest against the files it
/// finds up to `through`: a file landed out of order (a clock set back, a file copied in) or
/// removed since makes the record unusable, and the caller reads those files again rather
/// than skip one.
///
/// Records written before spans list every name; they are still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Covered {
    /// Every file of the landing up to `through`, as the landing held them.
    Span {
        /// The last file covered, in name order (empty: none).
        through: String,
        /// How many files are covered.
        count: u64,
        /// The digest of their names, in name order.
        digest: String,
    },
    /// Each file by name (records written before spans).
    Listed(Vec<String>),
}

impl Covered {
    /// The record of `files` (in any order; a name given twice counts once).
    pub fn span_of(files: &[String]) -> Self {
        let names = sorted_names(files.iter().map(String::as_str));
        Self::Span {
            through: names.last().map(|n| n.to_string()).unwrap_or_default(),
            count: names.len() as u64,
            digest: digest_of(&names),
        }
    }

    /// True when the record covers no file.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Span { count, .. } => *count == 0,
            Self::Listed(files) => files.is_empty(),
        }
    }

    /// The files of `landing` (the landing as listed now) the record covers, or `None` when
    /// the landing no longer holds exactly the files it covered: one of them is gone, or a
    /// file the record did not cover sorts among them.
    pub fn covered<'a>(&self, landing: &'a [String]) -> Option<BTreeSet<&'a str>> {
        match self {
            Self::Span {
                through,
                count,
                digest,
            } => {
                let upto = landing.iter().map(String::as_str);
                let names = sorted_names(upto.filter(|n| *n <= through.as_str()));
                (names.len() as u64 == *count && digest_of(&names) == *digest)
                    .then(|| names.into_iter().collect())
            }
            Self::Listed(files) => {
                let held: BTreeSet<&'a str> = landing.iter().map(String::as_str).collect();
                files
                    .iter()
                    .map(|f| held.get(f.as_str()).copied())
                    .collect()
            }
        }
    }

    /// The record as JSON, as it is stored.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| Error::Internal(format!("record of raw files: {e}")))
    }

    /// A stored record (either form).
    pub fn from_json(json: &str) -> std::result::Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

fn sorted_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut names: Vec<&str> = names.collect();
    names.sort_unstable();
    names.dedup();
    names
}

fn digest_of(sorted: &[&str]) -> String {
    let mut digest = Fnv1a::default();
    for name in sorted {
        digest.feed_item(name.as_bytes());
    }
    format!("fnv1a64:{:016x}", digest.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> String {
        raw_file_path(
            &format!("2026-01-{d:02}"),
            &format!("202601{d:02}T060000.000000Z-abcd"),
            1,
        )
    }

    #[test]
    fn a_span_covers_what_it_was_taken_of_and_not_what_landed_after() {
        let landing: Vec<String> = (1..=3).map(day).collect();
        let record = Covered::span_of(&landing);
        let mut later = landing.clone();
        later.extend([day(4), day(5)]);
        let covered = record.covered(&later).expect("usable");
        assert_eq!(covered, landing.iter().map(String::as_str).collect());
        // Stored and read back alike.
        let json = record.to_json().expect("json");
        assert_eq!(Covered::from_json(&json).expect("read"), record);
    }

    #[test]
    fn a_span_stays_a_few_dozen_bytes_however_many_files_it_covers() {
        let one = Covered::span_of(&[day(1)]).to_json().expect("json");
        let year: Vec<String> = (0..365)
            .map(|d| raw_file_path("2026-01-01", &format!("run-{d:03}"), 1))
            .collect();
        let many = Covered::span_of(&year).to_json().expect("json");
        assert!(many.len() <= one.len() + 8, "{many}");
        assert!(many.len() < 200, "{many}");
    }

    #[test]
    fn a_file_landed_out_of_order_or_removed_makes_a_span_unusable() {
        let landing: Vec<String> = [1, 3, 4].map(day).to_vec();
        let record = Covered::span_of(&landing);
        // Day 2's file landed after the record was taken, with a name among the covered.
        let mut late = landing.clone();
        late.insert(1, day(2));
        assert_eq!(record.covered(&late), None);
        // A covered file is gone.
        assert_eq!(record.covered(&[day(1), day(4)]), None);
        // Nothing covered covers nothing, whatever landed.
        let none = Covered::span_of(&[]);
        assert!(none.is_empty());
        assert_eq!(none.covered(&landing), Some(BTreeSet::new()));
    }

    #[test]
    fn a_list_written_before_spans_is_still_read() {
        let record =
            Covered::from_json(&serde_json::json!([day(1), day(2)]).to_string()).expect("a list");
        let landing = [1, 2, 3].map(day).to_vec();
        let covered = record.covered(&landing).expect("usable");
        assert_eq!(
            covered,
            [day(1), day(2)].iter().map(String::as_str).collect()
        );
        assert_eq!(record.covered(&[day(2), day(3)]), None);
    }
}
