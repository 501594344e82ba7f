//! What the warehouse already holds that a build must respect: the surrogate keys of every
//! dimension member and game, the current dimension rows, and in an incremental run the date
//! keys of the games not rebuilt. Read back from the tables themselves.
//!
//! Keys a rollback took out of the tables ([`super::retired`]) are read beside them, so a
//! member that comes back gets the key it had; a key a table holds always wins.
//!
//! Must never: write. Keys are only ever read here; [`super::keys`] assigns new ones.

use arrow::array::{Array, Int32Array, Int64Array, RecordBatch};

use super::interop;
use super::keys::KeyMap;
use super::retired::RetiredKeys;
use super::star::Existing;
use crate::dims::{DIMS, FACT_TABLE};
use crate::keyset::KeySet;
use crate::lakehouse::{Columns, Lakehouse};
use crate::{Error, Result};

/// Reads back what keys and members the warehouse already has. `rebuilt`: in an incremental
/// run, the ids of the games being rebuilt; only their game keys are kept, and the other
/// games' date keys. `detailed`: in an incremental run, the ids of the games whose details
/// are rebuilt; their game keys are kept apart ([`Existing::detail_games`]).
pub(crate) async fn load(
    lake: &Lakehouse,
    retired: &RetiredKeys,
    rebuilt: Option<&KeySet>,
    detailed: Option<&KeySet>,
) -> Result<Existing> {
    let mut existing = Existing::default();

    // The tables are read at once: a read is mostly catalog, metadata and small files.
    let dims = futures::future::try_join_all(DIMS.iter().map(|spec| async move {
        Ok::<_, Error>((spec, read_whole(lake, &spec.dim_table()).await?))
    }));
    let fact = lake.read(
        FACT_TABLE,
        Columns::Only(&[
            "game_id",
            "game_key",
            "released_date_key",
            "updated_date_key",
        ]),
    );
    let (dims, fact) = futures::try_join!(dims, fact)?;
    for (spec, batch) in dims {
        let table = spec.dim_table();
        let retired_pairs = retired.of(&table);
        match batch {
            Some(batch) => {
                // Retired pairs first: a key the table holds overrides them.
                let stored = pairs(&batch, &spec.id(), &spec.key())?;
                let keys = KeyMap::from_pairs(retired_pairs.chain(stored));
                let frame = interop::batch_to_frame(&batch)?;
                existing.dims.insert(spec.member, (keys, Some(frame)));
            }
            None => {
                let keys = KeyMap::from_pairs(retired_pairs);
                if keys != KeyMap::default() {
                    existing.dims.insert(spec.member, (keys, None));
                }
            }
        }
    }
    let retired_games: Vec<(i64, i64)> = retired.of(FACT_TABLE).collect();
    let Some(batches) = fact else {
        existing.games = KeyMap::from_pairs(retired_games);
        return Ok(existing);
    };
    if let Some(ids) = detailed {
        let mut found: Vec<(i64, i64)> = retired_games
            .iter()
            .copied()
            .filter(|(id, _)| ids.contains(*id))
            .collect();
        for batch in &batches {
            found.extend(
                pairs(batch, "game_id", "game_key")?
                    .into_iter()
                    .filter(|(id, _)| ids.contains(*id)),
            );
        }
        existing.detail_games = KeyMap::from_pairs(found);
    }
    match rebuilt {
        None => {
            let stored = match interop::concat(&batches)? {
                Some(batch) => pairs(&batch, "game_id", "game_key")?,
                None => Vec::new(),
            };
            existing.games = KeyMap::from_pairs(retired_games.into_iter().chain(stored));
        }
        Some(ids) => {
            (existing.games, existing.other_fact_dates) =
                split_stored_facts(&batches, ids, &retired_games)?;
        }
    }
    Ok(existing)
}

async fn read_whole(lake: &Lakehouse, table: &str) -> Result<Option<RecordBatch>> {
    match lake.read(table, Columns::All).await? {
        Some(batches) => interop::concat(&batches),
        None => Ok(None),
    }
}

