"""The DuckDB peer: gamelake's star schema from the same raw parquet, in DuckDB SQL.

Usage: duckdb_star.py RAW_DIR OUT_DIR
RAW_DIR holds gamelake's raw landing (`**/*.parquet`); OUT_DIR gets one parquet file per
table. Same tables, same key logic as gamelake (keys in id order, key 0 = Unknown; facts and
bridges from each game's latest version; dimension members from every observation, attributes
from the newest). Prints JSON {table: rows} on stdout. Writes parquet, not Iceberg.
"""
import json
import os
import sys

import duckdb

raw, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
con = duckdb.connect()
con.execute("SET preserve_insertion_order = false")
con.execute(
    f"CREATE TABLE obs AS SELECT * FROM read_parquet('{raw}/**/*.parquet', union_by_name = true)"
)
con.execute(
    """CREATE TABLE latest AS SELECT * FROM obs
       QUALIFY row_number() OVER (PARTITION BY id ORDER BY updated DESC, _ingested_at DESC) = 1"""
)
con.execute(
    "CREATE TABLE game_keys AS SELECT id AS game_id, row_number() OVER (ORDER BY id) AS game_key FROM latest"
)

# member -> (column, how to reach {id, name, slug} from one element, extra columns, bridged)
DIMS = {
    "platform": ("platforms", "m.platform", [], True),
    "parent_platform": ("parent_platforms", "m.platform", [], True),
    "store": ("stores", "m.store", [], True),
    "genre": ("genres", "m", [], True),
    "tag": ("tags", "m", ["language", "games_count"], True),
    "esrb_rating": ("esrb_rating", None, [], False),
}


def mentions(member, source):
    column, path, extra, _ = DIMS[member]
    extras = "".join(f", e.{x} AS {x}" for x in extra)
    if path is None:  # a single struct, not a list
        inner = f"SELECT id AS game_id, updated, _ingested_at, {column} AS e FROM {source}"
    else:
        inner = (
            f"SELECT game_id, updated, _ingested_at, {path} AS e FROM "
            f"(SELECT id AS game_id, updated, _ingested_at, unnest({column}) AS m FROM {source})"
        )
    return (
        f"SELECT game_id, updated, _ingested_at, e.id AS member_id, e.name AS name, "
        f"e.slug AS slug{extras} FROM ({inner}) WHERE e.id IS NOT NULL"
    )


tables = {}
for member, (_, _, extra, bridged) in DIMS.items():
    extras = "".join(f", {x}" for x in extra)
    nulls = "".join(f", NULL AS {x}" for x in extra)
    con.execute(
        f"""CREATE TABLE dim_{member} AS
        SELECT 0::BIGINT AS {member}_key, NULL::BIGINT AS {member}_id, 'Unknown' AS name,
               'unknown' AS slug{nulls}
        UNION ALL
        SELECT row_number() OVER (ORDER BY member_id) AS {member}_key, member_id AS {member}_id,
               name, slug{extras}
        FROM ({mentions(member, 'obs')})
        QUALIFY row_number() OVER (PARTITION BY member_id
                                   ORDER BY _ingested_at DESC, updated DESC, game_id DESC) = 1"""
    )
    tables[f"dim_{member}"] = f"dim_{member}"
    if bridged:
        con.execute(
            f"""CREATE TABLE bridge_game_{member} AS
            SELECT DISTINCT k.game_key, d.{member}_key
            FROM ({mentions(member, 'latest')}) m
            JOIN game_keys k USING (game_id)
            JOIN dim_{member} d ON d.{member}_id = m.member_id"""
        )
        tables[f"bridge_game_{member}"] = f"bridge_game_{member}"


def rating(title):
    return (
        f"coalesce(list_sum(list_transform(list_filter(ratings, r -> r.title = '{title}'), "
        f"r -> r.count)), 0) AS ratings_{title}"
    )


def date_key(e):
    return f"(year({e}) * 10000 + month({e}) * 100 + day({e}))::INTEGER"


con.execute(
    f"""CREATE TABLE fact_games AS
    SELECT k.game_key, g.id AS game_id,
           coalesce({date_key('g.released')}, 0) AS released_date_key,
           {date_key('g.updated')} AS updated_date_key,
           coalesce(e.esrb_rating_key, 0) AS esrb_rating_key,
           g.name, g.slug, g.released, g.tba, g.updated, g.rating, g.rating_top,
           g.ratings_count, g.reviews_count, g.reviews_text_count, g.added,
           coalesce(g.added_by_status.owned, 0) AS added_owned,
           coalesce(g.added_by_status.beaten, 0) AS added_beaten,
           coalesce(g.added_by_status.toplay, 0) AS added_toplay,
           coalesce(g.added_by_status.dropped, 0) AS added_dropped,
           coalesce(g.added_by_status.playing, 0) AS added_playing,
           coalesce(g.added_by_status.yet, 0) AS added_yet,
           g.metacritic, g.playtime, g.suggestions_count,
           {rating('exceptional')}, {rating('recommended')}, {rating('meh')}, {rating('skip')},
           g.background_image
    FROM latest g
    JOIN game_keys k ON k.game_id = g.id
    LEFT JOIN dim_esrb_rating e ON e.esrb_rating_id = g.esrb_rating.id"""
)
tables["fact_games"] = "fact_games"
con.execute(
    """CREATE TABLE dim_date AS
    SELECT 0 AS date_key, NULL::DATE AS date, NULL::INTEGER AS year, NULL::INTEGER AS quarter,
           NULL::INTEGER AS month, NULL::INTEGER AS day, NULL::INTEGER AS day_of_week,
           'Unknown' AS day_name, 'Unknown' AS month_name, NULL::BOOLEAN AS is_weekend
    UNION ALL
    SELECT (year(d) * 10000 + month(d) * 100 + day(d))::INTEGER, d, year(d), quarter(d),
           month(d), day(d), isodow(d), dayname(d), monthname(d), isodow(d) >= 6
    FROM (SELECT DISTINCT released AS d FROM latest WHERE released IS NOT NULL
          UNION SELECT DISTINCT updated::DATE FROM latest)"""
)
tables["dim_date"] = "dim_date"

counts = {}
for name in sorted(tables):
    con.execute(f"COPY {name} TO '{out}/{name}.parquet' (FORMAT parquet, COMPRESSION zstd)")
    counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
print(json.dumps(counts))
