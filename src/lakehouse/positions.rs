//! The positions (row numbers) position delete files remove from one data file.
//!
//! Every run lists each table's live files with their deleted positions, keeps the listing
//! of a few snapshots ([`super::scan`]'s cache), copies it into the listings of the rows it
//! added, kept and removed, and probes it for every row it replaces. Positions accumulate
//! between tidies (tens of thousands per table), so they are held as one sorted slice
//! behind an `Arc`: built once from the delete files, shared by every copy, probed by
//! binary search, walked in order by the access plans.
//!
//! Must never: hold a position twice or out of order (every method relies on both).

use std::sync::Arc;

/// Sorted, distinct row positions of one data file; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Positions(Arc<[u64]>);

impl Positions {
    /// The positions in `all`, in any order, repeats allowed (a position two delete files
    /// both remove is removed once).
    pub fn from_unsorted(mut all: Vec<u64>) -> Self {
        // A stable sort merges the sorted runs it finds: positions come one sorted run per
        // delete file (the spec asks writers to sort them), a few runs of many positions,
        // which an unstable sort would sort again from scratch.
        all.sort();
        all.dedup();
        Self(all.into())
    }

    /// How many positions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No position at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `position` is among them.
    pub fn contains(&self, position: u64) -> bool {
        self.0.binary_search(&position).is_ok()
    }

    /// The positions, ascending.
    pub fn as_slice(&self) -> &[u64] {
        &self.0
    }

    /// The positions in `start..end`, ascending.
    pub fn range(&self, start: u64, end: u64) -> &[u64] {
        let from = self.0.partition_point(|&p| p < start);
        let to = self.0.partition_point(|&p| p < end);
        &self.0[from..to]
    }

    /// These and `more` (in any order, repeats allowed), merged in one pass: a run's new
    /// delete file adds a few positions to a file that carries many, which sorting them all
    /// again would pay for in full.
    pub fn with(&self, more: Vec<u64>) -> Positions {
        let more = Positions::from_unsorted(more);
        let (mut a, mut b) = (self.0.iter().peekable(), more.0.iter().peekable());
        let mut out = Vec::with_capacity(self.len() + more.len());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&&x), Some(&&y)) if x < y => a.next(),
                (Some(&&x), Some(&&y)) if y < x => b.next(),
                (Some(_), Some(_)) => {
                    b.next();
                    a.next()
                }
                (Some(_), None) => a.next(),
                (None, _) => b.next(),
            };
            match next {
                Some(&p) => out.push(p),
                None => break,
            }
        }
        Positions(out.into())
    }

    /// The positions that are not in `other`.
    pub fn difference(&self, other: &Positions) -> Positions {
        if Arc::ptr_eq(&self.0, &other.0) {
            return Positions::default();
        }
        let mut rest = other.0.iter().peekable();
        let mut out = Vec::new();
        for &p in self.0.iter() {
            while rest.next_if(|&&o| o < p).is_some() {}
            if rest.peek() != Some(&&p) {
                out.push(p);
            }
        }
        Positions(out.into())
    }
}

impl PartialEq for Positions {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for Positions {}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Positions answer as a `BTreeSet` of the same positions does (what they replaced).
    #[test]
    fn positions_answer_as_a_sorted_set_does() {
        let mut seed = 7u64;
        let mut next = move |below: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % below
        };
        for _ in 0..200 {
            let a: Vec<u64> = (0..next(60)).map(|_| next(100)).collect();
            let b: Vec<u64> = (0..next(60)).map(|_| next(100)).collect();
            let b_unsorted = b.clone();
            let (pa, pb) = (
                Positions::from_unsorted(a.clone()),
                Positions::from_unsorted(b.clone()),
            );
            let (sa, sb): (BTreeSet<u64>, BTreeSet<u64>) =
                (a.into_iter().collect(), b.into_iter().collect());
            assert_eq!(pa.as_slice(), sa.iter().copied().collect::<Vec<_>>());
            assert_eq!(pa.len(), sa.len());
            let diff: Vec<u64> = sa.difference(&sb).copied().collect();
            assert_eq!(pa.difference(&pb).as_slice(), diff);
            assert!(pa.difference(&pa).is_empty());
            for p in 0..101 {
                assert_eq!(pa.contains(p), sa.contains(&p), "{p}");
            }
            let (lo, hi) = (next(100), next(100));
            let (lo, hi) = (lo.min(hi), lo.max(hi));
            let within: Vec<u64> = sa.range(lo..hi).copied().collect();
            assert_eq!(pa.range(lo, hi), within);
            assert_eq!(pa == pb, sa == sb);
            let union: Vec<u64> = sa.union(&sb).copied().collect();
            assert_eq!(pa.with(b_unsorted).as_slice(), union);
        }
    }
}
