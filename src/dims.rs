//! The member dimensions: which nested field of a raw game (list result or detail) feeds
//! each one, and the names of its table, bridge and key columns. The ingest, the ETL's reader and its build all walk
//! this one list.
//!
//! Must never: reorder or rename a member. The order is the commit order, and the names are
//! those of `schemas/` (checked by the schema tests).

/// Which raw landing feeds a dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The list results (`raw/games`).
    List,
    /// The game details (`raw/game_details`): developers and publishers.
    Detail,
}

/// A dimension fed by a nested field of the raw games.
#[derive(Debug, Clone, Copy)]
pub struct DimSpec {
    /// `genre` → `dim_genre`, `genre_key`, `genre_id`, `bridge_game_genre`.
    pub member: &'static str,
    /// The raw column holding the members.
    pub column: &'static str,
    /// Whether that column is a list (all but `esrb_rating`).
    pub is_list: bool,
    /// Struct fields to walk into before `{id, name, slug}` (`platforms[].platform`).
    pub path: &'static [&'static str],
    /// Further member attributes kept (tags: language, games_count).
    pub extra: &'static [&'static str],
    /// Whether games link to members through a bridge table.
    pub bridged: bool,
    /// The landing whose files hold the column.
    pub source: Source,
}

/// Every member dimension, in commit order: the list results' first, then the details'.
pub const DIMS: [DimSpec; 8] = [
    DimSpec {
        member: "platform",
        column: "platforms",
        is_list: true,
        path: &["platform"],
        extra: &[],
        bridged: true,
        source: Source::List,
    },
    DimSpec {
        member: "parent_platform",
        column: "parent_platforms",
        is_list: true,
        path: &["platform"],
        extra: &[],
        bridged: true,
        source: Source::List,
    },
    DimSpec {
        member: "store",
        column: "stores",
        is_list: true,
        path: &["store"],
        extra: &[],
        bridged: true,
        source: Source::List,
    },
    DimSpec {
        member: "genre",
        column: "genres",
        is_list: true,
        path: &[],
        extra: &[],
        bridged: true,
        source: Source::List,
    },
    DimSpec {
        member: "tag",
        column: "tags",
        is_list: true,
        path: &[],
        extra: &["language", "games_count"],
        bridged: true,
        source: Source::List,
    },
    DimSpec {
        member: "esrb_rating",
        column: "esrb_rating",
        is_list: false,
        path: &[],
        extra: &[],
        bridged: false,
        source: Source::List,
    },
    DimSpec {
        member: "developer",
        column: "developers",
        is_list: true,
        path: &[],
        extra: &[],
        bridged: true,
        source: Source::Detail,
    },
    DimSpec {
        member: "publisher",
        column: "publishers",
        is_list: true,
        path: &[],
        extra: &[],
        bridged: true,
        source: Source::Detail,
    },
];

/// True for the tables built from game details (`dim_developer`, `dim_publisher`, their
/// bridges, `dim_game`): a warehouse has them once its first details have landed.
pub fn is_detail_table(name: &str) -> bool {
    name == GAME_DETAIL_TABLE
        || dims_of(Source::Detail).any(|d| name == d.dim_table() || name == d.bridge_table())
}

/// The member dimensions fed by one landing, in commit order.
pub fn dims_of(source: Source) -> impl Iterator<Item = &'static DimSpec> {
    DIMS.iter().filter(move |d| d.source == source)
}

impl DimSpec {
    /// `dim_<member>`.
    pub fn dim_table(&self) -> String {
        format!("dim_{}", self.member)
    }
    /// `bridge_game_<member>`.
    pub fn bridge_table(&self) -> String {
        format!("bridge_game_{}", self.member)
    }
    /// `<member>_key`, the surrogate key column.
    pub fn key(&self) -> String {
        format!("{}_key", self.member)
    }
    /// `<member>_id`, the RAWG id column.
    pub fn id(&self) -> String {
        format!("{}_id", self.member)
    }
}

/// The fact table: one row per game.
pub const FACT_TABLE: &str = "fact_games";

/// The date dimension. No raw field feeds it: it holds the dates the facts point at.
pub const DATE_TABLE: &str = "dim_date";

/// One row per game with a landed detail: the detail's texts.
pub const GAME_DETAIL_TABLE: &str = "dim_game";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_has_its_tables_and_columns_in_schemas() {
        let names: Vec<&str> = crate::schema::tables()
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        for t in [FACT_TABLE, DATE_TABLE, GAME_DETAIL_TABLE] {
            assert!(names.contains(&t), "{t} is not in schemas/");
        }
        for spec in DIMS {
            let dim = crate::schema::table(&spec.dim_table()).expect("dimension in schemas/");
            assert_eq!(dim.key, spec.key());
            assert_eq!(dim.natural_key.as_deref(), Some(spec.id().as_str()));
            let bridge = crate::schema::table(&spec.bridge_table());
            assert_eq!(bridge.is_ok(), spec.bridged, "{}", spec.bridge_table());
        }
        let fact = crate::schema::table(FACT_TABLE).expect("fact");
        for spec in DIMS.iter().filter(|s| !s.bridged) {
            assert!(
                fact.columns.iter().any(|c| c.name == spec.key()),
                "fact_games has no {}",
                spec.key()
            );
        }
    }
}
