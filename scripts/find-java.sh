#!/usr/bin/env bash
# Prints the path of a Java runtime of at least the given major version (`find-java.sh 21`):
# the one named by the environment variable given second, if any, else the machine's Temurin
# JDKs (polyglot machines have Temurin 25 beside OpenJDK 17), else any JDK under /usr/lib/jvm,
# else `java` on the PATH. Exits 1 when none is new enough. Used by the setup scripts.
set -euo pipefail
MIN="$1"
OVERRIDE="${2:+${!2:-}}"
java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
for candidate in "$OVERRIDE" /usr/lib/jvm/temurin-*-jdk-*/bin/java /usr/lib/jvm/*/bin/java "$(command -v java || true)"; do
  [ -n "$candidate" ] && [ -x "$candidate" ] || continue
  major="$(java_major "$candidate")"
  if [ -n "$major" ] && [ "${major%%.*}" -ge "$MIN" ]; then
    echo "$candidate"
    exit 0
  fi
done
exit 1
