#!/usr/bin/env bash
# ceph-rgw-up.sh - start a throwaway single-node Ceph Pacific cluster with the
# RADOS Gateway (S3 API) as plain background processes: no systemd, no Docker.
#
#   1 monitor (ceph-mon), 1 OSD (ceph-osd), 1 radosgw, no manager (S3 does not need one).
#   Everything lives under DIR; only 127.0.0.1 is used.
#
# Usage:  ceph-rgw-up.sh [DIR]           DIR defaults to $CEPH_RGW_DIR or /tmp/ceph-rgw
#         eval "$(ceph-rgw-up.sh DIR)"   puts the printed variables in the shell
#         ceph-rgw-down.sh [--purge] [DIR]
#
# stdout: only KEY=VALUE lines (also kept in DIR/env):
#   S3_ENDPOINT S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY S3_REGION S3_FORCE_PATH_STYLE
#   AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION CEPH_CONF CEPH_RGW_DIR
# stderr: progress with timings.  Exit 0 only once S3 answers an authenticated
# request made with the printed keys.  Clients must use path-style addressing.
#
# Idempotent: if the cluster recorded in DIR (same settings) is running and
# answering, the same lines are printed again and nothing is started.  If it was
# stopped (ceph-rgw-down.sh without --purge) and is bluestore, it is restarted
# with its data and keys.  Otherwise whatever this script recorded in DIR is
# stopped (by recorded PID) and DIR is rebuilt from scratch.
#
# Environment (all optional):
#   RGW_PORT=17480            S3 port on 127.0.0.1
#   MON_PORT=13300            monitor port on 127.0.0.1 (msgr v2 only; the OSD takes
#                             free ports in 6800-7300 on 127.0.0.1)
#   CEPH_OBJECTSTORE=bluestore  bluestore: sparse file DIR/osd.0/block (disk use = data + ~270 MB)
#                             memstore: objects kept in the OSD's RAM (fastest, nothing on disk)
#   CEPH_STORE_GB             size of the store: 20 (bluestore, sparse) / 4 (memstore RAM cap)
#                             writes block (not fail) once the store is ~95% full
#   CEPH_OSD_MEMORY_MB=1024   bluestore osd_memory_target
#   S3_USER=ci                user created with radosgw-admin
#   CEPH_RGW_ACCESS_KEY=... CEPH_RGW_SECRET_KEY=...   fixed keys (random when unset; the
#                             printed S3_*/AWS_* variables are never read back as input)
#   S3_BUCKETS="a b"          buckets to create before returning
#   CEPH_RGW_INSTALL=1        apt-get install missing packages (0: fail instead)
#   CEPH_RGW_TIMEOUT=120      seconds to wait for S3
#   CEPH_RGW_EXTRA_CONF=...   extra lines appended to ceph.conf ([client.rgw.a] section)
set -euo pipefail

