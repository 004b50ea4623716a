#!/usr/bin/env bash
# Load benchmark: jiceng (demo district on SQLite) against a bare axum + sqlx SQLite baseline.
# Usage: bench/run.sh        (from anywhere; takes ~2 minutes plus the release build)
# Settings (environment): DURATION (default 20s), CONNECTIONS (16), THREADS (2),
#   JICENG_PORT (18080), BASE_PORT (18081), SKIP_BUILD=1 to reuse target/release binaries,
#   KEEP=1 to keep the temporary directory with the databases and server logs,
#   RUNS="file" (or any of "write read file") to make only some of the runs,
#   DEMO_DB=/path/demo.db to copy a demo made earlier (`jiceng demo --db … --no-serve`, with its
#   .key beside it) instead of making one (three minutes).
set -euo pipefail

DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
JICENG_PORT=${JICENG_PORT:-18080}
BASE_PORT=${BASE_PORT:-18081}
# Which jiceng runs to make (the baseline's are made as needed to compare): write, read, file.
RUNS=${RUNS:-write read file}
PASSWORD='Demo#2026'

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
STAMP=$(date +%Y%m%d-%H%M%S)
OUT="$BENCH_DIR/results/$STAMP"
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/jiceng-bench.XXXXXX)
JICENG_PID=""
BASE_PID=""

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

cleanup() {
  local rc=$?
  for pid in $JICENG_PID $BASE_PID; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -INT "$pid" 2>/dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.3; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if [[ -n "${KEEP:-}" ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit $rc
}
trap cleanup EXIT INT TERM

command -v curl >/dev/null || die "curl is needed"
command -v jq >/dev/null || die "jq is needed"
if ! command -v wrk >/dev/null; then
  log "wrk missing: apt-get install -y wrk"
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; } \
    || die "could not install wrk"
fi
for port in "$JICENG_PORT" "$BASE_PORT"; do
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
    die "port $port is already in use (set JICENG_PORT / BASE_PORT)"
  fi
done

# ---------------------------------------------------------------- build
if [[ -z "${SKIP_BUILD:-}" ]]; then
  log "building (release) …"
  (cd "$ROOT" && cargo build --release -p jiceng -p jiceng-bench-baseline) 2>&1 | tail -3 >&2
fi
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps 2>/dev/null | jq -r .target_directory)
# SERVER_BIN=/path/jiceng runs another build (to compare two commits on the same machine state).
JICENG="${SERVER_BIN:-$TARGET_DIR/release/jiceng}"
BASELINE="$TARGET_DIR/release/jiceng-bench-baseline"
[[ -x "$JICENG" && -x "$BASELINE" ]] || die "binaries missing in $TARGET_DIR/release"

wait_http() { # url pid name
  for _ in $(seq 1 200); do
    curl -s -o /dev/null --max-time 1 "$1" && return 0
    kill -0 "$2" 2>/dev/null || die "$3 exited; see $OUT/$3.log"
    sleep 0.1
  done
  die "$3 did not come up at $1"
}

# The machine's CPU time so far, all and idle (jiffies, from /proc/stat): "total idle".
machine_idle() {
  awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }' /proc/stat
}

# CPU seconds (user+sys) a process has used so far, from /proc.
cpu_secs() {
  local tck; tck=$(getconf CLK_TCK)
  awk -v t="$tck" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"
}

# ---------------------------------------------------------------- machine
{
  echo "date: $(date -Iseconds)"
  echo "host: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "git: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- crates || echo ' (crates/ has uncommitted changes)')"
  echo "wrk: -t$THREADS -c$CONNECTIONS -d$DURATION"
  echo "tmp fs: $(df -T "$TMP" | awk 'NR==2 {print $2}')"
} > "$OUT/machine.txt"

# ---------------------------------------------------------------- jiceng
DB="$TMP/demo.db"
if [[ -n "${DEMO_DB:-}" ]]; then
  # A demo made earlier with `jiceng demo --db … --no-serve` (same build), copied with its key.
  log "copying the demo district from $DEMO_DB …"
  cp "$DEMO_DB" "$DB" && cp "${DEMO_DB%.db}.key" "${DB%.db}.key" || die "cannot copy $DEMO_DB and its .key"
  echo "demo copied from $DEMO_DB" > "$OUT/demo-create.log"
else
  log "creating the demo district in $DB …"
  "$JICENG" demo --db "$DB" --no-serve > "$OUT/demo-create.log" 2>&1 || die "demo creation failed; see $OUT/demo-create.log"
  tail -1 "$OUT/demo-create.log" >&2
