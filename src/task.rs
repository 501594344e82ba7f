//! Tasks a step spawns beside its own work, so it uses both cores: each is stopped when the
//! step stops waiting for it (an error elsewhere returned early), never left running on.
//!
//! Must never: detach a task, or hide a panic in one (it comes back as an error).

/// A spawned task that is aborted when dropped.
pub(crate) struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T: Send + 'static> AbortOnDrop<T> {
    /// Spawns `future` on the current runtime.
    pub(crate) fn spawn(future: impl Future<Output = T> + Send + 'static) -> Self {
        Self(tokio::spawn(future))
    }
}

impl<T> AbortOnDrop<T> {
    /// The task's result; a task that panicked or was aborted is an error.
    pub(crate) async fn join(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A one-way signal between two parts of a run: opened once by one, awaited by the other
/// (an ETL's upkeep waits until the run knows it has something to publish:
/// [`crate::etl::upkeep`]). Clones share the signal.
#[derive(Clone, Debug)]
pub(crate) struct Latch(std::sync::Arc<tokio::sync::watch::Sender<bool>>);

impl Latch {
    /// A closed latch.
    pub(crate) fn new() -> Self {
        Self(std::sync::Arc::new(tokio::sync::watch::channel(false).0))
    }

    /// Opens the latch; opening it again does nothing.
    pub(crate) fn open(&self) {
        self.0
            .send_if_modified(|open| !std::mem::replace(open, true));
    }

    /// Returns once the latch is open; never, while it stays closed.
    pub(crate) async fn opened(&self) {
        let mut seen = self.0.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = seen.wait_for(|open| *open).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_latch_lets_through_once_opened_and_stays_open() {
        let latch = Latch::new();
        let waiting = tokio::spawn({
            let latch = latch.clone();
            async move { latch.opened().await }
        });
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "a closed latch let a waiter through"
        );
        latch.open();
        waiting.await.expect("the waiter ends once the latch opens");
        latch.open();
        latch.opened().await;
    }
}
