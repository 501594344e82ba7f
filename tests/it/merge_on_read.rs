//! Merge-on-read upserts: rows replaced by key through Iceberg v2 position delete files, read
//! back with the deletes applied by gamelake's own scan and by pyiceberg.

use std::collections::HashSet;

use gamelake::lakehouse::Lakehouse;
use gamelake::lakehouse::deletes::RowChange;
use gamelake::lakehouse::foreign::{Entries, referenced_files};
use gamelake::lakehouse::maintain::TidyPolicy;
use gamelake::lakehouse::scan::TableFiles;
use gamelake::schema::{self, TableDef};

use crate::support::{self, sql_i64};

fn def() -> &'static TableDef {
    schema::table("bridge_game_tag").expect("bridge_game_tag")
}

async fn rows_of(lake: &Lakehouse, game: i64) -> Vec<i64> {
    sql_i64(
        lake,
        &format!("SELECT tag_key FROM rawg.bridge_game_tag WHERE game_key = {game} ORDER BY 1"),
    )
    .await
}

async fn table(lake: &Lakehouse) -> iceberg_rust::table::Table {
    lake.load("bridge_game_tag")
        .await
        .expect("load")
        .expect("table")
}

async fn table_files(lake: &Lakehouse) -> TableFiles {
    TableFiles::load(&table(lake).await).await.expect("files")
}

/// One data file of `games`, each with every tag of `tags`.
async fn append_games(lake: &Lakehouse, games: std::ops::RangeInclusive<i64>, tags: &[i64]) {
    let rows: Vec<(i64, i64)> = games
        .flat_map(|g| tags.iter().map(move |&t| (g, t)))
        .collect();
    lake.append(def(), support::pairs("bridge_game_tag", &rows))
        .await
        .expect("append");
}

