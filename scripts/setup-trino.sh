#!/usr/bin/env bash
# Fetches Trino for the tests: the server core and its Iceberg connector plugin of a pinned
# release, from Maven Central with Maven (the full server tarball carries every connector and
# is four times the download), unpacked under ~/.cache/gamelake/trino (never in the clone).
# Trino 476 needs Java 24 or later: the script finds one (polyglot machines have Temurin 25;
# or GAMELAKE_TRINO_JAVA) and records its path beside the server, where the tests read it.
# Idempotent: an unpacked server of the pinned version is left alone.
set -euo pipefail
TRINO_VERSION=476
CACHE="${GAMELAKE_CACHE:-$HOME/.cache/gamelake}"
DIR="$CACHE/trino"
SERVER="$DIR/trino-server-$TRINO_VERSION"
mkdir -p "$DIR"

JAVA="$("$(dirname "$0")/find-java.sh" 24 GAMELAKE_TRINO_JAVA)" || {
  echo "setup-trino: Trino $TRINO_VERSION needs Java 24 or later; none found (set GAMELAKE_TRINO_JAVA to one)" >&2
  exit 1
}

if [ ! -d "$SERVER/plugin/iceberg" ]; then
  command -v mvn >/dev/null || { echo "setup-trino: Maven (mvn) is needed to fetch Trino from Maven Central" >&2; exit 1; }
  DL="$DIR/download"
  rm -rf "$DL" "$SERVER"
  mkdir -p "$DL"
  mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$CACHE/m2" dependency:copy \
    -Dartifact="io.trino:trino-server-core:$TRINO_VERSION:tar.gz" -DoutputDirectory="$DL"
  mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$CACHE/m2" dependency:copy \
    -Dartifact="io.trino:trino-iceberg:$TRINO_VERSION:zip" -DoutputDirectory="$DL"
  tar -xzf "$DL/trino-server-core-$TRINO_VERSION.tar.gz" -C "$DIR"
  [ -d "$DIR/trino-server-core-$TRINO_VERSION" ] && mv "$DIR/trino-server-core-$TRINO_VERSION" "$SERVER"
  mkdir -p "$SERVER/plugin"
  python3 -m zipfile -e "$DL/trino-iceberg-$TRINO_VERSION.zip" "$SERVER/plugin/"
  [ -d "$SERVER/plugin/trino-iceberg-$TRINO_VERSION" ] && mv "$SERVER/plugin/trino-iceberg-$TRINO_VERSION" "$SERVER/plugin/iceberg"
  [ -x "$SERVER/bin/launcher" ] && [ -d "$SERVER/plugin/iceberg" ] || {
    echo "setup-trino: $SERVER is incomplete after unpacking" >&2
    exit 1
  }
  # Maven's copies and the archives: the unpacked server is all the tests use.
  rm -rf "$DL" "$CACHE/m2/io/trino"
fi
echo "$JAVA" > "$DIR/java"
echo "Trino $TRINO_VERSION ready in $SERVER (Java: $JAVA)"
