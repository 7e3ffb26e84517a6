#!/usr/bin/env bash
# The whole benchmark, from nothing to bench/RESULTS.md and bench/latency.png:
# builds the host and the bench tools, installs nginx if it is missing,
# seeds fresh databases (PostgreSQL: 1,000,000 packages and 10,000; SQLite
# alongside), starts the host, its baselines and nginx on loopback, runs
# every scenario at every concurrency against reportgate and its limit in
# turn, and renders the report. Everything it starts is stopped on exit,
# failure or not. It reports and never judges: no figure fails it.
#
#   make bench              # or bench/run.sh
#
# Knobs (environment): BENCH_PACKAGES (1000000), BENCH_SUBSCRIBERS (100000),
# BENCH_MAILINGS (10000), BENCH_SQLITE_PACKAGES (as BENCH_PACKAGES),
# BENCH_LEVELS (1,8,32,128), BENCH_QUICK=1 for a short smoke run,
# BENCH_PG_ADMIN_URL (unset: a PostgreSQL cluster of the benchmark's own; set,
# e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable, the
# server there, as it is configured),
# BENCH_SQLITE_FULL=1 (the 100 MiB upload at every level on SQLite too),
# BENCH_PROFILE=1 (after each store, a pass under bench/profhost that writes CPU
# profiles to bench/out/profiles; not recorded in the results).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
BIN=$OUT/bin
export PATH="$PATH:/usr/local/go/bin"