async fn data_files(lake: &Lakehouse) -> (Vec<String>, usize) {
    let files = table_files(lake).await;
    (
        files.files.iter().map(|f| f.path.clone()).collect(),
        files.delete_files.len(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upserts_write_position_deletes_that_every_reader_applies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let (_wh, lake) = support::open(&root).await;

    // Three data files of 100 games with two tags each.
    for chunk in 0..3i64 {
        append_games(&lake, chunk * 100 + 1..=chunk * 100 + 100, &[1, 2]).await;
    }
    let (originals, deletes) = data_files(&lake).await;
    assert_eq!((originals.len(), deletes), (3, 0));

    // Games 5 and 250 change their tags; game 1000 is new.
    let change = lake
        .upsert(
            def(),
            "game_key",
            &HashSet::from([5, 250]),
            Some(support::pairs(
                "bridge_game_tag",
                &[(5, 7), (250, 8), (1000, 9)],
            )),
            &|_| Vec::new(),
        )
        .await
        .expect("upsert");
    let expected = RowChange {
        rows_removed: 4,
        rows_added: 3,
        files_touched: 2,
        kept_sharing_added: 0,
    };
    assert_eq!(change, expected);
    assert_eq!(
        sql_i64(&lake, "SELECT count(*) FROM rawg.bridge_game_tag").await,
        [600 - 4 + 3]
    );
    assert_eq!(rows_of(&lake, 5).await, [7]);
    assert_eq!(rows_of(&lake, 250).await, [8]);
    assert_eq!(rows_of(&lake, 1000).await, [9]);
    assert_eq!(
        rows_of(&lake, 6).await,
        [1, 2],
        "an unchanged game lost rows"
    );

    let (after, deletes) = data_files(&lake).await;
    assert_eq!(deletes, 1, "one position delete file per upsert");
    for f in &originals {
        assert!(after.contains(f), "data file {f} was rewritten");
    }
    assert_eq!(after.len(), 4, "the new rows make one new data file");

    // Game 5 changes again: its row now lives in the file the first upsert wrote.
    let again = lake
        .upsert(
            def(),
            "game_key",
            &HashSet::from([5]),
            Some(support::pairs("bridge_game_tag", &[(5, 11)])),
            &|_| Vec::new(),
        )
        .await
        .expect("second upsert");
    assert_eq!((again.rows_removed, again.rows_added), (1, 1));
    assert_eq!(rows_of(&lake, 5).await, [11]);
    let total = sql_i64(&lake, "SELECT count(*) FROM rawg.bridge_game_tag").await[0];
    assert_eq!(total, 599);
    // A filter skips the files whose statistics rule it out (games 1-200, deletes and all)
    // and reads the others with their deletes applied: games 201-300, 250's row replaced,
    // and 1000.
    assert_eq!(
        sql_i64(
            &lake,
            "SELECT count(*) FROM rawg.bridge_game_tag WHERE game_key > 200"
        )
        .await,
        [200 - 2 + 1 + 1]
    );
    // Listed with the first upsert's snapshot at hand (its delete file is not read again):
    // both upserts' deletes, as the sum above.
    let files = table_files(&lake).await;
    let deleted: usize = files.files.iter().map(|f| f.deleted.len()).sum();
    assert_eq!((files.delete_files.len(), deleted), (2, 5));

    // Nothing to change: no new snapshot.
    let before = lake.infos().await.expect("infos");
    let none = lake
        .upsert(def(), "game_key", &HashSet::from([424_242]), None, &|_| {
            Vec::new()
        })
        .await
        .expect("no-op");
    assert_eq!(none, RowChange::default());
    assert_eq!(lake.infos().await.expect("infos"), before);

    // pyiceberg applies the same deletes.
    let seen = support::pyiceberg_read(&root);
    let t = &seen["bridge_game_tag"];
    assert_eq!(t["rows"].as_i64(), Some(total));
    let sums = sql_i64(
        &lake,
        "SELECT sum(game_key) FROM rawg.bridge_game_tag UNION ALL \
         SELECT sum(tag_key) FROM rawg.bridge_game_tag",
    )
    .await;
    let (mut game_sum, mut tag_sum) = (sums[0], sums[1]);
    if sums.len() == 2 && t["sums"]["game_key"].as_i64() != Some(game_sum) {
        // UNION ALL does not promise order.
        std::mem::swap(&mut game_sum, &mut tag_sum);
    }
    assert_eq!(t["sums"]["game_key"].as_i64(), Some(game_sum));
    assert_eq!(t["sums"]["tag_key"].as_i64(), Some(tag_sum));
}

/// Game `g`'s genre in [`a_tidy_keeps_a_large_file_and_gathers_its_deletes_into_one_file`]:
/// its first, or `version`'s.
fn genre(g: i64, version: i64) -> (i64, i64) {
    (g, g % 7 + 100 * version)
}

/// Replaces the genre of `games` (version `version`) and adds game `new`.
async fn change(lake: &Lakehouse, games: std::ops::RangeInclusive<i64>, version: i64, new: i64) {
    let bridge = schema::table("bridge_game_genre").expect("def");
    let mut rows: Vec<(i64, i64)> = games.clone().map(|g| genre(g, version)).collect();
    rows.push(genre(new, 0));
    lake.upsert(
        bridge,
        "game_key",
        &games.collect(),
        Some(support::pairs("bridge_game_genre", &rows)),
        &|_| Vec::new(),
    )
    .await
    .expect("upsert");
}

/// Every (game, genre) pair of `bridge_game_genre`, as gamelake reads it, sorted.
async fn genre_pairs(lake: &Lakehouse) -> Vec<String> {
    support::sql_strings(
        lake,
        "SELECT concat(game_key, ':', genre_key) FROM rawg.bridge_game_genre \
         ORDER BY game_key, genre_key",
    )
    .await
}

/// A run's tidy merges a table's small files and lists its large file again as it is, the
/// positions deleted from it gathered into one fresh delete file in the same snapshot
/// (`lakehouse::rewrite`): the large file is copied only once enough of it is deleted. The
/// table reads the same in gamelake, pyiceberg, DuckDB (every snapshot, by time travel) and
/// Spark, and iceberg-rust's next append builds on the tidied manifests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tidy_keeps_a_large_file_and_gathers_its_deletes_into_one_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let (_wh, lake) = support::open(&root).await;
    let name = "bridge_game_genre";
    let bridge = schema::table(name).expect("def");
    let first: Vec<(i64, i64)> = (1..=1000).map(|g| genre(g, 0)).collect();
    lake.append(bridge, support::pairs(name, &first))
        .await
        .expect("append");
    let files = async || {
        let table = lake.load(name).await.expect("load").expect("table");
        TableFiles::load(&table).await.expect("files")
    };
    let large = files().await.files[0].path.clone();
    // Nine days, each replacing ten games of the large file and adding one: nine small
    // files and nine delete files, 9% of the large file deleted (under the 10% past which a
    // tidy copies a file).
    for day in 0..9 {
        change(&lake, day * 10 + 1..=day * 10 + 10, 1, 2000 + day).await;
    }
    let policy = TidyPolicy::default();
    let before = genre_pairs(&lake).await;
    let parent = lake.infos().await.expect("infos");
    let tidied = lake
        .tidy_if_overdue(name, &policy)
        .await
        .expect("tidy")
        .expect("nine delete files are past the policy");
    assert_eq!((tidied.files_rewritten, tidied.rows_dropped), (9, 0));
    let after = files().await;
    let paths: Vec<&str> = after.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(paths.contains(&large.as_str()), "the large file was copied");
    let kept = after.files.iter().find(|f| f.path == large).expect("large");
    assert_eq!((after.delete_files.len(), kept.deleted.len()), (1, 90));
    assert_eq!(
        genre_pairs(&lake).await,
        before,
        "the tidy changed the rows"
    );
    let table = lake.load(name).await.expect("load").expect("table");
    let snapshot = table
        .metadata()
        .current_snapshot(None)
        .expect("snapshot")
        .expect("current");
    assert_eq!(
        snapshot.summary().operation,
        iceberg_rust::spec::snapshot::Operation::Replace
    );
    let parent_id = parent.iter().find(|t| t.name == name).expect("info");
    assert_eq!(snapshot.parent_snapshot_id(), &parent_id.snapshot_id);
    let manifests = table.manifests(None, None).await.expect("manifests");
    let contents: Vec<_> = manifests.iter().map(|m| m.content).collect();
    use iceberg_rust::spec::manifest_list::Content;
    assert_eq!(contents, [Content::Data, Content::Deletes]);

    // The next upsert appends to the tidied manifests; then more of the large file goes
    // (12%) and the next tidy copies it without its deleted rows: no delete file is left.
    change(&lake, 91..=120, 2, 3000).await;
    let due_now = TidyPolicy {
        max_delete_files: 0,
        ..policy
    };
    let again = lake
        .tidy_if_overdue(name, &due_now)
        .await
        .expect("tidy")
        .expect("due");
    assert_eq!(again.rows_dropped, 120, "{again:?}");
    let last = files().await;
    assert!(last.delete_files.is_empty(), "{:?}", last.delete_files);
    assert!(last.files.iter().all(|f| f.path != large));
    let want: Vec<String> = (1..=1000)
        .map(|g| {
            genre(
                g,
                if g <= 90 {
                    1
                } else if g <= 120 {
                    2
                } else {
                    0
                },
            )
        })
        .chain((0..9).map(|d| genre(2000 + d, 0)))
        .chain([genre(3000, 0)])
        .map(|(g, k)| format!("{g}:{k}"))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut got = genre_pairs(&lake).await;
    got.sort();
    assert_eq!(got, want);

    // The other readers: pyiceberg and DuckDB read every snapshot alike, Spark the last.
    let seen = support::pyiceberg_read_with(&root, &["history"]);
    let t = &seen[name];
    assert_eq!(t["rows"].as_u64(), Some(want.len() as u64));
    for s in t["history"].as_array().expect("history") {
        assert_eq!(s["rows"], s["duckdb_rows"], "{s}");
    }
    let after_tidy = t["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|s| s["snapshot_id"].as_i64() == Some(*snapshot.snapshot_id()))
        .expect("the first tidy's snapshot");
    assert_eq!(after_tidy["rows"].as_u64(), Some(before.len() as u64));
    let spark = crate::support::engines::SparkCatalog::Embedded(&root);
    let sql = format!("SELECT count(*), sum(game_key), sum(genre_key) FROM gamelake.rawg.{name}");
    let answered = crate::support::engines::spark_sql(&spark, &[sql]);
    let ours = support::sql_i64(
        &lake,
        &format!(
            "SELECT v FROM (SELECT 1 AS o, count(*) AS v FROM rawg.{name} UNION ALL \
             SELECT 2, sum(game_key) FROM rawg.{name} UNION ALL \
             SELECT 3, sum(genre_key) FROM rawg.{name}) ORDER BY o"
        ),
    )
    .await;
    let theirs: Vec<i64> = answered[0][0]
        .iter()
        .map(|v| v.as_i64().expect("a number"))
        .collect();
    assert_eq!(theirs, ours, "Spark");
}

/// The tag bridge of a fresh warehouse under `dir` after two appends (two snapshots, each
/// with a manifest list and a manifest of its own).
async fn two_appends(dir: &std::path::Path) -> iceberg_rust::table::Table {
    let root = std::fs::canonicalize(dir).expect("canonical");
    let (_wh, lake) = support::open(&root).await;
    append_games(&lake, 1..=10, &[1]).await;
    append_games(&lake, 11..=20, &[1]).await;
    table(&lake).await
}

/// Every snapshot's manifest list is read once by a process: the files a table references,
/// gathered over its snapshots, are gathered again with the lists gone from the disk (their
/// manifests stay).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_list_is_read_once_by_a_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let table = two_appends(dir.path()).await;
    let first = referenced_files(&table).await.expect("referenced");
    let lists: Vec<String> = table
        .metadata()
        .snapshots
        .values()
        .map(|s| s.manifest_list().trim_start_matches("file://").to_string())
        .collect();
    assert_eq!(lists.len(), 2);
    for list in &lists {
        assert!(
            first.iter().any(|f| list.ends_with(f.as_str())),
            "{list} not referenced"
        );
        std::fs::remove_file(list).expect("remove manifest list");
    }
    let again = referenced_files(&table)
        .await
        .expect("read from the lists kept, not the disk");
    assert_eq!(again, first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_is_read_once_by_a_process_and_serves_every_later_listing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let table = two_appends(dir.path()).await;
    let manifests = table.manifests(None, None).await.expect("manifest list");
    let first = Entries::read(&table, &manifests).await.expect("entries");
    let files = |e: &Entries| {
        let mut paths: Vec<String> = e.data.iter().map(|f| f.file_path().clone()).collect();
        paths.sort();
        paths
    };
    assert_eq!(files(&first).len(), 2);

    // The manifests gone from the disk: a second reading takes what the first one parsed.
    for m in &manifests {
        let path = m.manifest_path.trim_start_matches("file://");
        std::fs::remove_file(path).expect("remove manifest");
    }
    let again = Entries::read(&table, &manifests)
        .await
        .expect("read from the entries kept, not the disk");
    assert_eq!(files(&again), files(&first));
}

/// A small data file (a day's change, fewer than `SMALL_FILE_ROWS` rows) is written with
/// snappy, whose setup costs a reader nothing, a larger one with zstd; both read back whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_data_file_is_written_with_snappy_and_a_large_one_with_zstd() {
    use parquet::basic::Compression;
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = support::open(dir.path()).await;
    let large = gamelake::lakehouse::SMALL_FILE_ROWS as i64;
    let small_rows: Vec<(i64, i64)> = (1..=1_000).map(|g| (g, g % 7)).collect();
    let large_rows: Vec<(i64, i64)> = (1_001..=1_000 + large).map(|g| (g, g % 7)).collect();
    for rows in [&small_rows, &large_rows] {
        lake.append(def(), support::pairs("bridge_game_tag", rows))
            .await
            .expect("append");
    }
    let files = TableFiles::load(&table(&lake).await).await.expect("files");
    let mut codecs: Vec<(u64, Vec<Compression>)> = files
        .files
        .iter()
        .map(|f| {
            let mut by_column: Vec<(String, Compression)> =
                support::column_codecs(&f.path).into_iter().collect();
            by_column.sort_by(|a, b| a.0.cmp(&b.0));
            (
                f.record_count,
                by_column.into_iter().map(|(_, c)| c).collect(),
            )
        })
        .collect();
    codecs.sort_by_key(|(rows, _)| *rows);
    let zstd = Compression::ZSTD(parquet::basic::ZstdLevel::default());
    assert_eq!(
        codecs,
        vec![
            (1_000, vec![Compression::SNAPPY, Compression::SNAPPY]),
            (large as u64, vec![zstd, zstd]),
        ]
    );
    assert_eq!(
        sql_i64(&lake, "SELECT count(*) FROM rawg.bridge_game_tag").await,
        vec![1_000 + large]
    );
}

/// A table's key column is written PLAIN, without a dictionary (each upsert reads it whole,
/// and its values are nearly all distinct), the other columns as iceberg-rust writes them; the
/// rows read back as written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_column_is_written_without_a_dictionary_and_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = support::open(dir.path()).await;
    let rows: Vec<(i64, i64)> = (1..=1_000).map(|g| (g, g % 7)).collect();
    lake.append(def(), support::pairs("bridge_game_tag", &rows))
        .await
        .expect("append");
    let files = TableFiles::load(&table(&lake).await).await.expect("files");
    assert_eq!(files.files.len(), 1);
    let dictionaries = support::dictionary_pages(&files.files[0].path);
    assert_eq!(
        dictionaries,
        [
            ("game_key".to_string(), false),
            ("tag_key".to_string(), true)
        ]
        .into(),
    );
    assert_eq!(rows_of(&lake, 700).await, vec![0]);
    assert_eq!(
        sql_i64(
            &lake,
            "SELECT count(*) FROM rawg.bridge_game_tag WHERE game_key > 990"
        )
        .await,
        vec![10]
    );
}

