//! `gamelake check`: the data checks of `schemas/` on the published tables, on demand.

use super::Gamelake;
use crate::Result;
use crate::checks::{self, CheckResult, Expectations};
use crate::ingest::cdc::CdcState;

impl Gamelake {
    /// Runs every data check ([`crate::checks`]) on the published tables, with the fact's
    /// row count checked against the distinct games the raw landing holds. Read-only, takes
    /// no lease; the caller decides what a failure means (the binary exits non-zero).
    pub async fn check(&self, freshness: std::time::Duration) -> Result<Vec<CheckResult>> {
        let lake = self.reading().await?;
        let landed = CdcState::count_games(&self.wh).await?;
        let expect = Expectations {
            games_landed: (landed > 0).then_some(landed),
            freshness: Some(freshness),
        };
        checks::run(&lake, &expect, None).await
    }
}
