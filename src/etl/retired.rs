//! Keys of members a rollback took out of the tables, kept so that they come back with the
//! same keys.
//!
//! A rollback publishes every table as an earlier run left it, so members (games, genres,
//! tags, ...) that only later runs introduced leave the tables, and with them the only
//! record of their keys. When a later run brings such a member back, it must get the key it
//! had: a key never moves, and an analyst's saved query or an external table joined on it
//! must still point at the same member. The rollback records each table's (natural key,
//! surrogate key) pairs that its restored state no longer holds in `state/retired-keys.json`
//! before it publishes; every ETL run reads them back beside the stored keys ([`super::stored`]),
//! so a returning member takes its old key and new members go above every key ever given.
//!
//! Crash safety: the file is written before the rollback's publish and only ever grows; a
//! pair whose member is still in its table names the key the table holds, so a rollback that
//! fails after writing it changes nothing.
//!
//! Must never: drop a pair, or give a pair precedence over a key a table holds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lakehouse::{Columns, Lakehouse};
use crate::storage::Warehouse;
use crate::{Error, Result};

/// Where the retired keys are, relative to the warehouse root.
pub const RETIRED_KEYS: &str = "state/retired-keys.json";

/// Per table (`dim_genre`, `fact_games`, ...): natural key → the surrogate key it had.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredKeys {
    tables: BTreeMap<String, BTreeMap<i64, i64>>,
}

impl RetiredKeys {
    /// Reads the file; empty when there is none.
    pub async fn load(wh: &Warehouse) -> Result<Self> {
        let Some(bytes) = wh.get_opt(RETIRED_KEYS).await? else {
            return Ok(Self::default());
        };
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::corrupt(
                RETIRED_KEYS,
                format!(
                    "{e}; it holds the keys of members a rollback took out, restore it from a \
                     backup (without it a returning member gets a new key)"
                ),
            )
        })
    }

    /// The pairs retired from `table`.
    pub fn of(&self, table: &str) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.tables
            .get(table)
            .into_iter()
            .flat_map(|m| m.iter().map(|(n, k)| (*n, *k)))
    }

    /// Records the pairs of `before` whose natural key `after` lacks, for `table`.
    pub fn retire(&mut self, table: &str, before: &[(i64, i64)], after: &[(i64, i64)]) {
        let kept: std::collections::HashSet<i64> = after.iter().map(|(n, _)| *n).collect();
        let entry = self.tables.entry(table.to_string()).or_default();
        for (natural, key) in before.iter().filter(|(n, _)| !kept.contains(n)) {
            entry.entry(*natural).or_insert(*key);
        }
    }

    /// Writes the file (before the rollback publishes).
    pub async fn save(&self, wh: &Warehouse) -> Result<()> {
        let json = serde_json::to_vec(self)
            .map_err(|e| Error::Internal(format!("{RETIRED_KEYS}: {e}")))?;
        wh.put(RETIRED_KEYS, json.into()).await
    }
}

/// Before a rollback publishes: records the keys every member dimension and the fact hold in
/// `now` (the published tables) that they no longer hold in `restored` (the rollback, staged),
/// and saves them with those retired before.
pub async fn retire_dropped(wh: &Warehouse, now: &Lakehouse, restored: &Lakehouse) -> Result<()> {
    let mut retired = RetiredKeys::load(wh).await?;
    let mut tables: Vec<(String, String, String)> = crate::dims::DIMS
        .iter()
        .map(|spec| (spec.dim_table(), spec.id(), spec.key()))
        .collect();
    tables.push((
        crate::dims::FACT_TABLE.to_string(),
        "game_id".to_string(),
        "game_key".to_string(),
    ));
    for (table, natural, key) in &tables {
        let before = key_pairs(now, table, natural, key).await?;
        let after = key_pairs(restored, table, natural, key).await?;
        retired.retire(table, &before, &after);
    }
    retired.save(wh).await
}

/// (natural, key) pairs `lake` holds in `table` (none when it does not exist).
async fn key_pairs(
    lake: &Lakehouse,
    table: &str,
    natural: &str,
    key: &str,
) -> Result<Vec<(i64, i64)>> {
    let Some(batches) = lake.read(table, Columns::Only(&[natural, key])).await? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for batch in &batches {
        out.extend(super::stored::pairs(batch, natural, key)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_retired_once_and_never_replaced() {
        let mut r = RetiredKeys::default();
        r.retire("dim_tag", &[(10, 1), (20, 2), (30, 3)], &[(10, 1)]);
        assert_eq!(r.of("dim_tag").collect::<Vec<_>>(), [(20, 2), (30, 3)]);
        // A later rollback that sees natural 20 under another key keeps the first.
        r.retire("dim_tag", &[(20, 9)], &[]);
        assert_eq!(r.of("dim_tag").collect::<Vec<_>>(), [(20, 2), (30, 3)]);
        assert_eq!(r.of("dim_genre").count(), 0);
    }
}
