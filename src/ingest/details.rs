//! Game details: `GET /games/{id}` for each game that is new or whose `updated` is later
//! than the details held, landed raw under `raw/game_details/run_date=…/`. Only details carry
//! developers and publishers (and the texts: description, website, alternative names).
//!
//! The backlog is derived, never stored: the games the list landing holds (change data
//! capture's state) whose latest `updated` is later than the `list_updated` of their newest
//! landed detail. So, like the list landing, it moves exactly when a detail file is durably
//! written; a run that dies loses only the details in flight. It is worked off most-`added`
//! games first (the games people look at), a few requests at once, within the run's request
//! budget; what the budget did not reach stays for the next run.
//!
//! A game RAWG answers 404 for (it vanished) or whose detail is malformed gets one warning
//! line and is recorded in `state/details-failed.json`; it goes to the back of the backlog
//! and is asked again on a later run. Its list data is left as it is.
//!
//! Must never: send more requests than the budget allows, or take a detail for another game
//! than the one asked for.

use std::collections::{BTreeMap, HashMap};

use arrow::array::RecordBatch;
use arrow::json::ReaderBuilder;
use chrono::{DateTime, NaiveDateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::cdc::CdcState;
use super::http::{Fetched, HttpError, RawgClient};
use crate::error::ParseError;
use crate::failpoint;
use crate::progress::Progress;
use crate::raw::{detail_schema, raw_detail_path};
use crate::storage::Warehouse;
use crate::{Error, Result};

/// Where games whose detail could not be taken are recorded.
pub const FAILURES: &str = "state/details-failed.json";

/// Details per raw detail file.
const ROWS_PER_FILE: usize = 500;

/// What a run did with details.
#[derive(Debug, Clone, Default)]
pub struct DetailsReport {
    /// Details landed.
    pub landed: usize,
    /// Games whose detail was missing (404) or malformed this run.
    pub failed: usize,
    /// Games still waiting for their detail after this run.
    pub left: usize,
    /// The detail files this run landed.
    pub files: Vec<String>,
}

/// Game id → the `list_updated` (micros) of its newest landed detail.
#[derive(Debug, Default)]
pub struct DetailState {
    held: HashMap<i64, i64>,
}

impl DetailState {
    /// Reads the state from every raw detail file.
    pub async fn load(wh: &Warehouse) -> Result<Self> {
        let mut state = Self::default();
        for path in wh.parquet_files(crate::raw::RAW_DETAILS_PREFIX).await? {
            let bytes = wh.get(&path).await?;
            state.absorb(bytes, &path)?;
        }
        Ok(state)
    }

    fn absorb(&mut self, bytes: bytes::Bytes, path: &str) -> Result<()> {
        super::cdc::for_each_version(bytes, path, "list_updated", None, |id, updated, _| {
            let slot = self.held.entry(id).or_insert(i64::MIN);
            *slot = (*slot).max(updated);
        })
    }
}

/// A game whose detail could not be taken, and for which list version.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Failure {
    list_updated: i64,
    reason: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Failures {
    games: BTreeMap<i64, Failure>,
}

impl Failures {
    async fn load(wh: &Warehouse) -> Result<Self> {
        match wh.get_opt(FAILURES).await {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes)
                .map_err(|e| Error::corrupt(FAILURES, format!("{e}; remove it to retry them all"))),
            Ok(None) => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }

    async fn save(&self, wh: &Warehouse) -> Result<()> {
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::Internal(format!("{FAILURES}: {e}")))?;
        wh.put(FAILURES, json.into()).await
    }
}

/// The games waiting for their detail, in the order they are fetched: most `added` first
/// (then by id), games that failed before last. Each with the list version it is for.
pub(crate) fn backlog(
    cdc: &CdcState,
    held: &DetailState,
    failed: &BTreeMap<i64, i64>,
) -> Vec<(i64, i64)> {
    let mut waiting: Vec<(bool, std::cmp::Reverse<u32>, i64, i64)> = cdc
        .games()
        .filter(|(id, updated, _)| held.held.get(id).is_none_or(|h| h < updated))
        .map(|(id, updated, added)| {
            let failed_before = failed.get(&id).is_some_and(|f| *f >= updated);
            (failed_before, std::cmp::Reverse(added), id, updated)
        })
        .collect();
    waiting.sort_unstable();
    waiting
        .into_iter()
        .map(|(_, _, id, updated)| (id, updated))
        .collect()
}

