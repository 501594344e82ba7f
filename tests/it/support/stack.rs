//! An S3 store and an Iceberg REST catalog that production-mode tests run against, whichever
//! server provides the catalog: SeaweedFS's own (`super::seaweed`) or Nessie's over SeaweedFS's
//! S3 (`super::nessie`). A scenario written against a `Stack` runs on both.

use std::path::Path;
use std::process::{Command, Stdio};

use super::seaweed::{KEY_ID, SECRET};

/// A port free on 127.0.0.1 now (the OS picks it), for a server the tests start.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Starts the server `make` describes, its output into `log`, so that it lives exactly as long
/// as the test process: the child gets SIGKILL when the thread that forked it ends
/// (PR_SET_PDEATHSIG), and that thread is kept alive for the process's life.
pub fn spawn_for_life(what: &str, log: &Path, make: impl FnOnce() -> Command + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel();
    let log = log.to_path_buf();
    std::thread::spawn(move || {
        use std::os::unix::process::CommandExt;
        let log = std::fs::File::create(&log).expect("log file");
        let mut cmd = make();
        cmd.stdin(Stdio::null())
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
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
}

/// Where the S3 API and the REST catalog are, and how to reach them.
#[derive(Debug, Clone)]
pub struct Stack {
    /// `seaweedfs` or `nessie`, for messages.
    pub name: &'static str,
    /// SeaweedFS's S3 port on 127.0.0.1.
    pub s3_port: u16,
    /// The catalog's HTTP port on 127.0.0.1.
    pub catalog_port: u16,
    /// The Iceberg REST API's path on that port (`""`, or Nessie's `/iceberg`).
    pub catalog_path: String,
    /// `GAMELAKE_CATALOG_WAREHOUSE`.
    pub catalog_warehouse: String,
    /// True when the catalog wants OAuth2 client credentials (SeaweedFS; the tests' Nessie
    /// runs without authentication).
    pub credential: bool,
    /// Nessie's API v2 base (`http://127.0.0.1:<port>/api/v2`), for Nessie.
    pub nessie_api: Option<String>,
    /// SeaweedFS's metrics port on 127.0.0.1 (its S3 requests counted by type).
    pub metrics_port: u16,
}

impl Stack {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// `--catalog`.
    pub fn catalog(&self) -> String {
        format!("rest+{}", self.catalog_http())
    }

    /// The catalog's base URL, as pyiceberg takes it.
    pub fn catalog_http(&self) -> String {
        format!(
            "http://127.0.0.1:{}{}",
            self.catalog_port, self.catalog_path
        )
    }

    /// S3 requests of `kind` (SeaweedFS's `type` label: `GET`, `PUT`, `DELETE`, …) on
    /// `bucket` the server has answered so far, every status summed. A batch delete
    /// (`DeleteObjects`) counts as one `DELETE`. The server is shared: tests running at the
    /// same time add theirs.
    pub fn s3_requests(&self, bucket: &str, kind: &str) -> u64 {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", self.metrics_port))
            .expect("SeaweedFS's metrics port");
        write!(conn, "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").expect("request");
        let mut text = String::new();
        conn.read_to_string(&mut text).expect("metrics");
        let labels = [format!("bucket=\"{bucket}\""), format!("type=\"{kind}\"")];
        text.lines()
            .filter(|l| l.starts_with("SeaweedFS_s3_request_total{"))
            .filter(|l| labels.iter().all(|label| l.contains(label.as_str())))
            .map(|l| {
                let count = l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok());
                count.unwrap_or_else(|| panic!("a metrics line without a count: {l}")) as u64
            })
            .sum()
    }

    /// The same stack reached through another port (a forwarder in front of the catalog).
    pub fn with_catalog_port(&self, port: u16) -> Self {
        Self {
            catalog_port: port,
            ..self.clone()
        }
    }

    /// The environment a production run gets (as in the docs' example).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.into()),
            ("GAMELAKE_CATALOG_WAREHOUSE", self.catalog_warehouse.clone()),
        ];
        if self.credential {
            env.push(("GAMELAKE_CATALOG_CREDENTIAL", format!("{KEY_ID}:{SECRET}")));
        }
        env
    }

    /// What the Python readers (tests/production_read.py, tests/chdb_read.py) need beside
    /// [`Stack::env`].
    pub fn reader_env(&self) -> Vec<(&'static str, String)> {
        let mut env = self.env();
        env.push(("CATALOG_URI", self.catalog_http()));
        env.push(("CATALOG_WAREHOUSE", self.catalog_warehouse.clone()));
        if self.credential {
            env.push(("CATALOG_CREDENTIAL", format!("{KEY_ID}:{SECRET}")));
        }
        env
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
        rest.warehouse = Some(self.catalog_warehouse.clone());
        if self.credential {
            rest.credential = Some((KEY_ID.into(), Secret::new(SECRET)));
        }
        (s3, CatalogSettings::Rest(rest))
    }

    /// Nessie's commit log of `branch`, newest first: (hash, message), up to 100.
    pub fn nessie_log(&self, branch: &str) -> Vec<(String, String)> {
        let api = self.nessie_api.as_ref().expect("a Nessie stack");
        let out = std::process::Command::new("curl")
            .args([
                "-sf",
                &format!("{api}/trees/{branch}/history?max-records=100"),
            ])
            .output()
            .expect("curl");
        assert!(out.status.success(), "Nessie history of {branch}");
        let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        log["logEntries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                let m = &e["commitMeta"];
                (
                    m["hash"].as_str().unwrap_or_default().to_string(),
                    m["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// Nessie's branch names.
    pub fn nessie_branches(&self) -> Vec<String> {
        let api = self.nessie_api.as_ref().expect("a Nessie stack");
        let out = std::process::Command::new("curl")
            .args(["-sf", &format!("{api}/trees")])
            .output()
            .expect("curl");
        let refs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        refs["references"]
            .as_array()
            .expect("references")
            .iter()
            .filter_map(|r| r["name"].as_str().map(str::to_string))
            .collect()
    }
}