/// Sets `table`'s [`gamelake::lakehouse::TARGET_FILE_SIZE`] property to `value`.
async fn set_target_file_size(lake: &Lakehouse, name: &str, value: &str) {
    let mut table = lake.load(name).await.expect("load").expect("table");
    let key = gamelake::lakehouse::TARGET_FILE_SIZE.to_string();
    table
        .new_transaction(None)
        .update_properties(vec![(key, value.to_string())])
        .commit()
        .await
        .expect("set the property");
}

/// A warehouse in `dir` whose `bridge_game_genre` holds game 0's genre and sets its
/// [`gamelake::lakehouse::TARGET_FILE_SIZE`] to `target`.
async fn genre_bridge_aiming_at(
    dir: &std::path::Path,
    target: &str,
) -> (gamelake::storage::Warehouse, Lakehouse) {
    let (wh, lake) = support::open(dir).await;
    let name = "bridge_game_genre";
    lake.append(
        schema::table(name).expect("def"),
        support::pairs(name, &[genre(0, 0)]),
    )
    .await
    .expect("append");
    set_target_file_size(&lake, name, target).await;
    (wh, lake)
}

/// A data file of `bridge_game_genre`.
#[derive(Debug, Clone, PartialEq)]
struct GenreFile {
    path: String,
    size: u64,
    /// Of its rows, the share deleted.
    deleted: f64,
}

