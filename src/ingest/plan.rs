//! Which `/games` queries an ingest from the API runs, and where a stopped one goes on.
//!
//! RAWG serves at most 250 pages of 40 for one query, so a range is split into windows that
//! each stay under that limit, sized by RAWG's own `count` for the range (halved until every
//! window fits; a single day that is still too large is fetched as far as RAWG allows, with
//! a warning). There are two kinds of plan:
//!
//! - **Sync** (no `--dates`/`--updated`): windows by `updated`, from the warehouse's
//!   watermark (the latest `updated` it held when the last sync pass finished) less a day,
//!   since RAWG's filter takes days, to tomorrow. On an empty warehouse the pass starts in
//!   1970 and so backfills the whole catalogue, games without a release date included.
//!   State: `state/sync.json`.
//! - **Backfill** (`--dates` or `--updated`): windows over that range. State:
//!   `state/backfill/<filter>=<range>.json`, removed when the backfill is done.
//!
//! Every window is crawled newest `updated` first (`ordering=-updated`), so a game that
//! changes during the crawl moves to the front of the window (or out of an old one) and
//! never pushes an unfetched game past a page boundary; the one shift it can cause, a game
//! leaving a window already partly read, shows as a smaller `count` and is repaired by
//! reading the previous page again (see `source::send_http`). A game that changes after its
//! page was read has an `updated` later than the pass started, which the next pass asks for.
//!
//! RAWG holds days on which more than 10,000 games were updated (the recorded data has one;
//! `tests/it/sync.rs` replays it). Such a day is read twice: newest first up to RAWG's limit, then
//! its tail oldest first, as many pages as the rest needs plus one of overlap, so that up
//! to 20,000 games of one day are read whole; beyond that a warning says how many are out
//! of reach.
//!
//! A window is finished only after its games are landed. A run that stops inside one (its
//! request budget) records the page it reached; the next run goes on from that page, read
//! again because a game may have left the window since.
//!
//! Must never: mark a window done before its games have landed, or move the watermark
//! before a whole pass has landed (a later watermark would skip the windows not yet read).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::DateRange;
use super::http::{Fetched, RawgClient};
use crate::error::ParseError;
use crate::storage::Warehouse;
use crate::{Error, Result};

/// RAWG's limit: 250 pages of 40.
pub const MAX_GAMES_PER_QUERY: i64 = 250 * 40;

/// Where the sync keeps its watermark and the pass in progress.
pub const SYNC_STATE: &str = "state/sync.json";

/// The first day a sync pass over an empty warehouse asks for: before any `updated`.
const FIRST_DAY: (i32, u32, u32) = (1970, 1, 1);

/// How RAWG is asked to order a window's games (see the module docs), and the tail of an
/// overfull day.
const NEWEST_FIRST: &str = "-updated";
const OLDEST_FIRST: &str = "updated";

/// The key of a window that reads an overfull day's tail, oldest first.
const TAIL: &str = ",oldest-first";

/// One query to run: its filters, the window it covers if it is part of a plan (its key in
/// the plan, and its dates), the page to start from (1 unless a stopped run left off inside
/// it), and how many pages it needs at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub filters: Vec<(&'static str, String)>,
    pub window: Option<DateRange>,
    pub key: Option<String>,
    pub start_page: usize,
    pub max_pages: Option<usize>,
}

/// The windows of one pass, those finished, and where a stopped run left off.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Pass {
    windows: Vec<String>,
    done: BTreeSet<String>,
    /// The window a run stopped in, and the page it had reached.
    #[serde(default)]
    resume: Option<(String, usize)>,
    /// RAWG's count per window when it was planned: for estimates.
    #[serde(default)]
    counts: BTreeMap<String, i64>,
    /// When the pass was planned.
    #[serde(default)]
    planned_at: Option<NaiveDateTime>,
}

