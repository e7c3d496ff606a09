#!/usr/bin/env bash
# Builds every libFuzzer target of the project (executables named *_fuzz) with clang, ASan and
# UBSan, and runs each for SECONDS (default 30) on a copy of its seed corpus
# (tests/fuzz/corpus/<target without _fuzz>/). Exits non-zero if any target crashes, leaks,
# hangs or fails a check; the input that did it is kept as build-fuzz/artifacts/<target>-*.
#
# usage: scripts/fuzz.sh [--build] [SECONDS]
#   --build: configure if needed and build the whole tree (tests included), run nothing
# env:   FUZZ_BUILD_DIR (default build-fuzz), FUZZ_JOBS (ninja -j, default 2),
#        FUZZ_ARGS (extra libFuzzer flags, e.g. "-seed=1"; later flags win)
set -euo pipefail

build_only=0
if [ "${1:-}" = "--build" ]; then
    build_only=1
    shift
fi
seconds=${1:-30}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: $0 [--build] [SECONDS]   (SECONDS: a positive integer, default 30)" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-2}

if [ ! -f "$build/build.ninja" ]; then
    # -fsanitize=fuzzer-no-link instruments the libraries for coverage (the targets themselves
    # add -fsanitize=fuzzer).
    CXX=clang++ meson setup "$build" "$root" \
        -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dbench=disabled -Doptimization=1 -Db_ndebug=true \
        -Dcpp_args=-fsanitize=fuzzer-no-link
fi

# --build: build everything in this clang ASan+UBSan tree (the unit tests too, which
# scripts/test.sh runs there as its sanitizer pass) and stop.
if [ "$build_only" = 1 ]; then
    exec ninja -C "$build" -j "$jobs"
fi

# name, path relative to the build dir, source dir of the meson.build that defines it
targets=$(meson introspect --targets "$build" | python3 -c '
import json, os, sys
build = sys.argv[1]
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["name"].endswith("_fuzz"):
        print(t["name"], os.path.relpath(t["filename"][0], build), os.path.dirname(t["defined_in"]))
' "$build")
if [ -z "$targets" ]; then
    echo "fuzz.sh: no *_fuzz targets in $build (configured without -Dfuzz=true or without clang?)" >&2
    exit 1
fi

ninja -C "$build" -j "$jobs" $(awk '{print $2}' <<<"$targets")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
# Known findings still waiting for a fix are listed, one per line, in tests/fuzz/ubsan.supp.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$root/tests/fuzz/ubsan.supp}

failed=()
while read -r name exe srcdir; do
    seeds="$srcdir/corpus/${name%_fuzz}"
    corpus="$work/$name"
    mkdir -p "$corpus"
    if [ -d "$seeds" ]; then
        cp -r "$seeds/." "$corpus/"
    else
        echo "fuzz.sh: $name has no seed corpus at $seeds" >&2
    fi
    echo "=== $name: ${seconds}s, $(ls "$corpus" | wc -l) seed inputs"
    # shellcheck disable=SC2086
    if ! "$build/$exe" -max_total_time="$seconds" -max_len=2048 -timeout=10 \
            -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" \
            ${FUZZ_ARGS:-} "$corpus"; then
        failed+=("$name")
    fi
done <<<"$targets"

if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz.sh: FAILED: ${failed[*]} (inputs in $build/artifacts/)" >&2
    exit 1
fi
echo "fuzz.sh: all fuzz targets ran ${seconds}s without a failure"
