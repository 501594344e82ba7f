//! `gamelake ingest`: fetch RAWG pages and land new or changed games as raw parquet.

use super::Gamelake;
use crate::Result;
use crate::ingest::{self, IngestOptions, IngestReport};
use crate::progress::Progress;

impl Gamelake {
    /// Fetches pages from `opts.source` and lands the games that are new or changed since
    /// the warehouse last saw them (see [`crate::ingest`]). Holds the lease.
    pub async fn ingest(
        &self,
        opts: &IngestOptions,
        progress: &mut dyn Progress,
    ) -> Result<IngestReport> {
        self.locked("ingest", |_| ingest::ingest(&self.wh, opts, progress))
            .await
    }
}
