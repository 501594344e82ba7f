//! Table definitions of the star schema, read from `schemas/*.toml` (compiled in).
//!
//! These files are the single source of truth for column names, types, nullability and Iceberg
//! field ids (a column's position, starting at 1). The ETL builds its frames to these
//! definitions and [`crate::lakehouse`] creates tables from them; nothing else may spell a
//! table's columns. Field ids are positional, so columns may only ever be appended.

use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, TimeUnit};
use iceberg_rust::spec::schema::Schema;
use iceberg_rust::spec::types::{PrimitiveType, StructField, Type};
use serde::Deserialize;

use crate::{Error, Result};

/// Column types the star schema uses (a subset of Iceberg's primitives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// 32-bit integer.
    Int,
    /// 64-bit integer.
    Long,
    /// 64-bit float.
    Double,
    /// True or false.
    Boolean,
    /// UTF-8 text.
    String,
    /// A calendar date.
    Date,
    /// A timestamp without zone, in microseconds.
    Timestamp,
}

impl ColumnType {
    fn iceberg(self) -> PrimitiveType {
        match self {
            ColumnType::Int => PrimitiveType::Int,
            ColumnType::Long => PrimitiveType::Long,
            ColumnType::Double => PrimitiveType::Double,
            ColumnType::Boolean => PrimitiveType::Boolean,
            ColumnType::String => PrimitiveType::String,
            ColumnType::Date => PrimitiveType::Date,
            ColumnType::Timestamp => PrimitiveType::Timestamp,
        }
    }

    /// The arrow type our parquet files carry for this column (Iceberg's mapping).
    pub fn arrow(self) -> DataType {
        match self {
            ColumnType::Int => DataType::Int32,
            ColumnType::Long => DataType::Int64,
            ColumnType::Double => DataType::Float64,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::String => DataType::Utf8,
            ColumnType::Date => DataType::Date32,
            ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDef {
    /// The column's name.
    pub name: String,
    /// The column's type.
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// Never null.
    #[serde(default)]
    pub required: bool,
    /// What the column holds (written to the Iceberg schema).
    pub doc: Option<String>,
    /// A foreign key: every value has a row in this table (by its `key`). A data check.
    pub references: Option<String>,
    /// The only values allowed (compared as text; nulls pass). A data check.
    pub accepted: Option<Vec<String>>,
    /// Nearly every row holds a value of its own (a name, a slug, a URL, a text): written
    /// without a dictionary, as the table's key is ([`TableDef::plain_columns`]).
    #[serde(default)]
    pub distinct: bool,
}

/// One table of the star schema.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDef {
    /// The table's name.
    pub name: String,
    /// What the table holds.
    pub doc: String,
    /// The column rows are ordered by (surrogate key, or the first key of a bridge).
    pub key: String,
    /// For dimensions and facts: the RAWG id column the surrogate key stands for.
    pub natural_key: Option<String>,
    /// Column sets that identify a row: no two rows may share their values. A data check.
    #[serde(default)]
    pub unique: Vec<Vec<String>>,
    /// A timestamp column whose newest value says how fresh the table is: a run warns when
    /// it is older than the configured age. A data check (warning level).
    pub freshness: Option<String>,
    /// The columns, in field-id order.
    pub columns: Vec<ColumnDef>,
}

const SOURCES: &[(&str, &str)] = &[
    ("dim_date", include_str!("../schemas/dim_date.toml")),
    ("dim_platform", include_str!("../schemas/dim_platform.toml")),
    (
        "dim_parent_platform",
        include_str!("../schemas/dim_parent_platform.toml"),
    ),
    ("dim_store", include_str!("../schemas/dim_store.toml")),
    ("dim_genre", include_str!("../schemas/dim_genre.toml")),
    ("dim_tag", include_str!("../schemas/dim_tag.toml")),
    (
        "dim_esrb_rating",
        include_str!("../schemas/dim_esrb_rating.toml"),
    ),
    (
        "dim_developer",
        include_str!("../schemas/dim_developer.toml"),
    ),
    (
        "dim_publisher",
        include_str!("../schemas/dim_publisher.toml"),
    ),
    ("dim_game", include_str!("../schemas/dim_game.toml")),
    (
        "bridge_game_platform",
        include_str!("../schemas/bridge_game_platform.toml"),
    ),
    (
        "bridge_game_parent_platform",
        include_str!("../schemas/bridge_game_parent_platform.toml"),
    ),
    (
        "bridge_game_store",
        include_str!("../schemas/bridge_game_store.toml"),
    ),
    (
        "bridge_game_genre",
        include_str!("../schemas/bridge_game_genre.toml"),
    ),
    (
        "bridge_game_tag",
        include_str!("../schemas/bridge_game_tag.toml"),
    ),
    (
        "bridge_game_developer",
        include_str!("../schemas/bridge_game_developer.toml"),
    ),
    (
        "bridge_game_publisher",
        include_str!("../schemas/bridge_game_publisher.toml"),
    ),
    ("fact_games", include_str!("../schemas/fact_games.toml")),
];

fn parse_all() -> Result<Vec<TableDef>> {
    SOURCES
        .iter()
        .map(|(file, text)| {
            let def: TableDef = toml::from_str(text)
                .map_err(|e| Error::Schema(format!("schemas/{file}.toml: {e}")))?;
            if def.name != *file {
                return Err(Error::Schema(format!(
                    "schemas/{file}.toml names table {:?}",
                    def.name
                )));
            }
            let checked = def.unique.iter().flatten().chain(def.freshness.as_ref());
            for needed in std::iter::once(&def.key)
                .chain(def.natural_key.as_ref())
                .chain(checked)
            {
                if def.column(needed).is_none() {
                    return Err(Error::Schema(format!(
                        "schemas/{file}.toml: column {needed:?} (a key or check) is not a column"
                    )));
                }
            }
            Ok(def)
        })
        .collect()
}

/// The definition of the runs table, `gamelake_runs`: not part of the star schema (no ETL
/// builds it), committed in the same publish as the tables.
pub fn runs_table() -> &'static TableDef {
    static RUNS: OnceLock<TableDef> = OnceLock::new();
    RUNS.get_or_init(|| {
        // Compiled in and checked by a unit test, as the star schema's files are.
        toml::from_str(RUNS_SOURCE)
            .unwrap_or_else(|e| panic!("built-in schemas/gamelake_runs.toml is invalid: {e}"))
    })
}

const RUNS_SOURCE: &str = include_str!("../schemas/gamelake_runs.toml");

/// All table definitions, in commit order: dimensions, then bridges, then the fact table.
pub fn tables() -> &'static [TableDef] {
    static TABLES: OnceLock<Vec<TableDef>> = OnceLock::new();
    TABLES.get_or_init(|| {
        // The files are compiled in and checked by a unit test, so a failure here is a
        // defect in this build, not bad input.
        parse_all().unwrap_or_else(|e| panic!("built-in table definitions are invalid: {e}"))
    })
}

