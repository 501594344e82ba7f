//! The newest mention of every dimension member, found one raw file at a time.
//!
//! A member's attributes (name, slug, and for tags language and games count) come from its
//! newest mention over every observation of every game, superseded versions included: the
//! latest `_ingested_at`, then the latest `updated`, then the highest game id; between equal
//! mentions the later one wins (later file in path order, later row, later list position).
//!
//! Each raw file is scanned on its arrow arrays as it is read, and only that file's winners
//! (a few thousand members) are kept and merged in path order. So the millions of tag
//! mentions of a large landing are never exploded into rows, held together or sorted.
//!
//! Must never: let the order files are read in decide a winner other than through the tie
//! rule above ([`Members::merge`] is called in path order), or allocate per mention (only
//! a file's winners are materialised).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, ListArray, RecordBatch, StringArray, StructArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, Int64Type, TimestampMicrosecondType};
use polars::prelude::{Column, DataFrame};

use crate::dims::{DIMS, DimSpec, Source};
use crate::{Error, Result};

/// A mention's rank: (`_ingested_at`, `updated`, game id), all in microseconds or ids.
type Rank = (i64, i64, i64);

/// One attribute value of a member (name, slug, extras), as the raw file held it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(Option<String>),
    Int(Option<i64>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Int,
}

#[derive(Debug, Clone)]
struct Mention {
    rank: Rank,
    /// `name`, `slug`, then the spec's extras, in that order.
    attrs: Vec<Value>,
}

/// The newest mention of each member of one dimension.
#[derive(Debug, Clone, Default)]
struct Newest {
    /// The attribute kinds, known once a file has been scanned.
    kinds: Vec<Kind>,
    by_member: HashMap<i64, Mention>,
}

/// The newest mention of every member of every dimension in [`DIMS`], in that order.
#[derive(Debug, Clone)]
pub struct Members {
    dims: Vec<Newest>,
}

impl Default for Members {
    fn default() -> Self {
        Self {
            dims: vec![Newest::default(); DIMS.len()],
        }
    }
}

/// The names of a spec's attribute fields: name, slug, extras.
fn attr_names(spec: &DimSpec) -> impl Iterator<Item = &'static str> {
    ["name", "slug"]
        .into_iter()
        .chain(spec.extra.iter().copied())
}

impl Members {
    /// The winners of one raw file of `source`'s landing (a batch of its schema: list
    /// results or details), for the dimensions that landing feeds; `path` names it in errors.
    pub fn scan(batch: &RecordBatch, path: &str, source: Source) -> Result<Self> {
        let bad = |what: String| Error::corrupt(path, what);
        let game_ids = batch
            .column_by_name("id")
            .and_then(|c| c.as_primitive_opt::<Int64Type>())
            .ok_or_else(|| bad("no Int64 column `id`".into()))?;
        let timestamps = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
                .ok_or_else(|| bad(format!("no timestamp column `{name}`")))
        };
        let (updated, ingested) = (timestamps("updated")?, timestamps("_ingested_at")?);
        let rank = |row: usize| (ingested.value(row), updated.value(row), game_ids.value(row));

