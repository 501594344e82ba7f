//! Typed games to arrow columns in the raw schema ([`crate::raw::raw_schema`]).
//!
//! Each column is built by its name in the raw schema, straight from the [`Game`] fields: nested lists become a list array
//! over one struct array of all the items, structs keep their nulls. This replaced a detour
//! through arrow-json's serde tape (serialise every game to JSON tokens, then decode the
//! tokens by field name), which cost a large share of the ingest's time (docs/benchmarks.md).
//!
//! Must never: drift from the raw schema. [`RecordBatch::try_new`] checks every column's type
//! against it, and the tests compare whole batches with what arrow-json makes of the same
//! games.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, ListArray,
    RecordBatch, StringArray, StructArray, TimestampMicrosecondArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Fields};
use chrono::Datelike;

use super::model::{Game, Named};
use crate::raw::raw_schema;
use crate::{Error, Result};

/// The games as one batch of the raw schema, with the run's id and ingest time (`micros`
/// since the epoch, UTC) on every row. Columns come in the raw schema's order, each built by
/// its name: the order is [`raw_schema`]'s alone.
pub fn batch(games: &[Game<'_>], run_id: &str, ingested_at_micros: i64) -> Result<RecordBatch> {
    let schema = raw_schema();
    let columns = schema
        .fields()
        .iter()
        .map(|f| column(f.name(), f.data_type(), games, run_id, ingested_at_micros))
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// The raw column `name` (of type `t`) of `games`; every row carries the run's id and ingest
/// time.
fn column(
    name: &str,
    t: &DataType,
    games: &[Game<'_>],
    run_id: &str,
    ingested_at_micros: i64,
) -> Result<ArrayRef> {
    let n = games.len();
    let int32 = |f: fn(&Game<'_>) -> Option<i32>| -> ArrayRef {
        Arc::new(Int32Array::from_iter(games.iter().map(f)))
    };
    Ok(match name {
        "id" => ints(games.iter().map(|g| Some(g.id))),
        "slug" => strs(games.iter().map(|g| Some(g.slug.as_ref()))),
        "name" => strs(games.iter().map(|g| Some(g.name.as_ref()))),
        "released" => Arc::new(Date32Array::from_iter(games.iter().map(|g| {
            g.released
                .map(|d| d.num_days_from_ce() - DAYS_FROM_CE_TO_EPOCH)
        }))),
        "tba" => Arc::new(BooleanArray::from_iter(games.iter().map(|g| Some(g.tba)))),
        "background_image" => strs(games.iter().map(|g| g.background_image.as_deref())),
        "rating" => Arc::new(Float64Array::from_iter_values(
            games.iter().map(|g| g.rating),
        )),
        "rating_top" => int32(|g| Some(g.rating_top)),
        "ratings" => ratings(t, games)?,
        "ratings_count" => ints(games.iter().map(|g| Some(g.ratings_count))),
        "reviews_text_count" => ints(games.iter().map(|g| Some(g.reviews_text_count))),
        "added" => ints(games.iter().map(|g| Some(g.added))),
        "added_by_status" => added_by_status(t, games)?,
        "metacritic" => int32(|g| g.metacritic),
        "playtime" => int32(|g| Some(g.playtime)),
        "suggestions_count" => ints(games.iter().map(|g| Some(g.suggestions_count))),
        "updated" => Arc::new(TimestampMicrosecondArray::from_iter_values(
            games.iter().map(|g| g.updated.and_utc().timestamp_micros()),
        )),
        "reviews_count" => ints(games.iter().map(|g| Some(g.reviews_count))),
        "esrb_rating" => {
            let ratings: Vec<_> = games.iter().map(|g| g.esrb_rating.as_ref()).collect();
            named(t, &ratings)?
        }
        "platforms" => platforms(t, games)?,
        "parent_platforms" => parent_platforms(t, games)?,
        "stores" => stores(t, games)?,
        "genres" => genres(t, games)?,
        "tags" => tags(t, games)?,
        "short_screenshots" => short_screenshots(t, games)?,
        "_run_id" => strs(std::iter::repeat_n(Some(run_id), n)),
        "_ingested_at" => Arc::new(
            TimestampMicrosecondArray::from_iter_values(std::iter::repeat_n(ingested_at_micros, n))
                .with_timezone("UTC"),
        ),
        other => {
            return Err(Error::Schema(format!(
                "raw schema: column {other} has no builder in ingest::columns"
            )));
        }
    })
}

fn ratings(t: &DataType, games: &[Game<'_>]) -> Result<ArrayRef> {
    list(t, games.iter().map(|g| g.ratings.as_deref()), |items| {
        Ok(vec![
            ints(items.iter().map(|r| Some(r.id))),
            strs(items.iter().map(|r| Some(r.title.as_str()))),
            ints(items.iter().map(|r| Some(r.count))),
            Arc::new(Float64Array::from_iter_values(
                items.iter().map(|r| r.percent),
            )),
        ])
    })
}

fn added_by_status(t: &DataType, games: &[Game<'_>]) -> Result<ArrayRef> {
    let status: Vec<_> = games.iter().map(|g| g.added_by_status.as_ref()).collect();
    let each = |f: fn(&super::model::AddedByStatus) -> Option<i64>| {
        ints(status.iter().map(|s| s.and_then(f)))
    };
    structure(
        t,
        vec![
            each(|s| s.yet),
            each(|s| s.owned),
            each(|s| s.beaten),
            each(|s| s.toplay),
            each(|s| s.dropped),
            each(|s| s.playing),
        ],
        status.iter().map(Option::is_some),
    )
}

fn platforms(t: &DataType, games: &[Game<'_>]) -> Result<ArrayRef> {
    list(t, games.iter().map(|g| g.platforms.as_deref()), |items| {
        let platforms: Vec<_> = items.iter().map(|p| Some(&p.platform)).collect();
        Ok(vec![
            named(&list_item(t, 0)?, &platforms)?,
            strs(items.iter().map(|p| p.released_at.as_deref())),
        ])
    })
}

fn parent_platforms(t: &DataType, games: &[Game<'_>]) -> Result<ArrayRef> {
    list(
        t,
        games.iter().map(|g| g.parent_platforms.as_deref()),
        |items| {
            let platforms: Vec<_> = items.iter().map(|p| Some(&p.platform)).collect();
            Ok(vec![named(&list_item(t, 0)?, &platforms)?])
        },
    )
}

fn stores(t: &DataType, games: &[Game<'_>]) -> Result<ArrayRef> {
    list(t, games.iter().map(|g| g.stores.as_deref()), |items| {
        let stores: Vec<_> = items.iter().map(|s| Some(&s.store)).collect();
        Ok(vec![
            ints(items.iter().map(|s| s.id)),
            named(&list_item(t, 1)?, &stores)?,
        ])
    })
}

fn genres(t: &DataType, games: &[Game<'_>]) -> Result<ArrayRef> {
    list(t, games.iter().map(|g| g.genres.as_deref()), |items| {
        Ok(vec![
            ints(items.iter().map(|x| Some(x.id))),
            strs(items.iter().map(|x| Some(x.name.as_str()))),
            strs(items.iter().map(|x| Some(x.slug.as_str()))),
        ])
    })
}

fn tags(t: &DataType, games: &[Game<'_>]) -> Result<ArrayRef> {
    list(t, games.iter().map(|g| g.tags.as_deref()), |items| {
        Ok(vec![
            ints(items.iter().map(|t| Some(t.id))),
            strs(items.iter().map(|t| Some(t.name.as_str()))),
            strs(items.iter().map(|t| Some(t.slug.as_str()))),
            strs(items.iter().map(|t| t.language.as_deref())),
            ints(items.iter().map(|t| t.games_count)),
            strs(items.iter().map(|t| t.image_background.as_deref())),
        ])
    })
}

fn short_screenshots(t: &DataType, games: &[Game<'_>]) -> Result<ArrayRef> {
    list(
        t,
        games.iter().map(|g| g.short_screenshots.as_deref()),
        |items| {
            Ok(vec![
                ints(items.iter().map(|s| Some(s.id))),
                strs(items.iter().map(|s| s.image.as_deref())),
            ])
        },
    )
}

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const DAYS_FROM_CE_TO_EPOCH: i32 = 719_163;

fn ints(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from_iter(values))
}

fn strs<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(values))
}

/// The struct fields of a struct type.
fn fields_of(data_type: &DataType) -> Result<Fields> {
    match data_type {
        DataType::Struct(fields) => Ok(fields.clone()),
        other => Err(Error::Schema(format!(
            "raw schema: expected a struct, found {other}"
        ))),
    }
}

/// The type of field `index` of a list-of-structs type's items.
fn list_item(data_type: &DataType, index: usize) -> Result<DataType> {
    match data_type {
        DataType::List(item) => fields_of(item.data_type())?
            .get(index)
            .map(|f| f.data_type().clone())
            .ok_or_else(|| Error::Schema(format!("raw schema: no item field {index}"))),
        other => Err(Error::Schema(format!(
            "raw schema: expected a list, found {other}"
        ))),
    }
}

fn structure(
    data_type: &DataType,
    children: Vec<ArrayRef>,
    present: impl Iterator<Item = bool>,
) -> Result<ArrayRef> {
    let nulls = NullBuffer::from_iter(present);
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    Ok(Arc::new(StructArray::try_new(
        fields_of(data_type)?,
        children,
        nulls,
    )?))
}

/// `{id, name, slug}` structs, null where absent.
fn named(data_type: &DataType, items: &[Option<&Named<'_>>]) -> Result<ArrayRef> {
    structure(
        data_type,
        vec![
            ints(items.iter().map(|x| x.map(|x| x.id))),
            strs(items.iter().map(|x| x.map(|x| x.name.as_str()))),
            strs(items.iter().map(|x| x.map(|x| x.slug.as_str()))),
        ],
        items.iter().map(Option::is_some),
    )
}

/// A list of structs: `children` builds the item struct's columns from all games' items in
/// order; a game without the list (`None`) is a null list.
fn list<'a, T: 'a>(
    data_type: &DataType,
    lists: impl Iterator<Item = Option<&'a [T]>>,
    children: impl FnOnce(&[&'a T]) -> Result<Vec<ArrayRef>>,
) -> Result<ArrayRef> {
    let DataType::List(item) = data_type else {
        return Err(Error::Schema(format!(
            "raw schema: expected a list, found {data_type}"
        )));
    };
    let mut items: Vec<&T> = Vec::new();
    let mut lengths = Vec::new();
    let mut present = Vec::new();
    for list in lists {
        present.push(list.is_some());
        let list = list.unwrap_or_default();
        lengths.push(list.len());
        items.extend(list.iter());
    }
    let values = structure(
        item.data_type(),
        children(&items)?,
        std::iter::repeat_n(true, items.len()),
    )?;
    let nulls = NullBuffer::from(present);
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    Ok(Arc::new(ListArray::try_new(
        item.clone(),
        OffsetBuffer::from_lengths(lengths),
        values,
        nulls,
    )?))
}
