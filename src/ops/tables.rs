//! `gamelake tables`: each table's live rows, files and snapshots.

use super::Gamelake;
use crate::Result;
use crate::lakehouse::TableInfo;

impl Gamelake {
    /// The state of every star-schema table that exists. Read-only, takes no lease.
    pub async fn tables(&self) -> Result<Vec<TableInfo>> {
        self.lakehouse().await?.infos().await
    }
}
