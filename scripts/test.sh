#!/usr/bin/env bash
# The README's test command: makes sure what the test suite needs is there, then runs
# `mvn -B test` (extra arguments go to Maven, e.g. -pl server -Dtest=SomeTest).
# As root (with apt-get) it installs the missing Debian packages and starts PostgreSQL; as any
# other user it names what is missing, how to install it, and fails before running Maven.
# On a machine that already has all of it, plain `mvn -B test` is the same.
set -euo pipefail
cd "$(dirname "$0")/.."

is_root() { [[ "$(id -u)" == 0 ]]; }
missing_steps=()   # what a non-root user has to do first

apt_install() {
  if is_root && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "$@"
  else
    missing_steps+=("install the Debian packages: sudo apt-get install $*")
  fi
}

need_apt=()
# A binary installed in an sbin directory that is not on a non-root user's PATH (haproxy is in
# /usr/sbin on Debian) is not found by the tests either: say so instead of reinstalling it.
for tool in haproxy redis-server; do
  command -v "$tool" >/dev/null 2>&1 && continue
  for sbin in /usr/local/sbin /usr/sbin /sbin; do
    if [[ -x "$sbin/$tool" ]]; then
      if is_root; then export PATH="$PATH:$sbin"; else
        missing_steps+=("put $sbin on your PATH ($tool is there): export PATH=\"\$PATH:$sbin\"")
      fi
      break
    fi
  done
done
have() { command -v "$1" >/dev/null 2>&1 || [[ -x /usr/local/sbin/$1 || -x /usr/sbin/$1 || -x /sbin/$1 ]]; }
have java || need_apt+=(openjdk-17-jdk-headless)
have mvn || need_apt+=(maven)
# The Redis broker tests start a local redis-server when REDIS_URL is not set.
have redis-server || need_apt+=(redis-server)
# The Redis Cluster and Sentinel tests create the cluster with redis-cli (package redis-tools,
# normally installed with redis-server) and run Sentinel as redis-server --sentinel.
have redis-cli || need_apt+=(redis-tools)
# The classroom app's browser tests (WebAppE2EIT) drive Debian's Chromium with playwright-core.
have chromium || need_apt+=(chromium)
# The cluster tests (ClusterIT) run real nodes behind HAProxy and FAIL when it is missing.
have haproxy || need_apt+=(haproxy)
# The alerting rules' tests check ops/ with promtool.
have promtool || need_apt+=(prometheus)
# The Yjs conformance tests (module yjs), the y-websocket/Hocuspocus client tests (server), the
# web build and the load tests' peer servers run real npm packages with Node.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  need_apt+=(nodejs npm)
fi
# PostgreSQL for the PostgresStore tests, unless PONTE_TEST_PG_URL points elsewhere.
if [[ -z "${PONTE_TEST_PG_URL:-}" ]] && ! command -v pg_isready >/dev/null 2>&1; then
  need_apt+=(postgresql)
fi
if ((${#need_apt[@]})); then
  apt_install "${need_apt[@]}"
  # Only promtool is needed from package prometheus: stop the services it may have started.
  if [[ " ${need_apt[*]} " == *" prometheus "* ]]; then
    for svc in prometheus prometheus-node-exporter; do service "$svc" stop >/dev/null 2>&1 || true; done
  fi
fi

# Debian 12's own nodejs is 18: older than the web build and the npm test projects need.
if command -v node >/dev/null 2>&1; then
  node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ((node_major < 20)); then
    missing_steps+=("Node.js 20 or newer (found $(node --version 2>/dev/null)): install it from nodejs.org, NodeSource or nvm")
  fi
fi

if ((${#missing_steps[@]} == 0)); then
  java -version 2>&1 | head -1 || true
  mvn -version 2>&1 | head -1 || true
  node --version || true
  (cd yjs/src/test/js && npm ci --no-audit --no-fund)
  (cd server/src/test/js && npm ci --no-audit --no-fund)
  # The peer servers the load tests compare against (PeerServersIT: Hocuspocus, Socket.IO).
  for peer in load-tests/peers/*/; do (cd "$peer" && npm ci --no-audit --no-fund); done
fi

# PostgreSQL for the PostgresStore tests (PostgresStoreTest, PostgresStoreIT): they use
# PONTE_TEST_PG_URL, by default 127.0.0.1:5432, database "test", user "postgres", trust auth, and
# FAIL (never skip) when it does not answer. Unless PONTE_TEST_PG_URL points elsewhere, make sure
# the local server is up: start it when stopped, create the database.
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }
if [[ -z "${PONTE_TEST_PG_URL:-}" ]] && command -v pg_isready >/dev/null 2>&1; then
  if ! pg_up && is_root; then
    echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it"
    service postgresql start >/dev/null 2>&1 || true
    if ! pg_up && command -v pg_lsclusters >/dev/null 2>&1; then
      while read -r ver cluster _; do
        pg_ctlcluster "$ver" "$cluster" start || true
      done < <(pg_lsclusters -h 2>/dev/null)
    fi
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  if ! pg_up; then
    if is_root; then
      echo "PostgreSQL does not answer on 127.0.0.1:5432; the PostgreSQL store tests need it" >&2
      exit 1
    fi
    missing_steps+=("start PostgreSQL on 127.0.0.1:5432: sudo service postgresql start (or set PONTE_TEST_PG_URL to a JDBC URL)")
  elif ! psql -h 127.0.0.1 -U postgres -d postgres -w -tAc 'SELECT 1' >/dev/null 2>&1; then
    # The tests connect over TCP as postgres without a password: trust 127.0.0.1.
    if is_root; then
      hba=$(runuser -u postgres -- psql -tAc 'SHOW hba_file')
      sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
      runuser -u postgres -- psql -qc 'SELECT pg_reload_conf()' >/dev/null
    else
      missing_steps+=("let user postgres connect from 127.0.0.1 without a password: add 'host all postgres 127.0.0.1/32 trust' as the first line of pg_hba.conf, then reload PostgreSQL (or set PONTE_TEST_PG_URL)")
    fi
  fi
  if pg_up && psql -h 127.0.0.1 -U postgres -d postgres -w -tAc 'SELECT 1' >/dev/null 2>&1 \
      && [[ "$(psql -h 127.0.0.1 -U postgres -d postgres -w -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]]; then
    psql -h 127.0.0.1 -U postgres -d postgres -w -qc 'CREATE DATABASE test'
  fi
fi

if ((${#missing_steps[@]})); then
  {
    echo "The test suite cannot run yet (its tests fail, never skip, without these). As root this"
    echo "script does it all itself; otherwise:"
    for step in "${missing_steps[@]}"; do echo "  - $step"; done
    echo "then run scripts/test.sh again."
  } >&2
  exit 1
fi

mvn -B test "$@"
