#!/usr/bin/env bash
# The main job: set up and build, then show the gateway working.
#   1. msf-srtp-demo: the SRTP/SRTCP engine on every suite, byte-checked, with its rates;
#   2. scripts/dataplane_demo.sh: msf-dataplane on DPDK ports in network namespaces relaying
#      SRTP from a UE to plain RTP toward the core and back, sessions installed over its
#      control socket.
# Sessions installed over Diameter by msf-controld join this demo with that issue's work.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "==== 1. SRTP/SRTCP engine"
build/dataplane/srtp/msf-srtp-demo "$@"
echo
echo "==== 2. msf-dataplane: UE (SRTP) <-> gateway (DPDK) <-> core (RTP)"
scripts/dataplane_demo.sh build