/// How many games wait for their detail (for `gamelake status`).
pub async fn backlog_len(wh: &Warehouse, cdc: &CdcState) -> Result<usize> {
    let held = DetailState::load(wh).await?;
    Ok(backlog(cdc, &held, &BTreeMap::new()).len())
}

/// How many games wait for their detail, or `None` while no run has used the API: only the
/// API gives details, so a warehouse filled from archived pages awaits none. The change
/// data capture state is loaded here when the caller has none and the API was used.
pub async fn awaited(
    wh: &Warehouse,
    cdc: Option<&CdcState>,
    ledger: &super::quota::Ledger,
) -> Result<Option<usize>> {
    let api_used = ledger.ever_spent()
        || !wh
            .parquet_files(crate::raw::RAW_DETAILS_PREFIX)
            .await?
            .is_empty();
    if !api_used {
        return Ok(None);
    }
    match cdc {
        Some(cdc) => backlog_len(wh, cdc).await.map(Some),
        None => backlog_len(wh, &CdcState::load(wh).await?).await.map(Some),
    }
}

/// The games whose detail could not be taken (404 or malformed), with the reason, by id.
pub async fn failures(wh: &Warehouse) -> Result<Vec<(i64, String)>> {
    Ok(Failures::load(wh)
        .await?
        .games
        .into_iter()
        .map(|(id, f)| (id, f.reason))
        .collect())
}

/// A detail as RAWG sends it: only what is landed; unknown fields are ignored.
#[derive(Debug, Deserialize)]
struct DetailIn {
    id: i64,
    updated: NaiveDateTime,
    #[serde(default)]
    name_original: Option<String>,
    #[serde(default)]
    description_raw: Option<String>,
    #[serde(default)]
    website: Option<String>,
    #[serde(default)]
    reddit_url: Option<String>,
    #[serde(default)]
    metacritic_url: Option<String>,
    #[serde(default)]
    alternative_names: Option<Vec<String>>,
    #[serde(default)]
    developers: Option<Vec<Named>>,
    #[serde(default)]
    publishers: Option<Vec<Named>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Named {
    id: i64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    slug: Option<String>,
}

/// One row of a raw detail file, in [`detail_schema`]'s order.
#[derive(Debug, Serialize)]
struct DetailRow {
    id: i64,
    updated: NaiveDateTime,
    list_updated: NaiveDateTime,
    name_original: Option<String>,
    description_raw: Option<String>,
    website: Option<String>,
    reddit_url: Option<String>,
    metacritic_url: Option<String>,
    alternative_names: Option<Vec<String>>,
    developers: Option<Vec<Named>>,
    publishers: Option<Vec<Named>>,
    _run_id: String,
    _ingested_at: String,
}

/// Parses one detail answer for game `id`; errors name the request, the game and the field.
fn parse_detail(bytes: &[u8], id: i64, label: &str) -> Result<DetailIn, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let detail: DetailIn = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let reason = e.into_inner().to_string();
        if field == "." {
            ParseError::Page {
                page: label.to_string(),
                reason: format!("not a RAWG game detail: {reason}"),
            }
        } else {
            ParseError::Game {
                page: label.to_string(),
                game: id.to_string(),
                field,
                reason,
            }
        }
    })?;
    if detail.id != id {
        return Err(ParseError::Game {
            page: label.to_string(),
            game: id.to_string(),
            field: "id".into(),
            reason: format!("the answer is for game {}", detail.id),
        });
    }
    Ok(detail)
}

/// The details of one run, written in files of [`ROWS_PER_FILE`].
struct DetailLander {
    run_id: String,
    run_date: String,
    ingested_at: String,
    rows: Vec<DetailRow>,
    files: Vec<String>,
}

impl DetailLander {
    fn push(&mut self, detail: DetailIn, list_updated: NaiveDateTime) {
        self.rows.push(DetailRow {
            id: detail.id,
            updated: detail.updated,
            list_updated,
            name_original: detail.name_original,
            description_raw: detail.description_raw,
            website: detail.website,
            reddit_url: detail.reddit_url,
            metacritic_url: detail.metacritic_url,
            alternative_names: detail.alternative_names,
            developers: detail.developers,
            publishers: detail.publishers,
            _run_id: self.run_id.clone(),
            _ingested_at: self.ingested_at.clone(),
        });
    }

