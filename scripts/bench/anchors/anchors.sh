#!/usr/bin/env bash
# Time burrow against the reference backup tools on this machine, on the datasets made by datasets.sh.
#
#   scripts/bench/anchors/anchors.sh [--reps N] [--tools LIST] [--settle SECONDS] [--keep]
#
#   --tools  comma list of: burrow (run as $BURROW, default "deno run -A REPO/main.ts"),
#            restic-rest (restic -> rclone serve restic, TLS + htpasswd, 127.0.0.1),
#            restic-local (restic, local repository), borg-local (BorgBackup, local repository)
#            default: burrow,restic-rest
#   --reps   repetitions; every figure is the median (default $REPS or 3)
#   --settle seconds to wait first, so that inodes freed before the run (by an earlier run's
#            cleanup, say) no longer slow file creation (see set_aside; default 300)
#   --keep   keep the scratch folder (repositories, logs) for inspection
#
# Each repetition, for each tool: a fresh repository; `init`; `backup-full` of mixed; the staged
# tree is then turned into mixed-v2 in place (rsync, so unchanged files keep inode and ctime, as on
# a real disk); `backup-incr`; `backup-nochange` (same tree again); `restore` of the latest snapshot,
# checked against mixed-v2 (untimed). Then a fresh repository for the real dataset: `real-v1`
# (typescript 5.4.5) and `real-v2` (5.5.4 on top, same path) to measure cross-version dedup.
# All tools back up the same absolute path, so incremental change detection works as for a user.
# The tools take turns going first: the order of --tools in odd repetitions, reversed in even ones.
# Every timed step starts after an untimed `sync`, so no step pays for writing back an earlier
# one's data. The page cache is not dropped. A tool whose server does not fsync (restic-rest:
# `rclone serve restic`) gets a second, durable figure: after each step that writes its
# repository, a `sync -f` of the repository's file system, timed apart (`sync_s`).
#
# Output: a Markdown table on stdout, results/anchors.json (medians + samples), results/anchors.md,
# results/anchors.raw.jsonl (one line per timed step), logs in the scratch folder. Exits 1 when a
# step failed or a restore did not verify (after writing the results, where FAILED marks it).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
trap 'log "anchors.sh: line $LINENO failed (exit $?)"' ERR

KEEP=0
SETTLE=300
TOOLS=burrow,restic-rest
while (($#)); do
  case $1 in
    --reps) REPS=$2; shift ;;
    --tools) TOOLS=$2; shift ;;
    --keep) KEEP=1 ;;
    --settle) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--settle needs a number of seconds"; SETTLE=$2; shift ;;
    -h | --help) sed -n '2,29p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
  shift
done
IFS=, read -ra TOOL_LIST <<<"$TOOLS"

APT=(rsync time openssl)
[[ ,$TOOLS, == *,restic-* ]] && APT+=(restic)
[[ ,$TOOLS, == *,restic-rest,* ]] && APT+=(rclone apache2-utils)
[[ ,$TOOLS, == *,borg-local,* ]] && APT+=(borgbackup)
need_apt "${APT[@]}"
need_datasets
DATA=$BENCH_DATA
mkdir -p "$RESULTS_DIR"
SCRATCH=$(mktemp -d /tmp/burrow-bench-anchors.XXXXXX)
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ $KEEP == 1 ]]; then log "kept $SCRATCH"; else rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make_certs "$SCRATCH/tls"
CA="$SCRATCH/tls/ca.pem"
PASSWORD=$(openssl rand -hex 16)
export RESTIC_PASSWORD=$PASSWORD BORG_PASSPHRASE=$PASSWORD
STAGE="$SCRATCH/stage"           # the fixed path every tool backs up: $STAGE/src
RAW="$RESULTS_DIR/anchors.raw.jsonl"
FAILURES=0
: >"$RAW"
mkdir -p "$SCRATCH/logs" "$SCRATCH/trash"

