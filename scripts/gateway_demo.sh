#!/usr/bin/env bash
# The whole gateway on one machine, the seed's flow end to end:
#   - three network namespaces (a UE, the gateway, the IMS core) joined by veth pairs;
#   - msf-dataplane on DPDK af_packet ports in the gateway namespace;
#   - msf-controld, the control daemon, speaking Diameter (Rx-style) on 127.0.0.1;
#   - msf-pcscf, the reference P-CSCF: registers UEs with the e2ae capability, runs one call per
#     key source (IMS AKA CK||IK, TLS exporter, SIP Digest H(A1)), derives each call's SRTP keys
#     from the UE's security association (TS 33.220 KDF), sends the AAR that installs the session
#     in the gateway and rewrites the SDP with the MSF addresses from the AAA;
#   - msf-ue-keys derives the same keys on the UE side from the UE's own copy of its SA, and
#     msf-rtp-peer exchanges media both ways: SRTP/SRTCP between the UE and the gateway (libsrtp2),
#     plain RTP/RTCP between the gateway and the core, every payload byte verified;
#   - msfctl shows the sessions, a session's key fingerprints, the Diameter peer and counters.
# Prints a summary; removes everything it created, also on failure.
#
# usage: scripts/gateway_demo.sh [BUILD_DIR]   (root; default build dir: build)
# Addresses are documentation ranges (RFC 5737) inside the demo's own namespaces only.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
dataplane=$build/dataplane/gateway/msf-dataplane
controld=$build/controlplane/msf-controld
msfctl=$build/controlplane/cli/msfctl
pcscf=$build/controlplane/pcscf/msf-pcscf
ue_keys=$build/tests/tools/msf-ue-keys
peer=$build/tests/tools/msf-rtp-peer
for b in "$dataplane" "$controld" "$msfctl" "$pcscf" "$ue_keys" "$peer"; do
    [ -x "$b" ] || { echo "gateway_demo: $b is missing; run scripts/setup.sh first" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
    echo "gateway_demo: needs root (network namespaces, DPDK af_packet ports)" >&2
    exit 1
fi

tag=msfdemo$$
ue=$tag-ue gw=$tag-gw core=$tag-core
work=$(mktemp -d)
dp_pid= cd_pid=
cleanup() {
    [ -n "$cd_pid" ] && kill "$cd_pid" 2>/dev/null && wait "$cd_pid" 2>/dev/null || true
    [ -n "$dp_pid" ] && kill "$dp_pid" 2>/dev/null && wait "$dp_pid" 2>/dev/null || true
    for ns in "$ue" "$gw" "$core"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "/var/run/dpdk/$tag" "$work"
}
trap cleanup EXIT
fail() {
    echo "gateway_demo: $*" >&2
    for log in msf-dataplane msf-controld; do
        [ -f "$work/$log.log" ] && { echo "--- $log.log" >&2; tail -20 "$work/$log.log" >&2; }
    done
    exit 1
}

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

dp_socket=$work/dataplane.sock
echo "== msf-dataplane: DPDK net_af_packet ports in the gateway namespace"
ip netns exec "$gw" "$dataplane" \
    --access.port=net_af_packet0,iface=gwa0 --core.port=net_af_packet1,iface=gwc0 \
    --access.ipv4=$access_ip --core.ipv4=$core_ip \
    --hugepages=false --memory-mb=256 --mbufs=8191 --max-sessions=1000 \
    --file-prefix="$tag" --control-socket="$dp_socket" --log-level=error \
    >"$work/msf-dataplane.log" 2>&1 &
dp_pid=$!

diameter_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cli_socket=$work/controld.sock
echo "== msf-controld: Diameter on 127.0.0.1:$diameter_port, store $work/controld.db"
"$controld" --store="$work/controld.db" --store-key="$work/store.key" --cli-socket="$cli_socket" \
    --dataplane-socket="$dp_socket" --dataplane-retry-ms=200 \
    --diameter.listen=127.0.0.1:$diameter_port --diameter.peer=pcscf.localdomain \
    --media.access-ipv4=$access_ip --media.core-ipv4=$core_ip \
    --media.port-min=20000 --media.port-max=20999 \
    >"$work/msf-controld.log" 2>&1 &
cd_pid=$!
for _ in $(seq 150); do
    if "$msfctl" --socket "$cli_socket" --json stats 2>/dev/null | grep -q '"connected":true'; then break; fi
    kill -0 "$dp_pid" 2>/dev/null || fail "msf-dataplane exited"
    kill -0 "$cd_pid" 2>/dev/null || fail "msf-controld exited"
    sleep 0.2
done
"$msfctl" --socket "$cli_socket" --json stats | grep -q '"connected":true' || fail "msf-controld did not reach msf-dataplane"

echo "== msf-pcscf: one call per key source, sessions installed over Diameter (AAR/AAA)"
calls=$work/calls.jsonl
sources=(aka tls digest)
suites=(AES_CM_128_HMAC_SHA1_80 AES_256_CM_HMAC_SHA1_32 AEAD_AES_128_GCM)
for i in 0 1 2; do
    echo "-- ${sources[$i]} SA, ${suites[$i]}"
    "$pcscf" --msf 127.0.0.1:$diameter_port --ues 1 --calls 1 --keep \
        --key-source "${sources[$i]}" --suite "${suites[$i]}" \
        --ue-base "$ue_ip:$((40000 + 10 * i))" --core-base "$core_peer_ip:$((50000 + 10 * i))" \
        --calls-out "$work/calls$i.jsonl" | grep -E 'registered|invites|aaa|sdp rewritten|ue keys agree|AAR->AAA|result' \
        || fail "msf-pcscf failed"
    cat "$work/calls$i.jsonl" >>"$calls"
done

echo "== media: the UE derives its keys from its own SA; 1000 RTP + 100 RTCP packets each way per call"
"$ue_keys" "$calls" >"$work/keys.jsonl" || fail "msf-ue-keys failed"
pids=()
n=0
# One line per call: source suite ue msf_access core msf_core from_ue_key to_ue_key.
/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    c = json.loads(line)
    print(c["source"], c["suite"], c["ue"], c["msf_access"], c["core"], c["msf_core"], c["from_ue_key"], c["to_ue_key"])
' "$work/keys.jsonl" >"$work/keys.txt"
while read -r source suite ue_ep access_ep core_ep msf_core_ep from_ue_key to_ue_key; do
    n=$((n + 1))
    echo "call $n: $source SA, $suite: UE $ue_ep <-> MSF $access_ep | $msf_core_ep <-> core $core_ep"
    common=(--count 1000 --interval-us 500 --warmup 20 --warmup-interval-us 5000 --rtcp --timeout-ms 3000)
    ip netns exec "$core" "$peer" --bind "$core_ep" --peer "$msf_core_ep" \
        --ssrc $((1000 + n)) --expect-ssrc $((2000 + n)) "${common[@]}" --json >"$work/core$n.json" &
    pids+=($!)
    ip netns exec "$ue" "$peer" --bind "$ue_ep" --peer "$access_ep" \
        --suite "$suite" --key "$from_ue_key" --rx-key "$to_ue_key" \
        --ssrc $((2000 + n)) --expect-ssrc $((1000 + n)) "${common[@]}" --json >"$work/ue$n.json" &
    pids+=($!)
done <"$work/keys.txt"
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
for i in $(seq "$n"); do
    echo "call $i UE   : $(cat "$work/ue$i.json")"
    echo "call $i core : $(cat "$work/core$i.json")"
done

echo "== msfctl sessions"
"$msfctl" --socket "$cli_socket" sessions
first=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["session_id"])' "$calls")
echo "== msfctl keys $first   (fingerprints; --reveal shows keys to root only)"
"$msfctl" --socket "$cli_socket" keys "$first"
echo "== msfctl peers"
"$msfctl" --socket "$cli_socket" peers
echo "== msfctl stats"
"$msfctl" --socket "$cli_socket" stats

