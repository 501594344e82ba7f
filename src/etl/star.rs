//! Raw games to the star schema, in Polars: the ETL's build step.
//!
//! Input: what the raw files hold ([`RawGames`]) and what the warehouse already holds
//! ([`Existing`]). Output: a [`Star`] of named parts (dimensions, bridges, fact), each frame
//! shaped to its `schemas/` definition; the fact's columns are those of `fact_games.toml`, with
//! only the derived ones (keys of other tables, `added_<status>`) spelled here. Facts and
//! bridges come from each game's latest version.
//! Dimension members come from every observation, superseded versions included, and a
//! member's attributes (name, slug, …) from its newest mention (found while reading, see
//! [`super::members`]; type 1: later runs update them in place, the key stays). So a member
//! once seen stays in its dimension, and an incremental history and a build from scratch
//! agree. Null lists count as empty.
//!
//! This module is pure: no I/O, and it imports nothing that reads (its input types are
//! defined here and in [`super::members`]), so it can be tested on frames and timed alone.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use polars_arrow::array::{Array, PrimitiveArray};

use super::keys::KeyMap;
use super::members::Members;
use crate::dims::{DATE_TABLE, DimSpec, FACT_TABLE, GAME_DETAIL_TABLE, Source, dims_of};
use crate::schema::{ColumnType, TableDef, table};
use crate::{Error, Result};

/// What raw files hold, as the build uses it (made by [`super::read`]).
pub struct RawGames {
    /// Per game id, the version with the latest `updated` (ties go to the later ingest),
    /// flattened to what the facts and bridges use: one row per game, a list of member ids
    /// per bridged dimension, `esrb_rating_id` and `ratings_<title>` counts.
    pub latest: DataFrame,
    /// The newest mention of every dimension member over every observation, superseded
    /// versions included.
    pub members: Members,
}

/// What raw detail files hold, as the build uses it (made by [`super::read::read_details`]).
#[derive(Default)]
pub struct RawDetails {
    /// Per game id its latest detail, flattened: the `dim_game` columns and a list of member
    /// ids per detail dimension. `None` when no detail file was read.
    pub latest: Option<DataFrame>,
    /// The newest mention of every developer and publisher.
    pub members: Members,
}

/// What the warehouse already holds that the build must respect.
#[derive(Debug, Default)]
pub struct Existing {
    /// Per member (`genre`, …): its key map and current dimension rows.
    pub dims: HashMap<&'static str, (KeyMap, Option<DataFrame>)>,
    /// game_id → game_key: of every stored game in a full build; in an incremental run only
    /// of the games being rebuilt (new keys still go above every key stored).
    pub games: KeyMap,
    /// The date keys (released, updated) of the stored facts of the games not rebuilt. In an
    /// incremental run the built facts are only the changed games, so `dim_date` also covers
    /// these; empty in a full build.
    pub other_fact_dates: Vec<i32>,
    /// In an incremental run, game_id → game_key of the stored games whose details are
    /// rebuilt (their list rows may not be); empty in a full build.
    pub detail_games: KeyMap,
}

/// A built table: its definition and its rows, shaped to it.
pub type Built = (&'static TableDef, DataFrame);

/// The tables built from list results: one row (or bridge rows) per game.
pub struct GameTables {
    /// One bridge per bridged list dimension, in [`crate::dims::DIMS`] order.
    pub bridges: Vec<Built>,
    /// `fact_games`.
    pub fact: Built,
}

/// The tables built from game details.
pub struct DetailTables {
    /// `bridge_game_developer`, `bridge_game_publisher`.
    pub bridges: Vec<Built>,
    /// `dim_game`.
    pub table: Built,
}

/// The built star schema, by part. Nothing depends on the order of parts: each is named.
/// A part is `None` when its landing had nothing to read (an incremental run with new
/// details only, or no details at all).
pub struct Star {
    /// `dim_date` and the list dimensions (with the list part), then the detail dimensions
    /// (with the detail part), in [`crate::dims::DIMS`] order.
    pub dims: Vec<Built>,
    /// From the list results.
    pub games: Option<GameTables>,
    /// From the details.
    pub details: Option<DetailTables>,
}

impl Star {
    /// Every table the build makes.
    pub fn len(&self) -> usize {
        self.dims.len()
            + self.games.as_ref().map_or(0, |g| g.bridges.len() + 1)
            + self.details.as_ref().map_or(0, |d| d.bridges.len() + 1)
    }
}

/// Polars' type for a column of ours (before the final cast to arrow).
fn polars_type(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::Int => DataType::Int32,
        ColumnType::Long => DataType::Int64,
        ColumnType::Double => DataType::Float64,
        ColumnType::Boolean => DataType::Boolean,
        ColumnType::String => DataType::String,
        ColumnType::Date => DataType::Date,
        ColumnType::Timestamp => DataType::Datetime(TimeUnit::Microseconds, None),
    }
}

