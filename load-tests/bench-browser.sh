#!/usr/bin/env bash
# Browser-like load: the whole table of load-tests/BENCHMARKS.md ("browser-like clients") in one
# command, Ponte and its peers (Hocuspocus, Socket.IO) driven by the same generator.
#
#   load-tests/bench-browser.sh            # from the repository root
#
# Builds nothing: expects server/target/ponte-server.jar and load-tests/target/ponte-load.jar
# (mvn -B -q package -DskipTests) and, for the peer rows, node with
# load-tests/peers/{hocuspocus,socketio}/node_modules (npm ci in each; without them those rows are
# skipped, and said so). The server (Ponte or peer) runs on core 0, the generator on core 1.
# Every client offers permessage-deflate as browsers do (the generator's default); each row says
# on how many sockets the server accepted it.
#
# Environment: SERVER_JAR and LOAD_JAR (to measure another build with the same generator),
# WARMUP (5s), DURATION (20s), IDLE_ROOMS (110: x 30 = 3,300 idle connections),
# CHAT_RATES (0.5 1 1.5 posts/s per participant: 20 rooms x 30 = 9,000, 18,000, 27,000
# deliveries/s), PORT (18080), OUT (a directory for logs and reports, default a new /tmp one),
# SERVER_CORE (0), LOAD_CORE (1), ONLY (all, ponte or peers: which rows to run).
#
# Columns: deliveries/s in the measured window; server CPU µs per delivery = the server process's
# CPU seconds (user + system, /proc/PID/stat) over that window / deliveries in it; p50/p99 of
# send-to-receipt latency; RSS per connection = growth of the server's VmRSS (/proc/PID/status)
# from before the connections opened to the end of the window, over the connections (idle rows);
# Ponte/peer = Ponte's CPU per delivery (idle: RSS per connection) over the peer's in the same
# settings: below 1, Ponte spends less.
set -u -o pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SERVER_JAR="${SERVER_JAR:-$ROOT/server/target/ponte-server.jar}"
LOAD_JAR="${LOAD_JAR:-$ROOT/load-tests/target/ponte-load.jar}"
PEERS="$ROOT/load-tests/peers"
WARMUP="${WARMUP:-5s}"
DURATION="${DURATION:-20s}"
IDLE_ROOMS="${IDLE_ROOMS:-110}"
CHAT_RATES="${CHAT_RATES:-0.5 1 1.5}"
PORT="${PORT:-18080}"
SERVER_CORE="${SERVER_CORE:-0}"
LOAD_CORE="${LOAD_CORE:-1}"
ONLY="${ONLY:-all}"
OUT="${OUT:-$(mktemp -d /tmp/bench-browser.XXXXXX)}"
SECRET=load-secret-0123456789-0123456789-abcdef
ADMIN=load-admin-token-0123456789
RUN="b$(date +%H%M%S)"

for f in "$SERVER_JAR" "$LOAD_JAR"; do
  [ -f "$f" ] || { echo "missing $f: build first (mvn -B -q package -DskipTests)" >&2; exit 2; }
done
mkdir -p "$OUT"

SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
  fi
}
trap stop_server EXIT