/// The definition of one table.
pub fn table(name: &str) -> Result<&'static TableDef> {
    tables()
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| Error::Schema(format!("no table named {name:?} in schemas/")))
}

impl TableDef {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The columns whose values are (nearly) all distinct: the key, the natural key and
    /// those marked [`ColumnDef::distinct`]. A dictionary of such a column is as large as
    /// the column, so a writer that tries one hashes every value only to fall back to PLAIN.
    pub fn plain_columns(&self) -> impl Iterator<Item = &str> {
        let keys = std::iter::once(self.key.as_str()).chain(self.natural_key.as_deref());
        let marked = self
            .columns
            .iter()
            .filter(|c| c.distinct)
            .map(|c| c.name.as_str());
        keys.chain(marked)
    }

    /// The Iceberg schema, field ids by position (1-based).
    pub fn iceberg_schema(&self) -> Result<Schema> {
        let mut builder = Schema::builder();
        for (i, c) in self.columns.iter().enumerate() {
            builder.with_struct_field(StructField {
                id: i as i32 + 1,
                name: c.name.clone(),
                required: c.required,
                field_type: Type::Primitive(c.ty.iceberg()),
                doc: c.doc.clone(),
            });
        }
        builder
            .build()
            .map_err(|e| Error::Schema(format!("{}: {e}", self.name)))
    }

    /// The arrow schema data files are written with, including Iceberg field ids.
    pub fn arrow_schema(&self) -> Arc<ArrowSchema> {
        let fields: Vec<Field> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                Field::new(&c.name, c.ty.arrow(), !c.required).with_metadata(
                    [(
                        iceberg_rust::spec::arrow::schema::PARQUET_FIELD_ID_META_KEY.to_string(),
                        (i + 1).to_string(),
                    )]
                    .into(),
                )
            })
            .collect();
        Arc::new(ArrowSchema::new(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_definition_parses_and_builds_an_iceberg_schema() {
        let defs = parse_all().expect("schemas/ parse");
        assert_eq!(defs.len(), SOURCES.len());
        for def in &defs {
            let schema = def.iceberg_schema().expect("iceberg schema");
            assert_eq!(schema.fields().len(), def.columns.len(), "{}", def.name);
            assert_eq!(def.arrow_schema().fields().len(), def.columns.len());
        }
    }

    #[test]
    fn every_check_names_real_columns_and_tables() {
        let runs: TableDef = toml::from_str(RUNS_SOURCE).expect("gamelake_runs.toml");
        runs.iceberg_schema().expect("runs schema");
        for def in tables().iter().chain([&runs]) {
            for set in &def.unique {
                for c in set {
                    assert!(def.column(c).is_some(), "{}: unique {c}", def.name);
                }
            }
            for c in &def.columns {
                if let Some(target) = &c.references {
                    let target = table(target).expect("referenced table exists");
                    assert_eq!(
                        target.column(&target.key).map(|k| k.ty),
                        Some(c.ty),
                        "{}.{} references {} by a column of another type",
                        def.name,
                        c.name,
                        target.name
                    );
                }
            }
        }
        assert!(tables().iter().all(|d| !d.unique.is_empty()));
    }

    /// `distinct` marks text only: a number column of distinct values is a key, which is
    /// written without a dictionary already.
    #[test]
    fn only_text_columns_are_marked_distinct() {
        for def in tables() {
            for c in def.columns.iter().filter(|c| c.distinct) {
                assert_eq!(c.ty, ColumnType::String, "{}.{}", def.name, c.name);
            }
        }
        let fact = table("fact_games").expect("fact_games");
        let plain: Vec<&str> = fact.plain_columns().collect();
        assert_eq!(
            plain,
            ["game_key", "game_id", "name", "slug", "background_image"]
        );
    }

    #[test]
    fn every_dimension_has_key_and_natural_key_and_every_bridge_links_a_dimension() {
        for def in tables() {
            if let Some(dim) = def.name.strip_prefix("dim_") {
                assert_eq!(def.key, format!("{dim}_key"));
                if dim != "date" {
                    assert_eq!(def.natural_key.as_deref(), Some(&*format!("{dim}_id")));
                }
            }
            if let Some(member) = def.name.strip_prefix("bridge_game_") {
                let dim = table(&format!("dim_{member}")).expect("bridge has a dimension");
                assert!(def.column(&dim.key).is_some());
                assert!(def.column("game_key").is_some());
            }
        }
    }
}
