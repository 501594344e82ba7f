//! The library's front door, `gamelake::Gamelake`, as a program uses it: writing operations
//! take the warehouse lease themselves, and errors come as kinds a caller can match.

use std::time::Duration;

use gamelake::config::{Overrides, Settings};
use gamelake::etl::EtlOptions;
use gamelake::ingest::IngestOptions;
use gamelake::lease::Lease;
use gamelake::progress::{NoProgress, Progress};
use gamelake::{Error, Gamelake};

use crate::support;

/// Counts what an operation reports.
#[derive(Default)]
struct Counting {
    phases: Vec<(&'static str, Option<u64>)>,
    advanced: u64,
    finished: usize,
}

impl Progress for Counting {
    fn begin(&mut self, unit: &'static str, total: Option<u64>) {
        self.phases.push((unit, total));
    }
    fn advance(&mut self, n: u64, _status: &str) {
        self.advanced += n;
    }
    fn finish(&mut self) {
        self.finished += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writing_operations_take_the_lease_and_errors_are_kinds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = support::first_pages(&support::pages_2015(), 3, &dir.path().join("pages"));
    let (wh, _lake) = support::open(&dir.path().join("wh")).await;
    let lake = Gamelake::embedded(wh.clone(), "rawg").with_lease_wait(Duration::ZERO);
    let source = IngestOptions::new(pages.to_str().expect("utf8"));

    // Nothing landed yet: the ETL has no data to work on.
    let err = lake
        .etl(&EtlOptions::default(), &mut NoProgress)
        .await
        .expect_err("no raw games");
    assert!(matches!(err, Error::NoData(_)), "{err:?}");

    // Another holder of the lease: every writing operation refuses, and writes nothing.
    let held = Lease::acquire(&wh, "etl", support::waiting(Duration::ZERO))
        .await
        .expect("lease");
    let busy = |e: &Error| matches!(e, Error::LeaseBusy { .. });
    let err = lake
        .ingest(&source, &mut NoProgress)
        .await
        .expect_err("busy");
    assert!(busy(&err), "ingest: {err:?}");
    assert!(err.to_string().contains("gamelake etl"), "{err}");
    let err = lake
        .etl(&EtlOptions::default(), &mut NoProgress)
        .await
        .expect_err("busy");
    assert!(busy(&err), "etl: {err:?}");
    let err = lake
        .run(&source, &EtlOptions::default(), &mut NoProgress)
        .await
        .expect_err("busy");
    assert!(busy(&err), "run: {err:?}");
    let err = lake.maintain(&Default::default()).await.expect_err("busy");
    assert!(busy(&err), "maintain: {err:?}");
    assert!(
        wh.parquet_files(gamelake::raw::RAW_GAMES_PREFIX)
            .await
            .expect("list")
            .is_empty()
    );
    // Reading never waits for the lease.
    assert!(lake.tables().await.expect("tables").is_empty());
    held.release().await;

    // Released: the run goes through, reports its phases, and releases the lease again.
    let mut progress = Counting::default();
    let report = lake
        .run(&source, &EtlOptions::default(), &mut progress)
        .await
        .expect("run");
    assert_eq!(report.ingest.games_kept, 120);
    let tables = support::list_tables().len() as u64;
    assert_eq!(
        progress.phases,
        vec![("pages", None), ("tables", Some(tables))]
    );
    assert_eq!(progress.advanced, 3 + tables);
    assert_eq!(progress.finished, 2);
    Lease::acquire(&wh, "etl", support::waiting(Duration::ZERO))
        .await
        .expect("the run released the lease")
        .release()
        .await;
    let rows = lake
        .sql("SELECT count(*) AS n FROM rawg.fact_games")
        .await
        .expect("sql");
    assert_eq!(rows[0].num_rows(), 1);
}

#[tokio::test]
async fn reading_a_warehouse_that_is_not_there_is_no_data_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nowhere");
    let settings = Settings::resolve(Overrides {
        warehouse: Some(missing.to_str().expect("utf8").into()),
        config_file: Some(dir.path().join("absent.toml")),
        ..Default::default()
    });
    // An explicit config file that is absent is an error; the default one may be absent.
    assert!(matches!(settings, Err(Error::Io { .. })), "{settings:?}");
    let settings = Settings::resolve(Overrides {
        warehouse: Some(missing.to_str().expect("utf8").into()),
        ..Default::default()
    })
    .expect("settings");
    let err = Gamelake::open_existing(&settings)
        .await
        .expect_err("no warehouse");
    assert!(matches!(err, Error::NoData(_)), "{err:?}");
    assert!(err.to_string().contains("gamelake run"), "{err}");
    assert!(!missing.exists(), "a folder was created");

    // A REST catalog nobody serves: its own kind, naming the catalog and what to check.
    let wh = dir.path().join("wh");
    let settings = Settings::resolve(Overrides {
        warehouse: Some(wh.to_str().expect("utf8").into()),
        catalog: Some("rest+http://127.0.0.1:9/iceberg".into()),
        ..Default::default()
    })
    .expect("settings");
    let err = Gamelake::open(&settings)
        .await
        .expect("a local warehouse opens")
        .tables()
        .await
        .expect_err("no catalog");
    assert!(matches!(err, Error::CatalogUnreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("127.0.0.1:9"), "{err}");
}
