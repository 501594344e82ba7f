"""Reads gamelake's tables with ClickHouse's own Iceberg reader (chdb, ClickHouse in-process),
a third reader independent of iceberg-rust, pyiceberg and DuckDB.

Usage: chdb_read.py embedded WAREHOUSE NAMESPACE
       chdb_read.py rest NAMESPACE
Each table's current metadata file is found as the other readers find it: in the embedded
catalog's SQLite file, or through the REST catalog with pyiceberg (CATALOG_URI,
CATALOG_WAREHOUSE, AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY from
the environment). ClickHouse then reads the table from its folder or from S3, told which
metadata file is current.
Prints JSON: {name: {"rows": n, "columns": {column: {"count": non-null values, "sum": ...}}}}
where "sum" is the sum of an integer column, of a float column, of the lengths (in
characters) of a string column, or the number of true values of a boolean column; other types
have only "count".
"""
import json
import os
import sqlite3
import sys


from chdb import session

# ClickHouse reads local files only below its user_files path, which chdb sets to the working
# folder: the warehouse may be anywhere.
os.chdir("/")
db = session.Session()


def engine(location):
    if location.startswith("s3://"):
        bucket_path = location[len("s3://"):].rstrip("/")
        endpoint = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
        return "IcebergS3('{}/{}/', '{}', '{}')".format(
            endpoint,
            bucket_path,
            os.environ["AWS_ACCESS_KEY_ID"],
            os.environ["AWS_SECRET_ACCESS_KEY"],
        )
    return "IcebergLocal('{}')".format(location.rstrip("/"))


def query(sql):
    text = str(db.query(sql, "JSONEachRow"))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def current_metadata():
    """(table, metadata location) of every table of the namespace."""
    if sys.argv[1] == "embedded":
        warehouse, namespace = sys.argv[2], sys.argv[3]
        con = sqlite3.connect(os.path.join(warehouse, "catalog.db"))
        return con.execute(
            "SELECT table_name, metadata_location FROM iceberg_tables WHERE table_namespace = ?",
            (namespace,),
        ).fetchall()
    from pyiceberg.catalog.rest import RestCatalog

    env = os.environ
    catalog = RestCatalog(
        "gamelake",
        uri=env["CATALOG_URI"],
        warehouse=env["CATALOG_WAREHOUSE"],
        # OAuth2 client credentials where the catalog wants them (SeaweedFS), none for Nessie.
    **({"credential": env["CATALOG_CREDENTIAL"]} if env.get("CATALOG_CREDENTIAL") else {}),
    )
    namespace = sys.argv[2]
    return [
        (ident[-1], catalog.load_table(ident).metadata_location)
        for ident in catalog.list_tables(namespace)
    ]


out = {}
for name, metadata_location in current_metadata():
    path = metadata_location.removeprefix("file://")
    location, metadata = path.rsplit("/metadata/", 1)
    metadata = "metadata/" + metadata
    # The metadata file is named, not looked for: the catalog says which one is current.
    db.query(
        f"CREATE TABLE `{name}` ENGINE = {engine(location)} "
        f"SETTINGS iceberg_metadata_file_path = '{metadata}'"
    )
    table = f"`{name}`"
    columns = query(f"DESCRIBE TABLE {table}")
    parts = ["count() AS rows"]
    kinds = {}
    for i, c in enumerate(columns):
        col, typ = f"`{c['name']}`", c["type"].replace("Nullable(", "").rstrip(")")
        parts.append(f"count({col}) AS c{i}")
        if typ.startswith(("Int", "UInt")):
            parts.append(f"toString(sum(toInt64({col}))) AS s{i}")
            kinds[i] = "int"
        elif typ.startswith("Float"):
            parts.append(f"sum({col}) AS s{i}")
            kinds[i] = "float"
        elif typ == "String":
            parts.append(f"toString(sum(lengthUTF8({col}))) AS s{i}")
            kinds[i] = "int"
        elif typ == "Bool":
            parts.append(f"toString(countIf({col})) AS s{i}")
            kinds[i] = "int"
    row = query(f"SELECT {', '.join(parts)} FROM {table}")[0]
    profile = {}
    for i, c in enumerate(columns):
        entry = {"count": int(row[f"c{i}"])}
        if kinds.get(i) == "int":
            entry["sum"] = int(row[f"s{i}"] or 0)
        elif kinds.get(i) == "float":
            entry["sum"] = float(row[f"s{i}"] or 0.0)
        profile[c["name"]] = entry
    out[name] = {"rows": int(row["rows"]), "columns": profile}
print(json.dumps(out))
