"""Reads every gamelake table back through pyiceberg's SqlCatalog, as an independent reader.

Usage: pyiceberg_read.py WAREHOUSE NAMESPACE
Prints JSON: {table: {"rows": n, "columns": [...], "key_sum": sum of the first column,
"sums": {integer column: sum}}}.
"""
import json
import sys

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog.sql import SqlCatalog

warehouse, namespace = sys.argv[1], sys.argv[2]
catalog = SqlCatalog(
    "gamelake",
    uri=f"sqlite:///{warehouse}/catalog.db",
    warehouse=f"file://{warehouse}",
)
out = {}
for ident in catalog.list_tables(namespace):
    table = catalog.load_table(ident).scan().to_arrow()
    first = table.column(0)
    out[ident[-1]] = {
        "rows": table.num_rows,
        "columns": table.column_names,
        "key_sum": int(pc.sum(first).as_py() or 0),
        "sums": {
            name: int(pc.sum(table.column(name)).as_py() or 0)
            for name in table.column_names
            if pa.types.is_integer(table.schema.field(name).type)
        },
    }
print(json.dumps(out))