DIR=${1:-${CEPH_RGW_DIR:-/tmp/ceph-rgw}}
[[ $DIR == /* ]] || DIR=$PWD/$DIR
RGW_PORT=${RGW_PORT:-17480}
MON_PORT=${MON_PORT:-13300}
STORE=${CEPH_OBJECTSTORE:-bluestore}
TIMEOUT=${CEPH_RGW_TIMEOUT:-120}
S3_USER=${S3_USER:-ci}
REGION=us-east-1
MARK=.ceph-rgw-up
CONF=$DIR/ceph.conf
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

T0=$(date +%s%N)
log() { printf '[ceph-rgw-up %6.2fs] %s\n' "$(( ($(date +%s%N) - T0) / 10000000 ))e-2" "$*" >&2; }
STARTED=0   # set once daemons run: a failure then stops them (DIR and its logs stay)
die() { log "ERROR: $*"; ((STARTED == 0)) || stop_recorded; exit 1; }

case $STORE in
  bluestore) STORE_GB=${CEPH_STORE_GB:-20} ;;
  memstore)  STORE_GB=${CEPH_STORE_GB:-4} ;;
  *) die "CEPH_OBJECTSTORE must be bluestore or memstore" ;;
esac
PARAMS="store=$STORE gb=$STORE_GB mon=$MON_PORT rgw=$RGW_PORT user=$S3_USER mem=${CEPH_OSD_MEMORY_MB:-1024} keys=${CEPH_RGW_ACCESS_KEY:-random}/${CEPH_RGW_SECRET_KEY:+given} extra=$(printf %s "${CEPH_RGW_EXTRA_CONF:-}" | cksum)"

# ---------------------------------------------------------------- packages
need=()
for c in ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw radosgw-admin:radosgw \
         ceph:ceph-common ceph-authtool:ceph-common monmaptool:ceph-common curl:curl setsid:util-linux; do
  command -v "${c%%:*}" >/dev/null || need+=("${c#*:}")
done
if ((${#need[@]})); then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  [[ ${CEPH_RGW_INSTALL:-1} == 1 ]] || die "missing packages: ${need[*]}"
  [[ $(id -u) == 0 ]] || die "missing packages ${need[*]} and not root"
  log "installing ${need[*]} with apt-get (--no-install-recommends)"
  export DEBIAN_FRONTEND=noninteractive
  # skip man-db's index rebuild during the install (~7 s); the flag is put back after
  mandb_flag=0
  if [[ -e /var/lib/man-db/auto-update ]]; then rm -f /var/lib/man-db/auto-update; mandb_flag=1; fi
  ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || apt-get update -qq >&2
  rc=0
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; } || rc=$?
  ((mandb_flag)) && touch /var/lib/man-db/auto-update
  ((rc == 0)) || die "apt-get install ${need[*]} failed"
  log "packages installed"
fi

# ---------------------------------------------------------------- helpers
ours() {  # ours PID: PID runs a command whose command line names DIR/ceph.conf
  [[ $1 =~ ^[0-9]+$ && -r /proc/$1/cmdline ]] || return 1
  tr '\0' ' ' </proc/"$1"/cmdline 2>/dev/null | grep -qF -- "$CONF"
}
alive() { local p; p=$(cat "$DIR/pids/$1.pid" 2>/dev/null) && ours "$p"; }
stop_recorded() {  # TERM (then KILL after 5 s) the recorded daemons: rgw, osd, mon
  local n p i
  for n in rgw osd mon; do
    p=$(cat "$DIR/pids/$n.pid" 2>/dev/null) || continue
    if ours "$p"; then
      kill -TERM "$p" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do ours "$p" || break; sleep 0.1; done
      if ours "$p"; then kill -KILL "$p" 2>/dev/null || true; sleep 0.1; fi
    fi
    rm -f "$DIR/pids/$n.pid"
  done
}
s3_code() {  # s3_code METHOD PATH ACCESS SECRET -> HTTP status of a SigV4-signed request
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X "$1" \
    --aws-sigv4 "aws:amz:$REGION:s3" --user "$3:$4" -H "x-amz-content-sha256: $EMPTY_SHA" \
    "http://127.0.0.1:$RGW_PORT$2" 2>/dev/null || true
}
s3_ok() { [[ $(s3_code GET / "$1" "$2") == 200 ]]; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_daemon() {  # start_daemon NAME CMD...  (in the foreground of its own session)
  local name=$1; shift
  setsid "$@" -f </dev/null >>"$DIR/log/$name.out" 2>&1 &
  echo $! >"$DIR/pids/$name.pid"
}
start_all() {  # monitor, OSD and radosgw; radosgw waits for the OSD by itself
  start_daemon mon ceph-mon -c "$CONF" -i a
  start_daemon osd ceph-osd -c "$CONF" -i 0
  start_daemon rgw radosgw -c "$CONF" -n client.rgw.a
}
declare -A DLOG=([mon]=mon.a.log [osd]=osd.0.log [rgw]=client.rgw.a.log)
wait_until() {  # wait_until DEADLINE WHAT CMD...: poll CMD every 0.1 s, fail if a daemon died
  local deadline=$1 what=$2 d; shift 2
  until "$@"; do
    for d in mon osd rgw; do
      alive "$d" || { log "$d died: $(tail -n 5 "$DIR/log/$d.out" "$DIR/log/${DLOG[$d]}" 2>&1)"; return 1; }
    done
    (( $(date +%s) < deadline )) || { log "timed out waiting for $what (logs in $DIR/log)"; return 1; }
    sleep 0.1
  done
}
# shellcheck disable=SC2317  # called through wait_until
anon_ok() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$RGW_PORT/" 2>/dev/null) == 200 ]]; }
randstr() { { LC_ALL=C tr -dc "$1" </dev/urandom || true; } | head -c "$2"; }
finish() {
  local b
  # shellcheck disable=SC1091
  . "$DIR/env"
  for b in ${S3_BUCKETS:-}; do   # radosgw answers 200 when the bucket is already ours
    [[ $(s3_code PUT "/$b" "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY") == 200 ]] || die "cannot create bucket $b"
  done
  log "$1: S3 at $S3_ENDPOINT (user $S3_USER, $STORE)"
  cat "$DIR/env"
  exit 0
}

# ---------------------------------------------------------------- reuse / restart
if [[ -f $DIR/$MARK && -f $DIR/env && $(cat "$DIR/params" 2>/dev/null) == "$PARAMS" ]]; then
  # shellcheck disable=SC1091
  if alive mon && alive osd && alive rgw && (. "$DIR/env"; s3_ok "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY"); then
    finish "already running in $DIR"
  fi
  if [[ $STORE == bluestore && -f $DIR/osd.0/mkfs_done ]]; then
    log "restarting the stopped cluster in $DIR"
    stop_recorded
    if ! port_busy "$MON_PORT" && ! port_busy "$RGW_PORT"; then
      start_all
      STARTED=1
      # shellcheck disable=SC1091
      . "$DIR/env"
      if wait_until $(( $(date +%s) + 30 )) "S3 after restart" s3_ok "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY"; then
        finish "restarted"
      fi
      stop_recorded
      STARTED=0
    fi
    log "restart failed: rebuilding from scratch"
  fi
fi

# ---------------------------------------------------------------- fresh cluster
if [[ -e $DIR ]]; then
  if [[ -f $DIR/$MARK ]]; then
    stop_recorded
    rm -rf "$DIR"
  elif [[ -n $(ls -A "$DIR") ]]; then
    die "$DIR exists, is not empty and was not made by this script"
  fi
fi
for p in "$MON_PORT" "$RGW_PORT"; do
  if port_busy "$p"; then die "port 127.0.0.1:$p is already in use"; fi
done

mkdir -p "$DIR"/{pids,run,log,crash,mon.a,osd.0,rgw}
touch "$DIR/$MARK"
FSID=$(cat /proc/sys/kernel/random/uuid)
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
ACCESS=${CEPH_RGW_ACCESS_KEY:-$(randstr 'A-Z0-9' 20)}
SECRET=${CEPH_RGW_SECRET_KEY:-$(randstr 'A-Za-z0-9' 40)}

if [[ $STORE == memstore ]]; then
  store_conf="memstore device bytes = $((STORE_GB << 30))"
else
  store_conf="bluestore block create = true
bluestore block size = $((STORE_GB << 30))
bluestore fsck on mount = false
bluestore fsck on mkfs = false
osd memory target = $(( ${CEPH_OSD_MEMORY_MB:-1024} << 20 ))
# default 250 ms: every close of the block file waits that long
bdev aio poll ms = 10
osd op num shards = 2"
fi

cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
pid file =
crash dir = $DIR/crash
mon data = $DIR/mon.\$id
osd data = $DIR/osd.\$id
# one OSD: one copy, few PGs, no autoscaler (there is no mgr)
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
osd crush initial weight = 1
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
mon mgr mkfs grace = 31536000
# commit monitor changes (pool creation, OSD boot) at once instead of once a second
paxos propose interval = 0.01
paxos min wait = 0.001
osd objectstore = $STORE
$store_conf

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $DIR/rgw
rgw thread pool size = 128
rgw gc obj min wait = 60
rgw gc processor period = 60
# re-check the OSD map every 0.5 s (default 5 s): radosgw may start before the OSD is up
objecter tick interval = 0.5
${CEPH_RGW_EXTRA_CONF:-}
EOF

# ---------------------------------------------------------------- keys, monitor, OSD, radosgw
KR=$DIR/keyring
ceph-authtool --create-keyring "$KR" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$KR" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
ceph-authtool "$KR" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
ceph-authtool "$KR" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap mgr 'allow rw' --cap osd 'allow rwx' >/dev/null
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$KR" >>"$DIR/log/mon.out" 2>&1 \
  || die "ceph-mon --mkfs failed: $(tail -n 5 "$DIR/log/mon.out")"
start_daemon mon ceph-mon -c "$CONF" -i a
STARTED=1
log "monitor started (pid $(cat "$DIR/pids/mon.pid"))"

# the OSD store is made while the monitor starts (the fsid comes from ceph.conf)
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" --no-mon-config >>"$DIR/log/osd.out" 2>&1 &
mkfs_pid=$!
# register osd.0 in the OSD map (repeatable); this also waits for the monitor to answer
deadline=$(( $(date +%s) + TIMEOUT ))
until ceph -c "$CONF" --connect-timeout 10 osd new "$OSD_UUID" 0 >/dev/null 2>>"$DIR/log/ceph-cli.out"; do
  alive mon || die "monitor died: $(tail -n 5 "$DIR/log/mon.out" "$DIR/log/mon.a.log" 2>&1)"
  (( $(date +%s) < deadline )) || die "monitor did not answer: $(tail -n 5 "$DIR/log/ceph-cli.out")"
  sleep 0.2
done
wait "$mkfs_pid" || die "ceph-osd --mkfs ($STORE) failed: $(tail -n 5 "$DIR/log/osd.out")"
log "monitor up, osd.0 registered and made ($STORE)"
start_daemon osd ceph-osd -c "$CONF" -i 0
start_daemon rgw radosgw -c "$CONF" -n client.rgw.a
log "osd (pid $(cat "$DIR/pids/osd.pid")) and radosgw (pid $(cat "$DIR/pids/rgw.pid")) started"

deadline=$(( $(date +%s) + TIMEOUT ))
wait_until "$deadline" "radosgw answering" anon_ok || die "radosgw did not come up"
log "radosgw answering on 127.0.0.1:$RGW_PORT"
radosgw-admin -c "$CONF" user create --uid="$S3_USER" --display-name="$S3_USER" \
  --access-key="$ACCESS" --secret-key="$SECRET" >"$DIR/log/user-create.json" 2>>"$DIR/log/radosgw-admin.out" \
  || die "radosgw-admin user create failed: $(tail -n 5 "$DIR/log/radosgw-admin.out")"
wait_until "$deadline" "S3 accepting the keys" s3_ok "$ACCESS" "$SECRET" || die "S3 does not accept the keys"

# values are shell-quoted only where needed (%q), so the file can be sourced
printf '%s=%q\n' S3_ENDPOINT "http://127.0.0.1:$RGW_PORT" S3_ACCESS_KEY_ID "$ACCESS" \
  S3_SECRET_ACCESS_KEY "$SECRET" S3_REGION "$REGION" S3_FORCE_PATH_STYLE true \
  AWS_ACCESS_KEY_ID "$ACCESS" AWS_SECRET_ACCESS_KEY "$SECRET" AWS_REGION "$REGION" \
  CEPH_CONF "$CONF" CEPH_RGW_DIR "$DIR" >"$DIR/env"
cat >"$DIR/s3cfg" <<EOF
[default]
access_key = $ACCESS
secret_key = $SECRET
host_base = 127.0.0.1:$RGW_PORT
host_bucket = 127.0.0.1:$RGW_PORT
use_https = False
EOF
printf '%s\n' "$PARAMS" >"$DIR/params"
finish "healthy"
