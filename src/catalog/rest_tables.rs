//! Loading and committing tables on an Iceberg REST catalog in one request each.
//!
//! `iceberg-rest-catalog` 0.10's `load_tabular` asks `GET …/views/{name}` first and the table
//! only after that 404: two round trips for every table load (a run loads each table once,
//! [`super::pinned`], but other commands load them as they go). Its `update_table` then
//! takes the table's object store from a cache that only its own loads fill, and reports a
//! missing entry as an error after the server has committed. Its load also turns every
//! failure of the table request (refused, unauthorized, a server error) into "not found".
//!
//! [`RestTables`] wraps the crate's catalog: it loads a table with `GET …/tables/{name}` alone,
//! commits with `POST …/tables/{name}` and opens the table's files with the store the client
//! was built with (our S3 settings: storage credentials the server vends are never used, see
//! [`super::rest`]). Everything else (namespaces, creating a table, views) is the crate's.
//!
//! Must never: report a failed request as a missing table, or open table files with anything
//! but the configured store.

use std::sync::Arc;

use async_trait::async_trait;
use iceberg_rest_catalog::apis::catalog_api_api;
use iceberg_rest_catalog::apis::configuration::Configuration;
use iceberg_rest_catalog::catalog::RestCatalog;
use iceberg_rest_catalog::configuration_rewriter::ConfigurationRewriter;
use iceberg_rust::catalog::Catalog;
use iceberg_rust::catalog::commit::CommitTable;
use iceberg_rust::catalog::create::CreateTable;
use iceberg_rust::catalog::identifier::Identifier;
use iceberg_rust::catalog::tabular::Tabular;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::object_store::{Bucket, ObjectStoreBuilder};
use iceberg_rust::spec::table_metadata::TableMetadata;
use iceberg_rust::table::Table;
use reqwest::StatusCode;

use super::wrap::{TableOps, wrapping_catalog};

/// The crate's REST catalog, with tables loaded and committed in one request each (see the
/// module docs).
#[derive(Debug)]
pub(crate) struct RestTables {
    inner: Arc<RestCatalog>,
    /// The client's configuration, before each request's token is set.
    base: Configuration,
    /// Sets each request's token (`super::rest::TokenSource`).
    tokens: Arc<dyn ConfigurationRewriter>,
    /// The URL prefix (`/v1/config`'s `prefix`, on Nessie the reference).
    prefix: Option<String>,
    /// How table files are opened.
    tables: ObjectStoreBuilder,
}

impl RestTables {
    pub(crate) fn new(
        inner: Arc<RestCatalog>,
        base: Configuration,
        tokens: Arc<dyn ConfigurationRewriter>,
        prefix: Option<String>,
        tables: ObjectStoreBuilder,
    ) -> Self {
        Self {
            inner,
            base,
            tokens,
            prefix,
            tables,
        }
    }

    /// The configuration of one request, its bearer token set.
    async fn configuration(&self) -> Result<Configuration, IcebergError> {
        self.tokens.rewrite_configuration(self.base.clone()).await
    }

    /// A table over `metadata`, its files opened with the configured store.
    async fn table(
        self: Arc<Self>,
        identifier: Identifier,
        metadata: TableMetadata,
    ) -> Result<Table, IcebergError> {
        let store = self.tables.build(Bucket::from_path(&metadata.location)?)?;
        Table::new(identifier, self, store, metadata).await
    }
}

wrapping_catalog!(RestTables, inner);

#[async_trait]
impl TableOps for RestTables {
    /// `GET …/tables/{name}` alone. A 404 is a missing table (`CatalogNotFound`, as the
    /// crate says it); any other failure is that failure.
    async fn load(self: Arc<Self>, identifier: &Identifier) -> Result<Tabular, IcebergError> {
        let configuration = self.configuration().await?;
        let loaded = catalog_api_api::load_table(
            &configuration,
            self.prefix.as_deref(),
            &identifier.namespace().to_string(),
            identifier.name(),
            None,
            None,
        )
        .await;
        let response = match loaded {
            Ok(response) => response,
            Err(iceberg_rest_catalog::apis::Error::ResponseError(content))
                if content.status == StatusCode::NOT_FOUND =>
            {
                return Err(IcebergError::CatalogNotFound);
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Tabular::Table(
            self.table(identifier.clone(), response.metadata).await?,
        ))
    }

    async fn create(
        self: Arc<Self>,
        identifier: Identifier,
        create_table: CreateTable,
    ) -> Result<Table, IcebergError> {
        let t = self
            .inner
            .clone()
            .create_table(identifier.clone(), create_table)
            .await?;
        self.table(identifier, t.metadata().clone()).await
    }

    /// `POST …/tables/{name}`; the table it returns opens its files with the configured store.
    async fn commit(self: Arc<Self>, commit: CommitTable) -> Result<Table, IcebergError> {
        let configuration = self.configuration().await?;
        let identifier = commit.identifier.clone();
        let response = catalog_api_api::update_table(
            &configuration,
            self.prefix.as_deref(),
            &identifier.namespace().to_string(),
            identifier.name(),
            commit,
        )
        .await?;
        self.table(identifier, response.metadata).await
    }

    async fn remove(&self, identifier: &Identifier) -> Result<(), IcebergError> {
        self.inner.drop_table(identifier).await
    }

    async fn register(
        self: Arc<Self>,
        identifier: Identifier,
        metadata_location: &str,
    ) -> Result<Table, IcebergError> {
        let t = self
            .inner
            .clone()
            .register_table(identifier.clone(), metadata_location)
            .await?;
        self.table(identifier, t.metadata().clone()).await
    }
}