/// Selects a table's columns, in order, with its types.
fn shape(lf: LazyFrame, def: &TableDef) -> LazyFrame {
    lf.select(
        def.columns
            .iter()
            .map(|c| col(c.name.as_str()).cast(polars_type(c.ty)))
            .collect::<Vec<_>>(),
    )
}

fn key_frame(map: &KeyMap, natural: &str, key: &str) -> Result<LazyFrame> {
    let (naturals, keys): (Vec<i64>, Vec<i64>) = map.pairs().into_iter().unzip();
    Ok(DataFrame::new(
        naturals.len(),
        vec![
            Column::new(natural.into(), naturals),
            Column::new(key.into(), keys),
        ],
    )?
    .lazy())
}

fn i64_values(df: &DataFrame, name: &str) -> Result<Vec<i64>> {
    Ok(df
        .column(name)?
        .as_materialized_series()
        .cast(&DataType::Int64)?
        .i64()?
        .iter()
        .flatten()
        .collect())
}

/// Builds every table from the raw rows: the list part from `raw` (if any), the detail part
/// from `details` (if it holds any).
///
/// The fact (Polars, which spreads its work over the cores) is built on its own thread while
/// the dimensions and bridges (single-threaded walks over arrays) are built on this one.
pub fn build(raw: Option<RawGames>, details: RawDetails, existing: &Existing) -> Result<Star> {
    // Games first: every key below is looked up through them.
    let mut game_keys = existing.games.clone();
    let mut dims = Vec::new();
    let games = match raw {
        Some(raw) => Some(build_games(raw, existing, &mut game_keys, &mut dims)?),
        None => None,
    };
    let details = match details.latest {
        Some(latest) => {
            let keyed = keyed_details(latest, &game_keys, &existing.detail_games)?;
            let key_column = i64_values(&keyed, "game_key")?;
            let mut bridges = Vec::new();
            for spec in dims_of(Source::Detail) {
                let (dim, keys) = build_dimension(spec, &details.members, existing)?;
                bridges.push((
                    table(&spec.bridge_table())?,
                    build_bridge(spec, &keyed, &key_column, &keys)?,
                ));
                dims.push((table(&spec.dim_table())?, dim));
            }
            let def = table(GAME_DETAIL_TABLE)?;
            let rows = shape(keyed.lazy().rename(["id"], ["game_id"], true), def).collect()?;
            Some(DetailTables {
                bridges,
                table: (def, rows),
            })
        }
        None => None,
    };
    Ok(Star {
        dims,
        games,
        details,
    })
}