    fn new(run_id: &str, started: DateTime<Utc>) -> Self {
        Self {
            run_id: run_id.to_string(),
            run_date: started.format("%Y-%m-%d").to_string(),
            ingested_at: started.to_rfc3339(),
            rows: Vec::new(),
            files: Vec::new(),
        }
    }

    async fn flush(&mut self, wh: &Warehouse) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let bytes = tokio::task::spawn_blocking(move || {
            let batch = to_batch(&rows)?;
            super::land::encode_batch(&batch)
        })
        .await??;
        let path = raw_detail_path(&self.run_date, &self.run_id, self.files.len() + 1);
        wh.put(&path, bytes).await?;
        self.files.push(path);
        failpoint::hit_nth("ingest.detail-file", self.files.len());
        Ok(())
    }
}

fn to_batch(rows: &[DetailRow]) -> Result<RecordBatch> {
    let mut decoder = ReaderBuilder::new(detail_schema())
        .with_batch_size(rows.len().max(1))
        .build_decoder()?;
    decoder.serialize(rows)?;
    decoder
        .flush()?
        .ok_or_else(|| Error::Internal("no detail rows to encode".into()))
}

/// Why a run's details stopped before the backlog was empty.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// The backlog is empty.
    No,
    /// The request budget is spent.
    Budget,
}

/// Fetches and lands the details of the backlog, most-`added` first, until it is empty or
/// the client's budget is spent. A failure that retries did not fix lands what was fetched
/// before it and is returned.
pub(crate) async fn fetch(
    wh: &Warehouse,
    client: &RawgClient,
    cdc: &CdcState,
    run_id: &str,
    started: DateTime<Utc>,
    progress: &mut dyn Progress,
) -> Result<(DetailsReport, Stopped)> {
    let held = DetailState::load(wh).await?;
    let mut failures = Failures::load(wh).await?;
    let failed_versions = failures
        .games
        .iter()
        .map(|(id, f)| (*id, f.list_updated))
        .collect();
    let queue = backlog(cdc, &held, &failed_versions);
    let mut report = DetailsReport::default();
    if queue.is_empty() {
        return Ok((report, Stopped::No));
    }
    tracing::info!(games = queue.len(), "fetching game details");
    progress.begin("details", Some(queue.len() as u64));
    let mut lander = DetailLander::new(run_id, started);
    let total = queue.len();
    let mut answers = requests(client, queue);
    let mut outcome: Result<Stopped> = Ok(Stopped::No);
    let mut done = 0usize;
    while let Some((id, list_micros, answer, url)) = answers.next().await {
        let label = super::http::redact(url.as_str());
        let list_updated = DateTime::from_timestamp_micros(list_micros)
            .map(|t| t.naive_utc())
            .ok_or_else(|| Error::Internal(format!("game {id}: updated out of range")))?;
        let failure = match judge(answer, id, &label) {
            Answer::Detail(detail) => {
                lander.push(*detail, list_updated);
                failures.games.remove(&id);
                report.landed += 1;
                None
            }
            Answer::NotTaken(reason) => Some(reason),
            Answer::Stop(stop) => {
                outcome = stop;
                break;
            }
        };
        if let Some(reason) = failure {
            tracing::warn!(
                game = id,
                "detail not taken, list data kept, asked again on a later run: {reason}"
            );
            let failure = Failure {
                list_updated: list_micros,
                reason,
            };
            failures.games.insert(id, failure);
            report.failed += 1;
        }
        done += 1;
        if lander.rows.len() >= ROWS_PER_FILE {
            lander.flush(wh).await?;
        }
        progress.advance(1, &format!("{} details landed", report.landed));
        failpoint::hit_nth("ingest.detail", done);
    }
    drop(answers);
    // Keep what was good, whatever stopped the run.
    let flushed = lander.flush(wh).await;
    let saved = failures.save(wh).await;
    progress.finish();
    report.files = lander.files;
    report.left = total - report.landed;
    flushed?;
    saved?;
    outcome.map(|stopped| (report, stopped))
}

/// What one detail request gave.
enum Answer {
    /// A detail to land.
    Detail(Box<DetailIn>),
    /// Not taken (a 404, a malformed body): the game goes to the back of the backlog.
    NotTaken(String),
    /// The run's details stop here: the budget is spent, or a fault retries did not fix.
    Stop(Result<Stopped>),
}

