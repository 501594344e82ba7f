//! The quarantine: games over a size limit ([`super::model::limits`]), kept instead of taken
//! in. A game with a 10 MB name is valid JSON, but it would carry megabytes into every table,
//! report and query; it is set aside, not dropped, and the rest of its page lands.
//!
//! Each run that meets such games writes `raw/quarantine/run_date=…/<run_id>-NNNNN.jsonl`:
//! one JSON object a line, `{"page", "id", "field", "reason", "game"}`, `game` being the game
//! as RAWG sent it. Files are written whole, after the run's raw files, including when the
//! run fails (what was good is kept). Quarantined games are not recorded by change data
//! capture, so a later version of the game (a new `updated`) is fetched again.
//!
//! Must never: let a quarantined game reach the raw landing, or lose one silently.

use bytes::Bytes;

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
            r#"{{"page":{},"id":{},"field":{},"reason":{},"game":{}}}"#,
            text(page),
            q.id,
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

/// Games the warehouse's quarantine holds (every run's), and its files.
pub async fn held(wh: &Warehouse) -> Result<(usize, usize)> {
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
    Ok((games, files.len()))
}
