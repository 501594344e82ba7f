//! `gamelake maintain`: compact position deletes, expire old snapshots, remove files no
//! snapshot references. On Nessie, whose commit log owns the tables' history, only
//! compaction runs on the tables (expiry and file removal are Nessie GC's), and the branches
//! that keep failed runs' tables (`gamelake-run-<id>`) are dropped after the keep period.

use super::Gamelake;
use crate::Result;
use crate::catalog::nessie::{AUDIT_BRANCH_PREFIX, audit_branch_time};
use crate::lakehouse::maintain::{MaintainOptions, MaintainReport};

/// What `maintain` did.
#[derive(Debug, Clone, Default)]
pub struct MaintainOutcome {
    /// Per table.
    pub tables: Vec<MaintainReport>,
    /// On Nessie: what was left to Nessie's garbage collector, in one line.
    pub left_to_catalog: Option<String>,
    /// Audit branches of failed runs dropped, past the keep period (Nessie).
    pub branches_dropped: Vec<String>,
}

impl Gamelake {
    /// Maintains every table (see [`crate::lakehouse::maintain`]). Holds the lease.
    pub async fn maintain(&self, opts: &MaintainOptions) -> Result<MaintainOutcome> {
        self.locked("maintain", |_| async {
            let lake = self.lakehouse().await?;
            let mut outcome = MaintainOutcome {
                tables: lake.maintain(opts).await?,
                ..Default::default()
            };
            let Some(nessie) = lake.nessie() else {
                return Ok(outcome);
            };
            outcome.left_to_catalog = Some(
                "snapshot expiry and unreferenced files are left to Nessie's GC (nessie-gc): \
                 earlier commits and branches still read those files"
                    .to_string(),
            );
            let cutoff = chrono::Utc::now().naive_utc()
                - chrono::Duration::from_std(opts.retain).unwrap_or(chrono::Duration::MAX);
            for branch in nessie.branches(AUDIT_BRANCH_PREFIX).await? {
                if audit_branch_time(&branch.name).is_some_and(|t| t < cutoff) {
                    nessie.delete_branch(&branch.name, &branch.hash).await?;
                    outcome.branches_dropped.push(branch.name);
                }
            }
            Ok(outcome)
        })
        .await
    }
}
