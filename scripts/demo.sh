#!/usr/bin/env bash
# The main job: set up and build, then show the gateway working.
#   1. msf-srtp-demo: the SRTP/SRTCP engine on every suite, byte-checked, with its rates;
#   2. scripts/gateway_demo.sh: the seed's flow end to end — msf-pcscf derives media keys from
#      each UE's security association (AKA, TLS, Digest) and installs the sessions in
#      msf-controld over Diameter; msf-dataplane on DPDK ports in network namespaces relays SRTP
#      from the UEs to plain RTP toward the core and back; msfctl shows the result.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "==== 1. SRTP/SRTCP engine"
build/dataplane/srtp/msf-srtp-demo "$@"
echo
echo "==== 2. the gateway: P-CSCF --Diameter--> msf-controld --> msf-dataplane; UE (SRTP) <-> gateway <-> core (RTP)"
scripts/gateway_demo.sh build
