#!/usr/bin/env bash
# Builds and runs the SRTP micro-benchmark (bench/srtp_bench.cpp) on one core and prints a
# Markdown table: Mpps and TSC ticks per packet for the engine (burst 16/32/64), raw ipsec-mb
# (the same jobs, no SRTP logic, burst 16/32/64), OpenSSL EVP and libsrtp2, plus the ratios the
# performance targets are stated in, measured side by side (paired benchmarks).
#
# Usage: scripts/bench.sh [--smoke] [--repetitions N] [--min-time SECONDS] [--filter REGEX]
#   --smoke          a few seconds in all, for CI: tiny minimum time, no repetitions, checks
#                    that every contender runs and produces correct output
#   --repetitions N  repetitions per benchmark, interleaved, medians reported (default 5)
#   --min-time S     Google Benchmark minimum time per repetition (default 0.2)
#   --filter REGEX   only the benchmarks whose name matches, e.g. 'protect/.*/172/'
# Environment: BUILD_DIR (default build), BENCH_CPU (the core to pin to, default the last one
# this shell may use), JOBS (ninja parallelism).
# Output: the table on stdout; the JSON and the table are kept in $BUILD_DIR/srtp_bench.{json,md}.
# Exit status 1 when a benchmark failed (wrong output, rejected packets); missed performance
# targets are reported in the table, not turned into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${BUILD_DIR:-build}
smoke=0
repetitions=5
min_time=0.2
filter=
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) smoke=1 ;;
        --repetitions) repetitions=$2; shift ;;
        --min-time) min_time=$2; shift ;;
        --filter) filter=$2; shift ;;
        -h|--help) sed -n '2,/^set /p' "$0" | grep '^#'; exit 0 ;;
        *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

if [ ! -f "$build_dir/build.ninja" ]; then
    meson setup "$build_dir" >/dev/null
fi
ninja -C "$build_dir" ${JOBS:+-j "$JOBS"} bench/msf-srtp-bench >/dev/null
bin=$build_dir/bench/msf-srtp-bench
json=$build_dir/srtp_bench.json
table=$build_dir/srtp_bench.md

args=(--benchmark_out="$json" --benchmark_out_format=json)
[ -n "$filter" ] && args+=(--benchmark_filter="$filter")
if [ "$smoke" = 1 ]; then
    args+=(--benchmark_min_time=0.01)
else
    args+=(--benchmark_min_time="$min_time" --benchmark_repetitions="$repetitions"
           --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true)
fi

# One core: pin when taskset is there (the last CPU this shell may run on, unless BENCH_CPU).
pin=()
if command -v taskset >/dev/null 2>&1; then
    cpu=${BENCH_CPU:-$(python3 -c 'import os; print(max(os.sched_getaffinity(0)))')}
    pin=(taskset -c "$cpu")
    echo "bench.sh: pinned to CPU $cpu" >&2
fi

# The console report goes to stderr so stdout carries only the table.
"${pin[@]}" "$bin" "${args[@]}" >&2
targets=--targets
[ "$smoke" = 1 ] && targets=  # smoke timings say nothing about the targets
python3 bench/srtp_table.py "$json" $targets | tee "$table"
