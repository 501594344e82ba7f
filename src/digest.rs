//! A stable 64-bit digest (FNV-1a) for telling whether what gamelake recorded earlier is
//! still what it finds: a table's contents (the ETL's fingerprint), the raw files a record
//! covers ([`crate::raw::Covered`]). The digests are stored in table properties and state
//! files, so unlike std's hashers this one is the same on every release and platform.
//!
//! Must never: guard against a chosen input. It catches accidents (a file landed out of
//! order, a table changed), not an adversary: it is not cryptographic.

/// FNV-1a over 64 bits, fed in pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    /// Feeds bytes as they are.
    pub fn feed(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// Feeds one item of a sequence: its length, then its bytes, so that the items'
    /// boundaries count (`["ab", "c"]` and `["a", "bc"]` differ).
    pub fn feed_item(&mut self, bytes: &[u8]) {
        self.feed(&(bytes.len() as u64).to_le_bytes());
        self.feed(bytes);
    }

    /// The digest so far.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_fnv1a_and_items_keep_their_boundaries() {
        // FNV-1a's published test vector: "a" gives 0xaf63dc4c8601ec8c.
        let mut a = Fnv1a::default();
        a.feed(b"a");
        assert_eq!(a.finish(), 0xaf63_dc4c_8601_ec8c);
        let items = |parts: &[&str]| {
            let mut h = Fnv1a::default();
            parts.iter().for_each(|p| h.feed_item(p.as_bytes()));
            h.finish()
        };
        assert_ne!(items(&["ab", "c"]), items(&["a", "bc"]));
        assert_eq!(items(&["ab", "c"]), items(&["ab", "c"]));
    }
}