async fn genre_files(lake: &Lakehouse) -> Vec<GenreFile> {
    let table = lake
        .load("bridge_game_genre")
        .await
        .expect("load")
        .expect("table");
    let files = TableFiles::load(&table).await.expect("files");
    files
        .files
        .iter()
        .map(|f| GenreFile {
            path: f.path.clone(),
            size: f.size,
            deleted: f.deleted.len() as f64 / f.record_count as f64,
        })
        .collect()
}

/// A table's data files are written at its target size (Iceberg's
/// `write.target-file-size-bytes`), and a tidy copies at most one of those full files, the
/// one with most of its rows deleted, when a change spread over every key puts them all past
/// the threshold together: the dearest tidy copies a file, not the table. The next tidy
/// copies the next. The rows read the same throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tidy_copies_one_full_file_at_a_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target: u64 = 32 << 10;
    let (_wh, lake) = genre_bridge_aiming_at(dir.path(), &target.to_string()).await;
    let name = "bridge_game_genre";
    let bridge = schema::table(name).expect("def");
    let games = 1..=120_000;
    let first: Vec<(i64, i64)> = games.clone().map(|g| genre(g, 0)).collect();
    lake.append(bridge, support::pairs(name, &first))
        .await
        .expect("append");
    let written = genre_files(&lake).await;
    let full: Vec<&GenreFile> = written.iter().filter(|f| f.size >= target / 2).collect();
    assert!(full.len() >= 3, "{written:?}");
    assert!(written.iter().all(|f| f.size < 2 * target), "{written:?}");
    // Full files do not count towards the data files a tidy is due at: with one small
    // file (the first row's), a table is within a policy of one.
    let one_small = TidyPolicy {
        max_data_files: 1,
        ..TidyPolicy::default()
    };
    let judged = lake.tidy_if_overdue(name, &one_small).await.expect("judge");
    assert_eq!(judged, None, "{written:?}");

    // Every sixth game replaced: each full file 16% deleted, past the 10% threshold.
    let changed: Vec<i64> = games.clone().filter(|g| g % 6 == 0).collect();
    let rows: Vec<(i64, i64)> = changed.iter().map(|&g| genre(g, 1)).collect();
    lake.upsert(
        bridge,
        "game_key",
        &changed.iter().copied().collect(),
        Some(support::pairs(name, &rows)),
        &|_| Vec::new(),
    )
    .await
    .expect("upsert");
    let before = genre_pairs(&lake).await;
    let due = TidyPolicy {
        max_delete_files: 0,
        ..TidyPolicy::default()
    };
    let mut copied = HashSet::new();
    for tidy in 0..2 {
        let files = genre_files(&lake).await;
        lake.tidy_if_overdue(name, &due)
            .await
            .expect("tidy")
            .expect("due");
        let after: HashSet<String> = genre_files(&lake)
            .await
            .into_iter()
            .map(|f| f.path)
            .collect();
        // The full files still there before this tidy, as they were then.
        let left: Vec<&GenreFile> = files
            .iter()
            .filter(|f| full.iter().any(|g| g.path == f.path))
            .collect();
        let gone: Vec<&GenreFile> = left
            .iter()
            .filter(|f| !after.contains(&f.path))
            .copied()
            .collect();
        assert_eq!(gone.len(), 1, "tidy {tidy} copied {gone:?} of {left:?}");
        assert!(gone[0].deleted > 0.1, "{gone:?}");
        assert!(
            left.iter().all(|f| f.deleted <= gone[0].deleted),
            "{left:?}"
        );
        copied.insert(gone[0].path.clone());
        assert_eq!(
            genre_pairs(&lake).await,
            before,
            "tidy {tidy} changed the rows"
        );
    }
    assert_eq!(copied.len(), 2);
}