fn judge(answer: Result<Fetched, HttpError>, id: i64, label: &str) -> Answer {
    match answer {
        Ok(Fetched::Body(bytes)) => match parse_detail(&bytes, id, label) {
            Ok(detail) => Answer::Detail(Box::new(detail)),
            Err(e) => Answer::NotTaken(e.to_string()),
        },
        Ok(Fetched::NotFound) => Answer::NotTaken(format!(
            "{label}: RAWG answers 404 (the game is gone or merged)"
        )),
        Err(HttpError::BudgetSpent { .. }) => Answer::Stop(Ok(Stopped::Budget)),
        Err(e) => Answer::Stop(Err(e.into())),
    }
}

/// The detail requests of `queue`, a few in flight, answered in order: each game's id, its
/// list `updated` (micros), the answer and the URL asked.
fn requests(
    client: &RawgClient,
    queue: Vec<(i64, i64)>,
) -> impl futures::Stream<Item = (i64, i64, Result<Fetched, HttpError>, url::Url)> + '_ {
    let concurrency = client_concurrency(client);
    futures::stream::iter(queue)
        .map(move |(id, list_updated)| {
            let client = client.clone();
            async move {
                let url = client.detail_url(id);
                (id, list_updated, client.fetch(&url).await, url)
            }
        })
        .buffered(concurrency)
}

fn client_concurrency(client: &RawgClient) -> usize {
    client.concurrency().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded() -> Vec<serde_json::Value> {
        let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/rawg");
        let bytes = std::fs::read(format!("{shared}/verbatim/game-details-150.json"))
            .expect("recorded details");
        serde_json::from_slice(&bytes).expect("json")
    }

    #[test]
    fn every_recorded_detail_parses_and_encodes() {
        let details = recorded();
        let mut lander = DetailLander {
            run_id: "r".into(),
            run_date: "2026-12-02".into(),
            ingested_at: "2026-12-02T10:00:00+00:00".into(),
            rows: Vec::new(),
            files: Vec::new(),
        };
        let mut developers = 0;
        for d in &details {
            let id = d["id"].as_i64().expect("id");
            let bytes = serde_json::to_vec(d).expect("bytes");
            let detail = parse_detail(&bytes, id, "/games/x").expect("parse");
            developers += detail.developers.as_ref().map_or(0, Vec::len);
            let updated = detail.updated;
            lander.push(detail, updated);
        }
        let batch = to_batch(&lander.rows).expect("batch");
        assert_eq!(batch.num_rows(), 150);
        assert_eq!(batch.schema(), detail_schema());
        assert!(developers >= 150, "{developers} developers");
    }

    #[test]
    fn malformed_details_name_the_game_and_field() {
        let wrong = parse_detail(
            br#"{"id": 7, "updated": "2020-01-01T00:00:00", "developers": [{"id": "x"}]}"#,
            7,
            "/games/7",
        )
        .expect_err("bad id type");
        let text = wrong.to_string();
        assert!(
            text.contains("game 7") && text.contains("developers[0].id"),
            "{text}"
        );
        let other = parse_detail(
            br#"{"id": 8, "updated": "2020-01-01T00:00:00"}"#,
            7,
            "/games/7",
        )
        .expect_err("another game");
        assert!(other.to_string().contains("for game 8"), "{other}");
        let html = parse_detail(b"<html>", 7, "/games/7").expect_err("html");
        assert!(
            html.to_string().contains("not a RAWG game detail"),
            "{html}"
        );
    }

    #[test]
    fn the_backlog_is_most_added_first_and_failures_last() {
        let ts = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").expect("ts");
        let mut cdc = CdcState::default();
        cdc.observe(1, ts("2020-01-01T00:00:00"), 10);
        cdc.observe(2, ts("2020-01-01T00:00:00"), 500);
        cdc.observe(3, ts("2020-01-01T00:00:00"), 90);
        cdc.observe(4, ts("2020-01-02T00:00:00"), 1000);
        let mut held = DetailState::default();
        // Game 4's detail is for an older list version: it waits again.
        held.held
            .insert(4, ts("2020-01-01T00:00:00").and_utc().timestamp_micros());
        held.held
            .insert(3, ts("2020-01-01T00:00:00").and_utc().timestamp_micros());
        let failed = BTreeMap::from([(2, ts("2020-01-01T00:00:00").and_utc().timestamp_micros())]);
        let order: Vec<i64> = backlog(&cdc, &held, &failed)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(order, vec![4, 1, 2]);
    }
}
