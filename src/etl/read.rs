//! Reading the raw landing (the ETL's read step): the latest version of every game as one flat Polars frame, and
//! the newest mention of every dimension member ([`Members`]).
//!
//! Only the parquet leaves the star schema uses are read (arrow-rs projection masks prune
//! struct fields inside lists, which Polars' reader cannot): screenshots, tag images and the
//! like are most of a raw file's bytes. Each file is then scanned for dimension members and
//! flattened ([`flatten`]) before the next is read, so what stays in memory for the rest of
//! the ETL is one row per game with member ids, not the nested names and slugs of every
//! mention.
//!
//! Must never: change what a raw file holds (this module only reads).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Int64Type, Schema};
use futures::StreamExt;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use polars::prelude::{
    DataFrame, IntoLazy, SortMultipleOptions, UnionArgs, UniqueKeepStrategy, cols, concat,
};

use super::interop::{batch_to_frame, concat as concat_batches};
use super::members::{self, Members};
use super::star::{RawDetails, RawGames};
use crate::dims::{Source, dims_of};
use crate::raw::RATING_TITLES;
use crate::storage::Warehouse;
use crate::{Error, Result};

/// Raw leaves the ETL never reads, as dotted paths without the list levels.
const UNUSED_LEAVES: [&str; 8] = [
    "_run_id",
    "ratings.id",
    "ratings.percent",
    "platforms.released_at",
    "stores.id",
    "tags.image_background",
    "short_screenshots.id",
    "short_screenshots.image",
];

/// Raw columns the facts take as they are.
const GAME_COLUMNS: [&str; 18] = [
    "id",
    "slug",
    "name",
    "released",
    "tba",
    "background_image",
    "rating",
    "rating_top",
    "ratings_count",
    "reviews_text_count",
    "added",
    "added_by_status",
    "metacritic",
    "playtime",
    "suggestions_count",
    "updated",
    "reviews_count",
    "_ingested_at",
];

/// Reads one raw file's used leaves as an arrow batch.
pub(crate) fn read_batch(bytes: bytes::Bytes, path: &str) -> Result<RecordBatch> {
    let bad = |e: String| Error::corrupt(path, e);
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| bad(e.to_string()))?;
    let leaves: Vec<usize> = builder
        .parquet_schema()
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            let parts: Vec<&str> = c
                .path()
                .parts()
                .iter()
                .map(String::as_str)
                .filter(|p| !matches!(*p, "list" | "item" | "element"))
                .collect();
            !UNUSED_LEAVES.contains(&parts.join(".").as_str())
        })
        .map(|(i, _)| i)
        .collect();
    let mask = ProjectionMask::leaves(builder.parquet_schema(), leaves);
    let batches = builder
        .with_projection(mask)
        .build()
        .map_err(|e| bad(e.to_string()))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    concat_batches(&batches)?.ok_or_else(|| bad("no rows".into()))
}

/// Reads one raw file: its games flattened for the facts and bridges, and the newest
/// mention of each dimension member in it.
fn read_file(bytes: bytes::Bytes, path: &str) -> Result<(DataFrame, Members)> {
    let batch = read_batch(bytes, path)?;
    let members = Members::scan(&batch, path, Source::List)?;
    let games = flatten(&batch, path)?;
    Ok((batch_to_frame(&games)?, members))
}

