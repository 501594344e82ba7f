//! `gamelake etl`: build the star schema from the raw landing.

use super::Gamelake;
use crate::Result;
use crate::etl::upkeep::Begun;
use crate::etl::{self, EtlOptions, EtlReport, RunContext};
use crate::progress::Progress;
use crate::task::Latch;

impl Gamelake {
    /// Builds the star schema from the raw files no run has processed (all of them on the
    /// first run or with `full_refresh`); see [`crate::etl`]. Holds the lease.
    pub async fn etl(&self, opts: &EtlOptions, progress: &mut dyn Progress) -> Result<EtlReport> {
        self.locked("etl", |fence| async move {
            let lake = self.lakehouse().await?;
            let ctx = RunContext {
                command: "etl".into(),
                ingest: None,
                fence: Some(fence),
            };
            // The ETL's plan says whether there is anything to publish: it lets the upkeep write.
            let begun = Begun::start(&lake, opts, Latch::new());
            etl::run(&self.wh, begun, opts, &ctx, progress).await
        })
        .await
    }
}
