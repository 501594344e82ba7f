#!/usr/bin/env bash
# The test command: sets up pyiceberg (the independent reader) and runs every test.
# Expects the recorded RAWG data at ../shared/data/rawg (as CI provides it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh
exec cargo test "$@"
