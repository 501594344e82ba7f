"""Reads every gamelake table back through pyiceberg's SqlCatalog, as an independent reader.

Usage: pyiceberg_read.py WAREHOUSE NAMESPACE [history]
       pyiceberg_read.py WAREHOUSE NAMESPACE where TABLE COLUMN VALUE
Prints JSON: {table: {"rows": n, "columns": [...], "key_sum": sum of the first column (0 when
it is not an integer), "sums": {integer column: sum}}}. With `history`, each table also has
"history": [{"snapshot_id", "parent_id", "rows", "duckdb_rows"}] for every snapshot in its log,
rows read by time travel in pyiceberg and in DuckDB (iceberg_scan's snapshot_from_id, on the
metadata file), and "current": the current snapshot id. With `where`, only TABLE is read, with
the filter COLUMN = VALUE (a string), and it prints {"rows": n}: pyiceberg skips the data files
whose manifest bounds rule the value out, so a bound that some row breaks loses that row.
"""
import json
import sys

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog.sql import SqlCatalog

warehouse, namespace = sys.argv[1], sys.argv[2]
history = sys.argv[3:] == ["history"]
where = sys.argv[4:7] if sys.argv[3:4] == ["where"] else None
duck = None
if history:
    import glob
    import os

    import duckdb

    duck = duckdb.connect(
        config={
            "allow_unsigned_extensions": "true",
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
        }
    )
    for name in ("avro", "iceberg"):
        path = next(
            iter(glob.glob(os.path.join(sys.prefix, "lib", "**", f"{name}.duckdb_extension"), recursive=True))
        )
        duck.execute(f"INSTALL '{path}'")
        duck.execute(f"LOAD {name}")
catalog = SqlCatalog(
    "gamelake",
    uri=f"sqlite:///{warehouse}/catalog.db",
    warehouse=f"file://{warehouse}",
)
if where:
    from pyiceberg.expressions import EqualTo

    name, column, value = where
    scan = catalog.load_table((namespace, name)).scan(row_filter=EqualTo(column, value))
    print(json.dumps({"rows": scan.to_arrow().num_rows}))
    sys.exit(0)
out = {}
for ident in catalog.list_tables(namespace):
    loaded = catalog.load_table(ident)
    table = loaded.scan().to_arrow()
    first = table.column(0)
    out[ident[-1]] = {
        "rows": table.num_rows,
        "columns": table.column_names,
        "key_sum": int(pc.sum(first).as_py() or 0) if pa.types.is_integer(first.type) else 0,
        "sums": {
            name: int(pc.sum(table.column(name)).as_py() or 0)
            for name in table.column_names
            if pa.types.is_integer(table.schema.field(name).type)
        },
    }
    if history:
        current = loaded.current_snapshot()
        out[ident[-1]]["current"] = current.snapshot_id if current else None
        out[ident[-1]]["history"] = [
            {
                "snapshot_id": s.snapshot_id,
                "parent_id": s.parent_snapshot_id,
                "rows": loaded.scan(snapshot_id=s.snapshot_id).to_arrow().num_rows,
                "duckdb_rows": duck.execute(
                    "SELECT count(*) FROM iceberg_scan(?, snapshot_from_id = ?)",
                    [loaded.metadata_location.removeprefix("file://"), s.snapshot_id],
                ).fetchone()[0],
            }
            for s in loaded.snapshots()
        ]
print(json.dumps(out))