fi
# Served with `jiceng serve` and the demo's key, so that settings apply: the resident form allows
# 10 reports an hour per client address by default (`voice_reports_per_hour`), and every wrk
# connection comes from 127.0.0.1, so the filing run raises that limit. The limiter still runs.
JENV=(JICENG_DATABASE_URL="sqlite://$DB" JICENG_KEY_FILE="${DB%.db}.key"
  JICENG_LISTEN="127.0.0.1:$JICENG_PORT" JICENG_LOG_LEVEL="info,sqlx=warn"
  JICENG_VOICE_REPORTS_PER_HOUR=4000000000)
# A simple command in the background, so that $! is the server itself (its CPU time is read);
# JICENG_PORT is this script's, not a setting (jiceng refuses unknown JICENG_* variables).
env -u JICENG_PORT "${JENV[@]}" "$JICENG" serve > "$OUT/jiceng.log" 2>&1 &
JICENG_PID=$!
J="http://127.0.0.1:$JICENG_PORT"
wait_http "$J/healthz" "$JICENG_PID" jiceng
log "jiceng up (pid $JICENG_PID)"

# Log in through /login and create a personal API token through the /account/tokens form.
token_for() { # username -> prints the token
  local user=$1 jar="$TMP/cookies-$1" page csrf token
  curl -sf -c "$jar" -b "$jar" "$J/login" -o "$TMP/login-$user.html" || die "GET /login failed"
  csrf=$(grep -o 'name="_csrf" value="[^"]*"' "$TMP/login-$user.html" | head -1 | sed 's/.*value="\([^"]*\)"/\1/')
  [[ -n "$csrf" ]] || die "no _csrf on /login"
  curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' "$J/login" \
    --data-urlencode "_csrf=$csrf" --data-urlencode "username=$user" \
    --data-urlencode "password=$PASSWORD" --data-urlencode "next=/account" > "$TMP/login-code"
  [[ $(cat "$TMP/login-code") == 30* ]] || die "login as $user failed (HTTP $(cat "$TMP/login-code"))"
  page=$(curl -sf -c "$jar" -b "$jar" "$J/account") || die "GET /account failed"
  csrf=$(grep -o 'name="_csrf" value="[^"]*"' <<<"$page" | head -1 | sed 's/.*value="\([^"]*\)"/\1/')
  page=$(curl -s -c "$jar" -b "$jar" "$J/account/tokens" \
    --data-urlencode "_csrf=$csrf" --data-urlencode "name=bench-$STAMP")
  token=$(grep -o 'jct_[0-9a-f]\{64\}' <<<"$page" | head -1)
  [[ -n "$token" ]] || die "no token in the /account/tokens notice for $user"
  printf '%s' "$token"
}
TOWN_TOKEN=$(token_for town_committee)
DISTRICT_TOKEN=$(token_for district_org)
log "tokens created for town_committee and district_org"

api() { # token path
  curl -sf -H "Authorization: Bearer $1" "$J$2"
}
QIANXI_ID=$(api "$TOWN_TOKEN" "/api/v1/places?q=%E4%B9%BE%E8%A5%BF%E6%9D%91" \
  | jq -r '[.items[] | select(.code == "440403105201")][0].id')
[[ "$QIANXI_ID" =~ ^[0-9]+$ ]] || die "乾西村 not found"
# Every village-level place of the district (村 and 社区; a district_org token sees them all). Grids
# are numbered 001–999 per village, so the write run spreads its creates over all of them.
VILLAGES=$(for kind in village community; do
  api "$DISTRICT_TOKEN" "/api/v1/places?kind=$kind&per_page=500" | jq -r '.items[].id'
done | paste -sd, -)
VILLAGE_CODES=$(for kind in village community; do
  api "$DISTRICT_TOKEN" "/api/v1/places?kind=$kind&per_page=500" | jq -r '.items[].code'
done | paste -sd, -)
NVILLAGES=$(tr ',' '\n' <<<"$VILLAGES" | grep -c .)
(( NVILLAGES > 0 )) || die "no villages listed"
GRIDS_BEFORE=$(api "$DISTRICT_TOKEN" "/api/v1/places?kind=grid&per_page=1" | jq -r .total)
log "乾西村 id $QIANXI_ID; $NVILLAGES villages; $GRIDS_BEFORE grids before the run"
{ echo "qianxi_id: $QIANXI_ID"; echo "villages: $NVILLAGES"; echo "grids_before: $GRIDS_BEFORE"; } >> "$OUT/machine.txt"

