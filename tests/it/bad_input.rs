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

    let mut cases: Vec<(String, Vec<Vec<u8>>, &Expect)> = CASES
        .iter()
        .map(|(file, expect)| (file.to_string(), pages_of(&corpus().join(file)), expect))
        .collect();
    // A 10 MB name is valid data: kept (generated, not committed).
    let page: serde_json::Value = serde_json::from_slice(
        &cases
            .iter()
            .find(|c| c.0 == "platforms-null.json")
            .expect("case")
            .1[0],
    )
    .expect("json");
    let mut huge = page.clone();
    huge["results"][0]["name"] = "Ω".repeat(5 * 1024 * 1024).into();
    cases.push((
        "10mb-name (generated)".into(),
        vec![huge.to_string().into_bytes()],
        &Expect::Kept(1),
    ));

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
