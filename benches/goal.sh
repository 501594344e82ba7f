#!/usr/bin/env bash
# The daily-runs goal measured side by side: day 2 on a warehouse of day 1 against the days
# after a year on the year's warehouse, round after round, their order swapped each round, so
# both see the machine alike. This machine's speed drifts by tens of per cent over minutes,
# so the comparison a year run prints (day 2 minutes before or beside its end) moves by as
# much between runs of the same binary (docs/benchmarks.md). Usage:
#   benches/goal.sh DAY1 YEAR FIRST PAGES [DAYS] [ROUNDS] [BINARY]
# DAY1: a warehouse after day 1 (`gamelake run --source PAGES`). YEAR: the `wh` folder of
# `cargo bench --bench daily -- … --keep DIR`, as its last day left it; FIRST the day after
# that one. PAGES: the pages prefix the bench generated (day N's delta is PAGES-day-<N-1>:
# generate with the bench's arguments and DAYS days more). Each round runs day 2 on a fresh
# copy of DAY1, and days FIRST to FIRST + DAYS - 1 (default 6) in a row on a fresh copy of
# YEAR, one a second; snapshots expire after a week of such days counted from the copy's
# last commit, as in the bench, and the full check is held off. ROUNDS default 4; BINARY
# the release build. Prints each run's wall and CPU seconds, then the medians and year /
# day 2. Both warehouses are left as they are (each run mounts its copy over the
# warehouse's path: benches/mounted.sh).
set -euo pipefail
. "$(dirname "$0")/mounted.sh"
if [ $# -lt 4 ]; then
  sed -n '2,17p' "$0" >&2
  exit 2
fi
day1=$(realpath -m "$1") year=$(realpath -m "$2") first=$3 pages=$4
days=${5:-6} rounds=${6:-4}
binary=$(realpath -m "${7:-${CARGO_TARGET_DIR:-target}/release/gamelake}")
for n in "$first" "$days" "$rounds"; do
  case $n in
    '' | *[!0-9]* | 0) echo "goal: FIRST, DAYS and ROUNDS must be positive numbers, not $n" >&2; exit 2 ;;
  esac
done
need_binaries goal "$binary"
need_warehouse goal "$day1"
need_warehouse goal "$year"
last=$((first + days - 1))
for day in 2 $(seq "$first" "$last"); do
  source=$(printf '%s-day-%03d' "$pages" $((day - 1)))
  [ -d "$source" ] || { echo "goal: no pages $source for day $day" >&2; exit 2; }
done
scratch=$(mktemp -d /tmp/gamelake-goal-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export GAMELAKE_FULL_CHECK_DAYS=36500
export NO_COLOR=1 RUST_LOG=gamelake=debug

# keep_days WAREHOUSE: the keep period, in days, that holds back the week before
# WAREHOUSE's last commit, as its own next day would. The year's snapshots are minutes old
# by the time it is replayed: under a plain keep of 7 s every one of them but the current
# would be past it, and the replayed days would expire tables the year's next days leave
# alone (a table is expired once EXPIRE_BATCH of its snapshots are past the keep period).
keep_days() {
  awk -v now="$(date +%s.%N)" -v last="$(stat -c %.3Y "$1/catalog.db")" \
    'BEGIN { print (now - last + 7) / 86400 }'
}

# run_days WAREHOUSE LABEL DAY...: the days in a row on a fresh copy of WAREHOUSE, a second each.
run_days() {
  local warehouse=$1 label=$2 day start
  shift 2
  rm -rf "$scratch/wh" && cp -a "$warehouse" "$scratch/wh" && sync && sleep 1
  GAMELAKE_KEEP_DAYS=$(keep_days "$warehouse")
  export GAMELAKE_KEEP_DAYS
  for day in "$@"; do
    start=$(date +%s.%N)
    run_mounted "$scratch/wh" "$warehouse" "$binary" \
      "$(printf '%s-day-%03d' "$pages" $((day - 1)))" "$scratch/run" ||
      { echo "goal: day $day failed:" >&2; tail -5 "$scratch/run.log" >&2; exit 1; }
    read -r wall user sys <"$scratch/run.time"
    printf '%s day %s: wall %s s, cpu %.2f s\n' "$label" "$day" "$wall" \
      "$(cpu_seconds "$user" "$sys")" | tee -a "$scratch/runs"
    sleep "$(awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { w = s + 1 - n; print (w > 0 ? w : 0) }')"
  done
}

for round in $(seq 1 "$rounds"); do
  if ((round % 2)); then
    run_days "$day1" day2 2
    run_days "$year" year $(seq "$first" "$last")
  else
    run_days "$year" year $(seq "$first" "$last")
    run_days "$day1" day2 2
  fi
done
awk '
  { wall[$1, ++n[$1]] = $5; cpu[$1, n[$1]] = $8 }
  function median(a, b, k,   i, j, t, v) {
    for (i = 1; i <= k; i++) v[i] = a[b, i]
    for (i = 2; i <= k; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
  }
  END {
    w2 = median(wall, "day2", n["day2"]); c2 = median(cpu, "day2", n["day2"])
    wy = median(wall, "year", n["year"]); cy = median(cpu, "year", n["year"])
    printf "medians: day 2 (%d runs) wall %.3f s, cpu %.3f s; the year'"'"'s days (%d runs) wall %.3f s, cpu %.3f s; year / day 2: wall %.2f, cpu %.2f\n", n["day2"], w2, c2, n["year"], wy, cy, wy / w2, cy / c2
  }' "$scratch/runs"