/// The list part: `dim_date` and the list dimensions (pushed to `dims`), the bridges and the
/// fact; assigns the new games' keys in `game_keys`.
fn build_games(
    raw: RawGames,
    existing: &Existing,
    game_keys: &mut KeyMap,
    dims: &mut Vec<Built>,
) -> Result<GameTables> {
    let RawGames { latest, members } = raw;
    game_keys.assign(i64_values(&latest, "id")?);
    let games = keyed_games(latest, game_keys)?;
    let game_key_column = i64_values(&games, "game_key")?;

    let mut built = HashMap::new();
    for spec in dims_of(Source::List) {
        built.insert(spec.member, build_dimension(spec, &members, existing)?);
    }
    let (_, esrb_keys) = built
        .get("esrb_rating")
        .ok_or_else(|| Error::Internal("esrb_rating dimension missing".into()))?;

    let (fact, bridges) = std::thread::scope(|scope| {
        let fact = scope.spawn(|| build_fact(games.clone().lazy(), esrb_keys));
        let bridges = dims_of(Source::List)
            .filter(|spec| spec.bridged)
            .map(|spec| {
                let (_, keys) = &built[spec.member];
                let bridge = build_bridge(spec, &games, &game_key_column, keys)?;
                Ok((table(&spec.bridge_table())?, bridge))
            })
            .collect::<Result<Vec<_>>>();
        let fact = fact
            .join()
            .map_err(|_| Error::Internal("the fact builder panicked".into()))?;
        Ok::<_, Error>((fact?, bridges?))
    })?;
    drop(games);
    let dim_date = build_dim_date(&fact, &existing.other_fact_dates)?;

    dims.push((table(DATE_TABLE)?, dim_date));
    for spec in dims_of(Source::List) {
        let (dim, _) = built
            .remove(spec.member)
            .ok_or_else(|| Error::Internal(format!("{} dimension missing", spec.member)))?;
        dims.push((table(&spec.dim_table())?, dim));
    }
    Ok(GameTables {
        bridges,
        fact: (table(FACT_TABLE)?, fact),
    })
}

/// The latest details with their games' keys (`game_key`), in key order. A detail whose
/// game has no key (its list row was never processed, which the ingest does not allow) is
/// left out with a warning.
fn keyed_details(latest: DataFrame, keys: &KeyMap, stored: &KeyMap) -> Result<DataFrame> {
    let found: Vec<Option<i64>> = i64_values(&latest, "id")?
        .into_iter()
        .map(|id| keys.get(id).or_else(|| stored.get(id)))
        .collect();
    let missing = found.iter().filter(|k| k.is_none()).count();
    if missing > 0 {
        tracing::warn!(
            missing,
            "details for games without a fact row were left out; `gamelake etl --full-refresh` takes them in"
        );
    }
    let mask: BooleanChunked = found.iter().map(|k| Some(k.is_some())).collect();
    let mut keyed = latest.filter(&mask)?;
    let keys: Vec<i64> = found.into_iter().flatten().collect();
    keyed.with_column(Column::new("game_key".into(), keys))?;
    Ok(keyed.sort(["game_key"], SortMultipleOptions::default())?)
}

fn build_dimension(
    spec: &DimSpec,
    members: &Members,
    existing: &Existing,
) -> Result<(DataFrame, KeyMap)> {
    let def = table(&spec.dim_table())?;
    let (key, id) = (spec.key(), spec.id());
    let latest = members.frame(spec)?;

    let (mut keys, current) = existing
        .dims
        .get(spec.member)
        .map(|(k, df)| (k.clone(), df.clone()))
        .unwrap_or_default();
    keys.assign(i64_values(&latest, "member_id")?);
    let key_lf = key_frame(&keys, "member_id", &key)?;

    let mut rename_from: Vec<String> = vec!["member_id".into()];
    let mut rename_to: Vec<String> = vec![id.clone()];
    for x in spec.extra {
        rename_from.push((*x).into());
        rename_to.push((*x).into());
    }
    let from_source = latest
        .lazy()
        .join(
            key_lf,
            [col("member_id")],
            [col("member_id")],
            JoinArgs::new(JoinType::Inner),
        )
        .rename(rename_from, rename_to, true);

    let mut parts = vec![
        shape(unknown_member(def)?.lazy(), def),
        shape(from_source.clone(), def),
    ];
    if let Some(current) = current {
        // Members no game mentions any more keep their row and key.
        let kept = current
            .lazy()
            .filter(col(key.as_str()).neq(lit(0i64)))
            .join(
                from_source.select([col(id.as_str())]),
                [col(id.as_str())],
                [col(id.as_str())],
                JoinArgs::new(JoinType::Anti),
            );
        parts.push(shape(kept, def));
    }
    let dim = concat(parts, UnionArgs::default())?
        .sort([key.as_str()], SortMultipleOptions::default())
        .collect()?;
    Ok((dim, keys))
}

