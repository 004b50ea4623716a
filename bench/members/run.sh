#!/usr/bin/env bash
# Member list and search on the province-scale demo (PostgreSQL), p95 per node level.
# Usage: bench/members/run.sh            (generates the database on the first run, then measures)
#        FRESH=1 bench/members/run.sh    (drops and regenerates the database first)
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), DB (jiceng_bench_province),
#              SAMPLES (40 per node and query), SKIP_BUILD=1, STRICT=1 (exit 1 on a missed target).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
DB="${DB:-jiceng_bench_province}"
URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${DB}"
OUT="bench/results/members-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
BIN=target/release/jiceng-bench-members

if [[ -z "${SKIP_BUILD:-}" ]]; then
  cargo build --release -p jiceng-bench-members
fi
if [[ -n "${FRESH:-}" ]]; then
  dropdb --if-exists "$DB"
fi
if ! psql -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  createdb "$DB"
  echo "generating the province into $DB (about half an hour on 2 cores) …"
  /usr/bin/time -v "$BIN" generate "$URL" 2>"$OUT/generate.time" | tee "$OUT/generate.log"
  grep -E "Elapsed|Maximum resident" "$OUT/generate.time"
  # Fresh statistics and visibility map, as autovacuum leaves a settled database.
  psql -d "$DB" -c "VACUUM ANALYZE"
fi
{
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg); cpu pressure: $(head -1 /proc/pressure/cpu 2>/dev/null || echo n/a)"
  echo "postgres: $(psql -tAc 'SHOW server_version'), shared_buffers $(psql -tAc 'SHOW shared_buffers')"
  "$BIN" run "$URL" --samples "${SAMPLES:-40}" ${STRICT:+--strict}
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/run.log"
echo "saved in $OUT"