# Summary from the gateway's own counters, session by session.
rc=0
for sid in $(/usr/bin/python3 -c 'import json,sys; [print(json.loads(l)["session_id"]) for l in open(sys.argv[1])]' "$calls"); do
    "$msfctl" --socket "$cli_socket" --json session "$sid"
done >"$work/sessions.json"
/usr/bin/python3 - "$work/sessions.json" "$failed" "$n" <<'PY' || rc=1
import json, sys
decoder, text, pos, sessions = json.JSONDecoder(), open(sys.argv[1]).read(), 0, []
while pos < len(text):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos < len(text):
        obj, pos = decoder.raw_decode(text, pos)
        sessions.append(obj)
tot = {"unprotected": 0, "protected": 0, "auth_failures": 0, "replays": 0}
for s in sessions:
    for stream in s["streams"]:
        c = stream["counters"]
        tot["unprotected"] += c["core"]["packets_out"]
        tot["protected"] += c["access"]["packets_out"]
        for leg in ("access", "core"):
            tot["auth_failures"] += c[leg]["auth_failures"]
            tot["replays"] += c[leg]["replays"]
expected = int(sys.argv[3]) * 1100  # RTP + RTCP per direction per call
ok = (sys.argv[2] == "0" and len(sessions) == int(sys.argv[3]) and tot["auth_failures"] == 0
      and tot["replays"] == 0 and tot["protected"] >= expected and tot["unprotected"] >= expected)
print(f"== summary: {len(sessions)} sessions installed over Diameter, {tot['unprotected']} packets "
      f"unprotected (UE -> core), {tot['protected']} protected (core -> UE), auth failures "
      f"{tot['auth_failures']}, replay drops {tot['replays']}: " + ("OK" if ok else "FAILED"))
sys.exit(0 if ok else 1)
PY
[ "$rc" -eq 0 ] || fail "media check failed"
echo "== stopping msf-controld (DPR to its peers; sessions stay in its store) and msf-dataplane"
exit 0
