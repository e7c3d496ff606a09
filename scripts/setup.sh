#!/usr/bin/env bash
# Installs every Debian package msf needs (idempotent, waits for the apt lock), then configures
# and builds. Usage: scripts/setup.sh [--no-build] [--build-dir DIR] [-- extra meson options]
set -euo pipefail

cd "$(dirname "$0")/.."
build_dir=build
do_build=1
meson_extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) do_build=0 ;;
        --build-dir) build_dir=$2; shift ;;
        --) shift; meson_extra=("$@"); break ;;
        *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

# One list of what the project needs from Debian 12.
packages=(
    g++ clang libclang-rt-14-dev meson ninja-build pkg-config python3
    libdpdk-dev dpdk dpdk-dev libipsec-mb-dev libsrtp2-dev libssl-dev
    libboost-program-options-dev libbenchmark-dev libgtest-dev libgmock-dev libpcap-dev
    iproute2 ethtool python3-pytest python3-scapy
    libsqlite3-dev nlohmann-json3-dev libfreediameter-dev freediameter tshark
    gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
    kamailio kamailio-ims-modules sip-tester rtpengine-daemon socat python3-matplotlib
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup.sh: missing packages (${missing[*]}); run as root to install them" >&2
        exit 1
    fi
    echo "setup.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -q
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
fi

[ "$do_build" = 1 ] || exit 0
if [ ! -f "$build_dir/build.ninja" ]; then
    meson setup "$build_dir" "${meson_extra[@]}"
fi
ninja -C "$build_dir"
