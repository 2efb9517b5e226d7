#!/usr/bin/env bash
# The burrow-vs-restic benchmark (`deno task bench`): datasets, backup and restore against restic,
# then the extra scripts, then one report (results/bench.md, results/bench.json).
#
#   bash scripts/bench/run.sh [--quick] [--reps N] [--only anchors,login,concurrent,bigfile,million,web,check,lifecycle,restores]
#
#   --reps   repetitions of the backup/restore run; burrow goes first in odd repetitions, restic in
#            even ones; figures are medians (default 3)
#   --quick  1 repetition, a 65 s disk settle instead of 300, and --quick to the extra scripts (smaller inputs)
#   --only   run only these parts; the others are reported as not run
#
#   anchors     anchors/anchors.sh --tools burrow,restic-rest: full, incremental and unchanged push,
#               restore (verified), stored bytes, growth, peak RSS; about 2 min per repetition after the settle;
#               restic's pushes also with a timed `sync -f` after them (rclone serve restic does not fsync)
#   login       login_latency.ts     concurrent  concurrent_push.ts     bigfile  big_file.ts
#   million     million_chunks.ts    (a push into a repository of 1,000,000 chunks; about 1 min)
#   web         web_page.ts          (a 1 GiB download through the web page in headless Chromium;
#               needs Debian's chromium package, installed with apt-get where missing)
#   check       check_read_data.ts   (check --read-data of mixed beside restic's, and scrub; needs
#               the datasets, made by the anchors part)
#   lifecycle   lifecycle.ts         (forget --keep-last 1 --prune after 10 pushes of mixed, beside restic's)
#   restores    partial_restore.ts   (one ~1 MiB file of mixed restored, and ls --recursive, beside restic)
#               (each run as `deno run -A X.ts --out results [--quick]`, writing results/NAME.json)
#
# Environment: BENCH_DATA (datasets, default /tmp/burrow-bench-data), BURROW (the command that runs
# burrow, default `deno run -A main.ts` of this checkout). Needs root for the apt-get installs of
# restic, rclone and friends, npm for Deno (installed with npm where missing) and the datasets,
# ~2.2 GiB for the datasets and ~3 GiB of scratch in /tmp.
# Progress and each part's own tables go to stderr; stdout holds only the final report.
# Exits 1 when a part failed: a step, a restore check, a script, or the report itself. Targets that
# are not met are reported, not failures.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BENCH=scripts/bench
RESULTS=$BENCH/results
DENO_VERSION=2.9.6

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bad_usage() {
  printf 'error: %s\nusage: bash scripts/bench/run.sh [--quick] [--reps N] [--only %s]\n' \
    "$1" anchors,login,concurrent,bigfile,million,web,check,lifecycle,restores >&2
  exit 2
}

REPS="" QUICK=0 ONLY=anchors,login,concurrent,bigfile,million,web,check,lifecycle,restores
while (($#)); do
  case $1 in
    --quick) QUICK=1 ;;
    --reps) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || bad_usage "--reps needs a positive number"; REPS=$2; shift ;;
    --only) [[ -n ${2:-} ]] || bad_usage "--only needs a list"; ONLY=$2; shift ;;
    -h | --help) sed -n '2,31p' "$0"; exit 0 ;;
    *) bad_usage "unknown argument $1" ;;
  esac
  shift
done
[[ -n $REPS ]] || if ((QUICK)); then REPS=1; else REPS=3; fi
for part in ${ONLY//,/ }; do
  [[ $part =~ ^(anchors|login|concurrent|bigfile|million|web|check|lifecycle|restores)$ ]] || bad_usage "unknown part $part"
done
selected() { [[ ,$ONLY, == *,$1,* ]]; }

if ! command -v deno >/dev/null 2>&1; then
  log "installing deno@$DENO_VERSION with npm"
  npm install -g --silent --no-audit --no-fund "deno@$DENO_VERSION" >&2 || {
    echo "error: cannot install deno@$DENO_VERSION with npm" >&2
    exit 1
  }
  PATH="$(npm prefix -g)/bin:$PATH"
  export PATH
fi
log "$(deno --version | awk 'NR == 1'); $REPS repetition(s); parts: $ONLY"
mkdir -p "$RESULTS"
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
STATUS=()

# Load burrow's dependencies once, so that no timed command downloads anything.
deno cache main.ts >&2 || { log "deno cache main.ts failed"; exit 1; }

if selected anchors; then
  rm -f "$RESULTS"/anchors.json "$RESULTS"/anchors.md "$RESULTS"/anchors.raw.jsonl
  log "=== datasets"
  if bash $BENCH/anchors/datasets.sh >&2; then
    log "=== backup and restore: burrow vs restic, $REPS repetition(s)"
    settle=300
    ((QUICK)) && settle=65
    bash $BENCH/anchors/anchors.sh --tools burrow,restic-rest --reps "$REPS" --settle "$settle" >&2
    STATUS+=("anchors=$?")
  else
    STATUS+=("anchors=1")
  fi
else
  STATUS+=(anchors=skipped)
fi

if selected web && ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian's chromium for the web part"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2 || log "cannot install chromium"
fi

for pair in login:login_latency concurrent:concurrent_push bigfile:big_file million:million_chunks web:web_page check:check_read_data lifecycle:lifecycle restores:partial_restore; do
  part=${pair%%:*} name=${pair#*:}
  if ! selected "$part"; then STATUS+=("$part=skipped"); continue; fi
  if [[ ! -f $BENCH/$name.ts ]]; then
    log "=== $name: $BENCH/$name.ts does not exist, not run"
    STATUS+=("$part=missing")
    continue
  fi
  rm -f "$RESULTS/$name.json"
  log "=== $name"
  args=(--out "$RESULTS")
  ((QUICK)) && args+=(--quick)
  deno run -A "$BENCH/$name.ts" "${args[@]}" >&2
  STATUS+=("$part=$?")
done

log "=== report"
STATUS_LIST=$(IFS=,; echo "${STATUS[*]}")
deno run -A $BENCH/report.ts --results "$RESULTS" --reps "$REPS" --date "$STARTED" --load "$LOAD_AT_START" --status "$STATUS_LIST"
rc=$?
log "status: $STATUS_LIST; report exit $rc; see $RESULTS/bench.md"
exit $((rc == 0 ? 0 : 1))
