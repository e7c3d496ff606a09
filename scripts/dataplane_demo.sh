#!/usr/bin/env bash
# The gateway end to end on one machine: three network namespaces (a UE, the gateway, the IMS
# core) joined by veth pairs, msf-dataplane on DPDK af_packet ports in the gateway namespace,
# sessions installed over its control socket with msf-dpctl, and msf-rtp-peer exchanging media
# both ways: SRTP/SRTCP between the UE and the gateway, plain RTP/RTCP between the gateway and
# the core. Every payload byte is verified at both ends. Prints the sessions, the counters and a
# summary; removes everything it created, also on failure.
#
# usage: scripts/dataplane_demo.sh [BUILD_DIR]   (root; default build dir: build)
# Addresses are documentation ranges (RFC 5737) inside the demo's own namespaces only.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
dataplane=$build/dataplane/gateway/msf-dataplane
dpctl=$build/dataplane/tools/msf-dpctl
peer=$build/tests/tools/msf-rtp-peer
for b in "$dataplane" "$dpctl" "$peer"; do
    [ -x "$b" ] || { echo "dataplane_demo: $b is missing; run scripts/setup.sh first" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
    echo "dataplane_demo: needs root (network namespaces, DPDK af_packet ports)" >&2
    exit 1
fi

tag=msfdemo$$
ue=$tag-ue gw=$tag-gw core=$tag-core
work=$(mktemp -d)
dp_pid=
cleanup() {
    [ -n "$dp_pid" ] && kill "$dp_pid" 2>/dev/null && wait "$dp_pid" 2>/dev/null || true
    for ns in "$ue" "$gw" "$core"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "/var/run/dpdk/$tag" "$work"
}
trap cleanup EXIT

ue_ip=192.0.2.10 access_ip=192.0.2.1 core_ip=198.51.100.1 core_peer_ip=198.51.100.10
echo "== network: UE $ue_ip <-> [gateway $access_ip | $core_ip] <-> core $core_peer_ip"
for ns in "$ue" "$gw" "$core"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add ue0 netns "$ue" type veth peer name gwa0 netns "$gw"
ip link add core0 netns "$core" type veth peer name gwc0 netns "$gw"
for pair in "$ue ue0" "$core core0" "$gw gwa0" "$gw gwc0"; do
    set -- $pair
    # Kernel senders must write real UDP checksums: af_packet hands DPDK the frame as sent.
    ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
done
for ifname in gwa0 gwc0; do
    # The gateway's addresses belong to DPDK, not to the kernel side of its veths.
    ip netns exec "$gw" sysctl -q -w "net.ipv6.conf.$ifname.disable_ipv6=1"
    ip -n "$gw" link set "$ifname" up
done
ip -n "$ue" addr add "$ue_ip/24" dev ue0 && ip -n "$ue" link set ue0 up
ip -n "$core" addr add "$core_peer_ip/24" dev core0 && ip -n "$core" link set core0 up

socket=$work/dataplane.sock
echo "== msf-dataplane on net_af_packet (log: msf-dataplane.log shown at the end on failure)"
ip netns exec "$gw" "$dataplane" \
    --access.port=net_af_packet0,iface=gwa0 --core.port=net_af_packet1,iface=gwc0 \
    --access.ipv4=$access_ip --core.ipv4=$core_ip \
    --hugepages=false --memory-mb=256 --mbufs=8191 --max-sessions=1000 \
    --file-prefix="$tag" --control-socket="$socket" --log-level=error \
    >"$work/msf-dataplane.log" 2>&1 &
dp_pid=$!
for _ in $(seq 100); do
    "$dpctl" --socket "$socket" hello >/dev/null 2>&1 && break
    kill -0 "$dp_pid" 2>/dev/null || { cat "$work/msf-dataplane.log" >&2; exit 1; }
    sleep 0.1
done
"$dpctl" --socket "$socket" hello

# One session per suite family: keys are fresh random master key || salt per direction.
suites=(AES_CM_128_HMAC_SHA1_80 AES_256_CM_HMAC_SHA1_32 AEAD_AES_128_GCM)
key_bytes=(30 46 28)
pids=()
for i in 0 1 2; do
    id=$((i + 1))
    suite=${suites[$i]}
    k_up=$(od -An -tx1 -N"${key_bytes[$i]}" /dev/urandom | tr -d ' \n')
    k_down=$(od -An -tx1 -N"${key_bytes[$i]}" /dev/urandom | tr -d ' \n')
    access_port=$((20000 + 10 * i)) core_port=$((30000 + 10 * i))
    ue_port=$((40000 + 10 * i)) core_peer_port=$((50000 + 10 * i))
    "$dpctl" --socket "$socket" session add --id "$id" \
        --access-local "$access_ip:$access_port" \
        --core-local "$core_ip:$core_port" --core-remote "$core_peer_ip:$core_peer_port" \
        --from-ue-suite "$suite" --from-ue-key "$k_up" --to-ue-suite "$suite" --to-ue-key "$k_down"
    echo "session $id: $suite, UE $ue_ip:$ue_port (latched) <-> $access_ip:$access_port | $core_ip:$core_port <-> $core_peer_ip:$core_peer_port"
    common=(--count 1000 --interval-us 500 --warmup 20 --warmup-interval-us 5000 --rtcp --timeout-ms 3000)
    ip netns exec "$core" "$peer" --bind "$core_peer_ip:$core_peer_port" --peer "$core_ip:$core_port" \
        --ssrc $((1000 + id)) --expect-ssrc $((2000 + id)) "${common[@]}" --json >"$work/core$id.json" &
    pids+=($!)
    ip netns exec "$ue" "$peer" --bind "$ue_ip:$ue_port" --peer "$access_ip:$access_port" \
        --suite "$suite" --key "$k_up" --rx-key "$k_down" \
        --ssrc $((2000 + id)) --expect-ssrc $((1000 + id)) "${common[@]}" --json >"$work/ue$id.json" &
    pids+=($!)
done

echo "== media: 1000 RTP + 100 RTCP packets each way per session, every byte checked"
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
for id in 1 2 3; do
    echo "session $id UE   : $(cat "$work/ue$id.json")"
    echo "session $id core : $(cat "$work/core$id.json")"
done

echo "== msf-dpctl sessions"
"$dpctl" --socket "$socket" sessions
echo "== msf-dpctl stats"
"$dpctl" --socket "$socket" stats

# Summary from the dataplane's own counters.
"$dpctl" --socket "$socket" --json sessions >"$work/sessions.json"
rc=0
/usr/bin/python3 - "$work/sessions.json" "$failed" <<'EOF' || rc=1
import json, sys
data = json.load(open(sys.argv[1]))
sessions = data["sessions"] if isinstance(data, dict) else data
tot = {"unprotected": 0, "protected": 0, "auth_failures": 0, "replays": 0, "unknown_source": 0}
for s in sessions:
    c = s["counters"]
    tot["unprotected"] += c["core"]["packets_out"]
    tot["protected"] += c["access"]["packets_out"]
    for leg in ("access", "core"):
        tot["auth_failures"] += c[leg]["auth_failures"]
        tot["replays"] += c[leg]["replays"]
        tot["unknown_source"] += c[leg]["unknown_source"]
ok = sys.argv[2] == "0" and tot["auth_failures"] == 0 and tot["replays"] == 0
print(f"== summary: {len(sessions)} sessions, {tot['unprotected']} packets unprotected (UE -> core), "
      f"{tot['protected']} protected (core -> UE), auth failures {tot['auth_failures']}, "
      f"replay drops {tot['replays']}, unknown-source drops {tot['unknown_source']}: "
      + ("OK" if ok else "FAILED"))
sys.exit(0 if ok else 1)
EOF
[ "$rc" -eq 0 ] || tail -20 "$work/msf-dataplane.log" >&2
exit "$rc"