        let mut dims = Vec::with_capacity(DIMS.len());
        for spec in &DIMS {
            if spec.source != source {
                dims.push(Newest::default());
                continue;
            }
            let column = batch
                .column_by_name(spec.column)
                .ok_or_else(|| bad(format!("no column `{}`", spec.column)))?;
            let found = MemberArrays::of(spec, column).map_err(|e| bad(e.to_string()))?;
            // Per member: the rank and position of its newest mention in this file.
            let mut best: HashMap<i64, (Rank, usize)> = HashMap::new();
            let mut consider = |row: usize, at: usize| {
                if !found.is_valid(at) {
                    return;
                }
                let candidate = (rank(row), at);
                best.entry(found.ids.value(at))
                    .and_modify(|held| {
                        if candidate.0 >= held.0 {
                            *held = candidate;
                        }
                    })
                    .or_insert(candidate);
            };
            match column.as_list_opt::<i32>() {
                Some(list) if spec.is_list => {
                    let offsets = list.value_offsets();
                    for row in 0..list.len() {
                        if list.is_valid(row) {
                            for at in offsets[row] as usize..offsets[row + 1] as usize {
                                consider(row, at);
                            }
                        }
                    }
                }
                _ => (0..column.len()).for_each(|row| consider(row, row)),
            }
            let by_member = best
                .into_iter()
                .map(|(id, (rank, at))| {
                    let attrs = found.attrs.iter().map(|a| a.value(at)).collect();
                    (id, Mention { rank, attrs })
                })
                .collect();
            dims.push(Newest {
                kinds: found.attrs.iter().map(Attr::kind).collect(),
                by_member,
            });
        }
        Ok(Self { dims })
    }

    /// Takes in the winners of a file that comes after every file merged so far.
    pub fn merge(&mut self, later: Members) {
        for (held, later) in self.dims.iter_mut().zip(later.dims) {
            if held.kinds.is_empty() {
                held.kinds = later.kinds;
            }
            for (id, mention) in later.by_member {
                match held.by_member.get_mut(&id) {
                    Some(h) if mention.rank < h.rank => {}
                    Some(h) => *h = mention,
                    None => {
                        held.by_member.insert(id, mention);
                    }
                }
            }
        }
    }

    /// One dimension's members as a frame: `member_id`, `name`, `slug`, the spec's extras;
    /// sorted by `member_id`.
    pub fn frame(&self, spec: &DimSpec) -> Result<DataFrame> {
        let index = DIMS
            .iter()
            .position(|d| d.member == spec.member)
            .ok_or_else(|| Error::Internal(format!("no dimension {}", spec.member)))?;
        let newest = &self.dims[index];
        let mut members: Vec<(&i64, &Mention)> = newest.by_member.iter().collect();
        members.sort_unstable_by_key(|(id, _)| **id);
        let mut columns = vec![Column::new(
            "member_id".into(),
            members.iter().map(|(id, _)| **id).collect::<Vec<i64>>(),
        )];
        for (i, name) in attr_names(spec).enumerate() {
            let kind = newest.kinds.get(i).copied().unwrap_or(Kind::Str);
            let column = match kind {
                Kind::Str => Column::new(
                    name.into(),
                    members
                        .iter()
                        .map(|(_, m)| match &m.attrs[i] {
                            Value::Str(s) => s.clone(),
                            Value::Int(_) => None,
                        })
                        .collect::<Vec<Option<String>>>(),
                ),
                Kind::Int => Column::new(
                    name.into(),
                    members
                        .iter()
                        .map(|(_, m)| match m.attrs[i] {
                            Value::Int(v) => v,
                            Value::Str(_) => None,
                        })
                        .collect::<Vec<Option<i64>>>(),
                ),
            };
            columns.push(column);
        }
        Ok(DataFrame::new(members.len(), columns)?)
    }
}

/// The arrays of one dimension's member structs inside a raw column: ids, which positions
/// hold a member, and the attributes.
struct MemberArrays {
    ids: Int64Array,
    /// Null where the item, any struct on the path, or the id is null.
    valid: Option<NullBuffer>,
    attrs: Vec<Attr>,
}

enum Attr {
    Str(StringArray),
    Int(Int64Array),
}

impl Attr {
    fn kind(&self) -> Kind {
        match self {
            Attr::Str(_) => Kind::Str,
            Attr::Int(_) => Kind::Int,
        }
    }

    fn value(&self, at: usize) -> Value {
        match self {
            Attr::Str(a) => Value::Str(a.is_valid(at).then(|| a.value(at).to_string())),
            Attr::Int(a) => Value::Int(a.is_valid(at).then(|| a.value(at))),
        }
    }
}

impl MemberArrays {
    /// Walks `spec.path` into the column's items (the list's values, or the column itself).
    fn of(spec: &DimSpec, column: &ArrayRef) -> std::result::Result<Self, String> {
        let items: &ArrayRef = if spec.is_list {
            column
                .as_list_opt::<i32>()
                .ok_or_else(|| format!("`{}` is not a list", spec.column))?
                .values()
        } else {
            column
        };
        let mut member: &StructArray = items
            .as_struct_opt()
            .ok_or_else(|| format!("`{}` items are not structs", spec.column))?;
        let mut valid = member.nulls().cloned();
        for step in spec.path {
            member = member
                .column_by_name(step)
                .and_then(|c| c.as_struct_opt())
                .ok_or_else(|| format!("`{}.{step}` is not a struct", spec.column))?;
            valid = NullBuffer::union(valid.as_ref(), member.nulls());
        }
        let field = |name: &str| {
            member
                .column_by_name(name)
                .ok_or_else(|| format!("`{}` items have no `{name}`", spec.column))
        };
        let ids = field("id")?
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| format!("`{}` ids are not Int64", spec.column))?
            .clone();
        valid = NullBuffer::union(valid.as_ref(), ids.nulls());
        let attrs = attr_names(spec)
            .map(|name| {
                let array = field(name)?;
                match array.data_type() {
                    DataType::Utf8 => Ok(Attr::Str(array.as_string::<i32>().clone())),
                    DataType::Int64 => Ok(Attr::Int(array.as_primitive::<Int64Type>().clone())),
                    other => Err(format!("`{}.{name}` has type {other}", spec.column)),
                }
            })
            .collect::<std::result::Result<_, String>>()?;
        Ok(Self { ids, valid, attrs })
    }

    fn is_valid(&self, at: usize) -> bool {
        self.valid.as_ref().is_none_or(|v| v.is_valid(at))
    }
}