PACKAGES=${BENCH_PACKAGES:-1000000}
SUBSCRIBERS=${BENCH_SUBSCRIBERS:-100000}
MAILINGS=${BENCH_MAILINGS:-10000}
SQLITE_PACKAGES=${BENCH_SQLITE_PACKAGES:-$PACKAGES}
SMALL_PACKAGES=10000
LEVELS=${BENCH_LEVELS:-1,8,32,128}
PORT_PG=28432
PG_ADMIN=${BENCH_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:$PORT_PG/postgres?sslmode=disable}
PG_BASE=${PG_ADMIN%/*}
TOKEN=bench-operator-token-$(date +%s)-0123456789

# Requests a round, by scenario; every level runs ROUNDS rounds, the servers
# taking turns (the 100 MiB upload runs one round of max(N_UP100, c)). A
# round should last long enough that its first requests, on new
# connections, do not make its tail: the host answers a kept list of a
# gate some 10,000 times a second, and rounds of 500 (50 ms) put the p99 at
# c=32 a fifth above that of rounds of 2,500 on the same host. Reading and
# rendering a gate's list, as list_gate_uncached does on both servers, is
# ten times slower, and 500 requests take half a second.
ROUNDS=5
N_LIST_GUID=3000 N_LIST_GATE=2500 N_LIST_GATE_UNCACHED=500 N_MASS=3000 N_DOWNLOAD=2000 N_DELETE=2000 N_UP1=300 N_UP100=8
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	N_LIST_GUID=300 N_LIST_GATE=250 N_LIST_GATE_UNCACHED=50 N_MASS=300 N_DOWNLOAD=200 N_DELETE=200 N_UP1=30 N_UP100=2
fi
IFS=, read -r -a LEVEL_ARRAY <<<"$LEVELS"
DELETES=$((N_DELETE * ${#LEVEL_ARRAY[@]} * ROUNDS + 100))
# Links for the cold download: five times the host's link cache (4,096
# links), so that each comes back only long after the cache let it go.
COLD=20000

PORT_HOST=28080 PORT_BASE=28081 PORT_NGINX=28082 PORT_SCALE=28083

log() { printf '\n== %s  %s\n' "$(date +%H:%M:%S)" "$*"; }

# --- processes: every one started here is stopped on exit -------------------
PIDS=()
PG_DIR=
cleanup() {
	local status=$?
	stop_own_postgres
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	PIDS=()
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop() { # stop PID: stop one process started here
	local pid=$1
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	local rest=()
	for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || rest+=("$p"); done
	PIDS=("${rest[@]}")
}

wait_http() { # wait_http URL PID: until URL answers 200, or fail when PID dies
	for _ in $(seq 600); do
		if curl -fs -o /dev/null "$1"; then return 0; fi
		kill -0 "$2" 2>/dev/null || { echo "process $2 died; see its log in $OUT/logs" >&2; return 1; }
		sleep 0.1
	done
	echo "timed out waiting for $1" >&2
	return 1
}

# --- PostgreSQL: a cluster of the benchmark's own ------------------------------
# Debian's cluster keeps initdb's 128 MB of shared_buffers, a sixth of the
# 1,000,000-row table, so a list would be measured against the kernel's page
# cache rather than PostgreSQL's. The benchmark configures its server as
# docs/CONFIG.md tells an operator to: shared_buffers a quarter of the
# memory, PostgreSQL's usual starting point, which holds the table; the
# rest is initdb's defaults. The cluster lives in a temporary folder and is
# stopped and removed on exit. BENCH_PG_ADMIN_URL names a server to use
# instead, as it is configured.
PG_RUN=()
if [ "$(id -u)" = 0 ]; then
	PG_RUN=(runuser -u postgres --) # initdb and postgres refuse to run as root
fi
PG_BIN=
start_own_postgres() {
	local mem_mib
	PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
	if [ -z "$PG_BIN" ]; then
		echo "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install Debian's postgresql, or set BENCH_PG_ADMIN_URL to a server" >&2
		return 1
	fi
	mem_mib=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024))
	PG_DIR=$(mktemp -d /tmp/reportgate-bench-pg.XXXXXX)
	[ ${#PG_RUN[@]} = 0 ] || chown postgres "$PG_DIR"
	"${PG_RUN[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale C.UTF-8 --no-sync >"$OUT/logs/initdb.log"
	"${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 start \
		-o "-p $PORT_PG -k $PG_DIR -c listen_addresses=127.0.0.1 -c shared_buffers=$((mem_mib / 4))MB" >/dev/null
}
stop_own_postgres() {
	[ -n "$PG_DIR" ] || return 0
	"${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
	cp "$PG_DIR/postgres.log" "$OUT/logs/postgres.log" 2>/dev/null || true
	rm -rf "$PG_DIR"
	PG_DIR=
}

# --- prerequisites ------------------------------------------------------------
log "prerequisites"
if ! command -v nginx >/dev/null; then
	running_before=$(pgrep -x nginx || true)
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
	# The package may start its own daemon; one that it started is stopped.
	if [ -z "$running_before" ] && [ -f /run/nginx.pid ]; then
		kill "$(cat /run/nginx.pid)" 2>/dev/null || true
	fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

rm -rf "$OUT"
mkdir -p "$BIN" "$OUT/logs" "$OUT/pg" "$OUT/pg10k" "$OUT/sqlite" "$OUT/nginx/tmp"
if [ -z "${BENCH_PG_ADMIN_URL:-}" ]; then
	log "PostgreSQL: a cluster of the benchmark's own on port $PORT_PG"
	start_own_postgres
	PG_SETUP="a cluster of the benchmark's own, shared_buffers a quarter of the memory, the rest initdb's defaults"
else
	PG_SETUP="the server at BENCH_PG_ADMIN_URL, as configured there"
fi
RESULTS=$OUT/results.jsonl
CHECKS=$OUT/checks.txt
: >"$RESULTS"
: >"$CHECKS"
STARTED=$(date -u +%s)

log "build"
make build >/dev/null
COMMIT=$(git describe --always --dirty 2>/dev/null || echo unknown)
for tool in seed baseline load report plot; do
	go build -o "$BIN/$tool" "./bench/$tool"
done

# --- configuration ------------------------------------------------------------
host_config() { # host_config NAME DATABASE_URL STORAGE_DIR
	cat >"$OUT/$1.yaml" <<EOF
# Generated by bench/run.sh.
http:
  addr: 127.0.0.1:$PORT_HOST
database:
  url: $2
storage:
  dir: $3
limits:
  max_package_bytes: 104857600
operator:
  tokens: [$TOKEN]
timezone: Europe/Moscow
retention:
  deleted: 720h
  interval: 1h
directions:
  fns: {plugin: $ROOT/bin/plugins/fns, prefix: /fns}
  pfr: {plugin: $ROOT/bin/plugins/pfr, prefix: /pfr}
  rosstat: {plugin: $ROOT/bin/plugins/rosstat, prefix: /rosstat}
EOF
}

pg_url() { echo "$PG_BASE/$1?sslmode=disable"; }

fresh_pg() { # fresh_pg DBNAME
	psql "$PG_ADMIN" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
}

# --- data ---------------------------------------------------------------------
log "seed PostgreSQL: $PACKAGES packages, $SUBSCRIBERS subscribers, $MAILINGS mailings, $DELETES to delete"
fresh_pg reportgate_bench
host_config pg "$(pg_url reportgate_bench)&application_name=reportgate" "$OUT/pg/storage"
bin/reportgate migrate --config "$OUT/pg.yaml"
"$BIN/seed" -db "$(pg_url reportgate_bench)" -storage "$OUT/pg/storage" -targets "$OUT/pg/targets.json" \
	-packages "$PACKAGES" -subscribers "$SUBSCRIBERS" -mailings "$MAILINGS" -deletes "$DELETES" -cold-downloads "$COLD"
touch "$OUT/pg/seeded"

log "seed PostgreSQL: $SMALL_PACKAGES packages, the same density"
fresh_pg reportgate_bench_10k
host_config pg10k "$(pg_url reportgate_bench_10k)&application_name=reportgate" "$OUT/pg10k/storage"
bin/reportgate migrate --config "$OUT/pg10k.yaml"
"$BIN/seed" -db "$(pg_url reportgate_bench_10k)" -storage "$OUT/pg10k/storage" -targets "$OUT/pg10k/targets.json" \
	-packages "$SMALL_PACKAGES" -subscribers $((SMALL_PACKAGES * SUBSCRIBERS / PACKAGES)) \
	-mailings $((SMALL_PACKAGES * MAILINGS / PACKAGES)) -download-bytes 0 -seed 2

log "seed SQLite: $SQLITE_PACKAGES packages"
host_config sqlite "sqlite:$OUT/sqlite/reportgate.db" "$OUT/sqlite/storage"
bin/reportgate migrate --config "$OUT/sqlite.yaml"
"$BIN/seed" -db "sqlite:$OUT/sqlite/reportgate.db" -storage "$OUT/sqlite/storage" -targets "$OUT/sqlite/targets.json" \
	-packages "$SQLITE_PACKAGES" -subscribers $((SQLITE_PACKAGES * SUBSCRIBERS / PACKAGES)) \
	-mailings $((SQLITE_PACKAGES * MAILINGS / PACKAGES)) -deletes "$DELETES" -cold-downloads "$COLD" -seed 3
touch "$OUT/sqlite/seeded"

# The seeding wrote some 2 GB of WAL; without this, PostgreSQL spreads the
# checkpoint of it over the next minutes, under the first scenarios.
if ! psql "$PG_ADMIN" -qX -c CHECKPOINT; then
	echo "bench: CHECKPOINT after seeding failed (not a superuser?); the first scenarios may run under one" >&2
fi

# --- nginx: the download limit --------------------------------------------------
target_field() { sed -n "s/^ *\"$2\": \"\(.*\)\",\{0,1\}$/\1/p" "$1"; }
{
	cat <<EOF
# Generated by bench/run.sh: the same 1 MiB files the host streams.
worker_processes auto;
daemon off;
user root;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 120s;
    keepalive_requests 1000000;
    default_type application/zip;
    client_body_temp_path $OUT/nginx/tmp/body;
    proxy_temp_path $OUT/nginx/tmp/proxy;
    fastcgi_temp_path $OUT/nginx/tmp/fastcgi;
    uwsgi_temp_path $OUT/nginx/tmp/uwsgi;
    scgi_temp_path $OUT/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$PORT_NGINX;
EOF
	for store in pg sqlite; do
		echo "        location = $(target_field "$OUT/$store/targets.json" download) { alias $(target_field "$OUT/$store/targets.json" download_file); }"
	done
	echo "    }"
	echo "}"
} >"$OUT/nginx/nginx.conf"

"$NGINX" -e "$OUT/nginx/error.log" -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" >"$OUT/logs/nginx.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")

# --- the runs -------------------------------------------------------------------
HOST_PID= BASE_PID=
start_host() { # start_host NAME [VAR=VALUE...]: the host, its log appended to
	local name=$1
	shift
	env "$@" bin/reportgate serve --config "$OUT/$name.yaml" >>"$OUT/logs/host-$name.log" 2>&1 &
	HOST_PID=$!
	PIDS+=("$HOST_PID")
}

start_servers() { # start_servers NAME DATABASE_URL
	start_host "$1"
	local base_url=$2
	# PostgreSQL names each server's connections, for the SQL check.
	case $base_url in postgres*) base_url="$base_url&application_name=baseline" ;; esac
	"$BIN/baseline" -addr "127.0.0.1:$PORT_BASE" -db "$base_url" -storage "$OUT/$1/baseline" \
		-download-path "$(target_field "$OUT/$1/targets.json" download)" -download-file "$(target_field "$OUT/$1/targets.json" download_file)" \
		>"$OUT/logs/baseline-$1.log" 2>&1 &
	BASE_PID=$!
	PIDS+=("$BASE_PID")
	wait_http "http://127.0.0.1:$PORT_HOST/readyz" "$HOST_PID"
	wait_http "http://127.0.0.1:$PORT_BASE/fns/massreport" "$BASE_PID"
	wait_http "http://127.0.0.1:$PORT_NGINX$(target_field "$OUT/pg/targets.json" download)" "$NGINX_PID"
}

stop_servers() {
	stop "$HOST_PID"
	stop "$BASE_PID"
}

# load NAME ROWS SCENARIO N WARMUP SERVERS... : one scenario at every level.
load() {
	local name=$1 rows=$2 scenario=$3 n=$4 warmup=$5
	shift 5
	local args=()
	for s in "$@"; do args+=(-server "$s"); done
	"$BIN/load" -targets "$OUT/$name/targets.json" -store "$name" -rows "$rows" -scenario "$scenario" \
		-conc "${LOAD_LEVELS:-$LEVELS}" -rounds "${LOAD_ROUNDS:-$ROUNDS}" -n "$n" -warmup "$warmup" -out "$RESULTS" \
		${LOAD_EXTRA:-} "${args[@]}"
}

# The uploads leave their files behind; clear them between runs so the
# disk never holds more than one level's worth. The seeded files (the
# download's, and the cold download's hard links to it) are older than
# the stamp the seeding leaves, and stay.
clear_uploads() { # clear_uploads NAME
	find "$OUT/$1/storage/packages" -type f -newer "$OUT/$1/seeded" -delete 2>/dev/null || true
	rm -rf "$OUT/$1/baseline/packages"
}

# check NAME COMMAND...: a check of the run's validity (the seeded rows'
# shape, the baseline's answers and SQL); a failure is reported at the top
# of RESULTS.md rather than stopping the run.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		printf '%s\n' "$out" | sed "s/^/$name: /" | tee -a "$CHECKS"
	else
		printf '%s\n' "$out" | tr '\n' ' ' | sed "s/^/$name: CHECK FAILED: /; s/\$/\n/" | tee -a "$CHECKS"
	fi
}

run_store() { # run_store NAME DATABASE_URL ROWS
	local name=$1 url=$2 rows=$3
	log "$name: start the host and the baseline"
	start_servers "$name" "$url"
	local rg="reportgate=http://127.0.0.1:$PORT_HOST,pid=$HOST_PID"
	local base="baseline=http://127.0.0.1:$PORT_BASE,pid=$BASE_PID"
	local ngx="nginx=http://127.0.0.1:$PORT_NGINX,pid=$NGINX_PID"
	check "$name" "$BIN/seed" verify -db "$url" -url "http://127.0.0.1:$PORT_HOST" -token "$TOKEN"
	local sqlcheck=()
	case $url in postgres*) sqlcheck=(-sql "$url") ;; esac
	for s in list_guid list_gate massreport; do
		check "$name" "$BIN/load" -targets "$OUT/$name/targets.json" -scenario "$s" -check 200 "${sqlcheck[@]}" -server "$rg" -server "$base"
	done
	check "$name" "$BIN/load" -targets "$OUT/$name/targets.json" -scenario download -check 1 -server "$rg" -server "$ngx" -server "$base"
	check "$name" "$BIN/load" -targets "$OUT/$name/targets.json" -scenario download_cold -check 3 -server "$rg" -server "$ngx" -server "$base"

	log "$name: lists and massreport"
	load "$name" "$rows" list_guid "$N_LIST_GUID" 2000 "$rg" "$base"
	load "$name" "$rows" list_gate "$N_LIST_GATE" 500 "$rg" "$base"
	log "$name: list by gate and massreport, the host keeping none (lists.cache_bytes 0)"
	stop "$HOST_PID"
	start_host "$name" REPORTGATE_LISTS__CACHE_BYTES=0
	wait_http "http://127.0.0.1:$PORT_HOST/readyz" "$HOST_PID"
	rg="reportgate=http://127.0.0.1:$PORT_HOST,pid=$HOST_PID"
	load "$name" "$rows" list_gate_uncached "$N_LIST_GATE_UNCACHED" 500 "$rg" "$base"
	load "$name" "$rows" massreport_uncached "$N_MASS" 1000 "$rg" "$base"
	stop "$HOST_PID"
	start_host "$name"
	wait_http "http://127.0.0.1:$PORT_HOST/readyz" "$HOST_PID"
	rg="reportgate=http://127.0.0.1:$PORT_HOST,pid=$HOST_PID"
	load "$name" "$rows" massreport "$N_MASS" 1000 "$rg" "$base"
	log "$name: download (1 MiB) against nginx, and net/http alone"
	load "$name" "$rows" download "$N_DOWNLOAD" 200 "$rg" "$ngx" "$base"
	log "$name: download of links not downloaded lately, against the same"
	load "$name" "$rows" download_cold "$N_DOWNLOAD" 200 "$rg" "$ngx" "$base"
	log "$name: delete (no baseline)"
	load "$name" "$rows" delete "$N_DELETE" 0 "$rg"
	log "$name: upload 1 MiB"
	load "$name" "$rows" upload_1m "$N_UP1" 20 "$rg" "$base"
	clear_uploads "$name"
	log "$name: upload 100 MiB"
	local first=1
	for c in "${LEVEL_ARRAY[@]}"; do
		if [ "$name" = sqlite ] && [ "$c" -gt 8 ] && [ "${BENCH_SQLITE_FULL:-0}" != 1 ]; then
			continue
		fi
		LOAD_LEVELS=$c LOAD_ROUNDS=1 LOAD_EXTRA="-n-min-per-worker 1" load "$name" "$rows" upload_100m "$N_UP100" $((first * 2)) "$rg" "$base"
		first=0
		clear_uploads "$name"
	done
	grep -c 'level=ERROR' "$OUT/logs/host-$name.log" | sed "s/^/$name: errors the host logged: /" | tee -a "$CHECKS" || true
	stop_servers
	if [ "${BENCH_PROFILE:-0}" = 1 ]; then
		profile "$name" "$rows"
	fi
}

# profile NAME ROWS: with BENCH_PROFILE=1, a pass that is not recorded: the
# host built with net/http/pprof (bench/profhost) under each scenario at
# c=32, its CPU profile in bench/out/profiles/NAME-SCENARIO.pprof and the
# top functions beside it in .txt.
profile() {
	local name=$1 rows=$2 dir="$OUT/profiles"
	mkdir -p "$dir"
	go build -o "$BIN/profhost" ./bench/profhost
	log "$name: profiles"
	"$BIN/profhost" -config "$OUT/$name.yaml" -pprof 127.0.0.1:28090 >"$OUT/logs/profhost-$name.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	wait_http "http://127.0.0.1:$PORT_HOST/readyz" "$pid"
	local s n
	for s in list_guid:40000 list_gate:5000 massreport:40000 download:25000 download_cold:20000 upload_1m:2500; do
		n=${s#*:} s=${s%:*}
		curl -s -o "$dir/$name-$s.pprof" "http://127.0.0.1:28090/debug/pprof/profile?seconds=8" &
		local curl_pid=$!
		sleep 0.5
		"$BIN/load" -targets "$OUT/$name/targets.json" -scenario "$s" -conc 32 -rounds 1 -n "$n" -warmup 0 \
			-server "reportgate=http://127.0.0.1:$PORT_HOST,pid=$pid" 2>&1 | tail -1
		wait "$curl_pid"
		go tool pprof -top -nodecount=30 "$BIN/profhost" "$dir/$name-$s.pprof" >"$dir/$name-$s.txt" 2>/dev/null || true
		clear_uploads "$name"
	done
	stop "$pid"
}

run_store pg "$(pg_url reportgate_bench)" "$PACKAGES"

# The scale target compares the lists at a million rows with the same
# lists at ten thousand. Measured minutes apart, in two phases, the two
# figures differed by whatever the machine did in between; so a second
# host on the large database (reportgate_1m, its own targets) takes turns
# with the small database's host and baseline in the same rounds, as
# every other ratio here is measured.
log "pg10k: the lists on $SMALL_PACKAGES packages, beside the same on $PACKAGES"
sed "s/127.0.0.1:$PORT_HOST/127.0.0.1:$PORT_SCALE/" "$OUT/pg.yaml" >"$OUT/pg-scale.yaml"
start_host pg-scale
SCALE_PID=$HOST_PID
start_servers pg10k "$(pg_url reportgate_bench_10k)"
wait_http "http://127.0.0.1:$PORT_SCALE/readyz" "$SCALE_PID"
for s in "list_guid $N_LIST_GUID 2000" "list_gate $N_LIST_GATE 500"; do
	read -r scenario n warmup <<<"$s"
	load pg10k "$SMALL_PACKAGES" "$scenario" "$n" "$warmup" "reportgate=http://127.0.0.1:$PORT_HOST,pid=$HOST_PID" "baseline=http://127.0.0.1:$PORT_BASE,pid=$BASE_PID" \
		"reportgate_1m=http://127.0.0.1:$PORT_SCALE,pid=$SCALE_PID,targets=$OUT/pg/targets.json,rows=$PACKAGES"
done
stop_servers
stop "$SCALE_PID"

run_store sqlite "sqlite:$OUT/sqlite/reportgate.db" "$SQLITE_PACKAGES"

stop "$NGINX_PID"

# --- the report -----------------------------------------------------------------
log "report"
cat >"$OUT/meta.json" <<EOF
{
 "date": "$(date -u '+%Y-%m-%d %H:%M UTC')",
 "commit": "$COMMIT",
 "cpus": "$(nproc) × $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)",
 "memory": "$(free -h | awk '/^Mem:/ {print $2}')",
 "kernel": "$(uname -r)",
 "go": "$(go env GOVERSION)",
 "postgres": "$(psql "$PG_ADMIN" -XAtc 'SHOW server_version' | cut -d' ' -f1)",
 "shared_buffers": "$(psql "$PG_ADMIN" -XAtc 'SHOW shared_buffers')",
 "postgres_setup": "$PG_SETUP",
 "nginx": "$("$NGINX" -v 2>&1 | sed 's/.*nginx\///')",
 "levels": "$LEVELS",
 "rounds": $ROUNDS,
 "requests": "list_guid $N_LIST_GUID, list_gate $N_LIST_GATE, list_gate_uncached $N_LIST_GATE_UNCACHED, massreport $N_MASS, download $N_DOWNLOAD, delete $N_DELETE, upload_1m $N_UP1, upload_100m max($N_UP100, c)",
 "minutes": $(( ($(date -u +%s) - STARTED + 59) / 60 )),
 "quick": ${BENCH_QUICK:-0},
 "sqlite_upload_100m_levels": "$([ "${BENCH_SQLITE_FULL:-0}" = 1 ] && echo "$LEVELS" || echo "1,8")"
}
EOF
"$BIN/report" -out bench/RESULTS.md -plot latency.png -results "$RESULTS" -meta "$OUT/meta.json" -checks "$CHECKS" \
	-targets "pg=$OUT/pg/targets.json" -targets "pg10k=$OUT/pg10k/targets.json" -targets "sqlite=$OUT/sqlite/targets.json"
"$BIN/plot" -results "$RESULTS" -out bench/latency.png
log "done: bench/RESULTS.md, bench/latency.png ($(( ($(date -u +%s) - STARTED) / 60 )) min)"
