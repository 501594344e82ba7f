#!/usr/bin/env bash
# Creates .venv with pyiceberg, the independent reader the tests check our tables with.
# Idempotent: a venv that already has the pinned versions is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${GAMELAKE_VENV:-.venv}"
PYICEBERG="pyiceberg[sql-sqlite,pyarrow]==0.12.0"
PYARROW="pyarrow==22.0.0"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import pyiceberg, pyarrow, sqlalchemy; assert pyiceberg.__version__ == "0.12.0"' 2>/dev/null; then
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "$PYICEBERG" "$PYARROW"
"$VENV/bin/python" -c 'import pyiceberg; print("pyiceberg", pyiceberg.__version__, "ready in '"$VENV"'")'
