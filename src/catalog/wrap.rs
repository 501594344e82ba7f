//! Catalogs that wrap another catalog and change only how its tables are loaded and
//! committed: [`super::staged::StagingCatalog`] (a run's commits held back),
//! [`super::pinned::PinnedCatalog`] (a run's loads, one a table) and
//! [`super::rest_tables::RestTables`] (a REST catalog's loads and commits, one request each).
//!
//! A wrapper implements [`TableOps`], its table methods, and [`wrapping_catalog!`] implements
//! iceberg-rust's `Catalog` for it from them: the table methods go to [`TableOps`], everything
//! else (the name, namespaces, views, `tabular_exists`) to the wrapped catalog unchanged.
//!
//! Must never: change anything but the table methods. What a wrapper is for belongs in its
//! [`TableOps`], where a reader of the wrapper finds it.

use std::sync::Arc;

use async_trait::async_trait;
use iceberg_rust::catalog::commit::CommitTable;
use iceberg_rust::catalog::create::CreateTable;
use iceberg_rust::catalog::identifier::Identifier;
use iceberg_rust::catalog::tabular::Tabular;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::table::Table;

/// The table methods of a wrapping catalog: what `Catalog::load_tabular`, `create_table`,
/// `update_table`, `drop_table` and `register_table` do on it. A table a wrapper hands out
/// must name the wrapper as its catalog, so the table's commits come back through it.
#[async_trait]
pub(crate) trait TableOps {
    /// `Catalog::load_tabular`.
    async fn load(self: Arc<Self>, identifier: &Identifier) -> Result<Tabular, IcebergError>;
    /// `Catalog::create_table`.
    async fn create(
        self: Arc<Self>,
        identifier: Identifier,
        create: CreateTable,
    ) -> Result<Table, IcebergError>;
    /// `Catalog::update_table`.
    async fn commit(self: Arc<Self>, commit: CommitTable) -> Result<Table, IcebergError>;
    /// `Catalog::drop_table`.
    async fn remove(&self, identifier: &Identifier) -> Result<(), IcebergError>;
    /// `Catalog::register_table`.
    async fn register(
        self: Arc<Self>,
        identifier: Identifier,
        metadata_location: &str,
    ) -> Result<Table, IcebergError>;
}

