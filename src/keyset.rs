//! Sets of integer keys that are built once and then probed for every row of a column.
//!
//! Surrogate keys, RAWG ids and date keys are dense, so when the keys' range is not much
//! larger than the set, a bitmap over the range stands in for a hash set: a probe is a shift
//! and a mask instead of a hash. Other sets fall back to a hash set. Must never answer
//! differently from a `HashSet` of the same keys (tested below).

use std::collections::HashSet;

/// A set of `i64` keys, as a bitmap over their range when it is dense.
#[derive(Debug, Clone)]
pub struct KeySet {
    repr: Repr,
    len: usize,
}

#[derive(Debug, Clone)]
enum Repr {
    Dense { min: i64, bits: Vec<u64> },
    Sparse(HashSet<i64>),
}

impl KeySet {
    /// The largest range a bitmap always covers, in bits (2 MiB); wider ranges get a bitmap
    /// only when the keys are at least 1/64 of it.
    const DENSE_BITS: i64 = 1 << 24;

    pub fn new(keys: impl IntoIterator<Item = i64>) -> Self {
        let keys: Vec<i64> = keys.into_iter().collect();
        let (Some(min), Some(max)) = (keys.iter().min().copied(), keys.iter().max().copied())
        else {
            return Self::empty();
        };
        Self::dense(min, max, keys.iter().copied(), keys.len())
            .unwrap_or_else(|| Self::sparse(keys))
    }

    /// The set of `keys`, which the caller found to lie in `min..=max` (from column
    /// statistics, say), without first collecting them: a column of a million rows that
    /// holds a few thousand distinct keys goes straight into the bitmap. Keys outside the
    /// range are not lost: the set is then built as [`Self::new`] builds it.
    pub fn within<I>(min: i64, max: i64, keys: I) -> Self
    where
        I: Iterator<Item = i64> + Clone,
    {
        if min > max {
            return Self::new(keys);
        }
        Self::dense(min, max, keys.clone(), 0).unwrap_or_else(|| Self::new(keys))
    }

    fn empty() -> Self {
        Self {
            repr: Repr::Sparse(HashSet::new()),
            len: 0,
        }
    }

    fn sparse(keys: Vec<i64>) -> Self {
        let set: HashSet<i64> = keys.into_iter().collect();
        Self {
            len: set.len(),
            repr: Repr::Sparse(set),
        }
    }

    /// A bitmap over `min..=max` of `keys` (of which there are `count`, or more), `None`
    /// when the range is too sparse for one or a key falls outside it.
    fn dense(min: i64, max: i64, keys: impl Iterator<Item = i64>, count: usize) -> Option<Self> {
        let span = max.saturating_sub(min).saturating_add(1);
        let limit = Self::DENSE_BITS.max((count as i64).saturating_mul(64));
        if span > limit {
            return None;
        }
        let mut bits = vec![0u64; (span as usize).div_ceil(64)];
        for k in keys {
            let at = usize::try_from(k.checked_sub(min)?).ok()?;
            *bits.get_mut(at / 64)? |= 1 << (at % 64);
        }
        Some(Self {
            len: bits.iter().map(|w| w.count_ones() as usize).sum(),
            repr: Repr::Dense { min, bits },
        })
    }

    pub fn contains(&self, key: i64) -> bool {
        match &self.repr {
            Repr::Dense { min, bits } => {
                let Some(at) = key.checked_sub(*min).filter(|at| *at >= 0) else {
                    return false;
                };
                let at = at as usize;
                bits.get(at / 64).is_some_and(|w| w & (1 << (at % 64)) != 0)
            }
            Repr::Sparse(keys) => keys.contains(&key),
        }
    }

    /// How many distinct keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No key at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The keys, ascending.
    pub fn sorted(&self) -> Vec<i64> {
        match &self.repr {
            Repr::Dense { min, bits } => bits
                .iter()
                .enumerate()
                .flat_map(|(w, word)| {
                    (0..64)
                        .filter(move |b| word & (1 << b) != 0)
                        .map(move |b| min + (w * 64 + b) as i64)
                })
                .collect(),
            Repr::Sparse(keys) => {
                let mut v: Vec<i64> = keys.iter().copied().collect();
                v.sort_unstable();
                v
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_set_answers_like_a_hash_set() {
        let dense: Vec<i64> = (0..5_000).map(|i| 1 + i * 97).chain([1, 98]).collect();
        let sparse = vec![-5, 3, i64::MAX, i64::MIN + 1];
        for keys in [dense, sparse, Vec::new()] {
            let set = KeySet::new(keys.iter().copied());
            let reference: HashSet<i64> = keys.iter().copied().collect();
            assert_eq!(set.len(), reference.len());
            let mut sorted: Vec<i64> = reference.iter().copied().collect();
            sorted.sort_unstable();
            assert_eq!(set.sorted(), sorted);
            let probes = keys
                .iter()
                .flat_map(|k| [k.saturating_sub(1), *k, k.saturating_add(1)])
                .chain([0, -1, i64::MIN, i64::MAX, 1 << 40]);
            for probe in probes {
                assert_eq!(set.contains(probe), reference.contains(&probe), "{probe}");
            }
        }
        assert!(matches!(KeySet::new(1..=10_000).repr, Repr::Dense { .. }));
    }

    /// A set built within a stated range holds the keys [`KeySet::new`] holds, even when the
    /// range was stated wrong (a key below, above, or far from it) or is too wide.
    #[test]
    fn a_set_built_within_a_range_holds_every_key() {
        let keys = [20_250_101i64, 20_261_205, 19_700_101, 20_261_205];
        let reference = KeySet::new(keys);
        for (min, max) in [
            (19_700_101, 20_261_205),
            (20_000_000, 20_261_205),
            (19_700_101, 20_000_000),
            (0, 1),
            (1, 0),
            (i64::MIN, i64::MAX),
        ] {
            let set = KeySet::within(min, max, keys.iter().copied());
            assert_eq!(set.sorted(), reference.sorted(), "{min}..={max}");
            assert_eq!(set.len(), 3);
        }
        let stated = KeySet::within(19_700_101, 20_261_205, keys.iter().copied());
        assert!(matches!(stated.repr, Repr::Dense { .. }));
    }
}
