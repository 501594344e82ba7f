//! Stable surrogate keys.
//!
//! A natural key (a RAWG id) keeps its surrogate key forever: keys already assigned are read
//! back from the tables and reused, across runs and `--full-refresh`. New members get keys
//! above the highest key ever assigned, in ascending natural-key order, so the result never
//! depends on the order rows arrived in. Key 0 is reserved for the 'Unknown' member.

use std::collections::{BTreeSet, HashMap};

/// Natural key → surrogate key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyMap {
    keys: HashMap<i64, i64>,
    max_key: i64,
}

impl KeyMap {
    /// A map from pairs already stored (the Unknown member, key 0, is left out).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (i64, i64)>) -> Self {
        let mut map = Self::default();
        for (natural, key) in pairs {
            if key == 0 {
                continue;
            }
            map.max_key = map.max_key.max(key);
            map.keys.insert(natural, key);
        }
        map
    }

    /// The same map, with new keys going above `max_key` too: for a map that holds only
    /// some of the stored pairs.
    pub fn above(mut self, max_key: i64) -> Self {
        self.max_key = self.max_key.max(max_key);
        self
    }

    /// Gives every natural key not yet mapped a new key; returns how many were new.
    pub fn assign(&mut self, naturals: impl IntoIterator<Item = i64>) -> usize {
        let new: BTreeSet<i64> = naturals
            .into_iter()
            .filter(|n| !self.keys.contains_key(n))
            .collect();
        for natural in &new {
            self.max_key += 1;
            self.keys.insert(*natural, self.max_key);
        }
        new.len()
    }

    pub fn get(&self, natural: i64) -> Option<i64> {
        self.keys.get(&natural).copied()
    }

    /// (natural, key) pairs sorted by key.
    pub fn pairs(&self) -> Vec<(i64, i64)> {
        let mut v: Vec<(i64, i64)> = self.keys.iter().map(|(n, k)| (*n, *k)).collect();
        v.sort_by_key(|(_, k)| *k);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_do_not_depend_on_input_order_and_never_move() {
        let mut a = KeyMap::default();
        a.assign([30, 10, 20]);
        let mut b = KeyMap::default();
        b.assign([20, 30, 10, 10]);
        assert_eq!(a, b);
        assert_eq!(a.get(10), Some(1));
        assert_eq!(a.get(30), Some(3));

        let mut partial = KeyMap::from_pairs([(10, 1)]).above(3);
        partial.assign([40]);
        assert_eq!(
            partial.get(40),
            Some(4),
            "a partial map reuses a stored key"
        );

        let mut later = KeyMap::from_pairs(a.pairs());
        assert_eq!(later.assign([5, 10, 40]), 2);
        assert_eq!(later.get(10), Some(1), "existing key moved");
        assert_eq!(later.get(5), Some(4), "new keys go above the maximum");
        assert_eq!(later.get(40), Some(5));
    }

    #[test]
    fn the_unknown_member_is_never_reassigned() {
        let mut m = KeyMap::from_pairs([(0, 0), (7, 3)]);
        m.assign([8]);
        assert_eq!(m.get(8), Some(4));
        assert_eq!(m.get(0), None);
    }
}
