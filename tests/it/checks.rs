//! Checks that follow the change (`gamelake::checks::Changes`): on a staged run that breaks
//! the tables, the checks of the changed rows fail exactly where the checks of every row fail.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use gamelake::checks::{self, Changes, Expectations, KeptKeys};
use gamelake::lakehouse::{Columns, Lakehouse, StagedLakehouse};

use crate::support;

/// The failed checks' lines, over every row and over what `staged` changed.
async fn failures_both_ways(lake: &Lakehouse, staged: &StagedLakehouse) -> [Vec<String>; 2] {
    let changes = Changes::between(lake, staged).await.expect("changes");
    failures_given(staged, changes).await
}

/// The failed checks' lines, over every row and over `changes`.
async fn failures_given(staged: &StagedLakehouse, changes: Changes) -> [Vec<String>; 2] {
    let expect = Expectations::default();
    let all = checks::run(staged, &expect, None).await.expect("all rows");
    let changed = checks::run(staged, &expect, Some(&changes))
        .await
        .expect("changed rows");
    [checks::failures(&all), checks::failures(&changed)]
}

/// The first row of a table, with column `column` set to `value` when given.
async fn a_row(lake: &Lakehouse, table: &str, column: &str, value: Option<i64>) -> RecordBatch {
    let batches = lake
        .read(table, Columns::All)
        .await
        .expect("read")
        .expect("rows");
    let row = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .expect("a row")
        .slice(0, 1);
    match value {
        Some(value) => with_value(&row, column, value),
        None => row,
    }
}

/// `rows` with every value of `column` set to `value`.
fn with_value(rows: &RecordBatch, column: &str, value: i64) -> RecordBatch {
    let i = rows.schema().index_of(column).expect("column");
    let mut columns: Vec<ArrayRef> = rows.columns().to_vec();
    let v: ArrayRef = Arc::new(Int64Array::from(vec![value; rows.num_rows()]));
    columns[i] = arrow::compute::cast(&v, rows.column(i).data_type()).expect("cast");
    RecordBatch::try_new(rows.schema(), columns).expect("batch")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_of_the_changed_rows_fail_where_checks_of_every_row_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wh, lake) = support::open(dir.path()).await;
    support::ingest_etl(&wh, &lake, &[&support::pages_2015()]).await;
    let genres = gamelake::schema::table("bridge_game_genre").expect("def");

    // Nothing changed: nothing fails either way.
    let staged = lake.staged();
    assert_eq!(
        failures_both_ways(&lake, &staged).await,
        [Vec::<String>::new(), Vec::new()]
    );
    staged.discard();

    // An added row pointing at no genre.
    let staged = lake.staged();
    let bad = a_row(&lake, "bridge_game_genre", "genre_key", Some(999_999)).await;
    staged.append(genres, bad).await.expect("append");
    let [all, changed] = failures_both_ways(&lake, &staged).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(
        all[0].contains("references(genre_key -> dim_genre)"),
        "{all:?}"
    );
    assert_eq!(changed, all);
    staged.discard();

    // An added copy of a row no run touched: a duplicate found through the added row.
    let staged = lake.staged();
    let copy = a_row(&lake, "bridge_game_genre", "genre_key", None).await;
    staged.append(genres, copy).await.expect("append");
    let [all, changed] = failures_both_ways(&lake, &staged).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].contains("unique(game_key, genre_key)"), "{all:?}");
    assert_eq!(changed, all);
    staged.discard();

    // An upsert whose new rows repeat a key it does not replace: it counts the kept rows
    // sharing the key as it reads the key column, and the checks, given that count instead
    // of reading the column again (as a run gives it), find the duplicate all the same.
    let staged = lake.staged();
    let copy = a_row(&lake, "bridge_game_genre", "genre_key", None).await;
    let change = staged
        .upsert(genres, "game_key", &HashSet::new(), Some(copy), &|_| {
            Vec::new()
        })
        .await
        .expect("upsert");
    assert!(
        change.kept_sharing_added >= 1,
        "the kept rows of the repeated game were not counted: {change:?}"
    );
    let mut changes = Changes::between(&lake, &staged).await.expect("changes");
    changes.kept_keys_read(
        "bridge_game_genre",
        KeptKeys {
            column: "game_key".to_string(),
            sharing_added: change.kept_sharing_added,
        },
    );
    let [all, changed] = failures_given(&staged, changes).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].contains("unique(game_key, genre_key)"), "{all:?}");
    assert_eq!(changed, all);
    // The count is taken as given: told that no kept row shares a key, the checks group
    // the added rows alone, which hold no duplicate among themselves. Hence only the write
    // that read every kept row may give it (`Changes::kept_keys_read`).
    let mut told_none = Changes::between(&lake, &staged).await.expect("changes");
    told_none.kept_keys_read(
        "bridge_game_genre",
        KeptKeys {
            column: "game_key".to_string(),
            sharing_added: 0,
        },
    );
    let [_, changed] = failures_given(&staged, told_none).await;
    assert_eq!(changed, Vec::<String>::new());
    staged.discard();

    // A genre removed while untouched bridge rows still point at it.
    let staged = lake.staged();
    let genre = support::remove_a_referenced_genre(&staged).await;
    let [all, changed] = failures_both_ways(&lake, &staged).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].contains(&format!("genre_key={genre}")), "{all:?}");
    assert_eq!(changed, all);
    staged.discard();

    // An added member with another member's RAWG id.
    let staged = lake.staged();
    let unused = a_row(&lake, "dim_genre", "genre_key", Some(888_888)).await;
    let dim = gamelake::schema::table("dim_genre").expect("def");
    staged.append(dim, unused).await.expect("append");
    let [all, changed] = failures_both_ways(&lake, &staged).await;
    // The copy repeats the first genre's id: `unique(genre_id)` fails both ways.
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].contains("unique(genre_id)"), "{all:?}");
    assert_eq!(changed, all);
    staged.discard();

    // Two added copies of a new member: a duplicate among the added rows alone, which share
    // nothing with the kept rows.
    let staged = lake.staged();
    let new = a_row(&lake, "dim_genre", "genre_key", Some(777_777)).await;
    let new = with_value(&new, "genre_id", 777_777);
    let twice = arrow::compute::concat_batches(&new.schema(), [&new, &new]).expect("concat");
    staged.append(dim, twice).await.expect("append");
    let [all, changed] = failures_both_ways(&lake, &staged).await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all[0].contains("unique(genre_key)"), "{all:?}");
    assert!(all[1].contains("unique(genre_id)"), "{all:?}");
    assert_eq!(changed, all);
    staged.discard();
}

