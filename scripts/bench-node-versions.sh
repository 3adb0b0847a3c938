#!/usr/bin/env bash
# The benchmark's headline ratios on each Node version `engines` names: wafer edge against
# node:http and against the raw node:net ceiling, on varied traffic (keep-alive, 16-deep
# pipelining, and the handler that reads headers) and on identical requests (keep-alive hello,
# 16-deep pipelining) — the `npm run bench:quick` harness, those five scenarios. Versions are interleaved (20 22 24, 20 22
# 24, …) so that a machine whose speed drifts hurts them alike; each cell of the table is the
# median over the repetitions of that run's median ratio. Writes bench/results/node-versions.md.
#
#   scripts/bench-node-versions.sh              # REPS=3 repetitions per version
#   scripts/bench-node-versions.sh --report     # only rebuild the table from the runs on disk
#
# The Node on PATH stands for its own major; the others are the pinned runtimes of
# scripts/node-versions.sh. Needs wrk and taskset, like `npm run bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
SCENARIOS=varied,varied-pipeline,varied-headers-pipeline,hello,pipeline
OUT=bench/results/tmp/node-versions
current=$(node -v)
versions=("${current#v}")
for v in 20.20.2 22.23.5 24.22.3; do [[ v${v%%.*} == "${current%%.*}" ]] || versions+=("$v"); done

binOf() {
  if [[ $1 == "${current#v}" ]]; then dirname "$(command -v node)"; else scripts/node-versions.sh --bin "$1"; fi
}

if [[ ${1:-} != --report ]]; then
  npm run build >/dev/null
  mkdir -p "$(dirname "$OUT")"
  for r in $(seq 1 "$REPS"); do
    for v in "${versions[@]}"; do
      bin=$(binOf "$v")
      echo "== repetition $r/$REPS, node $v ($(date -u +%T), load $(cut -d' ' -f1 /proc/loadavg))"
      PATH="$bin:$PATH" node bench/bench.js --quick --scenarios=$SCENARIOS --out="$OUT-$v-$r" --note="node $v, repetition $r" | tail -1
    done
  done
fi

node scripts/bench-node-versions-report.cjs "$OUT" "${versions[@]}"
