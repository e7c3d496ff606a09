#!/usr/bin/env bash
# Sets up, builds and runs every test:
#   1. unit, RFC-vector and libsrtp2 interop tests (GoogleTest, through meson test);
#   2. the same tests built with clang, AddressSanitizer and UndefinedBehaviorSanitizer;
#   3. a short libFuzzer run of every fuzz target on its seed corpus;
#   4. a smoke run of every benchmark and of the demo, so neither rots;
#   5. the system tests (tests/system, pytest): msf-dataplane in network namespaces with real
#      SRTP and RTP peers, msf-controld, Kamailio, msf-msrpd, msf-gen. Most need root and skip
#      themselves, with the reason, without it; and the runner's unit tests (tests/bench).
# Ends with one summary line: "tests: N passed, M failed".
# Usage: scripts/test.sh [--quick]   (--quick: only step 1)
set -uo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
fuzz_seconds=${MSF_FUZZ_SECONDS:-5}

scripts/setup.sh || { echo "tests: 0 passed, 1 failed"; exit 1; }

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
phases=()
phase() {  # phase NAME CMD...: runs a step, records NAME=exit code
    local name=$1; shift
    echo "=== $name: $*"
    "$@"
    local rc=$?
    phases+=("$name=$rc")
    echo "=== $name: exit $rc"
}

junits=(build/meson-logs/testlog.junit.xml)
phase unit meson test -C build --print-errorlogs
if [ "$quick" = 0 ]; then
    # One clang tree with ASan + UBSan (scripts/fuzz.sh configures it) serves the sanitizer
    # pass of the unit tests and the fuzz targets, so the project is built twice, not three
    # times.
    fuzz_build=${FUZZ_BUILD_DIR:-build-fuzz}
    if FUZZ_BUILD_DIR=$fuzz_build scripts/fuzz.sh --build; then
        junits+=("$fuzz_build/meson-logs/testlog.junit.xml")
        phase asan-ubsan meson test -C "$fuzz_build" --print-errorlogs
    else
        phases+=("asan-ubsan-build=1")
    fi
    phase fuzz env FUZZ_BUILD_DIR="$fuzz_build" scripts/fuzz.sh "$fuzz_seconds"
    phase bench-smoke scripts/bench.sh --smoke
    phase worker-bench-smoke build/bench/msf-worker-bench --benchmark_min_time=0.01 \
        --benchmark_filter='raw|session_add|sessions:(1|10000)/'
    phase net-bench-smoke build/bench/msf-net-bench --benchmark_min_time=0.01
    phase diameter-bench-smoke build/bench/msf-diameter-bench --benchmark_min_time=0.01
    phase diameter-peer-bench-smoke build/bench/msf-diameter-peer-bench --benchmark_min_time=0.01
    phase store-bench-smoke build/bench/msf-store-bench --benchmark_min_time=0.01
    phase install-rate-smoke /usr/bin/python3 bench/install_rate.py --smoke
    phase msrp-bench-smoke /usr/bin/python3 bench/msrp_bench.py --smoke
    phase throughput-smoke /usr/bin/python3 bench/throughput.py --build build --smoke --out build/throughput-smoke
    phase demo-smoke build/dataplane/srtp/msf-srtp-demo --packets 20000
    phase gateway-demo scripts/gateway_demo.sh build
    # Debian's python3 has python3-pytest and python3-scapy (a pyenv python3 on PATH may not).
    # Each pytest case counts in the summary through its JUnit log, like the meson tests.
    system_junit=build/system-junit.xml
    rm -f "$system_junit"
    junits+=("$system_junit")
    phase system env MSF_BUILD_DIR="${MSF_BUILD_DIR:-build}" /usr/bin/python3 -m pytest -q tests/system tests/bench \
        --junitxml="$system_junit"
fi

python3 scripts/test_summary.py "${junits[@]}" -- "${phases[@]}"