/// `state/sync.json`.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct SyncState {
    /// The latest `updated` the warehouse held when the last pass finished.
    #[serde(default)]
    pub watermark: Option<NaiveDateTime>,
    /// When the last pass finished.
    #[serde(default)]
    pub finished_at: Option<NaiveDateTime>,
    /// The pass in progress, if any.
    #[serde(default)]
    pass: Option<Pass>,
}

/// What a pass has left to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowsLeft {
    /// Windows not yet finished.
    pub windows: usize,
    /// Their list pages, as RAWG counted them when planned.
    pub list_pages: u64,
}

impl SyncState {
    /// Reads `state/sync.json` (the default state when there is none).
    pub async fn load(wh: &Warehouse) -> Result<Self> {
        read_state(wh, SYNC_STATE)
            .await
            .map(Option::unwrap_or_default)
    }

    /// Windows and estimated list pages a pass in progress has left.
    pub fn left(&self) -> WindowsLeft {
        self.pass.as_ref().map(Pass::left).unwrap_or_default()
    }
}

impl Pass {
    fn left(&self) -> WindowsLeft {
        let open: Vec<&String> = self
            .windows
            .iter()
            .filter(|w| !self.done.contains(*w))
            .collect();
        let pages = open
            .iter()
            .map(|w| {
                let count = self.counts.get(*w).copied().unwrap_or(MAX_GAMES_PER_QUERY);
                let pages = pages_for(count);
                match &self.resume {
                    Some((r, page)) if r == *w => pages.saturating_sub(*page as u64 - 1),
                    _ => pages,
                }
            })
            .sum();
        WindowsLeft {
            windows: open.len(),
            list_pages: pages,
        }
    }
}

/// List pages RAWG needs for `count` games (at most 250).
pub(crate) fn pages_for(count: i64) -> u64 {
    (count.clamp(0, MAX_GAMES_PER_QUERY) as u64).div_ceil(40)
}

/// Where a plan keeps its state.
#[derive(Debug)]
enum Kind {
    /// `--dates` / `--updated`: its state file, the filter split on and the other filter.
    Backfill {
        path: String,
        split_on: &'static str,
        other: Vec<(&'static str, String)>,
    },
    /// No date filter against the API.
    Sync(SyncState),
}

/// The queries of one ingest, with the state they resume from.
#[derive(Debug)]
pub struct Plan {
    kind: Kind,
    pass: Pass,
    /// Count probes this plan sent.
    pub probes: u64,
}

impl Plan {
    /// Plans (or resumes) the queries for these filters against the API. `now` is when the
    /// run started (RAWG's `updated` has no zone; a pass asks up to the day after).
    pub async fn new(
        wh: &Warehouse,
        client: &RawgClient,
        dates: Option<DateRange>,
        updated: Option<DateRange>,
        now: NaiveDateTime,
    ) -> Result<Self> {
        let (split_on, range, other) = match (updated, dates) {
            (Some(u), d) => ("updated", u, d.map(|d| ("dates", d.to_string()))),
            (None, Some(d)) => ("dates", d, None),
            (None, None) => return Self::sync(wh, client, now).await,
        };
        let other: Vec<_> = other.into_iter().collect();
        let suffix: String = other.iter().map(|(k, v)| format!("_{k}={v}")).collect();
        let path = format!("state/backfill/{split_on}={range}{suffix}.json").replace(',', "_");
        let mut probes = 0;
        let pass = match read_state::<Pass>(wh, &path).await? {
            Some(pass) => {
                tracing::info!(
                    %path,
                    done = pass.done.len(),
                    windows = pass.windows.len(),
                    "resuming backfill"
                );
                pass
            }
            None => {
                let pass = plan_pass(client, split_on, range, &other, now, &mut probes).await?;
                save(wh, &path, &pass).await?;
                tracing::info!(%path, windows = pass.windows.len(), "backfill planned");
                pass
            }
        };
        Ok(Self {
            kind: Kind::Backfill {
                path,
                split_on,
                other,
            },
            pass,
            probes,
        })
    }

