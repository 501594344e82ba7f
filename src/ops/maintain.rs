//! `gamelake maintain`: compact position deletes, expire old snapshots, remove files no
//! snapshot references.

use super::Gamelake;
use crate::Result;
use crate::lakehouse::maintain::{MaintainOptions, MaintainReport};

impl Gamelake {
    /// Maintains every table (see [`crate::lakehouse::maintain`]). Holds the lease.
    pub async fn maintain(&self, opts: &MaintainOptions) -> Result<Vec<MaintainReport>> {
        self.locked("maintain", |_| async {
            self.lakehouse().await?.maintain(opts).await
        })
        .await
    }
}
