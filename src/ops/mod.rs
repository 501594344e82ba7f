//! Operations: what a user does with a warehouse, one module each: [`ingest`](Gamelake::ingest),
//! [`etl`](Gamelake::etl), [`run`](Gamelake::run) (both), [`maintain`](Gamelake::maintain),
//! [`sql`](Gamelake::sql), [`tables`](Gamelake::tables), [`status`](Gamelake::status),
//! [`report`](Gamelake::report), [`check`](Gamelake::check), [`rollback`](Gamelake::rollback). This is the library's front door;
//! the binary only turns flags into [`Settings`] and options, and renders what comes back.
//!
//! A [`Gamelake`] is an opened warehouse plus where its catalog is. Every writing operation
//! takes the warehouse lease for its whole duration ([`crate::lease`]) and releases it when
//! done, so a library caller cannot write beside another run. Reading operations never wait.
//!
//! Must never: hold policy the layers below should hold (what a table is, how keys move),
//! or write without the lease.

mod check;
mod etl;
mod ingest;
mod maintain;
mod report;
mod rollback;
mod run;
mod sql;
mod status;
mod tables;

pub use maintain::MaintainOutcome;
pub use rollback::RollbackReport;
pub use run::RunReport;
pub use status::Status;

use std::future::Future;
use std::time::Duration;

use crate::catalog::{CatalogSettings, EMBEDDED_CATALOG_FILE};
use crate::config::Settings;
use crate::lakehouse::Lakehouse;
use crate::lease::{Lease, LeaseFence, LeaseSettings};
use crate::storage::Warehouse;
use crate::storage::s3::S3Settings;
use crate::{Error, Result};

/// How long a writing operation waits for another run's lease by default.
pub use crate::lease::DEFAULT_WAIT as DEFAULT_LEASE_WAIT;

/// An opened warehouse and its catalog settings: the handle every operation runs on.
#[derive(Debug, Clone)]
pub struct Gamelake {
    wh: Warehouse,
    namespace: String,
    catalog: CatalogSettings,
    s3: S3Settings,
    lease: LeaseSettings,
}

impl Gamelake {
    /// Opens the warehouse `settings` name, creating a local folder if there is none yet
    /// (for operations that write). The catalog is connected when an operation needs it.
    pub async fn open(settings: &Settings) -> Result<Self> {
        let wh = Warehouse::connect(&settings.warehouse, &settings.s3).await?;
        Ok(Self {
            wh,
            namespace: settings.namespace.clone(),
            catalog: settings.catalog.clone(),
            s3: settings.s3.clone(),
            lease: LeaseSettings {
                wait: DEFAULT_LEASE_WAIT,
                stale_after: settings.lease_stale_after,
            },
        })
    }

    /// Opens a warehouse that must exist already (for operations that only read, and for
    /// maintenance): a local warehouse with the embedded catalog and no catalog file is
    /// [`Error::NoData`], and no folder is created.
    pub async fn open_existing(settings: &Settings) -> Result<Self> {
        if settings.catalog == CatalogSettings::Embedded
            && let Some(root) = Warehouse::local_path(&settings.warehouse)
            && !root.join(EMBEDDED_CATALOG_FILE).exists()
        {
            return Err(Error::NoData(format!(
                "no warehouse at {}: run `gamelake run` first, or point --warehouse at one",
                settings.warehouse
            )));
        }
        Self::open(settings).await
    }

    /// A warehouse already opened, with the embedded catalog and `namespace`.
    pub fn embedded(wh: Warehouse, namespace: &str) -> Self {
        Self {
            wh,
            namespace: namespace.to_string(),
            catalog: CatalogSettings::Embedded,
            s3: S3Settings::default(),
            lease: LeaseSettings::default(),
        }
    }

    /// How long writing operations wait for another run's lease ([`DEFAULT_LEASE_WAIT`]).
    pub fn with_lease_wait(mut self, wait: Duration) -> Self {
        self.lease.wait = wait;
        self
    }

    /// The warehouse root.
    pub fn warehouse(&self) -> &Warehouse {
        &self.wh
    }

    /// Connects to the catalog and makes sure the namespace exists.
    pub async fn lakehouse(&self) -> Result<Lakehouse> {
        Lakehouse::connect(&self.wh, &self.namespace, &self.catalog, &self.s3).await
    }

    /// The lakehouse of a read-only command: each table as the command first loads it
    /// ([`Lakehouse::pinned`]), so its queries read one state of every table and a REST
    /// catalog is asked for each table once.
    async fn reading(&self) -> Result<Lakehouse> {
        Ok(self.lakehouse().await?.pinned())
    }

    /// Runs `work` holding the warehouse lease as `command`; the lease is released whatever
    /// the outcome. `work` gets the lease's fence, which a publish checks; nothing of it
    /// runs before the lease is held.
    async fn locked<T, F: Future<Output = Result<T>>>(
        &self,
        command: &'static str,
        work: impl FnOnce(LeaseFence) -> F,
    ) -> Result<T> {
        let lease = Lease::acquire(&self.wh, command, self.lease).await?;
        let result = work(lease.fence()).await;
        lease.release().await;
        result
    }
}
