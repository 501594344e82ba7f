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
