# What benches/replay.sh and benches/lockstep.sh share (sourced, not run): checking their
# arguments, and one timed `gamelake run` on a copy of a warehouse.
#
# Iceberg metadata names files by absolute path, so a copy of a warehouse is only readable
# where the warehouse was: run_mounted bind-mounts the copy over the warehouse's path in a
# mount namespace of its own (root and unshare(1)); the original is never written.

# need_binaries SCRIPT BINARY...: exits unless every BINARY is an executable.
need_binaries() {
  local script=$1 b
  shift
  for b in "$@"; do
    [ -x "$b" ] || { echo "$script: $b is not an executable gamelake" >&2; exit 2; }
  done
}

# need_warehouse SCRIPT DIR: exits unless DIR holds an embedded catalog.
need_warehouse() {
  [ -f "$2/catalog.db" ] || { echo "$1: $2 holds no catalog.db" >&2; exit 2; }
}

# run_mounted COPY WAREHOUSE BINARY PAGES OUT [settle]: BINARY's `run --source PAGES` on
# WAREHOUSE with COPY mounted over it; its output to OUT.log, its wall, user and system
# seconds to OUT.time. With `settle`, the copy is synced and left for a second first: a run
# started just after a copy of a few hundred MB starts late by the copy's cost.
run_mounted() {
  local copy=$1 warehouse=$2 binary=$3 pages=$4 out=$5 settle=:
  if [ "${6:-}" = settle ]; then settle='sync && sleep 1'; fi
  unshare -m bash -c "mount --bind '$copy' '$warehouse' && $settle &&
    /usr/bin/time -f '%e %U %S' -o '$out.time' \
      '$binary' --warehouse '$warehouse' run --source '$pages' >'$out.log' 2>&1"
}

# cpu_seconds USER SYSTEM: their sum.
cpu_seconds() {
  awk -v u="$1" -v s="$2" 'BEGIN { print u + s }'
}
