//! `gamelake sql`: one SQL statement over the tables, with DataFusion, now or as a recorded
//! run left them.

use arrow::array::RecordBatch;

use super::Gamelake;
use crate::Result;
use crate::query;
use crate::runs::{AsOf, AsOfView};

impl Gamelake {
    /// Runs one statement; tables are addressed as `<namespace>.<table>`. Read-only, takes
    /// no lease.
    pub async fn sql(&self, statement: &str) -> Result<Vec<RecordBatch>> {
        self.sql_as_of(statement, None).await
    }

    /// Runs one statement over the star tables as the run `as_of` names left them
    /// ([`AsOf`]: a run id or a time), read from the snapshots its row in `gamelake_runs`
    /// records, or on Nessie at the commit that published it ([`AsOfView`]). A run whose
    /// snapshots `maintain` expired is refused with [`crate::Error::AsOf`].
    pub async fn sql_as_of(
        &self,
        statement: &str,
        as_of: Option<&AsOf>,
    ) -> Result<Vec<RecordBatch>> {
        let lake = self.reading().await?;
        let Some(as_of) = as_of else {
            return query::sql(&lake, statement, None).await;
        };
        let view = AsOfView::resolve(&lake, as_of).await?;
        let (at, snapshots) = view.reading(&lake);
        query::sql(at, statement, snapshots).await
    }
}
