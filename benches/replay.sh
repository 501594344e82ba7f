#!/usr/bin/env bash
# One day of the daily-runs benchmark replayed, round after round, on fresh copies of a
# warehouse it kept: how much one plain `gamelake run` costs on a warehouse of a given age,
# without rerunning the year. Usage:
#   benches/replay.sh WAREHOUSE PAGES [ROUNDS] [BINARY ...]
# WAREHOUSE is the `wh` folder of `cargo bench --bench daily -- … --keep DIR` (DIR/wh), left
# as it is; PAGES a day's pages that follow it, from `gamelake generate` with the bench's
# arguments and one day more (the generator is seeded: the same arguments give the same
# days). With several binaries, each round runs them in turn, so they share the machine's
# state alike. Each run prints its wall and CPU seconds (user + system) and its steps.
#
# Each run mounts a fresh copy over WAREHOUSE (benches/mounted.sh), synced and left to
# settle for a second before the run: a run started just after copying a few hundred MB
# starts 5 to 40 ms late, which is the copy's cost, not the run's. Expiry and the full
# check are held off (GAMELAKE_KEEP_DAYS, GAMELAKE_FULL_CHECK_DAYS), so a round measures a
# plain day whatever the warehouse's history.
set -euo pipefail
. "$(dirname "$0")/mounted.sh"
if [ $# -lt 2 ]; then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
warehouse=$(realpath "$1") pages=$(realpath "$2") rounds=${3:-5}
case $rounds in
  '' | *[!0-9]* | 0) echo "replay: ROUNDS must be a positive number, not $rounds" >&2; exit 2 ;;
esac
shift $(($# < 3 ? $# : 3))
binaries=("$@")
if [ ${#binaries[@]} -eq 0 ]; then
  binaries=("${CARGO_TARGET_DIR:-target}/release/gamelake")
fi
need_binaries replay "${binaries[@]}"
need_warehouse replay "$warehouse"
scratch=$(mktemp -d /tmp/gamelake-replay-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export GAMELAKE_KEEP_DAYS=36500 GAMELAKE_FULL_CHECK_DAYS=36500 NO_COLOR=1 RUST_LOG=gamelake=debug
for round in $(seq 1 "$rounds"); do
  for i in "${!binaries[@]}"; do
    bin=$(realpath "${binaries[$i]}") run="$scratch/run"
    rm -rf "$run" && mkdir -p "$run" && cp -a "$warehouse" "$run/wh"
    run_mounted "$run/wh" "$warehouse" "$bin" "$pages" "$run/run" settle
    read -r wall user sys <"$run/run.time"
    steps=$(grep -o 'etl step step="[^"]*" ms=[0-9]*' "$run/run.log" |
      sed 's/etl step step="\([^"]*\)" ms=/\1=/' | paste -sd ';' -)
    printf 'round %s binary %s: wall %s s, cpu %.2f s; %s\n' \
      "$round" "$((i + 1))" "$wall" "$(cpu_seconds "$user" "$sys")" "$steps"
  done
done