# Trees are set aside during the run and deleted at its end. This machine's ext4 has no journal,
# and then the kernel avoids reusing inodes freed in the last 60 s (300 s while their inode table
# block is dirty, as it is again as soon as new files land beside them): every file created scans
# past each of them (perf: recently_deleted() under __ext4_new_inode). Extracting the mixed tree
# took 2–3 s of system time on a settled disk and 10–22 s right after a 20,000-file `rm -rf`, so a
# restore timed after the previous step's deletion measured the deletion history more than the
# tool. For the same reason the run starts by waiting $SETTLE s.
TRASHED=0
set_aside() { # PATH... : move out of the way now (a rename), deleted with the scratch folder
  local path
  for path; do
    if [[ -e $path ]]; then TRASHED=$((TRASHED + 1)); mv "$path" "$SCRATCH/trash/$TRASHED"; fi
  done
}
settle_disk() { # let inodes freed before the run (an earlier run, the tests) age out first
  sync
  log "waiting $SETTLE s for inodes freed before this run to age (see set_aside)"
  sleep "$SETTLE"
}

# ---------------------------------------------------------------- adapters
# Each tool X provides: X_setup NAME REP (fresh repository, server started if any; sets REPO_DIR,
# the folder whose size is "stored"), X_init / X_backup SRC / X_restore DEST (set the CMD array
# that is timed; an empty CMD skips the step), X_restored_root DEST STAGED_PATH, X_teardown, and
# X_durability: one line saying whether what the step wrote is on disk when it returns. A tool
# listed in FLUSH_AFTER is not: each of its writing steps is followed by a timed `sync -f`.

