//! Nessie, the production catalog, for the tests: the runner jar that scripts/setup-nessie.sh
//! fetches (pinned, cached under `~/.cache/gamelake/nessie`), on 127.0.0.1 with free ports for
//! its API and its management endpoint, an in-memory version store, OpenTelemetry off, and its
//! Iceberg REST catalog keeping tables in the shared SeaweedFS's S3 (path-style; the S3 keys
//! reach it through Nessie's secrets settings, in a config file, not on its command line).
//!
//! One server per test binary, started by the first test that asks for it and killed when the
//! binary exits, as SeaweedFS is. Tests keep apart by their own namespaces; the commit log is
//! shared, so a test reads only the commits that name its own runs.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::seaweed::{self, KEY_ID, RAW_BUCKET, SECRET};
use super::stack::Stack;

/// The Nessie release scripts/setup-nessie.sh fetches.
pub const VERSION: &str = "0.99.0";
/// Nessie's warehouse name (`GAMELAKE_CATALOG_WAREHOUSE`).
pub const WAREHOUSE: &str = "warehouse";

fn cache() -> PathBuf {
    let home = std::env::var_os("HOME").expect("HOME");
    PathBuf::from(home).join(".cache/gamelake/nessie")
}

/// The runner jar: `GAMELAKE_NESSIE_JAR`, else the setup script's cache.
fn jar() -> PathBuf {
    let jar = std::env::var_os("GAMELAKE_NESSIE_JAR")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache().join(format!("nessie-quarkus-{VERSION}-runner.jar")));
    assert!(
        jar.is_file(),
        "Nessie not found at {}: run scripts/setup-nessie.sh (scripts/test.sh does)",
        jar.display()
    );
    jar
}

/// A Java of 21 or later: `GAMELAKE_JAVA`, else the one the setup script found.
fn java() -> PathBuf {
    if let Some(j) = std::env::var_os("GAMELAKE_JAVA") {
        return PathBuf::from(j);
    }
    let recorded = std::fs::read_to_string(cache().join("java"))
        .expect("no Java recorded: run scripts/setup-nessie.sh (scripts/test.sh does)");
    PathBuf::from(recorded.trim())
}

/// The shared Nessie (and the SeaweedFS under it), started on first use.
pub fn nessie() -> &'static Stack {
    static SERVER: OnceLock<Stack> = OnceLock::new();
    SERVER.get_or_init(start)
}

fn start() -> Stack {
    let s3 = seaweed::seaweed();
    let dir = std::env::temp_dir().join(format!("gamelake-nessie-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("config")).expect("mkdir");
    let (http, management) = (super::stack::free_port(), super::stack::free_port());
    // Quarkus reads ./config/application.properties: the keys stay off the command line.
    let properties = format!(
        "quarkus.http.host=127.0.0.1
quarkus.http.port={http}
quarkus.management.host=127.0.0.1
quarkus.management.port={management}
quarkus.otel.sdk.disabled=true
quarkus.log.level=WARN
quarkus.log.category.\"io.quarkus.http.access-log\".level=WARN
nessie.version.store.type=IN_MEMORY
nessie.catalog.default-warehouse={WAREHOUSE}
nessie.catalog.warehouses.{WAREHOUSE}.location=s3://{RAW_BUCKET}/nessie-tables/
nessie.catalog.service.s3.default-options.region=us-east-1
nessie.catalog.service.s3.default-options.path-style-access=true
nessie.catalog.service.s3.default-options.endpoint={endpoint}/
nessie.catalog.service.s3.default-options.access-key=urn:nessie-secret:quarkus:gamelake-tests.s3
gamelake-tests.s3.name={KEY_ID}
gamelake-tests.s3.secret={SECRET}
",
        endpoint = s3.endpoint(),
    );
    std::fs::write(dir.join("config/application.properties"), properties).expect("config");
    let log = dir.join("nessie.log");
    let (java, jar, dir2) = (java(), jar(), dir.clone());
    super::stack::spawn_for_life("Nessie", &log, move || {
        let mut cmd = Command::new(java);
        cmd.args(["-Xms64m", "-Xmx768m", "-XX:+UseSerialGC", "-jar"])
            .arg(jar)
            .current_dir(&dir2);
        cmd
    });
    // Ready (its health checks include the warehouse's object store) within a few minutes
    // even on a machine busy compiling.
    let deadline = Instant::now() + Duration::from_secs(300);
    let ready = format!("http://127.0.0.1:{management}/q/health/ready");
    while !Command::new("curl")
        .args(["-sf", "-o", "/dev/null", &ready])
        .status()
        .is_ok_and(|s| s.success())
    {
        assert!(
            Instant::now() < deadline,
            "Nessie never became ready; its log: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    Stack {
        name: "nessie",
        s3_port: s3.s3_port,
        catalog_port: http,
        catalog_path: "/iceberg".into(),
        catalog_warehouse: WAREHOUSE.into(),
        credential: false,
        nessie_api: Some(format!("http://127.0.0.1:{http}/api/v2")),
        metrics_port: s3.metrics_port,
    }
}
