//! The quarantine: games over a size limit ([`super::model::limits`]), kept instead of taken
//! in. A game with a 10 MB name is valid JSON, but it would carry megabytes into every table,
//! report and query; it is set aside, not dropped, and the rest of its page lands.
//!
//! Each run that meets such games writes `raw/quarantine/run_date=…/<run_id>-NNNNN.jsonl`:
//! one JSON object a line, `{"page", "id", "field", "reason", "game"}`, `game` being the game
//! as RAWG sent it. Files are written whole, after the run's raw files, including when the
//! run fails (what was good is kept). Quarantined games are not recorded by change data
//! capture (they are not in the tables), but the quarantine remembers each game's version
//! ([`Versions`]): the same version met again is counted as unchanged and not quarantined
//! twice; a later version (a new `updated`) is looked at again.
//!
//! Must never: let a quarantined game reach the raw landing, or lose one silently.

use std::collections::HashMap;

use bytes::Bytes;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::parse::Quarantined;
use crate::raw::{QUARANTINE_PREFIX, quarantine_path};
use crate::storage::Warehouse;
use crate::{Error, Result};

/// The games a run set aside, not yet written.
#[derive(Debug)]
pub struct Quarantine {
    run_date: String,
    run_id: String,
    pending: Vec<String>,
    files: Vec<String>,
}

impl Quarantine {
    /// The quarantine of run `run_id`, started on `run_date` (`YYYY-MM-DD`).
    pub fn new(run_date: &str, run_id: &str) -> Self {
        Self {
            run_date: run_date.to_string(),
            run_id: run_id.to_string(),
            pending: Vec::new(),
            files: Vec::new(),
        }
    }

    /// Sets aside a game of page `page`, warning once about it.
    pub fn push(&mut self, page: &str, q: Quarantined) {
        tracing::warn!(
            page,
            game = q.id,
            field = q.field,
            "game over a size limit quarantined: {}",
            q.reason
        );
        // `raw` is JSON already: spliced in as it is, never parsed again (it may be megabytes).
        let text = |v: &str| serde_json::Value::from(v).to_string();
        self.pending.push(format!(
            r#"{{"page":{},"id":{},"updated":{},"field":{},"reason":{},"game":{}}}"#,
            text(page),
            q.id,
            text(&q.updated.format(UPDATED_FORMAT).to_string()),
            text(&q.field),
            text(&q.reason),
            q.raw
        ));
    }

    /// The files written so far.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Writes what is pending as one new file.
    pub async fn flush(&mut self, wh: &Warehouse) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let path = quarantine_path(&self.run_date, &self.run_id, self.files.len() + 1);
        let mut body = self.pending.join("\n");
        body.push('\n');
        wh.put(&path, Bytes::from(body)).await?;
        self.pending.clear();
        self.files.push(path);
        Ok(())
    }
}

/// How a quarantined version's `updated` is written (RAWG's own form).
const UPDATED_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// The latest version of each game the quarantine holds: id → `updated`.
#[derive(Debug, Default, Clone)]
pub struct Versions {
    latest: HashMap<i64, NaiveDateTime>,
}

/// What a quarantine line says of its game's version (lines of earlier releases have no
/// top-level `updated`: the game's own is read).
#[derive(Deserialize)]
struct LineVersion {
    id: i64,
    updated: Option<String>,
    game: Option<GameVersion>,
}

#[derive(Deserialize)]
struct GameVersion {
    updated: Option<String>,
}

impl Versions {
    /// Reads every quarantine file's ids and versions.
    pub async fn load(wh: &Warehouse) -> Result<Self> {
        let mut out = Self::default();
        for f in wh.list(QUARANTINE_PREFIX).await? {
            let path = f.location.to_string();
            let bytes = wh.get(&path).await?;
            let text = std::str::from_utf8(&bytes).map_err(|e| Error::corrupt(&path, e))?;
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let v: LineVersion =
                    serde_json::from_str(line).map_err(|e| Error::corrupt(&path, e))?;
                let updated = v.updated.or_else(|| v.game.and_then(|g| g.updated));
                if let Some(t) =
                    updated.and_then(|t| NaiveDateTime::parse_from_str(&t, UPDATED_FORMAT).ok())
                {
                    out.observe(v.id, t);
                }
            }
        }
        Ok(out)
    }

    /// True when this version of the game is quarantined already (or an older one is met).
    pub fn holds(&self, id: i64, updated: NaiveDateTime) -> bool {
        self.latest.get(&id).is_some_and(|held| updated <= *held)
    }

    /// Records a quarantined version.
    pub fn observe(&mut self, id: i64, updated: NaiveDateTime) {
        let slot = self.latest.entry(id).or_insert(updated);
        if updated > *slot {
            *slot = updated;
        }
    }
}

/// What the warehouse's quarantine holds (every run's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Held {
    /// Games set aside (one line each).
    pub games: usize,
    /// The files they are in.
    pub files: usize,
}

/// What the warehouse's quarantine holds.
pub async fn held(wh: &Warehouse) -> Result<Held> {
    let files = wh.list(QUARANTINE_PREFIX).await?;
    let mut games = 0;
    for f in &files {
        let path = f.location.to_string();
        let bytes = wh.get(&path).await?;
        games += std::str::from_utf8(&bytes)
            .map_err(|e| Error::corrupt(&path, e))?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
    }
    Ok(Held {
        games,
        files: files.len(),
    })
}
