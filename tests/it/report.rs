//! `gamelake report`: every figure on the page is what `gamelake sql` answers for the query
//! the page shows; the page survives odd data (a year with no games, a genre with one game,
//! names with markup); and it renders in a real browser (headless Chromium) with no console
//! error and no request leaving the page. The screenshot is kept under `target/report/`.

use std::path::{Path, PathBuf};

use crate::support::server::{ReplayServer, catalogue};
use crate::support::{self, gamelake_at, text};

/// A genre name with markup in it: the page must show it as text.
const ODD_GENRE: &str = "<b>Solo</b> & \"Co\"";

/// A warehouse from the API stand-in, details included, with one game in a genre of its own
/// released in 1990 (years 1991 to 2014 hold no game).
async fn warehouse(root: &Path) -> PathBuf {
    let mut games = catalogue(2_000, 1_000, 50, 0);
    let rated = games
        .iter()
        .position(|g| g["ratings_count"].as_i64().unwrap_or(0) > 10)
        .expect("a rated game");
    let mut solo = games[rated].clone();
    solo["id"] = 77_000_001.into();
    solo["released"] = "1990-05-01".into();
    solo["genres"] = serde_json::json!([{"id": 99_999, "name": ODD_GENRE, "slug": "solo"}]);
    games.push(solo);
    let server = ReplayServer::start_api(games).await;
    let wh = root.join("wh");
    let out = gamelake_at(&wh)
        .args(["run", "--source", &server.base])
        .env("GAMELAKE_MONTHLY_REQUEST_LIMIT", "0")
        .output()
        .expect("run gamelake");
    assert!(out.status.success(), "{}", text(&out.stderr));
    wh
}

fn report(wh: &Path, out: &Path) -> (String, serde_json::Value) {
    report_with(wh, out, &[])
}

