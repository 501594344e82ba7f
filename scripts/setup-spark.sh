#!/usr/bin/env bash
# Fetches Spark for the tests: pyspark (local mode, its own JVM on the machine's Java 17) into
# .venv, and the jars it needs to read and maintain gamelake's tables, from Maven Central with
# Maven, cached under ~/.cache/gamelake/spark (never in the clone): Iceberg's Spark runtime,
# its AWS bundle (S3FileIO, for S3 on SeaweedFS) and the SQLite JDBC driver (Iceberg's JDBC
# catalog over the embedded catalog's `catalog.db`). Pinned; idempotent.
# Run after scripts/setup-python.sh (which makes .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
PYSPARK_VERSION=3.5.8
ICEBERG_VERSION=1.10.1
SQLITE_JDBC_VERSION=3.54.1.0
VENV="${GAMELAKE_VENV:-.venv}"
CACHE="${GAMELAKE_CACHE:-$HOME/.cache/gamelake}"
JARS="$CACHE/spark/jars-$ICEBERG_VERSION"
ARTIFACTS=(
  "org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:$ICEBERG_VERSION"
  "org.apache.iceberg:iceberg-aws-bundle:$ICEBERG_VERSION"
  "org.xerial:sqlite-jdbc:$SQLITE_JDBC_VERSION"
)

[ -x "$VENV/bin/python" ] || { echo "setup-spark: $VENV is missing: run scripts/setup-python.sh first" >&2; exit 1; }
if ! "$VENV/bin/python" -c "import pyspark; assert pyspark.__version__ == '$PYSPARK_VERSION'" 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "pyspark==$PYSPARK_VERSION"
fi

mkdir -p "$JARS"
for artifact in "${ARTIFACTS[@]}"; do
  IFS=: read -r _group name version <<<"$artifact"
  [ -s "$JARS/$name-$version.jar" ] && continue
  command -v mvn >/dev/null || { echo "setup-spark: Maven (mvn) is needed to fetch $artifact" >&2; exit 1; }
  mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$CACHE/m2" dependency:copy \
    -Dartifact="$artifact" -DoutputDirectory="$JARS"
  [ -s "$JARS/$name-$version.jar" ] || { echo "setup-spark: $name-$version.jar is missing after Maven ran" >&2; exit 1; }
done
# Maven keeps its own copies; the folder the tests read is enough.
rm -rf "$CACHE/m2/org/apache/iceberg" "$CACHE/m2/org/xerial"
ls "$JARS"/*.jar > "$CACHE/spark/classpath"
echo "Spark $PYSPARK_VERSION (pyspark in $VENV) and Iceberg $ICEBERG_VERSION jars ready in $JARS"
