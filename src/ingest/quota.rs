//! The request ledger: requests sent to the API per calendar month (UTC), retries and count
//! probes included, kept across runs in `state/requests.json`, so that runs stop before a
//! key's monthly quota (RAWG's free tier: 20,000) rather than at RAWG's 429s.
//!
//! A run adds what it sent since its last save, to the month it saves in; it saves every few
//! dozen requests and when it ends, so a killed run under-counts at most the requests since
//! its last save.
//!
//! Must never: count requests of another warehouse, or drop a month's count.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::storage::Warehouse;
use crate::{Error, Result};

/// Where the ledger lives, relative to the warehouse root.
pub const LEDGER: &str = "state/requests.json";

/// RAWG's free tier: requests a month.
pub const DEFAULT_MONTHLY_LIMIT: u64 = 20_000;

/// Requests sent per month.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Ledger {
    /// `YYYY-MM` → requests sent that month.
    months: BTreeMap<String, u64>,
}

/// The ledger's key for the month of `at`.
pub fn month_of(at: DateTime<Utc>) -> String {
    at.format("%Y-%m").to_string()
}

/// The first day of the month after `at`'s: when its quota resets.
pub fn resets_on(at: DateTime<Utc>) -> NaiveDate {
    let (y, m) = if at.month() == 12 {
        (at.year() + 1, 1)
    } else {
        (at.year(), at.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MAX)
}

impl Ledger {
    /// Reads the ledger (empty when there is none yet).
    pub async fn load(wh: &Warehouse) -> Result<Self> {
        match wh.get_opt(LEDGER).await {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::corrupt(
                    LEDGER,
                    format!(
                        "{e}; it counts this month's API requests: fix it, or remove it to \
                         start counting from 0"
                    ),
                )
            }),
            Ok(None) => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }

    /// True when any request was ever sent to the API from this warehouse.
    pub fn ever_spent(&self) -> bool {
        self.months.values().any(|n| *n > 0)
    }

    /// Requests sent in `month` (`YYYY-MM`).
    pub fn spent(&self, month: &str) -> u64 {
        self.months.get(month).copied().unwrap_or(0)
    }

    /// Adds `requests` to the month of `at` and writes the ledger.
    pub async fn record(&mut self, wh: &Warehouse, requests: u64, at: DateTime<Utc>) -> Result<()> {
        if requests == 0 {
            return Ok(());
        }
        *self.months.entry(month_of(at)).or_default() += requests;
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::Internal(format!("request ledger: {e}")))?;
        wh.put(LEDGER, json.into()).await
    }
}

/// What a month's quota leaves: `None` when there is no limit (`limit` 0).
pub fn remaining(limit: u64, spent: u64) -> Option<u64> {
    (limit > 0).then(|| limit.saturating_sub(spent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_reset_on_the_first_of_the_next() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        assert_eq!(month_of(at("2026-12-31T23:59:59Z")), "2026-12");
        assert_eq!(
            resets_on(at("2026-12-31T23:59:59Z")).to_string(),
            "2027-01-01"
        );
        assert_eq!(
            resets_on(at("2026-02-10T00:00:00Z")).to_string(),
            "2026-03-01"
        );
        assert_eq!(remaining(20_000, 19_990), Some(10));
        assert_eq!(remaining(100, 150), Some(0));
        assert_eq!(remaining(0, 150), None, "0 means no limit");
    }
}
