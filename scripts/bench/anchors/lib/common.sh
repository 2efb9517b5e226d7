# Shared helpers for the bench scripts in scripts/bench/anchors/. Source it; do not run it.
# Copied from the project's shared bench folder and made self-contained: results go to
# scripts/bench/results/, datasets to $BENCH_DATA (default /tmp/burrow-bench-data).
# shellcheck shell=bash

# shellcheck disable=SC2034 # these are used by the scripts that source this file
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/../../.." && pwd)
RESULTS_DIR=${BENCH_RESULTS:-$(cd "$BENCH_DIR/.." && pwd)/results}
BENCH_DATA=${BENCH_DATA:-/tmp/burrow-bench-data}
REPS=${REPS:-3}
DENO_VERSION=2.9.6

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# need_apt PKG... : install the Debian packages that are missing (apt-get update once first).
need_apt() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing with apt-get: ${missing[*]}"
  if [[ -z ${_APT_UPDATED:-} ]]; then apt-get update -qq >&2; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# deno_bin: path of the deno on PATH (a warning when it is not $DENO_VERSION), else deno@$DENO_VERSION
# installed globally with npm, as .ci/run does.
deno_bin() {
  if ! command -v deno >/dev/null; then
    log "installing deno@$DENO_VERSION with npm"
    npm install -g --silent --no-audit --no-fund "deno@$DENO_VERSION" >&2 || die "cannot install deno@$DENO_VERSION with npm"
    PATH="$(npm prefix -g)/bin:$PATH"
  fi
  local v
  v=$(deno --version 2>/dev/null | awk 'NR == 1 {print $2}')
  [[ $v == "$DENO_VERSION" ]] || log "warning: deno $v, not $DENO_VERSION"
  command -v deno
}

# js_run SCRIPT.mjs ARGS...: run one of the lib/*.mjs helpers with Node.js, or with Deno without it.
js_run() {
  if command -v node >/dev/null; then node "$@"; else "$(deno_bin)" run -A "$@"; fi
}

# need_datasets: make sure the datasets exist (datasets.sh is idempotent and fast when they do).
need_datasets() {
  bash "$BENCH_DIR/datasets.sh" "$BENCH_DATA" >&2
}

# make_certs DIR: a throw-away CA and a server certificate for 127.0.0.1/localhost (ECDSA P-256).
# Writes ca.pem, ca.key, server.pem, server.key. rustls (Deno) refuses a self-signed CA:TRUE
# certificate used directly as the server certificate, so the leaf is signed by a separate CA.
make_certs() {
  local dir=$1
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=burrow-bench CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
}

# machine_json: one JSON object describing this machine and the moment of the run.
machine_json() {
  local cpu kernel mem load
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
  kernel=$(uname -r)
  mem=$(awk '/MemTotal/ {print $2}' /proc/meminfo)
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  printf '{"date":"%s","host":"%s","cpu":"%s","cores":%s,"mem_kib":%s,"kernel":"%s","os":"%s","loadavg_at_start":"%s","reps":%s}' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(hostname)" "$cpu" "$(nproc)" "$mem" "$kernel" \
    "$(. /etc/os-release && echo "$PRETTY_NAME")" "$load" "$REPS"
}

# proc_cpu_s PID: user+system CPU seconds the process has used so far (0 when it is gone).
proc_cpu_s() {
  local ticks
  ticks=$(awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}'
}

# proc_hwm_kib PID: peak resident memory of a running process (VmHWM), KiB.
proc_hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# dir_bytes DIR: bytes in the regular files under DIR (folder entries not counted).
dir_bytes() { find "$1" -type f -printf "%s\n" | awk "{s += \$1} END {print s + 0}"; }
