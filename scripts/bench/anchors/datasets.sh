#!/usr/bin/env bash
# Generate the benchmark datasets, deterministically (same bytes, names, modes, mtimes everywhere).
#
#   scripts/bench/anchors/datasets.sh [--force] [--verify] [DIR]
#                                (DIR default: $BENCH_DATA or /tmp/burrow-bench-data)
#
#   DIR/mixed                    ~1 GiB: 20,000 small files (1-64 KiB; text, binary, half-compressible),
#                                40 medium (1-10 MiB), 3 large incompressible (112/176/272 MiB), ~870 folders
#   DIR/mixed-v2                 copy of mixed with ~5% of the files appended, changed in the middle,
#                                deleted or added (plus one large file changed, one appended)
#   DIR/real/typescript-5.4.5    the npm package typescript@5.4.5, unpacked (real-world source)
#   DIR/real/typescript-5.5.4    the same package one minor version later
#
# Exits 1 when a dataset's digest differs from the reference (regenerate it with --force).
# Idempotent: a finished dataset is recorded in DIR/.done-NAME and not made again unless --force.
# --verify recomputes every digest instead of reading the recorded one. Needs npm (for the real
# datasets) and Node.js or Deno (for the generator).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

FORCE=0 VERIFY=0
while (($#)); do
  case $1 in
    --force) FORCE=1 ;;
    --verify) VERIFY=1 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) BENCH_DATA=$1 ;;
  esac
  shift
done
command -v npm >/dev/null || die "npm is required"
DATA=$BENCH_DATA
GEN="$BENCH_DIR/lib/gen-mixed.mjs"
GEN_VERSION=1
mkdir -p "$DATA"

# Reference digests (files bytes dirs sha256) for seed burrow-bench-v1, generator version 1.
declare -A EXPECTED=(
  [mixed]="20054 1066344091 916 6c1690036bf61f335d622df66fc67b1b0f16bf0d3dcc6935332feb4f93edfe3f"
  [mixed-v2]="20092 1072715645 917 293f39f235eb7d770cd59c2d29fbdf692b4e752ca441051201ec6a92c28b9a6c"
  [real/typescript-5.4.5]="116 32367480 16 1202167c8b3a416064d6d40d82eab7cac6db61175348a28052a90200428bc80d"
  [real/typescript-5.5.4]="120 21870234 16 b193c0006920f03fef503ba6a135cd8eff4e0eb5a1c07877d69ec752e4054f5f"
)
# sha1 of the npm tarballs, as published in the registry (dist.shasum).
declare -A TS_SHA1=([5.4.5]=42ccef2c571fdbd0f6718b1d1f5e6e5ef006f611 [5.5.4]=d9852d6c82bad2d2eda4fd74a5762a8f5909e9ba)

done_file() { echo "$DATA/.done-${1//\//_}"; }
is_done() { [[ $FORCE == 0 && -f $(done_file "$1") && $(head -1 "$(done_file "$1")") == "v$GEN_VERSION" ]]; }
mark_done() { printf 'v%s\n%s\n' "$GEN_VERSION" "$(js_run "$GEN" digest "$DATA/$1")" >"$(done_file "$1")"; }

make_mixed() {
  if is_done mixed && is_done mixed-v2; then return; fi
  local t0=$SECONDS
  log "generating $DATA/mixed"
  rm -rf "${DATA:?}/mixed" "$DATA/mixed.tmp" "$DATA/mixed-v2" "$DATA/mixed-v2.tmp" "$(done_file mixed)" "$(done_file mixed-v2)"
  js_run "$GEN" mixed "$DATA/mixed.tmp"
  mv "$DATA/mixed.tmp" "$DATA/mixed"
  mark_done mixed
  log "generating $DATA/mixed-v2"
  cp -a "$DATA/mixed" "$DATA/mixed-v2.tmp"
  js_run "$GEN" mutate "$DATA/mixed-v2.tmp" >&2
  mv "$DATA/mixed-v2.tmp" "$DATA/mixed-v2"
  mark_done mixed-v2
  log "mixed + mixed-v2 made in $((SECONDS - t0)) s"
}

make_real() {
  local v name tgz sum
  mkdir -p "$DATA/.cache" "$DATA/real"
  for v in 5.4.5 5.5.4; do
    name=real/typescript-$v
    is_done "$name" && continue
    tgz="$DATA/.cache/typescript-$v.tgz"
    if ! [[ -f $tgz ]] || [[ $(sha1sum "$tgz" | cut -d' ' -f1) != "${TS_SHA1[$v]}" ]]; then
      log "npm pack typescript@$v"
      (cd "$DATA/.cache" && npm pack --silent --cache "$DATA/.cache/npm" "typescript@$v" >/dev/null 2>&1)
    fi
    sum=$(sha1sum "$tgz" | cut -d' ' -f1)
    [[ $sum == "${TS_SHA1[$v]}" ]] || die "typescript-$v.tgz has sha1 $sum, expected ${TS_SHA1[$v]}"
    rm -rf "${DATA:?}/$name" "${DATA:?}/$name.tmp"
    mkdir -p "$DATA/$name.tmp"
    tar -xzf "$tgz" -C "$DATA/$name.tmp" --strip-components=1 --no-same-owner
    # npm tarballs carry file modes and a fixed 1985 mtime, but no folder entries: fix folders too.
    find "$DATA/$name.tmp" -type d -exec chmod 755 {} + -exec touch -h -d @499162500 {} +
    mv "$DATA/$name.tmp" "$DATA/$name"
    mark_done "$name"
  done
}

make_mixed
make_real

DIFFERENT=0
printf '\n| dataset | files | folders | bytes | MiB | digest (sha256 of paths, modes, mtimes, contents) | reference |\n'
printf '|---|---:|---:|---:|---:|---|---|\n'
for name in mixed mixed-v2 real/typescript-5.4.5 real/typescript-5.5.4; do
  if [[ $VERIFY == 1 ]]; then line=$(js_run "$GEN" digest "$DATA/$name"); else line=$(sed -n 2p "$(done_file "$name")"); fi
  read -r files bytes dirs digest <<<"$line"
  ref=${EXPECTED[$name]}
  if [[ -z $ref ]]; then match="(none recorded)"; elif [[ $ref == "$line" ]]; then match=same; else match="DIFFERENT"; DIFFERENT=1; fi
  printf '| %s | %s | %s | %s | %.1f | %s | %s |\n' "$name" "$files" "$dirs" "$bytes" \
    "$(awk -v b="$bytes" 'BEGIN {print b / 1048576}')" "${digest:0:16}…" "$match"
done
echo
echo "data: $DATA"
((DIFFERENT == 0)) || die "a dataset differs from its reference digest: run datasets.sh --force"