/// One pass over the stored facts of an incremental run: the key map of the `rebuilt`
/// games (retired keys included; new keys going above every stored and retired key), and the
/// distinct date keys (released, updated) of the other games.
fn split_stored_facts(
    batches: &[RecordBatch],
    rebuilt: &KeySet,
    retired: &[(i64, i64)],
) -> Result<(KeyMap, Vec<i32>)> {
    let mut games: Vec<(i64, i64)> = Vec::with_capacity(rebuilt.len());
    games.extend(
        retired
            .iter()
            .copied()
            .filter(|(id, _)| rebuilt.contains(*id)),
    );
    let mut max_key = retired.iter().map(|(_, k)| *k).max().unwrap_or(0);
    for batch in batches {
        let (ids, keys) = (
            stored_column::<Int64Array>(batch, "game_id", "BIGINT")?,
            stored_column::<Int64Array>(batch, "game_key", "BIGINT")?,
        );
        for i in (0..batch.num_rows()).filter(|&i| !keys.is_null(i)) {
            let key = keys.value(i);
            max_key = max_key.max(key);
            if !ids.is_null(i) && rebuilt.contains(ids.value(i)) {
                games.push((ids.value(i), key));
            }
        }
    }
    let dates = other_dates(batches, rebuilt)?;
    Ok((KeyMap::from_pairs(games).above(max_key), dates))
}

/// The distinct date keys (released, updated) of the games not `rebuilt`. Gathered into a
/// bitmap over the columns' range as they are read, not collected first: those games are
/// nearly all of the table, and their date keys a few thousand distinct values.
fn other_dates(batches: &[RecordBatch], rebuilt: &KeySet) -> Result<Vec<i32>> {
    let mut columns = Vec::with_capacity(batches.len());
    for batch in batches {
        columns.push((
            stored_column::<Int64Array>(batch, "game_id", "BIGINT")?,
            [
                stored_column::<Int32Array>(batch, "released_date_key", "INT")?,
                stored_column::<Int32Array>(batch, "updated_date_key", "INT")?,
            ],
        ));
    }
    let dates = || columns.iter().flat_map(|(_, dates)| dates.iter().copied());
    let min = dates().filter_map(arrow::compute::min).min().unwrap_or(0);
    let max = dates().filter_map(arrow::compute::max).max().unwrap_or(0);
    let values = columns.iter().flat_map(|&(ids, dates)| {
        (0..ids.len())
            .filter(move |&i| ids.is_null(i) || !rebuilt.contains(ids.value(i)))
            .flat_map(move |i| {
                dates
                    .into_iter()
                    .filter(move |d| !d.is_null(i))
                    .map(move |d| i64::from(d.value(i)))
            })
    });
    KeySet::within(min.into(), max.into(), values)
        .sorted()
        .into_iter()
        .map(|d| {
            i32::try_from(d).map_err(|_| Error::Internal(format!("date key {d} out of range")))
        })
        .collect()
}

/// A column of a stored table, as the arrow type gamelake writes for its SQL type `kind`.
fn stored_column<'a, T: Array + 'static>(
    batch: &'a RecordBatch,
    name: &str,
    kind: &str,
) -> Result<&'a T> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| {
            Error::Schema(format!(
                "a stored table lacks the {kind} column {name}; was it written by another tool? \
                 `gamelake etl --full-refresh` rewrites it"
            ))
        })
}

/// (natural, key) pairs of a stored table; rows with a null natural key are skipped.
pub(crate) fn pairs(batch: &RecordBatch, natural: &str, key: &str) -> Result<Vec<(i64, i64)>> {
    let (n, k) = (
        stored_column::<Int64Array>(batch, natural, "BIGINT")?,
        stored_column::<Int64Array>(batch, key, "BIGINT")?,
    );
    Ok((0..batch.num_rows())
        .filter(|&i| !n.is_null(i) && !k.is_null(i))
        .map(|i| (n.value(i), k.value(i)))
        .collect())
}
