"""The pandas peer: gamelake's star schema from the same raw parquet, written the way the
original Python pipeline did it: read the raw rows into pandas, then loop over the games
row by row and over their nested lists, collecting dimension members and bridge pairs in
Python dicts, and build each table as a DataFrame.

Usage: pandas_star.py RAW_DIR OUT_DIR
Same tables and key logic as gamelake and the DuckDB peer (keys in id order, key 0 = Unknown;
facts and bridges from each game's latest version; dimension members from every observation,
attributes from the newest). Prints JSON {table: rows}. Writes parquet, not Iceberg.
"""
import glob
import json
import os
import sys

import pandas as pd

raw, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
files = sorted(glob.glob(os.path.join(raw, "**", "*.parquet"), recursive=True))
obs = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)

# Latest version of each game: latest `updated`, ties to the later ingest.
latest = (
    obs.sort_values(["id", "updated", "_ingested_at"])
    .drop_duplicates("id", keep="last")
    .reset_index(drop=True)
)
game_key = {gid: i + 1 for i, gid in enumerate(sorted(latest["id"]))}

DIMS = {
    "platform": ("platforms", "platform", [], True),
    "parent_platform": ("parent_platforms", "platform", [], True),
    "store": ("stores", "store", [], True),
    "genre": ("genres", None, [], True),
    "tag": ("tags", None, ["language", "games_count"], True),
    "esrb_rating": ("esrb_rating", None, [], False),
}


def members(row, column, inner):
    value = row[column]
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    items = [value] if isinstance(value, dict) else list(value)
    result = []
    for item in items:
        if item is None:
            continue
        m = item.get(inner) if inner else item
        if m is not None and m.get("id") is not None:
            result.append(m)
    return result


tables = {}
keys = {}
for member, (column, inner, extra, bridged) in DIMS.items():
    newest = {}  # member id -> (order, attributes)
    for _, row in obs.iterrows():
        order = (row["_ingested_at"], row["updated"], row["id"])
        for m in members(row, column, inner):
            mid = int(m["id"])
            if mid not in newest or newest[mid][0] < order:
                newest[mid] = (order, m)
    key_of = {mid: i + 1 for i, mid in enumerate(sorted(newest))}
    keys[member] = key_of
    rows = [{f"{member}_key": 0, f"{member}_id": None, "name": "Unknown", "slug": "unknown",
             **{x: None for x in extra}}]
    for mid in sorted(newest):
        m = newest[mid][1]
        rows.append({f"{member}_key": key_of[mid], f"{member}_id": mid, "name": m.get("name"),
                     "slug": m.get("slug"), **{x: m.get(x) for x in extra}})
    tables[f"dim_{member}"] = pd.DataFrame(rows)
    if bridged:
        pairs = set()
        for _, row in latest.iterrows():
            gk = game_key[row["id"]]
            for m in members(row, column, inner):
                pairs.add((gk, key_of[int(m["id"])]))
        tables[f"bridge_game_{member}"] = pd.DataFrame(
            sorted(pairs), columns=["game_key", f"{member}_key"]
        )


def date_key(d):
    return d.year * 10000 + d.month * 100 + d.day


facts, dates = [], set()
for _, row in latest.iterrows():
    released = row["released"]
    has_released = released is not None and not pd.isna(released)
    updated = row["updated"]
    counts = {t: 0 for t in ("exceptional", "recommended", "meh", "skip")}
    for r in row["ratings"] if row["ratings"] is not None else []:
        if r["title"] in counts and r["count"] is not None:
            counts[r["title"]] += int(r["count"])
    status = row["added_by_status"] if row["added_by_status"] is not None else {}
    esrb = members(row, "esrb_rating", None)
    if has_released:
        dates.add(pd.Timestamp(released).date())
    dates.add(pd.Timestamp(updated).date())
    facts.append({
        "game_key": game_key[row["id"]],
        "game_id": row["id"],
        "released_date_key": date_key(pd.Timestamp(released)) if has_released else 0,
        "updated_date_key": date_key(pd.Timestamp(updated)),
        "esrb_rating_key": keys["esrb_rating"][int(esrb[0]["id"])] if esrb else 0,
        "name": row["name"], "slug": row["slug"], "released": released, "tba": row["tba"],
        "updated": updated, "rating": row["rating"], "rating_top": row["rating_top"],
        "ratings_count": row["ratings_count"], "reviews_count": row["reviews_count"],
        "reviews_text_count": row["reviews_text_count"], "added": row["added"],
        **{f"added_{s}": (status.get(s) or 0)
           for s in ("owned", "beaten", "toplay", "dropped", "playing", "yet")},
        "metacritic": row["metacritic"], "playtime": row["playtime"],
        "suggestions_count": row["suggestions_count"],
        **{f"ratings_{t}": c for t, c in counts.items()},
        "background_image": row["background_image"],
    })
tables["fact_games"] = pd.DataFrame(facts)
date_rows = [{"date_key": 0, "date": None, "year": None, "quarter": None, "month": None,
              "day": None, "day_of_week": None, "day_name": "Unknown", "month_name": "Unknown",
              "is_weekend": None}]
for d in sorted(dates):
    date_rows.append({"date_key": date_key(d), "date": d, "year": d.year,
                      "quarter": (d.month - 1) // 3 + 1, "month": d.month, "day": d.day,
                      "day_of_week": d.isoweekday(), "day_name": d.strftime("%A"),
                      "month_name": d.strftime("%B"), "is_weekend": d.isoweekday() >= 6})
tables["dim_date"] = pd.DataFrame(date_rows)

counts = {}
for name in sorted(tables):
    tables[name].to_parquet(os.path.join(out, f"{name}.parquet"), index=False)
    counts[name] = len(tables[name])
print(json.dumps(counts))
