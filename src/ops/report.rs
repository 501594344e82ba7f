//! `gamelake report`: the market report over the published tables, as one HTML page.

use super::Gamelake;
use crate::Result;
use crate::ingest::cdc::CdcState;
use crate::ingest::details;
use crate::report::{self, Report};

impl Gamelake {
    /// Runs every chart's query over the published tables, with the details backlog from
    /// the warehouse's ingest state. Read-only, takes no lease; render the result with
    /// [`report::render::html`].
    pub async fn report(&self) -> Result<Report> {
        let cdc = CdcState::load(&self.wh).await?;
        let waiting = details::backlog_len(&self.wh, &cdc).await?;
        report::build(&self.lakehouse().await?, Some(waiting)).await
    }
}
