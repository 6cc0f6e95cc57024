#!/usr/bin/env bash
# The load half of `make bench`: builds the example server and the load generator, starts
# the server on the Redis at GINSMS_TEST_REDIS_ADDR (quotas and the destination guard off,
# so every send does the same work: to the guard, consecutive numbers that never verify are
# pumping; the log sender), runs each scenario with each human check (the image, then ALTCHA),
# and stops the server. Each line ends with the server's and Redis's CPU per request over the
# measured run. Everything it runs is in this repository. LOAD_DURATION (10s) and LOAD_CONNS
# (64) size the runs; LOAD_ALTCHA_PROOFS (60000) is how many ALTCHA challenges the success
# run solves beforehand (it stops early when they are used up).
set -euo pipefail
: "${GINSMS_TEST_REDIS_ADDR:?start a redis-server and set GINSMS_TEST_REDIS_ADDR (make bench does)}"
duration=${LOAD_DURATION:-10s}
conns=${LOAD_CONNS:-64}
altcha_proofs=${LOAD_ALTCHA_PROOFS:-60000}
go=${GO:-go}
repo=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/ginsms-load.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
(cd "$repo" && "$go" build -o "$dir/example" ./example && "$go" build -o "$dir/loadgen" ./internal/loadgen)

# A fresh key per run for the ALTCHA challenges, never written anywhere.
altcha_key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

for kind in image altcha; do
for scenario in success reject; do
  # Keys under a prefix of this run's own: nothing another run or program wrote is touched.
  prefix="bench-$$-$kind-$scenario:"
  proofs=()
  if [ "$kind" = altcha ]; then proofs=(-captchas "$altcha_proofs"); fi
  # max_number 1000, the least: solving is the load generator's work, done before the run,
  # and the server checks one hash whatever it is.
  GINSMS_CAPTCHA_KIND=$kind GINSMS_CAPTCHA_ALTCHA_HMAC_KEY="$altcha_key" GINSMS_CAPTCHA_ALTCHA_MAX_NUMBER=1000 \
  GIN_MODE=release GINSMS_REDIS_ADDR="$GINSMS_TEST_REDIS_ADDR" GINSMS_SERVER_ADDR=127.0.0.1:0 \
    GINSMS_CAPTCHA_KEY="${prefix}img_%s" GINSMS_SMS_KEY="${prefix}sms_%s" GINSMS_SMS_FLAG_KEY="${prefix}is_send_%s" \
    GINSMS_SMS_DAILY_LIMIT_PER_PHONE=0 GINSMS_SMS_HOURLY_LIMIT_PER_IP=0 GINSMS_DESTINATION_ENABLED=false \
    GINSMS_SENDER_KIND=log GINSMS_DEMO=false \
    "$dir/example" -config "$repo/config.yaml" >"$dir/server.log" 2>&1 &
  pid=$!
  url=""
  for _ in $(seq 100); do
    url=$(grep -o 'addr=http://[0-9.:]*' "$dir/server.log" | head -1 | cut -d= -f2 || true)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$url" ] || { echo "the example server did not start:" >&2; cat "$dir/server.log" >&2; exit 1; }
  "$dir/loadgen" -url "$url" -redis "$GINSMS_TEST_REDIS_ADDR" -captcha-key "${prefix}img_%s" -kind "$kind" \
    -scenario "$scenario" -c "$conns" -d "$duration" -server-pid "$pid" ${proofs[@]+"${proofs[@]}"}
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
done
