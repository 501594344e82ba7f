//! `gamelake sql`: one SQL statement over the tables, with DataFusion.

use arrow::array::RecordBatch;

use super::Gamelake;
use crate::Result;
use crate::query;

impl Gamelake {
    /// Runs one statement; tables are addressed as `<namespace>.<table>`. Read-only, takes
    /// no lease.
    pub async fn sql(&self, statement: &str) -> Result<Vec<RecordBatch>> {
        query::sql(&self.lakehouse().await?, statement).await
    }
}
