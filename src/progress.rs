//! Progress on long work: a bar (indicatif) when stderr is a terminal, otherwise a plain log
//! line now and then, so CI logs and cron mails stay readable.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// A counter of work done, shown as a bar or as periodic log lines.
#[derive(Debug)]
pub struct Progress {
    what: &'static str,
    bar: Option<ProgressBar>,
    done: u64,
    last_log: Instant,
}

impl Progress {
    /// `what` names the unit ("pages", "tables"); `total` is known or not.
    pub fn new(what: &'static str, total: Option<u64>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total {
                Some(n) => ProgressBar::new(n),
                None => ProgressBar::new_spinner(),
            };
            let style = ProgressStyle::with_template(
                "{spinner} {prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(what);
            bar
        });
        Self {
            what,
            bar,
            done: 0,
            last_log: Instant::now(),
        }
    }

    /// A reporter that shows nothing (library callers, tests).
    pub fn hidden(what: &'static str) -> Self {
        Self {
            what,
            bar: None,
            done: 0,
            last_log: Instant::now(),
        }
    }

    /// Counts `n` more units done, with a short status message.
    pub fn inc(&mut self, n: u64, msg: &str) {
        self.done += n;
        match &self.bar {
            Some(bar) => {
                bar.inc(n);
                bar.set_message(msg.to_string());
            }
            None if self.last_log.elapsed() >= Duration::from_secs(5) => {
                self.last_log = Instant::now();
                tracing::info!("{} {}: {msg}", self.done, self.what);
            }
            None => {}
        }
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