start_server() { # LOGFILE CMD... : start CMD in the background, remember its PID
  local logf=$1; shift
  "$@" >"$logf" 2>&1 &
  SERVER_PID=$!
}
stop_server() {
  [[ -n $SERVER_PID ]] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
wait_log() { # LOGFILE REGEX SECONDS : wait for a line in a server's log, print the match
  local deadline=$((SECONDS + $3))
  until grep -Eo "$2" "$1" 2>/dev/null | head -1 | grep .; do
    if ((SECONDS >= deadline)) || ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$1" >&2; die "server did not start"; fi
    sleep 0.1
  done
}

# restic (shared by restic-rest and restic-local)
RESTIC_REPO=""
restic_cmd() { CMD=(restic -r "$RESTIC_REPO" "${RESTIC_EXTRA[@]}" "$@"); }
restic_init() { restic_cmd init; }
restic_backup() { restic_cmd backup --host bench "$1"; }
restic_restore() { restic_cmd restore latest --host bench --target "$1"; }

restic-rest_setup() {
  REPO_DIR="$SCRATCH/repos/restic-rest-$1-$2"
  mkdir -p "$REPO_DIR"
  htpasswd -B -b -c "$SCRATCH/htpasswd" bench "$PASSWORD" 2>/dev/null
  local logf="$SCRATCH/logs/rclone-$1-$2.log"
  RCLONE_CONFIG="$SCRATCH/rclone.conf" start_server "$logf" rclone serve restic --addr 127.0.0.1:0 \
    --cert "$SCRATCH/tls/server.pem" --key "$SCRATCH/tls/server.key" --htpasswd "$SCRATCH/htpasswd" "$REPO_DIR"
  local url
  url=$(wait_log "$logf" 'https://127\.0\.0\.1:[0-9]+/' 20)
  RESTIC_REPO="rest:https://bench:$PASSWORD@${url#https://}repo/"
  RESTIC_EXTRA=(--cacert "$CA")
  export RESTIC_CACHE_DIR="$SCRATCH/cache/restic-rest-$1-$2"
}
restic-rest_init() { restic_init; }
restic-rest_backup() { restic_backup "$@"; }
restic-rest_restore() { restic_restore "$@"; }
restic-rest_restored_root() { echo "$1$2"; }
restic-rest_teardown() { stop_server; }
restic-rest_durability() { echo "rclone serve restic writes without fsync (strace: no fsync or fdatasync); durable figure: + sync -f of the repository's file system"; }

restic-local_setup() {
  REPO_DIR="$SCRATCH/repos/restic-local-$1-$2"
  RESTIC_REPO=$REPO_DIR
  RESTIC_EXTRA=()
  export RESTIC_CACHE_DIR="$SCRATCH/cache/restic-local-$1-$2"
}
restic-local_init() { restic_init; }
restic-local_backup() { restic_backup "$@"; }
restic-local_restore() { restic_restore "$@"; }
restic-local_restored_root() { echo "$1$2"; }
restic-local_teardown() { :; }
restic-local_durability() { echo "restic's local backend (not checked by this run)"; }

# BorgBackup: repokey = AES-256-CTR + HMAC-SHA256 (this CPU has SHA-NI), default lz4 compression.
BORG_N=0
borg-local_setup() {
  REPO_DIR="$SCRATCH/repos/borg-local-$1-$2"
  export BORG_BASE_DIR="$SCRATCH/cache/borg-$1-$2"
  BORG_N=0
}
borg-local_init() { CMD=(borg init --encryption=repokey "$REPO_DIR"); }
borg-local_backup() { BORG_N=$((BORG_N + 1)); CMD=(borg create "$REPO_DIR::snap-$BORG_N" "$1"); }
borg-local_restore() { CMD=(env -C "$1" borg extract "$REPO_DIR::snap-$BORG_N"); }
borg-local_restored_root() { echo "$1$2"; }
borg-local_teardown() { :; }
borg-local_durability() { echo "BorgBackup's own (not checked by this run)"; }

# burrow_commit: the commit of this checkout that runs, "+changes" where files differ from it.
burrow_commit() {
  local commit
  commit=$(git -C "$REPO_ROOT" rev-parse --short=12 HEAD 2>/dev/null) || { echo unknown; return; }
  [[ -z $(git -C "$REPO_ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]] || commit+="+changes"
  echo "$commit"
}

# burrow, driven by its command line (README.md). BURROW is the command that runs it
# (split on spaces), by default this checkout's main.ts under `deno run -A` with the V8 flags
# deno.json's install task gives burrow.
BURROW_CMD=()
if [[ -n ${BURROW:-} ]]; then
  read -ra BURROW_CMD <<<"$BURROW"
elif [[ ,$TOOLS, == *,burrow,* ]]; then
  v8_flags=$(grep -o -- '--v8-flags=[^ "]*' "$REPO_ROOT/deno.json" | head -1)
  BURROW_CMD=("$(deno_bin)" run -A ${v8_flags:+"$v8_flags"} "$REPO_ROOT/main.ts")
fi
BURROW_CLIENT=()
burrow_setup() {
  REPO_DIR="$SCRATCH/repos/burrow-$1-$2"
  mkdir -p "$REPO_DIR"
  local logf="$SCRATCH/logs/burrow-serve-$1-$2.log"
  start_server "$logf" "${BURROW_CMD[@]}" serve --listen 127.0.0.1:0 --data "$REPO_DIR" \
    --cert "$SCRATCH/tls/server.pem" --key "$SCRATCH/tls/server.key"
  local addr
  addr=$(wait_log "$logf" 'listening on [0-9.]+:[0-9]+' 60)
  BURROW_CLIENT=(--server "${addr#listening on }" --ca "$CA" --user bench)
  export BURROW_PASSWORD=$PASSWORD
}
burrow_init() { CMD=("${BURROW_CMD[@]}" useradd bench --data "$REPO_DIR"); } # BURROW_PASSWORD is set
burrow_backup() { CMD=("${BURROW_CMD[@]}" push "$1" --name bench "${BURROW_CLIENT[@]}"); }
burrow_restore() { CMD=("${BURROW_CMD[@]}" pull "$1" --name bench "${BURROW_CLIENT[@]}"); }
burrow_restored_root() { if [[ -d $1$2 ]]; then echo "$1$2"; elif [[ -d $1/${2##*/} ]]; then echo "$1/${2##*/}"; else echo "$1"; fi; }
burrow_teardown() { stop_server; }
burrow_durability() { echo "fsyncs every pack, index and snapshot record before commit returns"; }
# Tools whose writing steps are followed by a timed `sync -f` of the repository's file system.
FLUSH_AFTER=,restic-rest,

# ---------------------------------------------------------------- measuring
# step TOOL DATASET STEP REP DATA_BYTES: run the adapter's command for STEP under /usr/bin/time,
# then append one JSON line with wall/CPU/RSS of the client, CPU/RSS of the server, bytes stored,
# and sync_s: the seconds of the `sync -f` that made the step durable (null where none was run).
step() {
  local tool=$1 dataset=$2 name=$3 rep=$4 bytes=$5 s0=0 s1=0 srss=0 out logf rc=0 sync_s=null synced=""
  [[ ${#CMD[@]} -gt 0 ]] || return 0
  logf="$SCRATCH/logs/$tool-$dataset-$name-$rep.log"
  sync # untimed: the step starts with nothing of an earlier step left to write back
  [[ -n $SERVER_PID ]] && s0=$(proc_cpu_s "$SERVER_PID")
  /usr/bin/time -f '%e %U %S %M' -o "$SCRATCH/time.out" "${CMD[@]}" >"$logf" 2>&1 || rc=$?
  if [[ -n $SERVER_PID ]]; then s1=$(proc_cpu_s "$SERVER_PID"); srss=$(proc_hwm_kib "$SERVER_PID"); fi
  read -r wall user sys rss < <(tail -1 "$SCRATCH/time.out")
  if ((rc != 0)); then
    FAILURES=$((FAILURES + 1))
    tail -5 "$logf" >&2
    log "$tool $name rep $rep FAILED (exit $rc); log: $logf"
  elif [[ $FLUSH_AFTER == *,$tool,* && $name != restore ]]; then
    if /usr/bin/time -f '%e' -o "$SCRATCH/sync.out" sync -f "$REPO_DIR"; then
      sync_s=$(tail -1 "$SCRATCH/sync.out")
    else
      FAILURES=$((FAILURES + 1))
      log "$tool $name rep $rep: sync -f $REPO_DIR FAILED"
    fi
  fi
  out=$(printf '{"tool":"%s","dataset":"%s","step":"%s","rep":%s,"exit":%s,"wall_s":%s,"user_s":%s,"sys_s":%s,"max_rss_kib":%s,"server_cpu_s":%s,"server_rss_kib":%s,"stored_bytes":%s,"data_bytes":%s,"sync_s":%s}' \
    "$tool" "$dataset" "$name" "$rep" "$rc" "$wall" "$user" "$sys" "$rss" \
    "$(awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.2f", b - a}')" "${srss:-0}" "$(dir_bytes "$REPO_DIR")" "$bytes" "$sync_s")
  echo "$out" >>"$RAW"
  [[ $sync_s == null ]] || synced=", then sync -f ${sync_s}s"
  log "$tool $dataset $name rep $rep: ${wall}s wall, $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')s cpu, stored $(dir_bytes "$REPO_DIR") B${synced}"
}

# verify DEST_ROOT EXPECTED_DIR DATASET_NAME: content check (diff -r) and metadata check (digest).
verify() {
  local got want ok=true meta=true
  diff -r --no-dereference "$2" "$1" >"$SCRATCH/diff.out" 2>&1 || ok=false
  want=$(sed -n 2p "$DATA/.done-$3" | cut -d' ' -f4)
  got=$(js_run "$BENCH_DIR/lib/gen-mixed.mjs" digest "$1" | cut -d' ' -f4) || got=""
  [[ -n $want && $got == "$want" ]] || meta=false
  [[ $ok == true ]] || { head -5 "$SCRATCH/diff.out" >&2; log "RESTORE MISMATCH ($1 vs $2)"; }
  [[ $ok == true && $meta == true ]] || FAILURES=$((FAILURES + 1))
  printf '{"verify":true,"tool":"%s","rep":%s,"content_ok":%s,"metadata_ok":%s}\n' "$TOOL" "$REP" "$ok" "$meta" >>"$RAW"
  log "$TOOL restore check: content $ok, modes+mtimes $meta"
}

bytes_of() { sed -n 2p "$DATA/.done-${1//\//_}" | cut -d' ' -f2; }

run_mixed() {
  local t=$TOOL r=$REP src="$STAGE/src" dest="$SCRATCH/restore"
  set_aside "$STAGE" "$dest"
  mkdir -p "$STAGE" "$dest"
  cp -a "$DATA/mixed" "$src"
  "${t}_setup" mixed "$r"
  CMD=(); "${t}_init"; step "$t" mixed init "$r" 0
  "${t}_backup" "$src"; step "$t" mixed backup-full "$r" "$(bytes_of mixed)"
  rsync -a --delete "$DATA/mixed-v2/" "$src/"
  "${t}_backup" "$src"; step "$t" mixed backup-incr "$r" "$(bytes_of mixed-v2)"
  "${t}_backup" "$src"; step "$t" mixed backup-nochange "$r" "$(bytes_of mixed-v2)"
  "${t}_restore" "$dest"; step "$t" mixed restore "$r" "$(bytes_of mixed-v2)"
  verify "$("${t}_restored_root" "$dest" "$src")" "$DATA/mixed-v2" mixed-v2
  "${t}_teardown"
  set_aside "$dest"
}

run_real() {
  local t=$TOOL r=$REP src="$STAGE/real"
  set_aside "$STAGE"
  mkdir -p "$STAGE"
  cp -a "$DATA/real/typescript-5.4.5" "$src"
  "${t}_setup" real "$r"
  CMD=(); "${t}_init"; step "$t" real init "$r" 0
  "${t}_backup" "$src"; step "$t" real real-v1 "$r" "$(bytes_of real/typescript-5.4.5)"
  rsync -a --delete "$DATA/real/typescript-5.5.4/" "$src/"
  "${t}_backup" "$src"; step "$t" real real-v2 "$r" "$(bytes_of real/typescript-5.5.4)"
  "${t}_teardown"
}

for t in "${TOOL_LIST[@]}"; do
  declare -F "${t}_setup" >/dev/null || die "unknown tool $t"
done
# word N of the first line of a command's output (awk reads it all: no SIGPIPE under pipefail)
version_of() { "${@:2}" 2>/dev/null | awk -v n="$1" 'NR == 1 {print $n}'; }
VERSIONS="{\"rsync\":\"$(version_of 3 rsync --version)\""
command -v deno >/dev/null && VERSIONS+=",\"deno\":\"$(version_of 2 deno --version)\""
[[ ,$TOOLS, == *,restic-* ]] && VERSIONS+=",\"restic\":\"$(version_of 2 restic version)\""
[[ ,$TOOLS, == *,restic-rest,* ]] && VERSIONS+=",\"rclone\":\"$(version_of 2 rclone version)\""
[[ ,$TOOLS, == *,borg-local,* ]] && VERSIONS+=",\"borg\":\"$(version_of 2 borg --version)\""
[[ ,$TOOLS, == *,burrow,* ]] && VERSIONS+=",\"burrow\":\"$(burrow_commit)\""
VERSIONS+="}"
settle_disk
MACHINE=$(machine_json)
ORDERS=()
for ((REP = 1; REP <= REPS; REP++)); do
  ORDER=("${TOOL_LIST[@]}")
  if ((REP % 2 == 0)); then # even repetitions: the same tools, the other way round
    ORDER=()
    for ((i = ${#TOOL_LIST[@]} - 1; i >= 0; i--)); do ORDER+=("${TOOL_LIST[i]}"); done
  fi
  ORDERS+=("[$(printf '"%s",' "${ORDER[@]}" | sed 's/,$//')]")
  for TOOL in "${ORDER[@]}"; do
    log "=== rep $REP/$REPS: $TOOL"
    run_mixed
    run_real
  done
done
set_aside "$STAGE"
DURABILITY=$(for t in "${TOOL_LIST[@]}"; do printf '"%s":"%s",' "$t" "$("${t}_durability")"; done | sed 's/,$//')
CACHE="not dropped (warm): each tree is copied (cp -a) just before its pushes, a restore reads the repository the pushes just wrote; an untimed sync before every timed step"
printf '{"machine":%s,"versions":%s,"burrow_command":"%s","order":[%s],"durability":{%s},"cache":"%s","data":"%s","scratch":"%s"}\n' \
  "$MACHINE" "$VERSIONS" "${BURROW_CMD[*]}" "$(IFS=,; echo "${ORDERS[*]}")" "$DURABILITY" "$CACHE" "$DATA" "$SCRATCH" >"$SCRATCH/meta.json"
js_run "$BENCH_DIR/lib/summarize.mjs" anchors "$RAW" "$SCRATCH/meta.json" "$RESULTS_DIR/anchors.json" "$RESULTS_DIR/anchors.md"
cat "$RESULTS_DIR/anchors.md"
if ((FAILURES > 0)); then
  log "FAILED: $FAILURES step(s) or restore check(s) failed; see the logs above"
  exit 1
fi
