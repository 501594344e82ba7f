//! Backfills over date ranges: RAWG serves at most 250 pages of 40 for one query, so a range is
//! split into windows that each stay under that limit, and progress is recorded so that a
//! failed backfill resumes where it stopped.
//!
//! Windows come from RAWG's own `count` for a range: a range with more than
//! [`MAX_GAMES_PER_QUERY`] games is halved until every window fits (a single day that is
//! still too large is fetched as far as RAWG allows, with a warning). The plan and the
//! finished windows live in `state/backfill/<filter>=<range>.json` in the warehouse; a window
//! is marked finished only after its games are landed, and the file is removed when the whole
//! backfill is done.

use std::collections::BTreeSet;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::DateRange;
use super::http::{Fetched, RawgClient};
use crate::storage::Warehouse;
use crate::{Error, Result};

/// RAWG's limit: 250 pages of 40.
pub const MAX_GAMES_PER_QUERY: i64 = 250 * 40;

/// One query to run: its filters, and the window it covers if it is part of a backfill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub filters: Vec<(&'static str, String)>,
    pub window: Option<DateRange>,
}

/// The queries of one ingest, with the backfill state they resume from.
#[derive(Debug)]
pub struct Plan {
    state_path: Option<String>,
    state: State,
    split_on: &'static str,
    other: Vec<(&'static str, String)>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    windows: Vec<String>,
    done: BTreeSet<String>,
}

impl Plan {
    /// Plans (or resumes) the queries for these filters. Without a date filter there is one
    /// query and nothing to resume.
    pub async fn new(
        wh: &Warehouse,
        client: &RawgClient,
        dates: Option<DateRange>,
        updated: Option<DateRange>,
    ) -> Result<Self> {
        let (split_on, range, other) = match (updated, dates) {
            (Some(u), d) => ("updated", u, d.map(|d| ("dates", d.to_string()))),
            (None, Some(d)) => ("dates", d, None),
            (None, None) => {
                return Ok(Self {
                    state_path: None,
                    state: State::default(),
                    split_on: "",
                    other: Vec::new(),
                });
            }
        };
        let other: Vec<_> = other.into_iter().collect();
        let suffix: String = other.iter().map(|(k, v)| format!("_{k}={v}")).collect();
        let path = format!("state/backfill/{split_on}={range}{suffix}.json").replace(',', "_");
        let state = match wh.get(&path).await {
            Ok(bytes) => {
                let state: State = serde_json::from_slice(&bytes).map_err(|e| {
                    Error::Config(format!(
                        "{path} is unreadable ({e}); remove it to plan the backfill again"
                    ))
                })?;
                tracing::info!(
                    %path,
                    done = state.done.len(),
                    windows = state.windows.len(),
                    "resuming backfill"
                );
                state
            }
            Err(Error::Storage(object_store::Error::NotFound { .. })) => {
                let windows = split(client, split_on, range, &other).await?;
                let state = State {
                    windows: windows.iter().map(ToString::to_string).collect(),
                    done: BTreeSet::new(),
                };
                save(wh, &path, &state).await?;
                tracing::info!(%path, windows = state.windows.len(), "backfill planned");
                state
            }
            Err(e) => return Err(e),
        };
        Ok(Self {
            state_path: Some(path),
            state,
            split_on,
            other,
        })
    }

    /// The queries still to run, in order.
    pub fn pending(&self) -> Result<Vec<Query>> {
        if self.state_path.is_none() {
            return Ok(vec![Query {
                filters: Vec::new(),
                window: None,
            }]);
        }
        self.state
            .windows
            .iter()
            .filter(|w| !self.state.done.contains(*w))
            .map(|w| {
                let window: DateRange = w.parse().map_err(Error::Config)?;
                let mut filters = vec![(self.split_on, window.to_string())];
                filters.extend(self.other.iter().cloned());
                Ok(Query {
                    filters,
                    window: Some(window),
                })
            })
            .collect()
    }

    /// Windows in the plan, and how many were finished before this run.
    pub fn progress(&self) -> (usize, usize) {
        (self.state.windows.len(), self.state.done.len())
    }

    /// Records a window as finished (call only once its games are landed).
    pub async fn finish(&mut self, wh: &Warehouse, query: &Query) -> Result<()> {
        let (Some(path), Some(window)) = (&self.state_path, query.window) else {
            return Ok(());
        };
        self.state.done.insert(window.to_string());
        if self.state.done.len() == self.state.windows.len() {
            wh.delete(path).await?;
        } else {
            save(wh, path, &self.state).await?;
        }
        Ok(())
    }
}

async fn save(wh: &Warehouse, path: &str, state: &State) -> Result<()> {
    let json = serde_json::to_vec_pretty(state)
        .map_err(|e| Error::Config(format!("backfill state: {e}")))?;
    wh.put(path, json.into()).await
}

#[derive(Deserialize)]
struct CountOnly {
    count: Option<i64>,
}

/// Splits `range` until each window holds at most [`MAX_GAMES_PER_QUERY`] games.
async fn split(
    client: &RawgClient,
    split_on: &'static str,
    range: DateRange,
    other: &[(&'static str, String)],
) -> Result<Vec<DateRange>> {
    let mut stack = vec![range];
    let mut out = Vec::new();
    while let Some(window) = stack.pop() {
        let mut filters = vec![(split_on, window.to_string())];
        filters.extend(other.iter().cloned());
        let count = match client.fetch(&client.games_url(&filters)).await? {
            Fetched::Body(bytes) => serde_json::from_slice::<CountOnly>(&bytes)
                .ok()
                .and_then(|c| c.count)
                .unwrap_or(0),
            Fetched::NotFound => 0,
        };
        if count <= MAX_GAMES_PER_QUERY {
            if count > 0 {
                out.push(window);
            }
        } else if window.from == window.to {
            tracing::warn!(
                %window,
                count,
                "one day holds more games than RAWG serves for a query; only the first {MAX_GAMES_PER_QUERY} are fetched"
            );
            out.push(window);
        } else {
            let mid = window.from + Duration::days((window.to - window.from).num_days() / 2);
            let succ = mid + Duration::days(1);
            stack.push(DateRange {
                from: succ,
                to: window.to,
            });
            stack.push(DateRange {
                from: window.from,
                to: mid,
            });
        }
    }
    Ok(out)
}