wait_http() { # url: until it answers anything (60 s)
  for _ in $(seq 1 600); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" 2>/dev/null)
    [ "$code" != "000" ] && [ -n "$code" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Ponte's ws-compression exists from issue 10 on; an older server is run without it.
if java -jar "$SERVER_JAR" --help 2>/dev/null | grep -q -- '--ws-compression '; then
  HAS_WS_COMPRESSION=1
else
  HAS_WS_COMPRESSION=0
fi

start_ponte() { # ws-compression: off | on
  stop_server
  local data="$OUT/data-$1-$RANDOM"
  local extra=()
  [ "$HAS_WS_COMPRESSION" = 1 ] && extra=(--ws-compression "$1")
  taskset -c "$SERVER_CORE" java -Xmx1g -jar "$SERVER_JAR" serve --http-host 127.0.0.1 \
    --http-port "$PORT" --data-dir "$data" --jwt-secret "$SECRET" --admin-token "$ADMIN" \
    --rate-messages-per-second 100 --rate-messages-burst 200 "${extra[@]}" \
    > "$OUT/ponte-$1.log" 2>&1 &
  SERVER_PID=$!
  wait_http "http://127.0.0.1:$PORT/health/ready" || { echo "Ponte did not start: $OUT/ponte-$1.log" >&2; exit 1; }
}

start_peer() { # hocuspocus | socketio, compression off | on
  stop_server
  taskset -c "$SERVER_CORE" node "$PEERS/$1/server.mjs" "$PORT" --compression "$2" \
    > "$OUT/peer-$1-$2.log" 2>&1 &
  SERVER_PID=$!
  # Socket.IO answers only under /socket.io/ (the handshake of its polling transport).
  local probe="http://127.0.0.1:$PORT/"
  [ "$1" = socketio ] && probe="http://127.0.0.1:$PORT/socket.io/?EIO=4&transport=polling"
  wait_http "$probe" || { echo "peer $1 did not start: $OUT/peer-$1-$2.log" >&2; exit 1; }
}

peer_ready() { # hocuspocus | socketio
  command -v node > /dev/null && [ -d "$PEERS/$1/node_modules" ]
}

# Rows: key|scenario|settings|peer key (empty: none)|bench line
ROWS=()
n=0
load() { # key, scenario, settings, peer key, ponte-load arguments...
  local key="$1" scenario="$2" settings="$3" peerkey="$4"
  shift 4
  n=$((n + 1))
  local log="$OUT/run-$n-$key.txt"
  echo "== $key: $scenario $settings" >&2
  taskset -c "$LOAD_CORE" java -jar "$LOAD_JAR" "$scenario" --server-pid "$SERVER_PID" \
    --warmup "$WARMUP" --report-dir "$OUT/reports" --progress 0 \
    --room-prefix "$RUN-$n" "$@" > "$log" 2>&1
  local status=$?
  local bench
  bench=$(grep '^bench ' "$log" | head -1)
  [ -z "$bench" ] && bench="bench failed=exit-$status"
  [ "$status" != 0 ] && bench="$bench status=$status"
  echo "   $bench" >&2
  ROWS+=("$key|$scenario|$settings|$peerkey|$bench")
}

PONTE=(--url "ws://127.0.0.1:$PORT/ws" --jwt-secret "$SECRET" --admin-token "$ADMIN")
PEER_URL="ws://127.0.0.1:$PORT"
CHAT=(--rooms 20 --room-size 30 --format json --duration "$DURATION")
DOCS=(--rooms 4 --room-size 30 --typists 5 --rate 5 --duration "$DURATION")
IDLE=(--rooms "$IDLE_ROOMS" --room-size 30 --ramp-up 1000 --duration 10s)

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

for mode in off on; do
  [ "$ONLY" = peers ] && break
  # Idle first, each on a fresh node, so that RSS growth is the connections' and not a
  # previous run's heap.
  if [ "$mode" = off ]; then
    start_ponte off
    load "idle-ponte-off-none" idle "ws-compression off, client offers nothing" "idle-sio-off" "${PONTE[@]}" "${IDLE[@]}" --compression off
  fi
  start_ponte "$mode"
  load "idle-ponte-$mode" idle "ws-compression $mode, offered" "idle-sio-$mode" "${PONTE[@]}" "${IDLE[@]}"
  start_ponte "$mode"
  for rate in $CHAT_RATES; do
    load "chat-ponte-$mode-$rate" chat "20x30 JSON, $rate/s each, ws-compression $mode, offered" "chat-sio-$mode-$rate" "${PONTE[@]}" "${CHAT[@]}" --rate "$rate"
  done
  for ep in hocuspocus yjs; do
    load "docs-ponte-$mode-$ep" docs "/$ep 4 docs x 30, 5 typists x 5/s, ws-compression $mode, offered" "docs-hp-$mode" "${PONTE[@]}" "${DOCS[@]}" --endpoint "$ep"
  done
done

for mode in off on; do
  [ "$ONLY" = ponte ] && break
  if peer_ready socketio; then
    start_peer socketio "$mode"
    load "idle-sio-$mode" idle "Socket.IO 4, perMessageDeflate $mode, offered" "" --peer socketio --url "$PEER_URL" "${IDLE[@]}"
    start_peer socketio "$mode"
    for rate in $CHAT_RATES; do
      load "chat-sio-$mode-$rate" chat "Socket.IO 4, 20x30, $rate/s each, perMessageDeflate $mode, offered" "" --peer socketio --url "$PEER_URL" "${CHAT[@]}" --rate "$rate"
    done
  else
    echo "skipped Socket.IO rows: node or $PEERS/socketio/node_modules missing (npm ci there)" >&2
  fi
  if peer_ready hocuspocus; then
    start_peer hocuspocus "$mode"
    load "docs-hp-$mode" docs "Hocuspocus 3, 4 docs x 30, 5 typists x 5/s, perMessageDeflate $mode, offered" "" --peer hocuspocus --endpoint hocuspocus --url "$PEER_URL" "${DOCS[@]}"
  else
    echo "skipped Hocuspocus rows: node or $PEERS/hocuspocus/node_modules missing (npm ci there)" >&2
  fi
done
stop_server

field() { # bench line, key -> value or "-"
  local v
  v=$(tr ' ' '\n' <<< "$1" | sed -n "s/^$2=//p" | head -1)
  echo "${v:--}"
}
declare -A CPU RSS
for row in "${ROWS[@]}"; do
  IFS='|' read -r key _ _ _ bench <<< "$row"
  CPU[$key]=$(field "$bench" cpu_us_per_delivery)
  RSS[$key]=$(field "$bench" rss_kib_per_conn)
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

echo
echo "Browser-like load, $(date -u +%Y-%m-%dT%H:%MZ), server on core $SERVER_CORE, generator on core $LOAD_CORE;"
echo "load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end; ws-compression flag passed: $([ "$HAS_WS_COMPRESSION" = 1 ] && echo yes || echo 'no (server predates it)')."
echo
echo "| scenario | settings | deliveries/s | server CPU µs/delivery | p50 / p99 ms | RSS KiB/conn | deflate negotiated | Ponte/peer | ok |"
echo "|---|---|---|---|---|---|---|---|---|"
for row in "${ROWS[@]}"; do
  IFS='|' read -r key scenario settings peerkey bench <<< "$row"
  who=Ponte
  case "$key" in *-sio-*) who=Socket.IO ;; *-hp-*) who=Hocuspocus ;; esac
  r="-"
  if [ -n "$peerkey" ]; then
    if [ "$scenario" = idle ]; then
      r=$(ratio "${RSS[$key]}" "${RSS[$peerkey]:--}")
      [ "$r" != "-" ] && r="$r (RSS)"
    else
      r=$(ratio "${CPU[$key]}" "${CPU[$peerkey]:--}")
      [ "$r" != "-" ] && r="$r (CPU)"
    fi
  fi
  ok=$(field "$bench" consistent)
  [ "$(field "$bench" errors)" != 0 ] && ok="$ok, errors $(field "$bench" errors)"
  [ "$(field "$bench" status)" != "-" ] && ok="$ok, exit $(field "$bench" status)"
  echo "| $who $scenario | $settings | $(field "$bench" deliveries_per_s) | $(field "$bench" cpu_us_per_delivery) | $(field "$bench" p50_ms) / $(field "$bench" p99_ms) | $(field "$bench" rss_kib_per_conn) | $(field "$bench" deflate) | $r | $ok ($(field "$bench" ready) ready) |"
done
echo
echo "Logs and reports: $OUT"
