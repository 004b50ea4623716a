#!/usr/bin/env bash
# Problem lists and figures on the province-scale demo (PostgreSQL), p50/p95/p99 per node level.
# Usage: bench/voice/run.sh            (generates what the database lacks on the first run, then measures)
#        FRESH=1 bench/voice/run.sh    (drops and regenerates the database first)
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), DB (jiceng_bench_province),
#              CITIES (21), MEMBERS (members per 村居, 173), VOICE_PERCENT (100: ~20M records),
#              SAMPLES (40 per node and query), SKIP_BUILD=1, STRICT=1 (exit 1 on a missed target).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
DB="${DB:-jiceng_bench_province}"
URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${DB}"
OUT="bench/results/voice-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
BIN="${CARGO_TARGET_DIR:-target}/release/jiceng-bench-voice"

if [[ -z "${SKIP_BUILD:-}" ]]; then
  cargo build --release -p jiceng-bench-voice
fi
if [[ -n "${FRESH:-}" ]]; then
  dropdb --if-exists "$DB"
fi
if ! psql -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  createdb "$DB"
fi
if [[ "$(psql -d "$DB" -tAc "SELECT to_regclass('problems') IS NOT NULL AND EXISTS (SELECT 1 FROM problems)" 2>/dev/null)" != "t" ]]; then
  echo "generating into $DB (the province if missing, then ~20M problem-list and household records) …"
  /usr/bin/time -v "$BIN" generate "$URL" "${CITIES:-21}" "${MEMBERS:-173}" "${VOICE_PERCENT:-100}" \
    2>"$OUT/generate.time" | tee "$OUT/generate.log"
  grep -E "Elapsed|Maximum resident" "$OUT/generate.time"
  # Fresh statistics and visibility map, as autovacuum leaves a settled database.
  psql -d "$DB" -c "VACUUM ANALYZE"
  psql -d "$DB" -c "SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid)) FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT 12" | tee -a "$OUT/generate.log"
fi
{
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg); cpu pressure: $(head -1 /proc/pressure/cpu 2>/dev/null || echo n/a)"
  echo "postgres: $(psql -tAc 'SHOW server_version'), shared_buffers $(psql -tAc 'SHOW shared_buffers'), database $(psql -tAc "SELECT pg_size_pretty(pg_database_size('$DB'))")"
  "$BIN" run "$URL" --samples "${SAMPLES:-40}" ${STRICT:+--strict}
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); cpu pressure: $(head -1 /proc/pressure/cpu 2>/dev/null || echo n/a)"
} | tee "$OUT/run.log"
echo "saved in $OUT"