fn report_with(wh: &Path, out: &Path, args: &[&str]) -> (String, serde_json::Value) {
    let run = gamelake_at(wh)
        .args(["report", "--out"])
        .arg(out)
        .args(args)
        .output()
        .expect("run gamelake report");
    assert!(run.status.success(), "{}", text(&run.stderr));
    let page = std::fs::read_to_string(out).expect("the page");
    let start = r#"<script type="application/json" id="gamelake-report">"#;
    let json = page
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map(|(json, _)| json.replace("<\\/", "</"))
        .expect("the page embeds its figures");
    (page, serde_json::from_str(&json).expect("figures are JSON"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_figure_is_what_gamelake_sql_answers_and_a_browser_shows_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let wh = warehouse(&root).await;
    let out = root.join("report.html");
    let (page, data) = report(&wh, &out);

    let charts = data["charts"].as_array().expect("charts");
    assert_eq!(charts.len(), gamelake::report::CHARTS.len());
    for chart in charts {
        let id = chart["id"].as_str().expect("id");
        assert!(chart["missing"].is_null(), "{id}: {}", chart["missing"]);
        let query = chart["query"].as_str().expect("query");
        let sql = gamelake_at(&wh)
            .args(["sql", "--format", "json", query])
            .output()
            .expect("gamelake sql");
        assert!(sql.status.success(), "{id}: {}", text(&sql.stderr));
        let answer: serde_json::Value =
            serde_json::from_slice(&sql.stdout).expect("sql answers JSON");
        assert_eq!(
            &chart["rows"], &answer,
            "{id}: the page's figures differ from `gamelake sql`"
        );
        assert!(
            !answer.as_array().expect("rows").is_empty(),
            "{id}: no rows"
        );
        assert!(
            page.contains(&format!("<figure id=\"{id}\"")),
            "{id}: not on the page"
        );
    }

    // Coverage and footer.
    let games = support::sql_i64(
        &support::open(&wh).await.1,
        "SELECT count(*) FROM rawg.fact_games",
    )
    .await[0];
    assert_eq!(data["coverage"]["games"].as_i64(), Some(games));
    let run_id = data["coverage"]["run_id"].as_str().expect("a run id");
    assert!(
        page.contains(r#"Data © <a href="https://rawg.io">RAWG</a>"#)
            && page.contains(&format!("run <code>{run_id}</code>")),
        "footer"
    );

    // Odd data: the genre of one game, a year alone, markup in a name.
    let chart = |id: &str| {
        charts
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    let top = chart("top_games_by_genre");
    assert!(
        top["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["genre"] == ODD_GENRE),
        "the genre with one game is missing from the top games"
    );
    assert!(
        chart("releases_by_genre")["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["year"] == 1990),
        "the lone year is missing"
    );
    assert!(
        !page.contains("<b>Solo</b>") && page.contains("&lt;b&gt;Solo&lt;/b&gt; &amp;"),
        "a name reached the page as markup"
    );

    // A real browser: every chart drawn, nothing asked of the network, no console error.
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report");
    std::fs::create_dir_all(&artifacts).expect("target/report");
    std::fs::copy(&out, artifacts.join("report.html")).expect("keep the page");
    let shot = artifacts.join("report.png");
    let seen: serde_json::Value =
        support::python_json("tests/report_browser.py", [&out, &shot], &[]);
    assert_eq!(seen["console"], serde_json::json!([]), "console messages");
    assert_eq!(seen["exceptions"], serde_json::json!([]), "script errors");
    let requests = seen["requests"].as_array().expect("requests");
    assert!(
        requests
            .iter()
            .all(|u| u.as_str().is_some_and(|u| u.starts_with("file://"))),
        "the page asked the network: {requests:?}"
    );
    let figures = seen["figures"].as_array().expect("figures");
    assert_eq!(figures.len(), charts.len(), "figures shown");
    for f in figures {
        let (w, h, shapes) = (
            f["width"].as_f64().unwrap_or(0.0),
            f["height"].as_f64().unwrap_or(0.0),
            f["shapes"].as_i64().unwrap_or(0),
        );
        assert!(
            w > 200.0 && h > 100.0 && shapes >= 3,
            "{}: drawn {w}x{h} with {shapes} shapes",
            f["id"]
        );
    }
    let png = std::fs::metadata(&shot).expect("screenshot").len();
    assert!(png > 50_000, "the screenshot is nearly blank ({png} bytes)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_chart_says_why_instead_of_failing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    // Archived list pages: no details, so no developers or publishers.
    let pages = support::first_pages(&support::pages_2015(), 3, &root.join("pages"));
    let wh = root.join("wh");
    let out = gamelake_at(&wh)
        .args(["run", "--source"])
        .arg(&pages)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (page, data) = report(&wh, &root.join("r.html"));
    for id in ["top_developers", "top_publishers"] {
        let chart = data["charts"]
            .as_array()
            .expect("charts")
            .iter()
            .find(|c| c["id"] == id)
            .expect("chart")
            .clone();
        assert!(
            chart["missing"]
                .as_str()
                .is_some_and(|m| m.contains("game details")),
            "{id}: {chart}"
        );
    }
    assert!(page.contains("No data: developers and publishers come from game details"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_as_of_an_earlier_run_shows_that_run_and_lists_the_last_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let wh = root.join("wh");
    for (day, pages) in [
        ("2015", support::pages_2015()),
        ("2016", support::pages_2016()),
    ] {
        let out = gamelake_at(&wh)
            .args(["run", "--source"])
            .arg(&pages)
            .output()
            .expect("run gamelake");
        assert!(out.status.success(), "{day}: {}", text(&out.stderr));
    }
    let (_wh, lake) = support::open(&wh).await;
    let runs = gamelake::runs::load(&lake).await.expect("runs");
    assert_eq!(runs.len(), 2);
    let first = &runs[0];
    let games_then = support::sql_i64(&lake, "SELECT count(*) FROM rawg.fact_games").await[0];

    let (page, figures) = report_with(&wh, &root.join("then.html"), &["--as-of", &first.run_id]);
    let coverage = &figures["coverage"];
    assert_eq!(coverage["as_of"].as_str(), Some(first.run_id.as_str()));
    assert_eq!(coverage["run_id"].as_str(), Some(first.run_id.as_str()));
    assert!(
        coverage["games"].as_i64().expect("games") < games_then,
        "as of the first run, only its games: {coverage}"
    );
    assert!(
        page.contains("--as-of"),
        "the page says it shows an earlier run"
    );
    let listed: Vec<&str> = coverage["last_runs"]
        .as_array()
        .expect("last runs")
        .iter()
        .filter_map(|r| r["run_id"].as_str())
        .collect();
    assert_eq!(listed, [runs[1].run_id.as_str(), first.run_id.as_str()]);
    for r in &runs {
        assert!(page.contains(&r.run_id), "the page lists run {}", r.run_id);
    }

    let (_, now) = report(&wh, &root.join("now.html"));
    assert_eq!(now["coverage"]["games"].as_i64(), Some(games_then));
    assert!(now["coverage"]["as_of"].is_null());
}
