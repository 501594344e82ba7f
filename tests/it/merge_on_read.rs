//! Merge-on-read upserts: rows replaced by key through Iceberg v2 position delete files, read
//! back with the deletes applied by gamelake's own scan and by pyiceberg.

use std::collections::HashSet;

use gamelake::lakehouse::Lakehouse;
use gamelake::lakehouse::deletes::RowChange;
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

async fn table_files(lake: &Lakehouse) -> TableFiles {
    let table = lake
        .load("bridge_game_tag")
        .await
        .expect("load")
        .expect("table");
    TableFiles::load(&table).await.expect("files")
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
        let rows: Vec<(i64, i64)> = (chunk * 100 + 1..=chunk * 100 + 100)
            .flat_map(|g| [(g, 1), (g, 2)])
            .collect();
        lake.append(def(), support::pairs("bridge_game_tag", &rows))
            .await
            .expect("append");
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