    async fn sync(wh: &Warehouse, client: &RawgClient, now: NaiveDateTime) -> Result<Self> {
        let mut state = SyncState::load(wh).await?;
        let mut probes = 0;
        let pass = match state.pass.clone() {
            Some(pass) => {
                tracing::info!(
                    done = pass.done.len(),
                    windows = pass.windows.len(),
                    "resuming the sync pass"
                );
                pass
            }
            None => {
                let first = NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2)
                    .ok_or_else(|| Error::Internal("first sync day".into()))?;
                let from = state
                    .watermark
                    .map(|w| w.date() - Duration::days(1))
                    .unwrap_or(first);
                let to = now.date() + Duration::days(1);
                let range = DateRange {
                    from: from.min(to),
                    to,
                };
                let pass = plan_pass(client, "updated", range, &[], now, &mut probes).await?;
                tracing::info!(
                    %range,
                    windows = pass.windows.len(),
                    games = pass.counts.values().sum::<i64>(),
                    "sync pass planned"
                );
                state.pass = Some(pass.clone());
                save(wh, SYNC_STATE, &state).await?;
                pass
            }
        };
        Ok(Self {
            kind: Kind::Sync(state),
            pass,
            probes,
        })
    }

    /// The queries still to run, in order.
    pub fn pending(&self) -> Result<Vec<Query>> {
        let split_on = match &self.kind {
            Kind::Backfill { split_on, .. } => *split_on,
            Kind::Sync(_) => "updated",
        };
        self.pass
            .windows
            .iter()
            .filter(|w| !self.pass.done.contains(*w))
            .map(|w| {
                let (range, tail) = match w.strip_suffix(TAIL) {
                    Some(range) => (range, true),
                    None => (w.as_str(), false),
                };
                let window: DateRange = range.parse().map_err(|e: String| {
                    Error::corrupt("ingest state", format!("window {w:?}: {e}"))
                })?;
                let mut filters = vec![(split_on, window.to_string())];
                if let Kind::Backfill { other, .. } = &self.kind {
                    filters.extend(other.iter().cloned());
                }
                let ordering = if tail { OLDEST_FIRST } else { NEWEST_FIRST };
                filters.push(("ordering", ordering.to_string()));
                let start_page = match &self.pass.resume {
                    Some((r, page)) if r == w => (*page).max(1),
                    _ => 1,
                };
                let max_pages = tail.then(|| {
                    pages_for(
                        self.pass
                            .counts
                            .get(w)
                            .copied()
                            .unwrap_or(MAX_GAMES_PER_QUERY),
                    ) as usize
                });
                Ok(Query {
                    filters,
                    window: Some(window),
                    key: Some(w.clone()),
                    start_page,
                    max_pages,
                })
            })
            .collect()
    }

    /// Windows in the plan, and how many were finished before this run.
    pub fn progress(&self) -> (usize, usize) {
        (self.pass.windows.len(), self.pass.done.len())
    }

    /// Windows and estimated list pages left.
    pub fn left(&self) -> WindowsLeft {
        self.pass.left()
    }

    /// Games RAWG counted in the windows not yet finished, when they were planned.
    pub fn games_left(&self) -> i64 {
        self.pass
            .windows
            .iter()
            .filter(|w| !self.pass.done.contains(*w))
            .map(|w| self.pass.counts.get(w).copied().unwrap_or(0))
            .sum()
    }

