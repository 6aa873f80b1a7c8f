#!/usr/bin/env bash
# Two nodes through Redis and PostgreSQL: the chat scenario with each room's participants split
# over both nodes (the generator connects to both directly), as in load-tests/BENCHMARKS.md
# ("Two nodes through Redis and PostgreSQL"), in one command.
#
#   load-tests/bench-cluster.sh            # from the repository root
#
# Builds nothing: expects server/target/ponte-server.jar and load-tests/target/ponte-load.jar
# (mvn -B -q package -DskipTests). Starts its own redis-server (ops/redis/redis.conf on REDIS_PORT,
# append-only file in OUT) and its own database on the PostgreSQL at PG (dropped at the end), and
# stops all of it. Nothing is pinned: both nodes, Redis, PostgreSQL and the generator share the
# machine, as in the section's earlier figures.
#
# Environment: SERVER_JAR and LOAD_JAR (to measure another build with the same generator), RATES
# (2 5: posts/s per participant), ROOMS (10), ROOM_SIZE (30), WARMUP (5s), DURATION (15s),
# PORTS (18081 18082), REDIS_PORT (16390), PG (127.0.0.1:5432, user postgres, trust auth),
# OUT (a directory for logs and reports, default a new /tmp one).
#
# Columns: the generator's bench line (deliveries/s, p50/p99/p99.9 of send-to-receipt) and the
# CPU seconds both node processes spent (/proc/PID/stat, user + system) over the whole run of each
# rate, warm-up and ramp included, per 1,000 deliveries of the measured window's rate.
set -u -o pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SERVER_JAR="${SERVER_JAR:-$ROOT/server/target/ponte-server.jar}"
LOAD_JAR="${LOAD_JAR:-$ROOT/load-tests/target/ponte-load.jar}"
RATES="${RATES:-2 5}"
ROOMS="${ROOMS:-10}"
ROOM_SIZE="${ROOM_SIZE:-30}"
WARMUP="${WARMUP:-5s}"
DURATION="${DURATION:-15s}"
PORTS="${PORTS:-18081 18082}"
REDIS_PORT="${REDIS_PORT:-16390}"
PG="${PG:-127.0.0.1:5432}"
OUT="${OUT:-$(mktemp -d /tmp/bench-cluster.XXXXXX)}"
SECRET=load-secret-0123456789-0123456789-abcdef
ADMIN=load-admin-token-0123456789
RUN="c$(date +%H%M%S)"
DB="ponte_bench_$RUN"

for f in "$SERVER_JAR" "$LOAD_JAR"; do
  [ -f "$f" ] || { echo "missing $f: build first (mvn -B -q package -DskipTests)" >&2; exit 2; }
done
mkdir -p "$OUT"

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  redis-cli -p "$REDIS_PORT" shutdown nosave > /dev/null 2>&1
  psql -h "${PG%:*}" -p "${PG#*:}" -U postgres -d postgres -w -qc "DROP DATABASE IF EXISTS $DB" > /dev/null 2>&1
}
trap cleanup EXIT

cpu_ticks() { # pid -> utime + stime in clock ticks
  awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

redis-server "$ROOT/ops/redis/redis.conf" --port "$REDIS_PORT" --dir "$OUT" --daemonize yes \
  --logfile "$OUT/redis.log" || { echo "redis-server did not start" >&2; exit 1; }
psql -h "${PG%:*}" -p "${PG#*:}" -U postgres -d postgres -w -qc "CREATE DATABASE $DB" \
  || { echo "cannot create database $DB on $PG" >&2; exit 1; }

URLS=()
N=0
for port in $PORTS; do
  N=$((N + 1))
  java -Xmx1g -jar "$SERVER_JAR" serve --http-host 127.0.0.1 --http-port "$port" \
    --data-dir "$OUT/node$N" --node-id "node$N" --redis-url "redis://127.0.0.1:$REDIS_PORT" \
    --store-url "jdbc:postgresql://$PG/$DB?user=postgres" --jwt-secret "$SECRET" \
    --admin-token "$ADMIN" --rate-messages-per-second 100 --rate-messages-burst 200 \
    > "$OUT/node$N.log" 2>&1 &
  PIDS+=($!)
  URLS+=("ws://127.0.0.1:$port/ws")
done
for port in $PORTS; do
  for _ in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/health/ready")" = 200 ] && break
    sleep 0.1
  done
done
URL_LIST=$(IFS=,; echo "${URLS[*]}")

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
HZ=$(getconf CLK_TCK)
ROWS=()
for rate in $RATES; do
  before=0; for p in "${PIDS[@]}"; do before=$((before + $(cpu_ticks "$p"))); done
  log="$OUT/chat-$rate.txt"
  echo "== chat rate $rate" >&2
  java -jar "$LOAD_JAR" chat --url "$URL_LIST" --jwt-secret "$SECRET" --admin-token "$ADMIN" \
    --rooms "$ROOMS" --room-size "$ROOM_SIZE" --rate "$rate" --warmup "$WARMUP" \
    --duration "$DURATION" --progress 0 --room-prefix "$RUN-$rate" > "$log" 2>&1
  status=$?
  after=0; for p in "${PIDS[@]}"; do after=$((after + $(cpu_ticks "$p"))); done
  bench=$(grep '^bench ' "$log" | head -1)
  [ -z "$bench" ] && bench="bench failed=exit-$status"
  echo "   $bench" >&2
  ROWS+=("$rate|$((after - before))|$bench")
done

field() { tr ' ' '\n' <<< "$1" | sed -n "s/^$2=//p" | head -1; }
echo
echo "Two nodes, $(date -u +%Y-%m-%dT%H:%MZ), $(basename "$SERVER_JAR") from $(dirname "$(dirname "$(dirname "$SERVER_JAR")")");"
echo "load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end."
echo
echo "| rate | deliveries/s | p50 / p99 / p99.9 ms | nodes' CPU s (whole run) | consistent | errors |"
echo "|---|---|---|---|---|---|"
for row in "${ROWS[@]}"; do
  IFS='|' read -r rate ticks bench <<< "$row"
  cpu=$(awk -v t="$ticks" -v hz="$HZ" 'BEGIN { printf "%.1f", t / hz }')
  echo "| $rate | $(field "$bench" deliveries_per_s) | $(field "$bench" p50_ms) / $(field "$bench" p99_ms) / $(field "$bench" p999_ms) | $cpu | $(field "$bench" consistent) | $(field "$bench" errors) |"
done
echo
echo "logs and reports: $OUT"
