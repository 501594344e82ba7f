//! The RAWG key never shows: not in output at the most verbose log level (retries and
//! failures included), not in any file of the warehouse (raw parquet, table metadata,
//! manifests, the catalog database).

use crate::support::server::{Fault, ReplayServer};
use crate::support::{self};

const KEY: &str = "sk-GAMELAKE-TEST-7f3a9c51";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_appears_in_no_output_and_no_stored_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = support::first_pages(&support::pages_2015(), 4, &dir.path().join("pages"));
    let server = ReplayServer::start(pages, Some(KEY)).await;
    server.inject(2, Fault::Status(500, None));
    server.inject(3, Fault::Status(429, Some(0)));
    let wh = dir.path().join("wh");

    let run = |key: &str, args: Vec<String>| {
        let (wh, key) = (wh.clone(), key.to_string());
        tokio::task::spawn_blocking(move || {
            support::gamelake_at(&wh)
                .args(&args)
                .env("RAWG_API_KEY", key)
                .env("RUST_LOG", "trace")
                .output()
                .expect("run gamelake")
        })
    };
    let ok = run(
        KEY,
        vec!["run".into(), "--source".into(), server.base.clone()],
    )
    .await
    .expect("join");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // A failing run: the server refuses a key that differs only in its last character.
    let wrong = format!("{}0", &KEY[..KEY.len() - 1]);
    let failed = run(
        &wrong,
        vec!["ingest".into(), "--source".into(), server.base.clone()],
    )
    .await
    .expect("join");
    assert!(!failed.status.success());
    assert!(
        server.requests().iter().any(|r| r.contains(KEY)),
        "the key was never sent: the test would prove nothing"
    );

    for (what, out) in [("run", &ok), ("failed run", &failed)] {
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            assert!(!text.contains(KEY), "{what} {stream} shows the key");
            assert!(
                !text.contains(&wrong),
                "{what} {stream} shows the wrong key"
            );
        }
    }
    let files = support::files_under(&wh);
    assert!(
        files.len() > 20,
        "the warehouse is nearly empty: {}",
        files.len()
    );
    for f in files {
        let bytes = std::fs::read(wh.join(&f)).expect("read");
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "{f} holds the key"
        );
    }
}

/// The S3 secret and the catalog's credentials and tokens: not in any output of a production
/// run at the most verbose log level (a failing run included), not in any object it stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_keys_and_catalog_credentials_appear_in_no_output_and_no_stored_object() {
    use crate::production::{Target, connect, gamelake};
    use crate::support::seaweed::{self, SECRET};
    use crate::support::text;

    const TOKEN: &str = "glk-bearer-TEST-93be01f4";
    let sw = seaweed::seaweed();
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = std::fs::canonicalize(dir.path()).expect("canonical");
    let pages = support::first_pages(&support::pages_2015(), 3, &cwd.join("pages"));
    let target = Target::fresh(sw, "secrets");
    let args = ["run", "--source", pages.to_str().expect("utf8")];
    let ok = gamelake(sw, &cwd, &target, &args, &[("RUST_LOG", "trace")]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    // A bearer token instead of client credentials: refused by the server.
    let refused = gamelake(
        sw,
        &cwd,
        &target,
        &args,
        &[
            ("RUST_LOG", "trace"),
            ("GAMELAKE_CATALOG_CREDENTIAL", ""),
            ("GAMELAKE_CATALOG_TOKEN", TOKEN),
        ],
    );
    assert!(!refused.status.success());
    for (what, out) in [("run", &ok), ("refused run", &refused)] {
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let t = text(bytes);
            assert!(!t.contains(SECRET), "{what} {stream} shows the S3 secret");
            assert!(
                !t.contains(TOKEN),
                "{what} {stream} shows the catalog token"
            );
            // Tokens the catalog issued are JWTs, which start with "eyJ".
            assert!(!t.contains("eyJ"), "{what} {stream} shows an issued token");
        }
    }
    assert!(
        text(&ok.stderr).lines().count() > 100,
        "trace logging produced almost nothing: the test would prove little"
    );

    let (wh, lake) = connect(sw, &target.warehouse, &target.namespace).await;
    let mut objects = Vec::new();
    for o in wh.list("").await.expect("list raw") {
        objects.push(wh.get(o.location.as_ref()).await.expect("get"));
    }
    let table = lake
        .load("fact_games")
        .await
        .expect("load")
        .expect("exists");
    let store = table.object_store();
    let root = iceberg_rust::spec::util::strip_prefix(&table.metadata().location);
    let root = root.trim_start_matches('/');
    use futures::TryStreamExt;
    use object_store::ObjectStoreExt;
    let listed: Vec<_> = store
        .list(Some(&root.into()))
        .try_collect()
        .await
        .expect("list table");
    for o in listed {
        objects.push(
            store
                .get(&o.location)
                .await
                .expect("get")
                .bytes()
                .await
                .expect("bytes"),
        );
    }
    assert!(objects.len() > 5, "too few objects to prove anything");
    for bytes in objects {
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "a stored object holds the S3 secret"
        );
    }
}