/// `wrapping_catalog!(Wrapper, field)`: implements `Catalog` for `Wrapper`, whose `field` is
/// the wrapped catalog (an `Arc` of a `Catalog`): the table methods through its
/// [`TableOps`], the rest passed to `field`.
macro_rules! wrapping_catalog {
    ($wrapper:ty, $inner:ident) => {
        // In a block of its own, where the calls on `$inner` name the trait they call, so
        // they resolve whatever the calling module imports.
        const _: () = {
            use iceberg_rust::catalog::Catalog as Wrapped;

            #[async_trait::async_trait]
            impl iceberg_rust::catalog::Catalog for $wrapper {
                fn name(&self) -> &str {
                    Wrapped::name(&*self.$inner)
                }

                async fn create_namespace(
                    &self,
                    namespace: &iceberg_rust::catalog::namespace::Namespace,
                    properties: Option<std::collections::HashMap<String, String>>,
                ) -> Result<std::collections::HashMap<String, String>, iceberg_rust::error::Error>
                {
                    Wrapped::create_namespace(&*self.$inner, namespace, properties).await
                }

                async fn drop_namespace(
                    &self,
                    namespace: &iceberg_rust::catalog::namespace::Namespace,
                ) -> Result<(), iceberg_rust::error::Error> {
                    Wrapped::drop_namespace(&*self.$inner, namespace).await
                }

                async fn load_namespace(
                    &self,
                    namespace: &iceberg_rust::catalog::namespace::Namespace,
                ) -> Result<std::collections::HashMap<String, String>, iceberg_rust::error::Error>
                {
                    Wrapped::load_namespace(&*self.$inner, namespace).await
                }

                async fn update_namespace(
                    &self,
                    namespace: &iceberg_rust::catalog::namespace::Namespace,
                    updates: Option<std::collections::HashMap<String, String>>,
                    removals: Option<Vec<String>>,
                ) -> Result<(), iceberg_rust::error::Error> {
                    Wrapped::update_namespace(&*self.$inner, namespace, updates, removals).await
                }

                async fn namespace_exists(
                    &self,
                    namespace: &iceberg_rust::catalog::namespace::Namespace,
                ) -> Result<bool, iceberg_rust::error::Error> {
                    Wrapped::namespace_exists(&*self.$inner, namespace).await
                }

                async fn list_tabulars(
                    &self,
                    namespace: &iceberg_rust::catalog::namespace::Namespace,
                ) -> Result<
                    Vec<iceberg_rust::catalog::identifier::Identifier>,
                    iceberg_rust::error::Error,
                > {
                    Wrapped::list_tabulars(&*self.$inner, namespace).await
                }

                async fn list_namespaces(
                    &self,
                    parent: Option<&str>,
                ) -> Result<
                    Vec<iceberg_rust::catalog::namespace::Namespace>,
                    iceberg_rust::error::Error,
                > {
                    Wrapped::list_namespaces(&*self.$inner, parent).await
                }

                async fn tabular_exists(
                    &self,
                    identifier: &iceberg_rust::catalog::identifier::Identifier,
                ) -> Result<bool, iceberg_rust::error::Error> {
                    Wrapped::tabular_exists(&*self.$inner, identifier).await
                }

                async fn drop_table(
                    &self,
                    identifier: &iceberg_rust::catalog::identifier::Identifier,
                ) -> Result<(), iceberg_rust::error::Error> {
                    $crate::catalog::wrap::TableOps::remove(self, identifier).await
                }

                async fn drop_view(
                    &self,
                    identifier: &iceberg_rust::catalog::identifier::Identifier,
                ) -> Result<(), iceberg_rust::error::Error> {
                    Wrapped::drop_view(&*self.$inner, identifier).await
                }

                async fn drop_materialized_view(
                    &self,
                    identifier: &iceberg_rust::catalog::identifier::Identifier,
                ) -> Result<(), iceberg_rust::error::Error> {
                    Wrapped::drop_materialized_view(&*self.$inner, identifier).await
                }

                async fn load_tabular(
                    self: std::sync::Arc<Self>,
                    identifier: &iceberg_rust::catalog::identifier::Identifier,
                ) -> Result<iceberg_rust::catalog::tabular::Tabular, iceberg_rust::error::Error>
                {
                    $crate::catalog::wrap::TableOps::load(self, identifier).await
                }

                async fn create_table(
                    self: std::sync::Arc<Self>,
                    identifier: iceberg_rust::catalog::identifier::Identifier,
                    create_table: iceberg_rust::catalog::create::CreateTable,
                ) -> Result<iceberg_rust::table::Table, iceberg_rust::error::Error> {
                    $crate::catalog::wrap::TableOps::create(self, identifier, create_table).await
                }

                async fn create_view(
                    self: std::sync::Arc<Self>,
                    identifier: iceberg_rust::catalog::identifier::Identifier,
                    create_view: iceberg_rust::catalog::create::CreateView<Option<()>>,
                ) -> Result<iceberg_rust::view::View, iceberg_rust::error::Error> {
                    Wrapped::create_view(self.$inner.clone(), identifier, create_view).await
                }

                async fn create_materialized_view(
                    self: std::sync::Arc<Self>,
                    identifier: iceberg_rust::catalog::identifier::Identifier,
                    create_view: iceberg_rust::catalog::create::CreateMaterializedView,
                ) -> Result<
                    iceberg_rust::materialized_view::MaterializedView,
                    iceberg_rust::error::Error,
                > {
                    Wrapped::create_materialized_view(self.$inner.clone(), identifier, create_view)
                        .await
                }

                async fn update_table(
                    self: std::sync::Arc<Self>,
                    commit: iceberg_rust::catalog::commit::CommitTable,
                ) -> Result<iceberg_rust::table::Table, iceberg_rust::error::Error> {
                    $crate::catalog::wrap::TableOps::commit(self, commit).await
                }

                async fn update_view(
                    self: std::sync::Arc<Self>,
                    commit: iceberg_rust::catalog::commit::CommitView<Option<()>>,
                ) -> Result<iceberg_rust::view::View, iceberg_rust::error::Error> {
                    Wrapped::update_view(self.$inner.clone(), commit).await
                }

                async fn update_materialized_view(
                    self: std::sync::Arc<Self>,
                    commit: iceberg_rust::catalog::commit::CommitView<
                        iceberg_rust::catalog::identifier::Identifier,
                    >,
                ) -> Result<
                    iceberg_rust::materialized_view::MaterializedView,
                    iceberg_rust::error::Error,
                > {
                    Wrapped::update_materialized_view(self.$inner.clone(), commit).await
                }

                async fn register_table(
                    self: std::sync::Arc<Self>,
                    identifier: iceberg_rust::catalog::identifier::Identifier,
                    metadata_location: &str,
                ) -> Result<iceberg_rust::table::Table, iceberg_rust::error::Error> {
                    $crate::catalog::wrap::TableOps::register(self, identifier, metadata_location)
                        .await
                }
            }
        };
    };
}

pub(crate) use wrapping_catalog;