    /// Records a window as finished (call only once its games are landed). When it was the
    /// last one, a backfill's state is removed and a sync's watermark moves to `newest`, the
    /// latest `updated` now held.
    pub async fn finish(
        &mut self,
        wh: &Warehouse,
        query: &Query,
        newest: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Result<()> {
        let Some(key) = &query.key else {
            return Ok(());
        };
        self.pass.done.insert(key.clone());
        self.pass.resume = None;
        let complete = self.pass.done.len() >= self.pass.windows.len();
        match &mut self.kind {
            Kind::Backfill { path, .. } if complete => wh.delete(path).await,
            Kind::Backfill { path, .. } => save(wh, path, &self.pass).await,
            Kind::Sync(state) => {
                if complete {
                    state.pass = None;
                    state.watermark = newest.max(state.watermark);
                    state.finished_at = Some(now);
                    tracing::info!(watermark = ?state.watermark, "sync pass finished");
                } else {
                    state.pass = Some(self.pass.clone());
                }
                save(wh, SYNC_STATE, state).await
            }
        }
    }

    /// Records that a run stopped inside `query`'s window after landing its pages up to
    /// `page`: the next run goes on from there.
    pub async fn stopped(&mut self, wh: &Warehouse, query: &Query, page: usize) -> Result<()> {
        let Some(key) = &query.key else {
            return Ok(());
        };
        self.pass.resume = Some((key.clone(), page.max(query.start_page)));
        match &mut self.kind {
            Kind::Backfill { path, .. } => save(wh, path, &self.pass).await,
            Kind::Sync(state) => {
                state.pass = Some(self.pass.clone());
                save(wh, SYNC_STATE, state).await
            }
        }
    }

    /// A window turned out to hold more than RAWG serves (it grew since it was planned):
    /// it is split again and stays unfinished, so the games past the limit are read from
    /// the smaller windows.
    pub async fn resplit(
        &mut self,
        wh: &Warehouse,
        client: &RawgClient,
        query: &Query,
    ) -> Result<bool> {
        let Some(window) = query.window.filter(|w| w.from < w.to) else {
            return Ok(false);
        };
        let key = query.key.clone().unwrap_or_else(|| window.to_string());
        let (split_on, other) = match &self.kind {
            Kind::Backfill {
                split_on, other, ..
            } => (*split_on, other.clone()),
            Kind::Sync(_) => ("updated", Vec::new()),
        };
        let mut probes = 0;
        let halves = halve(window);
        let mut counts = BTreeMap::new();
        let mut windows = Vec::new();
        for half in halves {
            let sub = split(client, split_on, half, &other, &mut probes).await?;
            for (w, c) in sub {
                counts.insert(w.clone(), c);
                windows.push(w);
            }
        }
        self.probes += probes;
        let at = self
            .pass
            .windows
            .iter()
            .position(|w| *w == key)
            .unwrap_or(self.pass.windows.len());
        self.pass
            .windows
            .splice(at..(at + 1).min(self.pass.windows.len()), windows);
        self.pass.counts.remove(&key);
        self.pass.counts.extend(counts);
        self.pass.resume = None;
        tracing::warn!(%window, "a window outgrew RAWG's 250-page limit; split it again");
        match &mut self.kind {
            Kind::Backfill { path, .. } => save(wh, path, &self.pass).await?,
            Kind::Sync(state) => {
                state.pass = Some(self.pass.clone());
                save(wh, SYNC_STATE, state).await?;
            }
        }
        Ok(true)
    }
}

async fn read_state<T: serde::de::DeserializeOwned>(
    wh: &Warehouse,
    path: &str,
) -> Result<Option<T>> {
    let Some(bytes) = wh.get_opt(path).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        Error::corrupt(
            path,
            format!("{e}; remove it to plan again (what has landed is kept)"),
        )
    })
}

async fn save<T: Serialize>(wh: &Warehouse, path: &str, state: &T) -> Result<()> {
    let json = serde_json::to_vec_pretty(state)
        .map_err(|e| Error::Internal(format!("ingest state {path}: {e}")))?;
    wh.put(path, json.into()).await
}