/// A raw batch as the facts and bridges use it: [`GAME_COLUMNS`] as they are; each bridged
/// dimension's column as a list of member ids (same name); `esrb_rating_id`; and
/// `ratings_<title>`, the count of each rating title RAWG uses (0 when absent). Member
/// names and slugs are left behind: [`Members`] has taken what the dimensions need.
fn flatten(batch: &RecordBatch, path: &str) -> Result<RecordBatch> {
    let bad = |what: String| Error::corrupt(path, what);
    let schema = batch.schema();
    let mut fields: Vec<Field> = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for name in GAME_COLUMNS {
        let (i, field) = schema
            .column_with_name(name)
            .ok_or_else(|| bad(format!("no column `{name}`")))?;
        fields.push(field.clone());
        arrays.push(batch.column(i).clone());
    }
    for spec in dims_of(Source::List) {
        let column = batch
            .column_by_name(spec.column)
            .ok_or_else(|| bad(format!("no column `{}`", spec.column)))?;
        let (name, array): (String, ArrayRef) = if spec.bridged {
            let lists = members::id_lists(spec, column).map_err(bad)?;
            (spec.column.to_string(), Arc::new(lists))
        } else {
            let ids = members::ids(spec, column).map_err(bad)?;
            (format!("{}_id", spec.member), Arc::new(ids))
        };
        fields.push(Field::new(name, array.data_type().clone(), true));
        arrays.push(array);
    }
    for (title, counts) in RATING_TITLES.iter().zip(rating_counts(batch).map_err(bad)?) {
        fields.push(Field::new(
            format!("ratings_{title}"),
            DataType::Int64,
            false,
        ));
        arrays.push(Arc::new(counts));
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// Per game, the summed `count` of each of [`RATING_TITLES`] in its `ratings` list.
fn rating_counts(batch: &RecordBatch) -> std::result::Result<Vec<Int64Array>, String> {
    let list = batch
        .column_by_name("ratings")
        .and_then(|c| c.as_list_opt::<i32>())
        .ok_or("`ratings` is not a list")?;
    let items = list
        .values()
        .as_struct_opt()
        .ok_or("`ratings` items are not structs")?;
    let titles = items
        .column_by_name("title")
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or("`ratings.title` is not a string")?;
    let counts = items
        .column_by_name("count")
        .and_then(|c| c.as_primitive_opt::<Int64Type>())
        .ok_or("`ratings.count` is not Int64")?;
    let mut sums = vec![vec![0i64; batch.num_rows()]; RATING_TITLES.len()];
    let offsets = list.value_offsets();
    for row in (0..list.len()).filter(|r| list.is_valid(*r)) {
        for at in offsets[row] as usize..offsets[row + 1] as usize {
            if items.is_null(at) || titles.is_null(at) || counts.is_null(at) {
                continue;
            }
            if let Some(t) = RATING_TITLES.iter().position(|t| *t == titles.value(at)) {
                sums[t][row] += counts.value(at);
            }
        }
    }
    Ok(sums.into_iter().map(Int64Array::from).collect())
}

/// Reads the given raw files (two at a time), in path order for the member merge.
pub async fn read_games(wh: &Warehouse, files: &[String]) -> Result<RawGames> {
    if files.is_empty() {
        return Err(Error::NoData(
            "the warehouse holds no raw games: run `gamelake ingest` first".into(),
        ));
    }
    let mut reads = futures::stream::iter(files.iter().cloned())
        .map(|path| {
            let wh = wh.clone();
            async move {
                let bytes = wh.get(&path).await?;
                tokio::task::spawn_blocking(move || read_file(bytes, &path)).await?
            }
        })
        .buffered(2);
    let mut frames = Vec::with_capacity(files.len());
    let mut members = Members::default();
    while let Some(read) = reads.next().await {
        let (games, file_members) = read?;
        members.merge(file_members);
        frames.push(games.lazy());
    }
    let observations = concat(frames, UnionArgs::default())?.collect()?;
    // A first load or a run of new games sees each id once: then every row is the latest,
    // and the frame is used as it is rather than sorted into a second copy.
    let latest = if observations.column("id")?.n_unique()? == observations.height() {
        observations
    } else {
        observations
            .lazy()
            .sort(
                ["id", "updated", "_ingested_at"],
                SortMultipleOptions::default(),
            )
            .unique_stable(Some(cols(["id"])), UniqueKeepStrategy::Last)
            .collect()?
    };
    Ok(RawGames { latest, members })
}

/// The detail columns `dim_game` takes, renamed where the table names them otherwise.
const DETAIL_COLUMNS: [(&str, &str); 7] = [
    ("id", "id"),
    ("updated", "details_updated"),
    ("list_updated", "list_updated"),
    ("name_original", "name_original"),
    ("description_raw", "description"),
    ("reddit_url", "reddit_url"),
    ("metacritic_url", "metacritic_url"),
];

/// Reads the given raw detail files (in path order): per game its latest detail (by
/// `list_updated`, then the detail's `updated`, then the later ingest), flattened to
/// [`DETAIL_COLUMNS`], `website` (empty strings as null), `alternative_names` as a JSON
/// array, and one list of member ids per detail dimension; and the newest mention of every
/// developer and publisher.
pub async fn read_details(wh: &Warehouse, files: &[String]) -> Result<RawDetails> {
    let mut frames = Vec::with_capacity(files.len());
    let mut members = Members::default();
    for path in files {
        let bytes = wh.get(path).await?;
        let path = path.clone();
        let (frame, found) = tokio::task::spawn_blocking(move || {
            let batch = whole_batch(bytes, &path)?;
            let found = Members::scan(&batch, &path, Source::Detail)?;
            let flat = flatten_details(&batch, &path)?;
            Ok::<_, Error>((batch_to_frame(&flat)?, found))
        })
        .await??;
        members.merge(found);
        frames.push(frame.lazy());
    }
    let latest = match frames.is_empty() {
        true => None,
        false => Some(
            concat(frames, UnionArgs::default())?
                .sort(
                    ["id", "list_updated", "details_updated", "_ingested_at"],
                    SortMultipleOptions::default(),
                )
                .unique_stable(Some(cols(["id"])), UniqueKeepStrategy::Last)
                .collect()?,
        ),
    };
    Ok(RawDetails { latest, members })
}

fn whole_batch(bytes: bytes::Bytes, path: &str) -> Result<RecordBatch> {
    let bad = |e: String| Error::corrupt(path, e);
    let batches = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .and_then(|b| b.build())
        .map_err(|e| bad(e.to_string()))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    concat_batches(&batches)?.ok_or_else(|| bad("no rows".into()))
}

fn flatten_details(batch: &RecordBatch, path: &str) -> Result<RecordBatch> {
    let bad = |what: String| Error::corrupt(path, what);
    let schema = batch.schema();
    let mut fields: Vec<Field> = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (from, to) in DETAIL_COLUMNS
        .iter()
        .chain([("_ingested_at", "_ingested_at")].iter())
    {
        let (i, field) = schema
            .column_with_name(from)
            .ok_or_else(|| bad(format!("no column `{from}`")))?;
        fields.push(field.as_ref().clone().with_name(*to));
        arrays.push(batch.column(i).clone());
    }
    let strings = |name: &str| {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_string_opt::<i32>())
            .ok_or_else(|| bad(format!("`{name}` is not a string column")))
    };
    let website: arrow::array::StringArray = strings("website")?
        .iter()
        .map(|w| w.filter(|w| !w.trim().is_empty()))
        .collect();
    fields.push(Field::new("website", DataType::Utf8, true));
    arrays.push(Arc::new(website));
    let names = batch
        .column_by_name("alternative_names")
        .and_then(|c| c.as_list_opt::<i32>())
        .ok_or_else(|| bad("`alternative_names` is not a list".into()))?;
    let values = names
        .values()
        .as_string_opt::<i32>()
        .ok_or_else(|| bad("`alternative_names` items are not strings".into()))?;
    let offsets = names.value_offsets();
    let json: arrow::array::StringArray = (0..names.len())
        .map(|row| {
            let (from, to) = (offsets[row] as usize, offsets[row + 1] as usize);
            (names.is_valid(row) && to > from).then(|| {
                let items: Vec<&str> = (from..to)
                    .filter(|at| values.is_valid(*at))
                    .map(|at| values.value(at))
                    .collect();
                serde_json::Value::from(items).to_string()
            })
        })
        .collect();
    fields.push(Field::new("alternative_names", DataType::Utf8, true));
    arrays.push(Arc::new(json));
    for spec in dims_of(Source::Detail) {
        let column = batch
            .column_by_name(spec.column)
            .ok_or_else(|| bad(format!("no column `{}`", spec.column)))?;
        let lists = members::id_lists(spec, column).map_err(bad)?;
        fields.push(Field::new(spec.column, lists.data_type().clone(), true));
        arrays.push(Arc::new(lists));
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::{DataType, Field};

    use super::{GAME_COLUMNS, UNUSED_LEAVES};
    use crate::raw::raw_schema;

    /// Dotted leaf paths of a field, list levels left out (as the reader names them).
    fn leaves(prefix: &str, field: &Field, out: &mut Vec<String>) {
        let name = if prefix.is_empty() {
            field.name().clone()
        } else {
            format!("{prefix}.{}", field.name())
        };
        match field.data_type() {
            DataType::Struct(children) => children.iter().for_each(|c| leaves(&name, c, out)),
            DataType::List(item) => match item.data_type() {
                DataType::Struct(children) => children.iter().for_each(|c| leaves(&name, c, out)),
                _ => out.push(name),
            },
            _ => out.push(name),
        }
    }

    #[test]
    fn the_reader_names_only_columns_of_the_raw_layout() {
        let schema = raw_schema();
        for name in GAME_COLUMNS {
            assert!(
                schema.field_with_name(name).is_ok(),
                "{name} is no raw column"
            );
        }
        let mut all = Vec::new();
        schema.fields().iter().for_each(|f| leaves("", f, &mut all));
        for leaf in UNUSED_LEAVES {
            assert!(all.iter().any(|l| l == leaf), "{leaf} is no raw leaf");
        }
    }
}
