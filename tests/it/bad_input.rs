//! Bad input: every file in `tests/corpus/` is fed to ingest as a list page (a folder there
//! as a run of pages). Each is either taken in (odd but valid data) or refused with one line
//! that names the page, the game and the field, and never changes what was already stored.

use std::path::{Path, PathBuf};

use gamelake::etl::EtlOptions;
use gamelake::ingest::IngestOptions;
use gamelake::ingest::cdc::CdcState;

use crate::support::{self, sql_strings};

enum Expect {
    /// Refused; the error contains each of these.
    Refused(&'static [&'static str]),
    /// Taken in: this many games kept.
    Kept(usize),
}

const CASES: &[(&str, Expect)] = &[
    (
        "truncated.json",
        Expect::Refused(&["truncated.json", "not a RAWG list page", "EOF"]),
    ),
    (
        "html-error-page.json",
        Expect::Refused(&["not a RAWG list page", "<!DOCTYPE html>"]),
    ),
    (
        "results-missing.json",
        Expect::Refused(&["`results` is missing"]),
    ),
    (
        "results-not-a-list.json",
        Expect::Refused(&["`results` is an object instead of a list"]),
    ),
    (
        "game-without-id.json",
        Expect::Refused(&["#1 (no id)", "field `id`"]),
    ),
    (
        "id-as-string.json",
        Expect::Refused(&["id is a string", "field `id`"]),
    ),
    (
        "rating-as-string.json",
        Expect::Refused(&["game id 86946", "field `rating`"]),
    ),
    (
        "genres-as-object.json",
        Expect::Refused(&["game id 86946", "field `genres`"]),
    ),
    (
        "tags-as-string.json",
        Expect::Refused(&["game id 86946", "field `tags`"]),
    ),
    (
        "updated-not-a-timestamp.json",
        Expect::Refused(&["game id 86946", "field `updated`"]),
    ),
    (
        "invalid-utf8.json",
        Expect::Refused(&["invalid-utf8.json", "invalid UTF-8"]),
    ),
    ("platforms-null.json", Expect::Kept(1)),
    ("duplicate-ids.json", Expect::Kept(1)),
    ("duplicate-ids-across-pages", Expect::Kept(1)),
    ("cjk-emoji-names.json", Expect::Kept(1)),
    // Found by tests/it/fuzz.rs: the refusal quoted the whole 20,000-character value.
    (
        "fuzz-long-string-in-rating.json",
        Expect::Refused(&["field `rating`", "characters left out", "expected f64"]),
    ),
    // Found by tests/it/fuzz.rs: the fast path took these, the careful path refused them.
    ("fuzz-deep-unused-field.json", Expect::Kept(1)),
    (
        "fuzz-number-out-of-range-unused-field.json",
        Expect::Kept(1),
    ),
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// A corpus case as pages: a file is one page, a folder its `page-*.json` in order.
fn pages_of(case: &Path) -> Vec<Vec<u8>> {
    if !case.is_dir() {
        return vec![std::fs::read(case).expect("corpus file")];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(case)
        .expect("corpus folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read(f).expect("corpus page"))
        .collect()
}

/// A folder holding `pages` as `page-0001.json`, `page-0002.json`, ...
fn as_archive(pages: &[Vec<u8>], dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("mkdir");
    for (i, body) in pages.iter().enumerate() {
        std::fs::write(dir.join(format!("page-{:04}.json", i + 1)), body).expect("write");
    }
    dir.to_path_buf()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_corpus_case_is_taken_in_or_refused_clearly_and_stored_data_is_untouched() {
    let root = tempfile::tempdir().expect("tempdir");
    let good = support::first_pages(&support::pages_2016(), 2, &root.path().join("good"));
    // Every corpus file has an expectation, and every expectation a file: a case added to
    // the corpus without one fails here instead of going untested.
    let mut on_disk: Vec<String> = std::fs::read_dir(corpus())
        .expect("corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut expected: Vec<String> = CASES.iter().map(|(f, _)| f.to_string()).collect();
    expected.sort();
    assert_eq!(on_disk, expected, "tests/corpus and CASES disagree");

    let cases: Vec<(String, Vec<Vec<u8>>, &Expect)> = CASES
        .iter()
        .map(|(file, expect)| (file.to_string(), pages_of(&corpus().join(file)), expect))
        .collect();
    for (i, (name, pages, expect)) in cases.iter().enumerate() {
        let dir = root.path().join(format!("case{i}"));
        let (wh, lake) = support::open(&dir.join("wh")).await;
        support::ingest(&wh, &IngestOptions::new(good.to_str().expect("utf8")))
            .await
            .expect("good data");
        let raw_before = wh.list("raw").await.expect("list").len();
        let pages = as_archive(pages, &dir.join(name.replace(' ', "_")));
        let outcome =
            support::ingest(&wh, &IngestOptions::new(pages.to_str().expect("utf8"))).await;
        match (expect, outcome) {
            (Expect::Refused(needles), Err(e)) => {
                let msg = e.to_string();
                assert!(!msg.contains('\n'), "{name}: error is not one line: {msg}");
                for needle in *needles {
                    assert!(msg.contains(needle), "{name}: {msg:?} lacks {needle:?}");
                }
                assert_eq!(
                    wh.list("raw").await.expect("list").len(),
                    raw_before,
                    "{name}: a refused page left a raw file"
                );
                assert_eq!(
                    CdcState::load(&wh).await.expect("state").len(),
                    80,
                    "{name}"
                );
            }
            (Expect::Kept(n), Ok(report)) => {
                assert_eq!(report.games_kept, *n, "{name}");
                support::etl(&wh, &lake, &EtlOptions::default())
                    .await
                    .unwrap_or_else(|e| panic!("{name}: etl: {e}"));
                let names = sql_strings(
                    &lake,
                    "SELECT concat(name, '|', rating) FROM rawg.fact_games WHERE game_id = 86946",
                )
                .await;
                assert_eq!(names.len(), 1, "{name}: the game is not in fact_games once");
                if name.starts_with("duplicate-ids") {
                    assert!(
                        names[0].ends_with("|3") || names[0].ends_with("|3.0"),
                        "the latest `updated` was not kept: {names:?}"
                    );
                }
            }
            (Expect::Refused(_), Ok(r)) => panic!("{name}: accepted ({} games kept)", r.games_kept),
            (Expect::Kept(_), Err(e)) => panic!("{name}: refused: {e}"),
        }
    }
    println!(
        "bad input cases: {} taken in or refused as expected",
        cases.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_game_over_a_size_limit_is_quarantined_and_the_rest_of_its_page_lands() {
    let root = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(root.path()).expect("canonical");
    let mut page: serde_json::Value = serde_json::from_slice(
        &std::fs::read(support::pages_2015().join("page-0001.json")).expect("page"),
    )
    .expect("json");
    let games = page["results"].as_array_mut().expect("results");
    let (big_name, many_tags) = (
        games[5]["id"].as_i64().expect("id"),
        games[7]["id"].as_i64().expect("id"),
    );
    games[5]["name"] = "Ω".repeat(5 * 1024 * 1024).into();
    let tag = games[7]["tags"][0].clone();
    games[7]["tags"] = (0..1_001)
        .map(|i| {
            let mut t = tag.clone();
            t["id"] = (1_000_000 + i).into();
            t
        })
        .collect::<Vec<_>>()
        .into();
    let pages = as_archive(&[page.to_string().into_bytes()], &root.join("pages"));
    let wh_path = root.join("wh");

    let out = support::gamelake_at(&wh_path)
        .args(["run", "--source"])
        .arg(&pages)
        .output()
        .expect("run");
    let stderr = support::text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("38 new or changed")
            && stderr.contains("2 over a size limit, quarantined in raw/quarantine/run_date="),
        "{stderr}"
    );

    // The quarantine holds both games as sent, with the field and the reason.
    let (wh, lake) = support::open(&wh_path).await;
    let files = wh.list("raw/quarantine").await.expect("list");
    assert_eq!(files.len(), 1);
    let text = String::from_utf8(
        wh.get(files[0].location.as_ref())
            .await
            .expect("read")
            .to_vec(),
    )
    .expect("utf8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let by_id = |id: i64| {
        lines
            .iter()
            .find(|l| l["id"] == id)
            .unwrap_or_else(|| panic!("game {id} not quarantined"))
    };
    let name = by_id(big_name);
    assert_eq!(name["field"], "name");
    assert_eq!(
        name["game"]["name"].as_str().map(|n| n.chars().count()),
        Some(5 * 1024 * 1024),
        "the game was not kept as sent"
    );
    let tags = by_id(many_tags);
    assert_eq!(tags["field"], "tags");
    assert_eq!(tags["game"]["tags"].as_array().map(Vec::len), Some(1_001));
    assert!(
        tags["reason"]
            .as_str()
            .is_some_and(|r| r.contains("1001 entries")),
        "{tags}"
    );

    // Neither reached the tables; the other 38 did.
    assert_eq!(
        support::sql_i64(&lake, "SELECT count(*) FROM rawg.fact_games").await[0],
        38
    );
    assert_eq!(
        support::sql_i64(
            &lake,
            &format!(
                "SELECT count(*) FROM rawg.fact_games WHERE game_id IN ({big_name}, {many_tags})"
            )
        )
        .await[0],
        0
    );

    // `status` counts them and says where they are.
    let out = support::gamelake_at(&wh_path)
        .arg("status")
        .output()
        .expect("status");
    let text = support::text(&out.stdout);
    assert!(
        text.contains("quarantine: 2 games over a size limit, in 1 files under raw/quarantine/"),
        "{text}"
    );
    // A warehouse filled from archived pages waits for no detail.
    assert!(
        text.contains("38 held; no details fetched: archived pages carry none"),
        "{text}"
    );

    // The same page again: the quarantined versions are remembered, not set aside twice.
    let again = support::gamelake_at(&wh_path)
        .args(["run", "--source"])
        .arg(&pages)
        .output()
        .expect("run again");
    let stderr = support::text(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(!stderr.contains("quarantined in"), "{stderr}");
    assert_eq!(wh.list("raw/quarantine").await.expect("list").len(), 1);

    // A later version of one of them is looked at again (and is still too big).
    let games = page["results"].as_array_mut().expect("results");
    games[5]["updated"] = "2030-01-01T00:00:00".into();
    let later = as_archive(&[page.to_string().into_bytes()], &root.join("later"));
    let out = support::gamelake_at(&wh_path)
        .args(["run", "--source"])
        .arg(&later)
        .output()
        .expect("run a later version");
    let stderr = support::text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 over a size limit, quarantined in"),
        "{stderr}"
    );
    assert_eq!(wh.list("raw/quarantine").await.expect("list").len(), 2);
}
