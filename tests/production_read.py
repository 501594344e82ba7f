"""Reads gamelake's tables back through an Iceberg REST catalog with two independent readers:
pyiceberg (through the catalog) and DuckDB's iceberg extension (from the metadata file in S3).

Usage: production_read.py NAMESPACE
Environment: CATALOG_URI, CATALOG_WAREHOUSE, AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, DUCKDB_EXTENSIONS (folders holding the .duckdb_extension files).
Prints JSON: {table: {"pyiceberg": rows, "duckdb": rows, "key_sum": sum of the first column, 0 when it is not an integer}}.
"""
import glob
import json
import os
import sys
from urllib.parse import urlparse

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog.rest import RestCatalog

namespace = sys.argv[1]
env = os.environ
endpoint = env["AWS_ENDPOINT_URL"]
catalog = RestCatalog(
    "gamelake",
    uri=env["CATALOG_URI"],
    warehouse=env["CATALOG_WAREHOUSE"],
    # OAuth2 client credentials where the catalog wants them (SeaweedFS), none for Nessie.
    **({"credential": env["CATALOG_CREDENTIAL"]} if env.get("CATALOG_CREDENTIAL") else {}),
    **{
        "s3.endpoint": endpoint,
        "s3.region": env["AWS_REGION"],
        "s3.access-key-id": env["AWS_ACCESS_KEY_ID"],
        "s3.secret-access-key": env["AWS_SECRET_ACCESS_KEY"],
        "s3.path-style-access": "true",
    },
)

con = duckdb.connect(config={"allow_unsigned_extensions": "true", "autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
for name in ("httpfs", "avro", "iceberg"):
    path = next(
        p
        for folder in env["DUCKDB_EXTENSIONS"].split(os.pathsep)
        for p in glob.glob(os.path.join(folder, "**", f"{name}.duckdb_extension"), recursive=True)
    )
    con.execute(f"INSTALL '{path}'")
    con.execute(f"LOAD {name}")
host = urlparse(endpoint)
con.execute(
    "CREATE SECRET s3 (TYPE s3, KEY_ID ?, SECRET ?, REGION ?, ENDPOINT ?, URL_STYLE 'path', USE_SSL ?)",
    [
        env["AWS_ACCESS_KEY_ID"],
        env["AWS_SECRET_ACCESS_KEY"],
        env["AWS_REGION"],
        host.netloc,
        host.scheme == "https",
    ],
)

out = {}
for ident in catalog.list_tables(namespace):
    table = catalog.load_table(ident)
    arrow = table.scan().to_arrow()
    duck = con.execute(
        "SELECT count(*) FROM iceberg_scan(?)", [table.metadata_location]
    ).fetchone()[0]
    out[ident[-1]] = {
        "pyiceberg": arrow.num_rows,
        "duckdb": duck,
        "key_sum": int(pc.sum(arrow.column(0)).as_py() or 0)
        if pa.types.is_integer(arrow.column(0).type)
        else 0,
    }
print(json.dumps(out))
