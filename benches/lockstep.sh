#!/usr/bin/env bash
# Two gamelake binaries through the same days of the daily-runs benchmark, side by side: A/B
# of a change to how a run writes or tidies its tables, whose cost shows only once the
# tables have lived with it for days (a replay of one day, benches/replay.sh, measures a
# warehouse another binary shaped). Usage:
#   benches/lockstep.sh WAREHOUSE PAGES FIRST LAST BINARY_A BINARY_B [DAY_SECONDS]
# WAREHOUSE is the `wh` folder of `cargo bench --bench daily -- … --keep DIR` (DIR/wh) as
# it was after day FIRST - 1, left as it is; PAGES the pages prefix the bench generated
# (DIR/pages: day N's delta is PAGES-day-<N-1>, kept with `--days` one more than the year
# run, or generated again: the generator is seeded). Each binary gets a copy and runs days
# FIRST to LAST on it, one day after the other, the two runs of a day back to back and their
# order swapped every day: both see the machine alike, whose speed drifts by tens of per
# cent over minutes (docs/benchmarks.md). A day lasts DAY_SECONDS (default 2) of wall time;
# snapshots expire after a week of such days, as in the bench; the weekly full check is
# held off, so every day is a plain one. Prints each day's wall and CPU seconds, then the
# medians from the eighth day on (a week to settle into each binary's steady state) and
# their ratio B / A. With GAMELAKE_LOCKSTEP_LOGS=DIR each run's log (its step lines, as
# replay.sh prints them) is kept there as a-day-NNN.log and b-day-NNN.log.
# Each run mounts its binary's copy over WAREHOUSE (benches/mounted.sh).
set -euo pipefail
. "$(dirname "$0")/mounted.sh"
if [ $# -lt 6 ]; then
  sed -n '2,19p' "$0" >&2
  exit 2
fi
warehouse=$(realpath -m "$1") pages=$2 first=$3 last=$4 day_seconds=${7:-2}
binaries=("$(realpath -m "$5")" "$(realpath -m "$6")")
for n in "$first" "$last"; do
  case $n in
    '' | *[!0-9]* | 0) echo "lockstep: FIRST and LAST must be day numbers, not $n" >&2; exit 2 ;;
  esac
done
need_binaries lockstep "${binaries[@]}"
need_warehouse lockstep "$warehouse"
scratch=$(mktemp -d /tmp/gamelake-lockstep-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
for i in 0 1; do cp -a "$warehouse" "$scratch/wh$i"; done
sync
week=$(awk -v s="$day_seconds" 'BEGIN { print 7 * s / 86400 }')
export GAMELAKE_KEEP_DAYS=$week GAMELAKE_FULL_CHECK_DAYS=36500 NO_COLOR=1 RUST_LOG=gamelake=debug
for day in $(seq "$first" "$last"); do
  source=$(printf '%s-day-%03d' "$pages" $((day - 1)))
  [ -d "$source" ] || { echo "lockstep: no pages $source for day $day" >&2; exit 2; }
  start=$(date +%s.%N)
  order=(0 1)
  if ((day % 2 == 0)); then order=(1 0); fi
  for i in "${order[@]}"; do
    run="$scratch/run$i"
    run_mounted "$scratch/wh$i" "$warehouse" "${binaries[$i]}" "$source" "$run" ||
      { echo "lockstep: binary $((i + 1)) failed on day $day:" >&2; tail -5 "$run.log" >&2; exit 1; }
    read -r wall user sys <"$run.time"
    if [ -n "${GAMELAKE_LOCKSTEP_LOGS:-}" ]; then
      mkdir -p "$GAMELAKE_LOCKSTEP_LOGS"
      cp "$run.log" "$GAMELAKE_LOCKSTEP_LOGS/$(printf '%s-day-%03d.log' "$([ "$i" = 0 ] && echo a || echo b)" "$day")"
    fi
    printf 'day %s binary %s: wall %s s, cpu %.2f s\n' "$day" "$((i + 1))" "$wall" \
      "$(cpu_seconds "$user" "$sys")" | tee -a "$scratch/days"
  done
  sleep "$(awk -v s="$start" -v n="$(date +%s.%N)" -v d="$day_seconds" \
    'BEGIN { w = s + d - n; print (w > 0 ? w : 0) }')"
done
awk -v from=$((first + 7)) '
  { day = $2; b = $4; sub(":", "", b); if (day >= from) { wall[b, ++n[b]] = $6; cpu[b, n[b]] = $9 } }
  function median(a, b, k,   i, j, t, v) {
    for (i = 1; i <= k; i++) v[i] = a[b, i]
    for (i = 2; i <= k; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
  }
  END {
    if (n[1] == 0) { print "fewer than eight days: no medians"; exit }
    wa = median(wall, 1, n[1]); wb = median(wall, 2, n[2]); ca = median(cpu, 1, n[1]); cb = median(cpu, 2, n[2])
    printf "days %d on (%d each), medians: A wall %.3f s, cpu %.3f s; B wall %.3f s, cpu %.3f s; B / A: wall %.2f, cpu %.2f\n", from, n[1], wa, ca, wb, cb, wb / wa, cb / ca
  }' "$scratch/days"
