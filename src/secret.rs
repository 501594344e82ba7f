//! [`Secret`]: a value that must never be printed (the RAWG key, S3 keys, catalog tokens).
//!
//! Must never: implement `Display`, or show its value through `Debug`. The only way to the
//! value is [`Secret::expose`], at the one place that sends it.

/// A secret value: printable only through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}