/// A run tidies a table before it writes it, and its checks read only what it then wrote:
/// its change is taken against the tables as staged just before its writes
/// (`StagedLakehouse::as_staged_now`), which later commits do not reach. Taken against the
/// published tables, the tidy's rewritten rows would count as added and be checked again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_s_change_is_taken_after_its_tidy_and_holds_only_its_own_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wh, lake) = support::open(dir.path()).await;
    support::ingest_etl(&wh, &lake, &[&support::pages_2015()]).await;
    let table = "bridge_game_genre";
    let genres = gamelake::schema::table(table).expect("def");
    // A second file beside the build's, so that the tidy has files to merge (a lone file
    // is not copied for nothing).
    lake.append(genres, a_row(&lake, table, "genre_key", None).await)
        .await
        .expect("append");
    let rows = lake
        .read(table, Columns::Only(&["game_key"]))
        .await
        .expect("read")
        .expect("rows")
        .iter()
        .map(|b| b.num_rows() as u64)
        .sum::<u64>();

    let staged = lake.staged();
    // Due at any data file: the tidy merges the table's two files, every row kept.
    let always = gamelake::lakehouse::maintain::TidyPolicy {
        max_delete_files: 0,
        max_data_files: 0,
        delete_threshold: 0.0,
    };
    let tidied = staged
        .tidy_if_overdue(table, &always)
        .await
        .expect("tidy")
        .expect("the table was due");
    assert_eq!(tidied.files_rewritten, 2);
    let before_writes = staged.as_staged_now();
    let snapshot =
        |t: Option<iceberg_rust::table::Table>| t.expect("table").metadata().current_snapshot_id;
    let tidy_snapshot = snapshot(before_writes.load(table).await.expect("load"));

    staged
        .append(genres, a_row(&lake, table, "genre_key", None).await)
        .await
        .expect("append");
    assert_eq!(
        snapshot(before_writes.load(table).await.expect("load")),
        tidy_snapshot,
        "the view before the writes moved with a later commit"
    );
    let own = Changes::between(&before_writes, &staged)
        .await
        .expect("changes");
    assert_eq!(own.rows_added(table), Some(1), "only the appended row");
    let since_published = Changes::between(&lake, &staged).await.expect("changes");
    assert_eq!(
        since_published.rows_added(table),
        Some(rows + 1),
        "against the published tables the tidy's rows count as added"
    );
    staged.discard();
}