async fn plan_pass(
    client: &RawgClient,
    split_on: &'static str,
    range: DateRange,
    other: &[(&'static str, String)],
    now: NaiveDateTime,
    probes: &mut u64,
) -> Result<Pass> {
    let windows = split(client, split_on, range, other, probes).await?;
    Ok(Pass {
        windows: windows.iter().map(|(w, _)| w.clone()).collect(),
        done: BTreeSet::new(),
        resume: None,
        counts: windows.into_iter().collect(),
        planned_at: Some(now),
    })
}

fn halve(window: DateRange) -> [DateRange; 2] {
    let mid = window.from + Duration::days((window.to - window.from).num_days() / 2);
    [
        DateRange {
            from: window.from,
            to: mid,
        },
        DateRange {
            from: mid + Duration::days(1),
            to: window.to,
        },
    ]
}

#[derive(Deserialize)]
struct CountOnly {
    count: i64,
}

/// RAWG's count of games for a query: one request (`page_size=1`). An answer without a
/// readable `count` is an error, never an empty window: its games would not be fetched.
async fn count(client: &RawgClient, filters: &[(&'static str, String)]) -> Result<i64> {
    let url = super::http::with_param(&client.games_url(filters), "page_size", "1");
    match client.fetch(&url).await? {
        Fetched::Body(bytes) => serde_json::from_slice::<CountOnly>(&bytes)
            .map(|c| c.count.max(0))
            .map_err(|e| {
                let start: String = String::from_utf8_lossy(&bytes).chars().take(60).collect();
                Error::BadInput(ParseError::Page {
                    page: super::http::redact(url.as_str()),
                    reason: format!(
                        "the count probe has no readable `count` ({e}; body starts with \
                         {start:?}); nothing was planned, rerun to ask again"
                    ),
                })
            }),
        Fetched::NotFound => Ok(0),
    }
}

/// Splits `range` until each window holds at most [`MAX_GAMES_PER_QUERY`] games; returns
/// the keys of the windows that hold any, in date order, with the games each reads (an
/// overfull day also gets its tail, see the module docs).
async fn split(
    client: &RawgClient,
    split_on: &'static str,
    range: DateRange,
    other: &[(&'static str, String)],
    probes: &mut u64,
) -> Result<Vec<(String, i64)>> {
    let mut stack = vec![range];
    let mut out = Vec::new();
    while let Some(window) = stack.pop() {
        let mut filters = vec![(split_on, window.to_string())];
        filters.extend(other.iter().cloned());
        let count = count(client, &filters).await?;
        *probes += 1;
        if count <= MAX_GAMES_PER_QUERY {
            if count > 0 {
                out.push((window.to_string(), count));
            }
        } else if window.from == window.to {
            let reachable = count.min(2 * MAX_GAMES_PER_QUERY);
            if count > reachable {
                tracing::warn!(
                    %window,
                    count,
                    "one day holds more games than RAWG serves for it, newest and oldest first; {} are out of reach",
                    count - reachable
                );
            }
            out.push((window.to_string(), MAX_GAMES_PER_QUERY));
            // The rest, oldest first, plus a page of overlap.
            out.push((
                format!("{window}{TAIL}"),
                reachable - MAX_GAMES_PER_QUERY + 40,
            ));
        } else {
            let [first, second] = halve(window);
            stack.push(second);
            stack.push(first);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_left_count_the_resumed_window_from_its_page() {
        let pass = Pass {
            windows: vec!["a".into(), "b".into(), "c".into()],
            done: BTreeSet::from(["a".to_string()]),
            resume: Some(("b".into(), 11)),
            counts: BTreeMap::from([("b".into(), 1000), ("c".into(), 41)]),
            planned_at: None,
        };
        // b: 25 pages, 10 read; c: 2 pages.
        assert_eq!(
            pass.left(),
            WindowsLeft {
                windows: 2,
                list_pages: 15 + 2
            }
        );
        assert_eq!(pages_for(20_000), 250);
        assert_eq!(pages_for(0), 0);
    }

    #[test]
    fn halves_cover_the_window_without_overlap() {
        let w: DateRange = "2020-01-01,2020-01-04".parse().expect("range");
        let [a, b] = halve(w);
        assert_eq!(
            (a.to_string(), b.to_string()),
            (
                "2020-01-01,2020-01-02".to_string(),
                "2020-01-03,2020-01-04".to_string()
            )
        );
    }
}
