#!/usr/bin/env bash
# postgres-up.sh - start a throwaway PostgreSQL 15 cluster as plain processes
# (initdb into DIR, pg_ctl start on 127.0.0.1:PORT), no systemd, no Docker.
#
# Usage:  postgres-up.sh [DIR]            DIR defaults to $PG_CI_DIR or /tmp/pg-ci
#         eval "$(postgres-up.sh DIR)"
#         postgres-down.sh [--purge] [DIR]
#
# stdout: only KEY=VALUE lines (also kept in DIR/env, mode 0600):
#   DATABASE_URL PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PG_CI_DIR
# stderr: progress with timings, the URL's password shown as ***.  Exit 0 only
# once psql has connected over TCP with the printed URL.
# burrow's .ci/run exports DATABASE_URL as BURROW_TEST_POSTGRES_URL for the tests.
#
# Idempotent: a running cluster recorded in DIR is reused; a stopped one is
# started again with its data; otherwise DIR is made from scratch.
#
# Environment (all optional):
#   PG_CI_PORT=55432   port on 127.0.0.1 (also a Unix socket in DIR/sock)
#   PG_CI_DB=ci  PG_CI_USER=ci  PG_CI_PASSWORD=...   (password random when unset)
#   PG_CI_VERSION=15
#   PG_CI_DURABLE=0    1 keeps fsync/synchronous_commit/full_page_writes on
#   PG_CI_SSL=1        TLS on, with a self-signed certificate for 127.0.0.1
#                      (DATA/server.crt); 0 for plain TCP only
#                      (default off: faster, data lost if the machine crashes)
#   PG_CI_INSTALL=1    apt-get install postgresql-$PG_CI_VERSION if missing
#   PG_CI_TIMEOUT=60
set -euo pipefail

