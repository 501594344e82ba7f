//! Values read from files that never change under their path (an Iceberg table's metadata
//! files and manifests), kept by that path so a process reads and parses each once.
//!
//! Must never: serve one path's value for another, or hold more than its limit (the oldest
//! go first).

use std::collections::{HashMap, VecDeque};

/// Up to a limit of values by path; past it the oldest are dropped.
#[derive(Debug)]
pub struct KeptByPath<V> {
    limit: usize,
    order: VecDeque<String>,
    by_path: HashMap<String, V>,
}

impl<V> KeptByPath<V> {
    /// An empty map that keeps at most `limit` values (at least one).
    pub fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            order: VecDeque::new(),
            by_path: HashMap::new(),
        }
    }

    /// The value kept for `path`.
    pub fn get(&self, path: &str) -> Option<&V> {
        self.by_path.get(path)
    }

    /// Keeps `value` for `path` (replacing what was kept for it), dropping the oldest paths
    /// past the limit.
    pub fn put(&mut self, path: &str, value: V) {
        if self.by_path.insert(path.to_string(), value).is_none() {
            self.order.push_back(path.to_string());
        }
        while self.order.len() > self.limit {
            if let Some(oldest) = self.order.pop_front() {
                self.by_path.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_paths_go_first_past_the_limit() {
        let mut kept = KeptByPath::new(2);
        kept.put("a", 1);
        kept.put("b", 2);
        kept.put("a", 3); // replaced, not a second entry
        assert_eq!((kept.get("a"), kept.get("b")), (Some(&3), Some(&2)));
        kept.put("c", 4);
        assert_eq!(kept.get("a"), None, "the oldest path stayed");
        assert_eq!((kept.get("b"), kept.get("c")), (Some(&2), Some(&4)));
        assert_eq!(kept.order.len(), 2);
    }
}
