//! `gamelake status`: where the warehouse stands against the live API: the month's request
//! spend, the sync watermark, and what is left (windows of a pass in progress, details);
//! and the games quarantined for being over a size limit; the last runs (`gamelake_runs`) and
//! the tables' states. Reads the ingest's state files, the raw landing and the catalog;
//! takes no lease.

use chrono::{NaiveDate, NaiveDateTime, Utc};

use super::Gamelake;
use crate::Result;
use crate::ingest::cdc::CdcState;
use crate::ingest::plan::SyncState;
use crate::ingest::quota::{self, Ledger};
use crate::ingest::{details, quarantine};
use crate::lakehouse::TableInfo;
use crate::runs::{self, RunRecord};

/// The warehouse's standing against the API.
#[derive(Debug, Clone)]
pub struct Status {
    /// This month (`YYYY-MM`, UTC).
    pub month: String,
    /// Requests sent this month.
    pub month_spent: u64,
    /// The monthly limit; `None`: no limit.
    pub monthly_limit: Option<u64>,
    /// When the month's quota resets.
    pub resets: NaiveDate,
    /// The latest `updated` held when the last sync pass finished.
    pub watermark: Option<NaiveDateTime>,
    /// When the last sync pass finished.
    pub last_pass_finished: Option<NaiveDateTime>,
    /// Windows of the sync pass in progress not yet read, and their estimated list pages.
    pub pass_left: crate::ingest::WindowsLeft,
    /// Backfills (`--dates`/`--updated`) in progress: their state files.
    pub backfills: Vec<String>,
    /// Games the raw landing holds.
    pub games: usize,
    /// Games waiting for their detail; `None` while no run has used the API (a warehouse
    /// filled from archived pages, which carry no details, waits for none).
    pub details_waiting: Option<usize>,
    /// Games whose detail failed (404 or malformed), to be asked again.
    pub details_failed: Vec<(i64, String)>,
    /// Games over a size limit in the quarantine (`raw/quarantine/`), and its files.
    pub quarantined: crate::ingest::quarantine::Held,
    /// The last runs recorded in `gamelake_runs`, newest first.
    pub last_runs: Vec<RunRecord>,
    /// Every star table's state.
    pub tables: Vec<TableInfo>,
    /// On Nessie: the branches that keep the tables of runs whose checks failed.
    pub audit_branches: Vec<String>,
}

/// Runs `status` lists.
const LAST_RUNS: usize = 5;

impl Gamelake {
    /// The warehouse's standing against the API, with `monthly_limit` requests a month (0:
    /// no limit).
    pub async fn status(&self, monthly_limit: u64) -> Result<Status> {
        let now = Utc::now();
        let month = quota::month_of(now);
        let ledger = Ledger::load(&self.wh).await?;
        let sync = SyncState::load(&self.wh).await?;
        let cdc = CdcState::load(&self.wh).await?;
        let lake = self.reading().await?;
        let mut last_runs = runs::load(&lake).await?;
        last_runs.reverse();
        last_runs.truncate(LAST_RUNS);
        let tables = lake.infos().await?;
        let audit_branches = match lake.nessie() {
            Some(n) => n
                .branches(crate::catalog::nessie::AUDIT_BRANCH_PREFIX)
                .await?
                .into_iter()
                .map(|b| b.name)
                .collect(),
            None => Vec::new(),
        };
        let backfills = self
            .wh
            .list("state/backfill")
            .await?
            .into_iter()
            .map(|m| m.location.to_string())
            .collect();
        Ok(Status {
            month_spent: ledger.spent(&month),
            month,
            monthly_limit: (monthly_limit > 0).then_some(monthly_limit),
            resets: quota::resets_on(now),
            watermark: sync.watermark,
            last_pass_finished: sync.finished_at,
            pass_left: sync.left(),
            backfills,
            games: cdc.len(),
            details_waiting: details::awaited(&self.wh, Some(&cdc), &ledger).await?,
            details_failed: details::failures(&self.wh).await?,
            quarantined: quarantine::held(&self.wh).await?,
            last_runs,
            tables,
            audit_branches,
        })
    }
}