DIR=${1:-${PG_CI_DIR:-/tmp/pg-ci}}
[[ $DIR == /* ]] || DIR=$PWD/$DIR
PORT=${PG_CI_PORT:-55432}
DB=${PG_CI_DB:-ci}
DBUSER=${PG_CI_USER:-ci}
VER=${PG_CI_VERSION:-15}
TIMEOUT=${PG_CI_TIMEOUT:-60}
BIN=/usr/lib/postgresql/$VER/bin
MARK=.postgres-up
DATA=$DIR/data
SOCK=$DIR/sock

T0=$(date +%s%N)
log() { printf '[postgres-up %6.2fs] %s\n' "$(( ($(date +%s%N) - T0) / 10000000 ))e-2" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- packages
if [[ ! -x $BIN/initdb || ! -x $BIN/psql ]]; then
  [[ ${PG_CI_INSTALL:-1} == 1 ]] || die "PostgreSQL $VER is not installed"
  [[ $(id -u) == 0 ]] || die "PostgreSQL $VER is not installed and not root"
  log "installing postgresql-$VER with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  # no service may start during the install (the package would start its own
  # 'main' cluster on 5432 where invoke-rc.d is allowed to)
  own_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  # skip man-db's index rebuild during the install; the flag is put back after
  mandb_flag=0
  if [[ -e /var/lib/man-db/auto-update ]]; then rm -f /var/lib/man-db/auto-update; mandb_flag=1; fi
  ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || apt-get update -qq >&2
  rc=0
  apt-get install -y -qq --no-install-recommends "postgresql-$VER" >/dev/null \
    || { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "postgresql-$VER" >/dev/null; } || rc=$?
  ((own_policy)) && rm -f /usr/sbin/policy-rc.d
  ((mandb_flag)) && touch /var/lib/man-db/auto-update
  ((rc == 0)) || die "apt-get install postgresql-$VER failed"
  log "installed"
fi

# ---------------------------------------------------------------- helpers
# as root run the server tools as 'postgres' (initdb refuses root)
if [[ $(id -u) == 0 ]]; then
  id postgres >/dev/null 2>&1 || die "user postgres missing (install postgresql-common)"
  OWNER=postgres
  as_owner() { runuser -u postgres -- "$@"; }
else
  OWNER=$(id -un)
  as_owner() { "$@"; }
fi
ours() {  # ours PID: a postgres process whose command line names DATA
  [[ $1 =~ ^[0-9]+$ && -r /proc/$1/cmdline ]] || return 1
  tr '\0' ' ' </proc/"$1"/cmdline 2>/dev/null | grep -qF -- "$DATA"
}
running() { local p; p=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null) && ours "$p"; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# connects over TCP as the printed variables say; the password goes in the environment, not
# on a command line where ps would show it
url_ok() {
  PGCONNECT_TIMEOUT=3 PGPASSWORD=$PGPASSWORD "$BIN/psql" -X -qAt -h "$PGHOST" -p "$PGPORT" \
    -U "$PGUSER" -d "$PGDATABASE" -c 'select 1' 2>/dev/null | grep -qx 1
}
start_pg() {
  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DIR/postgres.log" -w -t "$TIMEOUT" start >/dev/null \
    || die "pg_ctl start failed: $(tail -n 5 "$DIR/postgres.log")"
  head -n 1 "$DATA/postmaster.pid" >"$DIR/postgres.pid"
}
redact() { printf %s "$1" | sed -E 's#^([a-z]+://[^:/@]*:)[^@]*@#\1***@#'; }
finish() {
  # shellcheck disable=SC1091
  . "$DIR/env"
  url_ok || die "cannot connect with $(redact "$DATABASE_URL")"
  log "$1: $(redact "$DATABASE_URL") (pid $(cat "$DIR/postgres.pid"))"
  cat "$DIR/env"
  exit 0
}
randstr() { { LC_ALL=C tr -dc "$1" </dev/urandom || true; } | head -c "$2"; }
PARAMS="v=$VER port=$PORT db=$DB user=$DBUSER pw=${PG_CI_PASSWORD:+given} durable=${PG_CI_DURABLE:-0} ssl=${PG_CI_SSL:-1}"

# ---------------------------------------------------------------- reuse / restart
if [[ -f $DIR/$MARK && -f $DIR/env && -f $DATA/PG_VERSION && $(cat "$DIR/params" 2>/dev/null) == "$PARAMS" ]]; then
  if running; then
    head -n 1 "$DATA/postmaster.pid" >"$DIR/postgres.pid"
    finish "already running"
  fi
  if port_busy "$PORT"; then die "port 127.0.0.1:$PORT is already in use"; fi
  # stale lock files after a crash: the postmaster they name is not running
  rm -f "$DATA/postmaster.pid" "$SOCK/.s.PGSQL.$PORT" "$SOCK/.s.PGSQL.$PORT.lock"
  start_pg
  finish "restarted"
fi

# ---------------------------------------------------------------- fresh cluster
if [[ -e $DIR ]]; then
  if [[ -f $DIR/$MARK ]]; then
    "$(dirname "$0")/postgres-down.sh" "$DIR" 2>/dev/null || true
    rm -rf "$DIR"
  elif [[ -n $(ls -A "$DIR") ]]; then
    die "$DIR exists, is not empty and was not made by this script"
  fi
fi
if port_busy "$PORT"; then die "port 127.0.0.1:$PORT is already in use"; fi
mkdir -p "$DIR" "$SOCK"
touch "$DIR/$MARK"
chown "$OWNER" "$DIR" "$SOCK"
chmod 700 "$DIR"
PASS=${PG_CI_PASSWORD:-$(randstr 'A-Za-z0-9' 24)}

as_owner "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --no-locale --no-sync \
  --auth-local=trust --auth-host=scram-sha-256 >"$DIR/initdb.log" 2>&1 \
  || die "initdb failed: $(tail -n 5 "$DIR/initdb.log")"
log "initdb done"
if [[ ${PG_CI_SSL:-1} == 1 ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$DATA/server.key" -out "$DATA/server.crt" >"$DIR/openssl.log" 2>&1 \
    || die "openssl could not make the TLS certificate: $(tail -n 5 "$DIR/openssl.log")"
  chown "$OWNER" "$DATA/server.key" "$DATA/server.crt"
  chmod 600 "$DATA/server.key"
fi
{
  echo "listen_addresses = '127.0.0.1'"
  echo "port = $PORT"
  echo "unix_socket_directories = '$SOCK'"
  echo "max_connections = 200"
  [[ ${PG_CI_SSL:-1} == 1 ]] && echo "ssl = on"
  if [[ ${PG_CI_DURABLE:-0} != 1 ]]; then
    echo "fsync = off"
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
  fi
} >>"$DATA/postgresql.conf"
start_pg
log "server started (pid $(cat "$DIR/postgres.pid"))"

sql_pass=${PASS//\'/\'\'}
"$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres -d postgres >/dev/null <<EOF
CREATE ROLE "$DBUSER" LOGIN CREATEDB PASSWORD '$sql_pass';
CREATE DATABASE "$DB" OWNER "$DBUSER";
EOF

enc_pass=$PASS
[[ $PASS =~ ^[A-Za-z0-9._~-]+$ ]] || enc_pass=$(printf %s "$PASS" | od -An -tx1 -v | tr -d ' \n' | sed 's/../%&/g')
# values are shell-quoted only where needed (%q), so the file can be sourced
(umask 077; printf '%s=%q\n' DATABASE_URL "postgresql://$DBUSER:$enc_pass@127.0.0.1:$PORT/$DB" \
  PGHOST 127.0.0.1 PGPORT "$PORT" PGUSER "$DBUSER" PGPASSWORD "$PASS" PGDATABASE "$DB" \
  PG_CI_DIR "$DIR" >"$DIR/env")
printf '%s\n' "$PARAMS" >"$DIR/params"
finish "ready"
