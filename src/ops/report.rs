//! `gamelake report`: the market report over the published tables, as one HTML page.

use super::Gamelake;
use crate::Result;
use crate::ingest::details;
use crate::report::{self, Report};
use crate::runs::{AsOf, AsOfView};

impl Gamelake {
    /// Runs every chart's query over the published tables, with the details backlog from
    /// the warehouse's ingest state. Read-only, takes no lease; render the result with
    /// [`report::render::html`].
    pub async fn report(&self) -> Result<Report> {
        self.report_as_of(None).await
    }

    /// The report over the tables as the run `as_of` names left them (see
    /// [`Gamelake::sql_as_of`]); the details backlog is today's.
    pub async fn report_as_of(&self, as_of: Option<&AsOf>) -> Result<Report> {
        let lake = self.reading().await?;
        let view = match as_of {
            Some(a) => Some(AsOfView::resolve(&lake, a).await?),
            None => None,
        };
        let ledger = crate::ingest::quota::Ledger::load(&self.wh).await?;
        let waiting = details::awaited(&self.wh, None, &ledger).await?;
        report::build(&lake, waiting, view.as_ref()).await
    }
}
