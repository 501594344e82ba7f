#!/usr/bin/env bash
# The daily-runs benchmark (benches/daily.rs) on S3: SeaweedFS (`weed mini` from .venv, as the
# tests run it) on 127.0.0.1 with its S3 metrics on, its Iceberg REST catalog, and each run's
# S3 requests counted from the server's metrics. Arguments go to the benchmark, e.g.
#   benches/daily-s3.sh --games 200000 --days 365
# Needs scripts/setup-python.sh (which installs weed) and ../shared/data/rawg. Binds only
# 127.0.0.1; telemetry off.
set -euo pipefail
cd "$(dirname "$0")/.."
weed=${GAMELAKE_WEED:-.venv/bin/weed}
dir=$(mktemp -d /tmp/gamelake-daily-s3-XXXXXX)
key=gamelake-bench-admin secret=gamelake-bench-secret-3b7d
# Ports of their own, apart from the tests' (which pick free ones).
s3=18333 iceberg=18181 metrics=18399 master=18933 volume=18080 filer=18888 admin=18023
AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret "$weed" mini -dir="$dir" \
  -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false -webdav=false -admin.ui=false \
  -s3.port.lance=0 -tableBucket=warehouse -bucket=raw \
  -master.port=$master -master.port.grpc=$((master + 10000)) \
  -volume.port=$volume -volume.port.grpc=$((volume + 10000)) \
  -filer.port=$filer -filer.port.grpc=$((filer + 10000)) \
  -s3.port=$s3 -s3.port.iceberg=$iceberg -metricsPort=$metrics -metricsIp=127.0.0.1 \
  -admin.port=$admin -admin.port.grpc=$((admin + 10000)) >"$dir/weed.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 180); do
  if curl -sf -o /dev/null -X POST "http://127.0.0.1:$iceberg/v1/oauth/tokens" \
       -d "grant_type=client_credentials&client_id=$key&client_secret=$secret" &&
     curl -sf -o /dev/null --aws-sigv4 aws:amz:us-east-1:s3 --user "$key:$secret" \
       "http://127.0.0.1:$s3/raw?list-type=2&max-keys=1"; then
    break
  fi
  sleep 0.5
done
export AWS_ENDPOINT_URL=http://127.0.0.1:$s3 AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret
export GAMELAKE_CATALOG=rest+http://127.0.0.1:$iceberg GAMELAKE_CATALOG_WAREHOUSE=s3://warehouse
export GAMELAKE_CATALOG_CREDENTIAL=$key:$secret GAMELAKE_NAMESPACE=daily
cargo bench --profile "${PROFILE:-dev}" --bench daily -- \
  --warehouse s3://raw/daily --metrics "http://127.0.0.1:$metrics/metrics" "$@"