/// A bridged dimension's member ids per game, as `List<Int64>` without null items (a null
/// list becomes empty: the ETL treats the two alike). This is all the bridges need of the
/// nested column.
pub fn id_lists(spec: &DimSpec, column: &ArrayRef) -> std::result::Result<ListArray, String> {
    let list = column
        .as_list_opt::<i32>()
        .ok_or_else(|| format!("`{}` is not a list", spec.column))?;
    let found = MemberArrays::of(spec, column)?;
    let offsets = list.value_offsets();
    let mut ends = Vec::with_capacity(list.len() + 1);
    ends.push(0i32);
    let mut ids = Vec::with_capacity(found.ids.len());
    for row in 0..list.len() {
        if list.is_valid(row) {
            for at in offsets[row] as usize..offsets[row + 1] as usize {
                if found.is_valid(at) {
                    ids.push(found.ids.value(at));
                }
            }
        }
        let end = i32::try_from(ids.len())
            .map_err(|_| format!("`{}` holds more than 2^31 items", spec.column))?;
        ends.push(end);
    }
    Ok(ListArray::new(
        Arc::new(Field::new("item", DataType::Int64, false)),
        OffsetBuffer::new(ScalarBuffer::from(ends)),
        Arc::new(Int64Array::from(ids)),
        None,
    ))
}

/// A single-member dimension's id per game (`esrb_rating.id`), null where there is none.
pub fn ids(spec: &DimSpec, column: &ArrayRef) -> std::result::Result<Int64Array, String> {
    let found = MemberArrays::of(spec, column)?;
    Ok(Int64Array::new(found.ids.values().clone(), found.valid))
}

#[cfg(test)]
mod tests {
    use polars::prelude::{
        ExplodeOptions, IntoLazy, SortMultipleOptions, UnionArgs, UniqueKeepStrategy, col, cols,
        concat,
    };

    use super::*;
    use crate::etl::interop::batch_to_frame;
    use crate::etl::read::read_batch;
    use crate::ingest::land::encode;
    use crate::ingest::model::Game;
    use crate::ingest::parse::parse_page_owned;

