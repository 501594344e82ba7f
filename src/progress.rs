//! [`Progress`]: how long operations tell their caller how far they are, without knowing
//! who is watching. The binary shows a bar on a terminal and log lines elsewhere; library
//! callers and tests pass [`NoProgress`].
//!
//! Must never: decide anything. An observer only watches; an operation does the same work
//! whatever observer it is given.

/// An observer of a long operation's progress. Every method has an empty default.
pub trait Progress: Send {
    /// A phase starts: `unit` names what is counted ("pages", "tables"), `total` when known.
    fn begin(&mut self, unit: &'static str, total: Option<u64>) {
        let _ = (unit, total);
    }

    /// `n` more units are done; `status` says what was just done.
    fn advance(&mut self, n: u64, status: &str) {
        let _ = (n, status);
    }

    /// The phase is over.
    fn finish(&mut self) {}
}

/// An observer that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