# A smoke request of each kind, so a broken endpoint fails here and not as a page of 4xx.
curl -sf -H "Authorization: Bearer $DISTRICT_TOKEN" -H 'Content-Type: application/json' \
  -d "{\"parent_id\": $QIANXI_ID, \"name\": \"压测冒烟网格\"}" "$J/api/v1/places" > "$OUT/smoke-create.json" \
  || die "POST /api/v1/places failed: $(cat "$OUT/smoke-create.json")"
api "$TOWN_TOKEN" "/api/v1/places/$QIANXI_ID" > "$OUT/smoke-read.json" || die "GET /api/v1/places/$QIANXI_ID failed"

# The resident form: open it once to get the pre-login CSRF cookie (what a phone does), then file
# one report with it, as the wrk run will.
RJAR="$TMP/cookies-resident"
curl -sf -c "$RJAR" "$J/voice/440403105201" -o /dev/null || die "GET /voice/440403105201 failed"
RESIDENT_CSRF=$(awk '$6 == "jiceng_csrf" {print $7}' "$RJAR")
[[ ${#RESIDENT_CSRF} -eq 64 ]] || die "no jiceng_csrf cookie from /voice/440403105201"
code=$(curl -s -b "$RJAR" -o "$OUT/smoke-file.html" -w '%{http_code}' \
  -F category= -F body=压测冒烟：村口路灯不亮 -F location= -F contact=13900000000 \
  "$J/voice/440403105201?_csrf=$RESIDENT_CSRF")
[[ "$code" == 200 ]] && grep -q '已收到您的反映' "$OUT/smoke-file.html" \
  || die "filing through /voice/440403105201 failed (HTTP $code); see $OUT/smoke-file.html"

wanted() { [[ " $RUNS " == *" $1 "* ]]; }

run_wrk() { # name pid url [env…]
  local name=$1 pid=$2 url=$3; shift 3
  local kind=${name#*-}
  [[ $name == base-write ]] && wanted file && kind=file
  wanted "$kind" || wanted "${name#*-}" || return 0
  local load_before cpu0 cpu1
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  local idle0 idle1 wrk_cpu
  cpu0=$(cpu_secs "$pid")
  idle0=$(machine_idle)
  log "$name: wrk -t$THREADS -c$CONNECTIONS -d$DURATION $url"
  # wrk's own CPU (user + system) too: it shares the two cores with the server.
  wrk_cpu=$( { TIMEFORMAT='%U %S'; time env BENCH_MODE="$name" BENCH_THREADS="$THREADS" "$@" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency --timeout 10s \
    -s "$BENCH_DIR/load.lua" "$url" > "$OUT/$name.txt" 2>&1; } 2>&1 ) || die "wrk failed; see $OUT/$name.txt"
  cpu1=$(cpu_secs "$pid")
  idle1=$(machine_idle)
  local req; req=$(grep -o 'requests=[0-9]*' "$OUT/$name.txt" | cut -d= -f2)
  {
    echo "server_cpu_s=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.2f", b - a}')"
    echo "server_cpu_ms_per_req=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$req" 'BEGIN {printf "%.3f", n ? (b - a) * 1000 / n : 0}')"
    echo "wrk_cpu_ms_per_req=$(awk -v n="$req" -v t="$wrk_cpu" 'BEGIN {split(t, a, " "); printf "%.3f", n ? (a[1] + a[2]) * 1000 / n : 0}')"
    echo "machine_idle_pct=$(awk -v a="$idle0" -v b="$idle1" 'BEGIN {split(a, x, " "); split(b, y, " "); printf "%.1f", (y[2] - x[2]) * 100 / (y[1] - x[1])}')"
    echo "loadavg_before=$load_before"
    echo "rustc_running=$(pgrep -c -x rustc || true)"
  } >> "$OUT/$name.txt"
  sleep 2
}

run_wrk jiceng-write "$JICENG_PID" "$J" BENCH_TOKEN="$DISTRICT_TOKEN" BENCH_PARENTS="$VILLAGES"
run_wrk jiceng-read "$JICENG_PID" "$J" BENCH_TOKEN="$TOWN_TOKEN" BENCH_READ_ID="$QIANXI_ID"
run_wrk jiceng-file "$JICENG_PID" "$J" BENCH_CODES="$VILLAGE_CODES" BENCH_CSRF="$RESIDENT_CSRF"
GRIDS_AFTER=$(api "$DISTRICT_TOKEN" "/api/v1/places?kind=grid&per_page=1" | jq -r .total)
echo "grids_after: $GRIDS_AFTER" >> "$OUT/machine.txt"
ls -l "$TMP" > "$OUT/jiceng-files.txt"
kill -INT "$JICENG_PID"; wait "$JICENG_PID" 2>/dev/null || true; JICENG_PID=""
# Every filing answered 200 was committed with its audit entry: the chain must still verify, and
# the resident reports in the database must be the smoke report plus every 200 of the run.
env -u JICENG_PORT "${JENV[@]}" "$JICENG" audit verify > "$OUT/audit-verify.txt" 2>&1 || die "audit verify failed; see $OUT/audit-verify.txt"
FILED_OK=$(grep -o '^STATUS .*' "$OUT/jiceng-file.txt" 2>/dev/null | grep -o ' 200:[0-9]*' | cut -d: -f2 || true)
if command -v sqlite3 >/dev/null; then
  FILED_DB=$(sqlite3 "$DB" "SELECT COUNT(*) FROM problems WHERE source = 'resident' AND body LIKE '%压测%'")
  echo "filed_200: ${FILED_OK:-0}; resident reports in the database: $FILED_DB (smoke report included)" >> "$OUT/machine.txt"
  # Requests still in flight when wrk stops are committed but not counted by wrk: at most one
  # per connection more than the 200s.
  (( FILED_DB >= ${FILED_OK:-0} + 1 && FILED_DB <= ${FILED_OK:-0} + 1 + CONNECTIONS )) \
    || die "filings answered 200 (${FILED_OK:-0}) + 1 smoke do not match the rows ($FILED_DB)"
fi
echo "audit: $(tail -1 "$OUT/audit-verify.txt")" >> "$OUT/machine.txt"

# ---------------------------------------------------------------- baseline
"$BASELINE" "127.0.0.1:$BASE_PORT" "$TMP/baseline.db" > "$OUT/baseline.log" 2>&1 &
BASE_PID=$!
B="http://127.0.0.1:$BASE_PORT"
wait_http "$B/row/1" "$BASE_PID" baseline
log "baseline up (pid $BASE_PID)"
run_wrk base-write "$BASE_PID" "$B"
run_wrk base-read "$BASE_PID" "$B" BENCH_READ_ID=1
kill -INT "$BASE_PID"; wait "$BASE_PID" 2>/dev/null || true; BASE_PID=""

# ---------------------------------------------------------------- report
field() { { grep -o "$2=[0-9.]*" "$OUT/$1.txt" 2>/dev/null || echo "$2=0"; } | head -1 | cut -d= -f2; }
ran() { [[ -f "$OUT/$1.txt" ]]; }
{
  printf '%-13s %9s %9s %9s %9s %7s %13s %10s %7s\n' run req/s p50_ms p99_ms max_ms errors cpu_ms/req \
    wrk_ms/req idle%
  for r in jiceng-write jiceng-file base-write jiceng-read base-read; do
    ran "$r" || continue
    errs=$(( $(field "$r" non2xx) + $(field "$r" socket_errors) ))
    printf '%-13s %9s %9s %9s %9s %7s %13s %10s %7s\n' "$r" "$(field "$r" rps)" "$(field "$r" p50_ms)" \
      "$(field "$r" p99_ms)" "$(field "$r" max_ms)" "$errs" "$(field "$r" server_cpu_ms_per_req)" \
      "$(field "$r" wrk_cpu_ms_per_req)" "$(field "$r" machine_idle_pct)"
  done
  echo
  for k in write read file; do
    base=base-$k; [[ $k == file ]] && base=base-write
    ran "jiceng-$k" || continue
    awk -v a="$(field "jiceng-$k" rps)" -v b="$(field "$base" rps)" -v k="$k" \
      'BEGIN { printf "ratio jiceng/baseline (%s): %.1f%%\n", k, b ? 100 * a / b : 0 }'
  done
  for r in jiceng-write jiceng-read jiceng-file base-write base-read; do
    ran "$r" || continue
    grep -h '^STATUS\|^FIRST_ERROR' "$OUT/$r.txt" | sed "s/^/$r: /"
  done
  invalid=0
  for r in jiceng-write jiceng-read jiceng-file base-write base-read; do
    ran "$r" || continue
    (( $(field "$r" non2xx) + $(field "$r" socket_errors) == 0 )) || invalid=1
  done
  if (( invalid )); then echo "INVALID: a run had errors (non-2xx or socket errors); its figures do not count"; fi
  echo
  cat "$OUT/machine.txt"
} | tee "$OUT/summary.txt"
log "raw outputs in $OUT"
