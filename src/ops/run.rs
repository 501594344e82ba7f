//! `gamelake run`: ingest, then ETL, under one lease.

use super::Gamelake;
use crate::Result;
use crate::etl::upkeep::Begun;
use crate::etl::{self, EtlOptions, EtlReport, RunContext};
use crate::ingest::{self, IngestOptions, IngestReport};
use crate::progress::Progress;
use crate::task::Latch;

/// What a run did: its ingest, then its ETL.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The ingest.
    pub ingest: IngestReport,
    /// The ETL that followed it.
    pub etl: EtlReport,
}

impl Gamelake {
    /// Ingests, then builds the star schema, holding the lease throughout. The catalog is
    /// connected first: an unreachable catalog fails before anything lands.
    pub async fn run(
        &self,
        ingest_opts: &IngestOptions,
        etl_opts: &EtlOptions,
        progress: &mut dyn Progress,
    ) -> Result<RunReport> {
        self.locked("run", |fence| async move {
            let lake = self.lakehouse().await?;
            // The ETL's first loads of its tables and its upkeep need nothing the ingest
            // lands: they run beside the ingest, the upkeep writing from the first game the
            // ingest keeps (a run with nothing new writes nothing).
            let kept = Latch::new();
            let begun = Begun::start(&lake, etl_opts, kept.clone());
            let ingest = ingest::ingest(&self.wh, ingest_opts, &kept, progress).await?;
            let ctx = RunContext {
                command: "run".into(),
                ingest: Some(crate::etl::IngestRun {
                    report: ingest.clone(),
                    source: ingest_opts.source.clone(),
                }),
                fence: Some(fence),
            };
            let etl = etl::run(&self.wh, begun, etl_opts, &ctx, progress).await?;
            Ok(RunReport { ingest, etl })
        })
        .await
    }
}