    fn recorded_games(pages: usize) -> Vec<Game<'static>> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/rawg/games-released-2015"
        );
        let mut games = Vec::new();
        for page in 1..=pages {
            let path = format!("{dir}/page-{page:04}.json");
            let bytes = std::fs::read(&path).expect("recorded page (../shared/data/rawg)");
            games.extend(parse_page_owned(&bytes, &path).expect("parse").games);
        }
        games
    }

    fn renamed(games: &[Game<'static>], suffix: &str) -> Vec<Game<'static>> {
        let mut games = games.to_vec();
        for g in &mut games {
            for t in g.tags.iter_mut().flatten() {
                t.name = format!("{}{suffix}", t.name).into();
            }
            for x in g.genres.iter_mut().flatten() {
                x.name = format!("{}{suffix}", x.name).into();
            }
        }
        games
    }

    fn batch(games: &[Game<'_>], run: &str, at: &str) -> RecordBatch {
        read_batch(encode(games, run, at).expect("encode"), run).expect("read")
    }

    fn scan_all(batches: &[RecordBatch]) -> Members {
        let mut members = Members::default();
        for b in batches {
            members.merge(Members::scan(b, "test", Source::List).expect("scan"));
        }
        members
    }

    /// What the scan stands for, written the plain way: every mention as a row, sorted by
    /// member and rank, the last one per member kept.
    fn by_sorting(spec: &DimSpec, batches: &[RecordBatch]) -> DataFrame {
        let frames = batches
            .iter()
            .map(|b| batch_to_frame(b).expect("frame").lazy())
            .collect::<Vec<_>>();
        let mut lf = concat(frames, UnionArgs::default())
            .expect("concat")
            .select([
                col("id").alias("game_id"),
                col("updated"),
                col("_ingested_at"),
                col(spec.column),
            ]);
        if spec.is_list {
            lf = lf.explode(
                cols([spec.column]),
                ExplodeOptions {
                    empty_as_null: false,
                    keep_nulls: false,
                },
            );
        }
        let mut member = col(spec.column);
        for step in spec.path {
            member = member.struct_().field_by_name(step);
        }
        let mut select = vec![
            col("game_id"),
            col("updated"),
            col("_ingested_at"),
            member
                .clone()
                .struct_()
                .field_by_name("id")
                .alias("member_id"),
        ];
        for name in attr_names(spec) {
            select.push(member.clone().struct_().field_by_name(name).alias(name));
        }
        let mut keep = vec![col("member_id")];
        keep.extend(attr_names(spec).map(col));
        lf.select(select)
            .filter(col("member_id").is_not_null())
            .sort(
                ["member_id", "_ingested_at", "updated", "game_id"],
                SortMultipleOptions::default(),
            )
            .unique_stable(Some(cols(["member_id"])), UniqueKeepStrategy::Last)
            .select(keep)
            .sort(["member_id"], SortMultipleOptions::default())
            .collect()
            .expect("reference")
    }

    #[test]
    fn the_file_by_file_scan_finds_what_sorting_every_mention_finds() {
        let games = recorded_games(3);
        let mut later = renamed(&games[..50], " (new)");
        for g in &mut later {
            g.updated += chrono::Duration::days(1);
        }
        let batches = [
            batch(&games, "run1", "2026-01-01T00:00:00.000000Z"),
            batch(&later, "run2", "2026-01-02T00:00:00.000000Z"),
        ];
        let members = scan_all(&batches);
        for spec in crate::dims::dims_of(Source::List) {
            let scanned = members.frame(spec).expect("frame");
            let sorted = by_sorting(spec, &batches);
            assert!(scanned.height() > 0, "{}: no members", spec.member);
            assert!(
                scanned.equals_missing(&sorted),
                "{}: {scanned} vs {sorted}",
                spec.member
            );
        }
        let tags = members.frame(&DIMS[4]).expect("tags");
        let renamed = tags
            .column("name")
            .expect("name")
            .str()
            .expect("str")
            .iter()
            .flatten()
            .filter(|n| n.ends_with("(new)"))
            .count();
        assert!(renamed > 0, "no tag took its newest name");
    }

    #[test]
    fn between_equal_mentions_the_later_file_wins() {
        let games = recorded_games(1);
        let at = "2026-01-01T00:00:00.000000Z";
        let first =
            Members::scan(&batch(&renamed(&games, " (a)"), "a", at), "a", Source::List).expect("a");
        let second =
            Members::scan(&batch(&renamed(&games, " (b)"), "b", at), "b", Source::List).expect("b");
        let names = |m: &Members| {
            let df = m.frame(&DIMS[3]).expect("genres");
            df.column("name")
                .expect("name")
                .str()
                .expect("str")
                .iter()
                .flatten()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let mut a_then_b = first.clone();
        a_then_b.merge(second.clone());
        assert!(names(&a_then_b).iter().all(|n| n.ends_with("(b)")));
        let mut b_then_a = second;
        b_then_a.merge(first);
        assert!(names(&b_then_a).iter().all(|n| n.ends_with("(a)")));
    }

    #[test]
    fn id_lists_turn_null_lists_empty_and_keep_the_members_in_order() {
        let mut games = recorded_games(1);
        games[0].genres = None;
        games[1].genres = Some(Vec::new());
        let held = games[2].genres.clone().unwrap_or_default();
        let b = batch(&games[..3], "run", "2026-01-01T00:00:00.000000Z");
        let lists = id_lists(&DIMS[3], b.column_by_name("genres").expect("genres")).expect("ids");
        assert_eq!(lists.value_length(0), 0);
        assert_eq!(lists.value_length(1), 0);
        let third = lists.value(2);
        let third: Vec<i64> = third
            .as_primitive::<arrow::datatypes::Int64Type>()
            .values()
            .to_vec();
        assert_eq!(third, held.iter().map(|g| g.id).collect::<Vec<_>>());
    }
}
