#!/usr/bin/env bash
# Fetches the Nessie server the tests run (Iceberg REST catalog at /iceberg, over SeaweedFS's
# S3): the runner jar of a pinned release, from Maven Central with Maven, cached under
# ~/.cache/gamelake (the jar, and Maven's own repository there, never in the clone). Also
# finds a Java runtime new enough for it (Nessie 0.99 needs Java 21 or later; polyglot
# machines have Temurin 25 beside OpenJDK 17) and records its path next to the jar, where the
# tests read both. Idempotent: a cached jar of the pinned version is left alone.
set -euo pipefail
NESSIE_VERSION=0.99.0
CACHE="${GAMELAKE_CACHE:-$HOME/.cache/gamelake}"
DIR="$CACHE/nessie"
JAR="$DIR/nessie-quarkus-$NESSIE_VERSION-runner.jar"
mkdir -p "$DIR"

JAVA="$("$(dirname "$0")/find-java.sh" 21 GAMELAKE_JAVA)" || {
  echo "setup-nessie: Nessie $NESSIE_VERSION needs Java 21 or later; none found (set GAMELAKE_JAVA to one)" >&2
  exit 1
}
echo "$JAVA" > "$DIR/java"

if [ ! -s "$JAR" ]; then
  command -v mvn >/dev/null || { echo "setup-nessie: Maven (mvn) is needed to fetch Nessie from Maven Central" >&2; exit 1; }
  mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$CACHE/m2" dependency:copy \
    -Dartifact="org.projectnessie.nessie:nessie-quarkus:$NESSIE_VERSION:jar:runner" \
    -DoutputDirectory="$DIR"
  [ -s "$JAR" ] || { echo "setup-nessie: $JAR is missing after Maven ran" >&2; exit 1; }
  # Maven keeps its own copy of the jar; the one beside the Java path is all the tests use.
  rm -rf "$CACHE/m2/org/projectnessie/nessie/nessie-quarkus"
  echo "Nessie $NESSIE_VERSION ready in $DIR (Java: $JAVA)"
fi