/// A target file size that is not a number of bytes fails the write, saying which table and
/// property, and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_file_size_that_is_not_a_size_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = genre_bridge_aiming_at(dir.path(), "512MB").await;
    let name = "bridge_game_genre";
    let bridge = schema::table(name).expect("def");
    let err = lake
        .append(bridge, support::pairs(name, &[genre(2, 0)]))
        .await
        .expect_err("a size of `512MB`");
    assert_eq!(err.kind(), gamelake::ErrorKind::Config, "{err}");
    let text = err.to_string();
    assert!(
        text.contains(name) && text.contains("write.target-file-size-bytes"),
        "{text}"
    );
    assert_eq!(genre_pairs(&lake).await, vec!["0:0".to_string()]);
}

/// A file the writer closes at its target size may hold several row groups (a narrow
/// table's pages compress far below what the writer estimates while it fills them): its
/// manifest entry's bounds hold every row of every one, strings included (iceberg-rust
/// records a string column's first row group's), so engines that skip files by their bounds
/// find every row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_of_several_row_groups_is_listed_with_bounds_over_all_of_them() {
    use arrow::array::{Int64Array, StringArray};
    use iceberg_rust::spec::values::Value;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = support::open(dir.path()).await;
    let name = "dim_genre";
    let def = schema::table(name).expect("def");
    let batch = |keys: std::ops::RangeInclusive<i64>| {
        let keys: Vec<i64> = keys.collect();
        let text = |prefix: &str| -> StringArray {
            keys.iter()
                .map(|k| Some(format!("{prefix}{k:06}")))
                .collect()
        };
        arrow::array::RecordBatch::try_new(
            def.arrow_schema(),
            vec![
                std::sync::Arc::new(Int64Array::from(keys.clone())),
                std::sync::Arc::new(Int64Array::from(keys.clone())),
                std::sync::Arc::new(text("genre ")),
                std::sync::Arc::new(text("g-")),
            ],
        )
        .expect("batch")
    };
    lake.append(def, batch(0..=0)).await.expect("append");
    set_target_file_size(&lake, name, &(512 << 10).to_string()).await;
    lake.append(def, batch(1..=100_000)).await.expect("append");
    let table = lake.load(name).await.expect("load").expect("table");
    let schema = table.metadata().current_schema(None).expect("schema");
    let name_id = schema.fields().get_name("name").expect("name").id;
    let files = TableFiles::load(&table).await.expect("files");
    let (mut several, mut shapes) = (0, Vec::new());
    for f in &files.files {
        let reader = SerializedFileReader::new(std::fs::File::open(&f.path).expect("open"))
            .expect("parquet");
        let groups = reader.metadata().row_groups();
        several += usize::from(groups.len() > 1);
        shapes.push((f.size, groups.len()));
        let column = groups[0]
            .columns()
            .iter()
            .position(|c| c.column_path().string() == "name")
            .expect("name column");
        let largest = groups
            .iter()
            .filter_map(|g| g.column(column).statistics()?.max_bytes_opt())
            .map(|b| String::from_utf8(b.to_vec()).expect("utf-8"))
            .max()
            .expect("statistics");
        let upper = f
            .data_file
            .upper_bounds()
            .as_ref()
            .and_then(|b| b.get(&name_id))
            .cloned();
        assert_eq!(upper, Some(Value::String(largest)), "{}", f.path);
    }
    assert!(
        several > 0,
        "no file of several row groups among {}",
        files.files.len()
    );
}
