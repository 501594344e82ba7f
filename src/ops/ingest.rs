//! `gamelake ingest`: fetch RAWG pages and land new or changed games as raw parquet.

use super::Gamelake;
use crate::Result;
use crate::ingest::{self, IngestOptions, IngestReport};
use crate::progress::Progress;
use crate::task::Latch;

impl Gamelake {
    /// Fetches pages from `opts.source` and lands the games that are new or changed since
    /// the warehouse last saw them (see [`crate::ingest`]). Holds the lease.
    pub async fn ingest(
        &self,
        opts: &IngestOptions,
        progress: &mut dyn Progress,
    ) -> Result<IngestReport> {
        // Nobody waits for a game kept: no ETL follows.
        let kept = Latch::new();
        self.locked("ingest", |_| {
            ingest::ingest(&self.wh, opts, &kept, progress)
        })
        .await
    }
}