/// The 'Unknown' row (key 0) of a dimension: nulls except key, name and slug.
fn unknown_member(def: &TableDef) -> Result<DataFrame> {
    let columns = def
        .columns
        .iter()
        .map(|c| {
            let name = PlSmallStr::from(c.name.as_str());
            if c.name == def.key {
                Column::new(name, [0i64])
            } else if c.name == "name" {
                Column::new(name, ["Unknown"])
            } else if c.name == "slug" {
                Column::new(name, ["unknown"])
            } else {
                Column::full_null(name, 1, &polars_type(c.ty))
            }
        })
        .collect();
    Ok(DataFrame::new(1, columns)?)
}

/// The games with their keys (`game_key`), in key order, so that the bridges and the fact
/// come out in key order without sorting them.
fn keyed_games(latest: DataFrame, keys: &KeyMap) -> Result<DataFrame> {
    let game_keys = i64_values(&latest, "id")?
        .into_iter()
        .map(|id| {
            keys.get(id)
                .ok_or_else(|| Error::Schema(format!("game {id} has no key")))
        })
        .collect::<Result<Vec<i64>>>()?;
    if game_keys.len() != latest.height() {
        return Err(Error::Schema("a raw game has no id".into()));
    }
    let mut games = latest;
    games.with_column(Column::new("game_key".into(), game_keys))?;
    Ok(games.sort(["game_key"], SortMultipleOptions::default())?)
}

/// One bridge: per game, in key order, its members' keys ascending and once each. The member
/// ids were flattened into one list per game while reading ([`super::read`]), so this is one
/// walk over two arrays rather than an explode, two joins, a distinct and a sort of millions
/// of rows.
fn build_bridge(
    spec: &DimSpec,
    games: &DataFrame,
    game_keys: &[i64],
    keys: &KeyMap,
) -> Result<DataFrame> {
    let def = table(&spec.bridge_table())?;
    let lists = games.column(spec.column)?.as_materialized_series().list()?;
    let (mut bridge_games, mut bridge_members) = (Vec::new(), Vec::new());
    let mut members = Vec::new();
    let mut row = 0;
    for chunk in lists.downcast_iter() {
        let ids = chunk
            .values()
            .as_any()
            .downcast_ref::<PrimitiveArray<i64>>()
            .ok_or_else(|| Error::Schema(format!("{}: member ids are not Int64", spec.column)))?;
        let offsets = chunk.offsets().as_slice();
        for i in 0..chunk.len() {
            members.clear();
            if chunk.is_valid(i) {
                members.extend(
                    (offsets[i] as usize..offsets[i + 1] as usize)
                        .filter(|at| ids.is_valid(*at))
                        .filter_map(|at| keys.get(ids.value(at))),
                );
            }
            members.sort_unstable();
            members.dedup();
            let game = *game_keys
                .get(row)
                .ok_or_else(|| Error::Schema("a game has no key".into()))?;
            bridge_games.extend(std::iter::repeat_n(game, members.len()));
            bridge_members.extend_from_slice(&members);
            row += 1;
        }
    }
    let bridge = DataFrame::new(
        bridge_games.len(),
        vec![
            Column::new("game_key".into(), bridge_games),
            Column::new(spec.key().into(), bridge_members),
        ],
    )?;
    Ok(shape(bridge.lazy(), def).collect()?)
}

fn date_key(e: Expr) -> Expr {
    (e.clone().dt().year().cast(DataType::Int32) * lit(10_000i32)
        + e.clone().dt().month().cast(DataType::Int32) * lit(100i32)
        + e.dt().day().cast(DataType::Int32))
    .cast(DataType::Int32)
}

/// The expression of a fact column, by name: most are the raw game's column of the same name
/// (`ratings_<title>` and `esrb_rating_key` are made before), a few are derived here.
fn fact_column(name: &str) -> Expr {
    match name {
        "game_id" => col("id"),
        "released_date_key" => when(col("released").is_null())
            .then(lit(0i32))
            .otherwise(date_key(col("released"))),
        "updated_date_key" => date_key(col("updated")),
        _ => match name.strip_prefix("added_") {
            Some(status) => col("added_by_status").struct_().field_by_name(status),
            None => col(name),
        },
    }
}

/// What a required column holds where RAWG sent nothing (a count RAWG omits is 0; an unknown
/// dimension key is the Unknown member, 0). `None` for types with no such value: those
/// columns are never null in the raw schema.
fn zero(ty: ColumnType) -> Option<Expr> {
    match ty {
        ColumnType::Int => Some(lit(0i32)),
        ColumnType::Long => Some(lit(0i64)),
        ColumnType::Double => Some(lit(0.0f64)),
        ColumnType::Boolean => Some(lit(false)),
        ColumnType::String | ColumnType::Date | ColumnType::Timestamp => None,
    }
}

/// The facts, one row per game in key order, with the columns of `schemas/fact_games.toml`.
fn build_fact(games: LazyFrame, esrb: &KeyMap) -> Result<DataFrame> {
    let def = table(FACT_TABLE)?;
    let esrb_keys = key_frame(esrb, "esrb_id", "esrb_rating_key")?;
    let exprs: Vec<Expr> = def
        .columns
        .iter()
        .map(|c| {
            let e = fact_column(&c.name);
            match zero(c.ty).filter(|_| c.required) {
                Some(z) => e.fill_null(z),
                None => e,
            }
            .alias(c.name.as_str())
        })
        .collect();
    // The games come in key order, and the join keeps it.
    let keep_order = JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    };
    let fact = games
        .join(
            esrb_keys,
            [col("esrb_rating_id")],
            [col("esrb_id")],
            keep_order,
        )
        .select(exprs);
    Ok(shape(fact, def).collect()?)
}

const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Every date the facts point at (the built ones, and the stored ones of games not rebuilt),
/// plus the Unknown date (key 0).
fn build_dim_date(fact: &DataFrame, stored: &[i32]) -> Result<DataFrame> {
    let mut keys: Vec<i32> = stored.to_vec();
    for name in ["released_date_key", "updated_date_key"] {
        keys.extend(
            fact.column(name)?
                .as_materialized_series()
                .i32()?
                .iter()
                .flatten(),
        );
    }
    keys.retain(|k| *k != 0);
    keys.sort_unstable();
    keys.dedup();

    let n = keys.len() + 1;
    let mut date_key = Vec::with_capacity(n);
    let mut date: Vec<Option<i32>> = Vec::with_capacity(n);
    let (mut year, mut quarter, mut month, mut day, mut dow) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut day_name, mut month_name, mut weekend) = (Vec::new(), Vec::new(), Vec::new());
    date_key.push(0);
    date.push(None);
    year.push(None);
    quarter.push(None);
    month.push(None);
    day.push(None);
    dow.push(None);
    day_name.push("Unknown");
    month_name.push("Unknown");
    weekend.push(None);
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| Error::Schema("epoch".into()))?;
    for k in keys {
        let d = NaiveDate::from_ymd_opt(k / 10_000, (k / 100 % 100) as u32, (k % 100) as u32)
            .ok_or_else(|| Error::Schema(format!("date key {k} is not a date")))?;
        let wd = d.weekday().number_from_monday() as i32;
        date_key.push(k);
        date.push(Some((d - epoch).num_days() as i32));
        year.push(Some(d.year()));
        quarter.push(Some((d.month0() / 3 + 1) as i32));
        month.push(Some(d.month() as i32));
        day.push(Some(d.day() as i32));
        dow.push(Some(wd));
        day_name.push(DAY_NAMES[(wd - 1) as usize]);
        month_name.push(MONTH_NAMES[d.month0() as usize]);
        weekend.push(Some(wd >= 6));
    }
    let df = DataFrame::new(
        n,
        vec![
            Column::new("date_key".into(), date_key),
            Column::new("date".into(), date).cast(&DataType::Date)?,
            Column::new("year".into(), year),
            Column::new("quarter".into(), quarter),
            Column::new("month".into(), month),
            Column::new("day".into(), day),
            Column::new("day_of_week".into(), dow),
            Column::new("day_name".into(), day_name),
            Column::new("month_name".into(), month_name),
            Column::new("is_weekend".into(), weekend),
        ],
    )?;
    Ok(df)
}
