"""msf-dataplane end to end: a UE namespace (SRTP through libsrtp2, msf-rtp-peer) and a core
namespace (plain RTP) on either side of the dataplane, which runs on net_af_packet vdevs in the
gateway namespace. Sessions are installed with msf-dpctl. See conftest.py for the topology.

Every exchange verifies every payload byte at the receiving peer; "zero loss" is measured after a
warm-up that lets the dataplane latch the UE and resolve both peers' MACs by ARP/ND itself."""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import (ACCESS_IP4, ACCESS_IP6, CORE_IP4, UE_IP4, UE_IP6, WARMUP, MediaSession, assert_clean,
                      run)

MEASURED = ["--count", "500", "--interval-us", "1000"]
HERE = os.path.dirname(os.path.abspath(__file__))
SCAPY_PYTHON = "/usr/bin/python3"  # Debian's, which has python3-scapy


def ping(ns, address, count=3):
    """ICMP echo from a namespace's kernel stack (tests/system/icmp_ping.py: ping(8) may be
    missing); returns the CompletedProcess."""
    return run(["ip", "netns", "exec", ns, sys.executable, os.path.join(HERE, "icmp_ping.py"), address,
                "--count", str(count)], check=False)


def neighbour_mac(ns, ip):
    out = run(["ip", "-n", ns, "-j", "neigh", "show", ip]).stdout
    entries = [e for e in json.loads(out or "[]") if "lladdr" in e]
    return entries[0]["lladdr"] if entries else None


def wait_until(check, timeout_s=5.0, what="condition"):
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout_s} s")
        time.sleep(0.1)


def test_ue_pings_gateway_answered_by_dataplane(topology, gateway):
    """ARP and ICMP echo for the gateway's addresses are answered by DPDK: no kernel on the
    gateway side has these addresses."""
    result = ping(topology.ue, ACCESS_IP4)
    assert result.returncode == 0, result.stdout + result.stderr + gateway.log_tail()
    assert neighbour_mac(topology.ue, ACCESS_IP4) == topology.gw_access_mac

    result = ping(topology.core, CORE_IP4, count=2)
    assert result.returncode == 0, result.stdout + result.stderr
    assert neighbour_mac(topology.core, CORE_IP4) == topology.gw_core_mac

    ports = gateway.dpctl_json("ports")["ports"]
    assert len(ports) == 2, ports
    assert all(p["link_up"] for p in ports), ports
    assert all("af_packet" in p["driver"] for p in ports), ports
    assert gateway.dpctl_json("hello")["version"] == 1


def test_srtp_ue_and_rtp_core_relay_both_ways(topology, gateway, peers):
    s = MediaSession(1)
    gateway.add_session(s)
    ue, core = peers.exchange(s, WARMUP + MEASURED)
    assert_clean(ue, 500, who="UE")
    assert_clean(core, 500, who="core")

    info = gateway.session(s.id)
    assert info["latched_ue"] == MediaSession.endpoint(s.ue)
    access, core_leg = info["counters"]["access"], info["counters"]["core"]
    # Measured and warm-up packets that made it through, in and out of each leg.
    for leg in (access, core_leg):
        assert leg["packets_in"] >= 500 and leg["packets_out"] >= 500, info
    assert access["auth_failures"] == 0 and access["replays"] == 0 and access["unknown_source"] == 0, info
    assert core_leg["unknown_source"] == 0, info
    assert info["access"]["local"] == MediaSession.endpoint(s.access)
    assert info["core"]["remote"] == MediaSession.endpoint(s.core_peer)
    assert info["from_ue"]["suite"] == s.suite
    raw = gateway.dpctl("session", "get", str(s.id), "--json").stdout
    assert s.from_ue_key[:16] not in raw and s.to_ue_key[:16] not in raw
    # No static neighbours were configured: the core peer got its packets because the dataplane
    # resolved its MAC by ARP, and the core kernel learnt the gateway's MAC from DPDK's ARP.
    assert neighbour_mac(topology.core, CORE_IP4) == topology.gw_core_mac


@pytest.mark.parametrize("access_mux,core_mux,mki", [(False, False, False), (True, True, True), (True, False, False)],
                         ids=["rtcp-port-plus-one", "rtcp-mux-both-with-mki", "rtcp-mux-access-only"])
def test_srtcp_and_rtcp_both_ways(gateway, peers, access_mux, core_mux, mki):
    s = MediaSession(2 + access_mux + core_mux, access_mux=access_mux, core_mux=core_mux)
    extra_dpctl, ue_extra = [], []
    if mki:
        extra_dpctl = ["--from-ue-mki", "0a0b", "--to-ue-mki", "0c"]
        ue_extra = ["--mki", "0a0b", "--rx-mki", "0c"]
    gateway.add_session(s, *extra_dpctl)
    ue, core = peers.exchange(s, WARMUP + MEASURED, rtcp=True, ue_extra=ue_extra)
    # One RTCP packet per 10 RTP packets: 50 during the measured run.
    assert_clean(ue, 500, rtcp_count=50, who="UE")
    assert_clean(core, 500, rtcp_count=50, who="core")
    info = gateway.session(s.id)
    assert info["access"]["rtcp_mux"] == access_mux and info["core"]["rtcp_mux"] == core_mux
    assert info["counters"]["access"]["auth_failures"] == 0, info
    if mki:
        assert info["from_ue"]["mki"] == "0a0b" and info["to_ue"]["mki"] == "0c"


def test_ipv6_access_with_ipv4_core(topology, gateway, peers):
    """ND for the gateway's IPv6 address is answered by the dataplane, and the dataplane
    resolves the UE by ND itself; AEAD_AES_128_GCM on this one (RFC 7714)."""
    result = ping(topology.ue, ACCESS_IP6, count=2)
    assert result.returncode == 0, result.stdout + result.stderr + gateway.log_tail()
    assert neighbour_mac(topology.ue, ACCESS_IP6) == topology.gw_access_mac

    s = MediaSession(10, ue_ip=UE_IP6, access_ip=ACCESS_IP6, suite="AEAD_AES_128_GCM")
    gateway.add_session(s)
    ue, core = peers.exchange(s, WARMUP + MEASURED, rtcp=True)
    assert_clean(ue, 500, rtcp_count=50, who="UE")
    assert_clean(core, 500, rtcp_count=50, who="core")
    info = gateway.session(s.id)
    assert info["latched_ue"] == f"[{UE_IP6}]:{s.ue[1]}"
    assert info["from_ue"]["suite"] == "AEAD_AES_128_GCM"


class BadTraffic:
    """Frames a hostile or broken access network sends, built with scapy in this process and
    sent with sendp from the UE namespace. Counts per kind, for the counter checks."""

    def __init__(self, topology, session, captured):
        from scapy.all import IP, UDP, Ether, IPv6, IPv6ExtHdrFragment, Raw  # Debian's python3-scapy

        self.IP, self.UDP, self.Ether, self.Raw = IP, UDP, Ether, Raw
        self.IPv6, self.IPv6ExtHdrFragment = IPv6, IPv6ExtHdrFragment
        self.rng = random.Random(20240601)
        self.eth = Ether(src=topology.ue_mac, dst=topology.gw_access_mac)
        self.session = session
        self.captured = captured
        self.kinds = {}

    def udp(self, payload, src=UE_IP4, sport=None, dport=None, **ip_fields):
        ue_ip, ue_port = self.session.ue
        gw_ip, gw_port = self.session.access
        return (self.eth / self.IP(src=src, dst=gw_ip, **ip_fields) /
                self.UDP(sport=sport or ue_port, dport=dport or gw_port) / self.Raw(payload))

    def build(self):
        srtp = [bytes(p[self.UDP].payload) for p in self.captured]
        valid = bytes(self.udp(srtp[0]))
        k = self.kinds
        # The IP or UDP header promises more than the frame holds, or the frame ends in a header.
        k["truncated"] = [valid[:14 + 12], valid[:14 + 20 + 4], valid[:14 + 20 + 8 + 10], valid[:-1]] * 3
        # IPv6 fragments (RFC 8200 §4.5), first and later pieces. IPv4 fragments (RFC 791, MF or
        # an offset) go out too, but net_af_packet in DPDK 22.11 joins a PACKET_FANOUT group with
        # PACKET_FANOUT_FLAG_DEFRAG, so the kernel holds incomplete IPv4 datagrams and the
        # dataplane never sees them: only the IPv6 ones can be counted on this vdev.
        first = (self.eth / self.IPv6(src=UE_IP6, dst=ACCESS_IP6) / self.IPv6ExtHdrFragment(id=7, m=1) /
                 self.UDP(sport=self.session.ue[1], dport=self.session.access[1], len=400) / self.Raw(srtp[1]))
        later = (self.eth / self.IPv6(src=UE_IP6, dst=ACCESS_IP6) /
                 self.IPv6ExtHdrFragment(id=8, offset=50, nh=17) / self.Raw(srtp[1]))
        k["fragment"] = [bytes(first)] * 5 + [bytes(later)] * 5
        k["ipv4_fragment"] = ([bytes(self.udp(srtp[1], flags="MF"))] * 3 +
                              [bytes(self.eth / self.IP(src=UE_IP4, dst=ACCESS_IP4, frag=185, proto=17) /
                                     self.Raw(srtp[1]))] * 3)
        k["checksum"] = [self.bad_ip_checksum(srtp[2])] * 5 + [self.bad_udp_checksum(srtp[3])] * 5
        # No session on these ports.
        k["no_session"] = [bytes(self.udp(srtp[4], dport=p)) for p in (29998, 29999, 9, 65534, 16384)] * 2
        # Valid SRTP with a fresh index and a broken tag, from another address: authentication
        # fails, so the latch must stay where it is (RFC 3711 §3.3: nothing changes before auth).
        k["forged"] = [bytes(self.udp(self.forge(srtp[i % len(srtp)], i), src="192.0.2.99", sport=40999))
                       for i in range(10)]
        # Packets the dataplane already accepted, sent again unchanged (RFC 3711 §3.3.2).
        k["replay"] = [bytes(p) for p in self.captured]
        k["random"] = ([bytes(self.eth)[:12] + bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(2, 300)))
                        for _ in range(40)] +
                       [bytes(self.udp(bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 200)))))
                        for _ in range(10)])
        frames = [f for kind in k.values() for f in kind]
        self.rng.shuffle(frames)
        return frames

    def forge(self, packet, i):
        b = bytearray(packet)
        seq = (int.from_bytes(b[2:4], "big") + 20000 + i) & 0xffff
        b[2:4] = seq.to_bytes(2, "big")
        b[-1] ^= 0x5a
        return bytes(b)

    def bad_ip_checksum(self, payload):
        b = bytearray(bytes(self.udp(payload)))
        b[14 + 10] ^= 0xff
        return bytes(b)

    def bad_udp_checksum(self, payload):
        b = bytearray(bytes(self.udp(payload)))
        at = 14 + 20 + 6
        b[at] ^= 0xff
        if b[at] == 0 and b[at + 1] == 0:  # 0 means "no checksum" over IPv4 (RFC 768)
            b[at] = 0x01
        return bytes(b)


def scapy_in_ns(ns, *args, **kw):
    return subprocess.Popen(["ip", "netns", "exec", ns, SCAPY_PYTHON, os.path.join(HERE, "ue_scapy.py"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def wait_ready(proc, what):
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        raise AssertionError(f"{what} did not start: {line!r} {proc.stderr.read()}")


def test_bad_traffic_is_counted_and_the_good_session_keeps_flowing(topology, gateway, peers, processes):
    pytest.importorskip("scapy.all", reason="scapy (python3-scapy) is needed to craft the bad frames")
    s = MediaSession(20)
    gateway.add_session(s)
    tmp = tempfile.mkdtemp(prefix="msf-bad-", dir=gateway.workdir)

    # 1. Valid SRTP from the UE, captured on its way out, to replay later.
    capture_path = os.path.join(tmp, "srtp.pcap")
    capture = scapy_in_ns(topology.ue, "capture", capture_path, "--iface", "ue0", "--dst", s.access[0],
                          "--dport", str(s.access[1]), "--count", "80", "--timeout", "20")
    processes.procs.append(capture)
    wait_ready(capture, "the capture")
    ue, core = peers.exchange(s, WARMUP + ["--count", "100", "--interval-us", "1000"])
    assert_clean(ue, 100, who="UE before")
    assert_clean(core, 100, who="core before")
    capture.wait(timeout=30)
    from scapy.all import rdpcap
    captured = list(rdpcap(capture_path))
    assert len(captured) == 80, f"captured {len(captured)} of 80 frames: {capture.stderr.read()}"

    # 2. The bad frames, sent while measured traffic flows.
    bad = BadTraffic(topology, s, captured[60:80])
    frames = bad.build()
    from scapy.all import wrpcap
    bad_path = os.path.join(tmp, "bad.pcap")
    wrpcap(bad_path, [bad.Ether(f) for f in frames])
    sender = scapy_in_ns(topology.ue, "send", bad_path, "--iface", "ue0", "--inter", "0.004", "--wait-go",
                         stdin=subprocess.PIPE)
    processes.procs.append(sender)
    wait_ready(sender, "the scapy sender")
    before_stats = gateway.stats()["totals"]
    before = gateway.session(s.id)

    # Sequence numbers continue after the first run, so the dataplane's SRTP state carries on.
    during = ["--seq-start", "1000", *WARMUP, "--count", "1000", "--interval-us", "1000"]
    core_proc = peers.start(topology.core, s.core_args() + during)
    ue_proc = peers.start(topology.ue, s.ue_args() + during)
    time.sleep(0.6)  # the bad burst (about 0.7 s) overlaps the measured second
    sender.stdin.write("go\n")
    sender.stdin.flush()
    ue, core = peers.result(ue_proc), peers.result(core_proc)
    sent_line = sender.stdout.readline()
    sender.wait(timeout=30)
    assert sent_line.strip() == f"sent {len(frames)}", sent_line + sender.stderr.read()
    assert_clean(ue, 1000, who="UE during")
    assert_clean(core, 1000, who="core during")

    # 3. And after.
    after_run = ["--seq-start", "3000", "--warmup", "20", "--warmup-interval-us", "10000", "--warmup-gap-ms", "200",
                 "--count", "300", "--interval-us", "1000"]
    ue, core = peers.exchange(s, after_run)
    assert_clean(ue, 300, who="UE after")
    assert_clean(core, 300, who="core after")

    # 4. Every kind was counted where it belongs; the latch did not move.
    totals = gateway.stats()["totals"]
    info = gateway.session(s.id)
    k = {kind: len(frames) for kind, frames in bad.kinds.items()}
    delta = {name: totals[name] - before_stats[name] for name in totals}
    assert delta["drops_fragment"] >= k["fragment"], (delta, k)
    assert delta["drops_checksum"] >= k["checksum"], (delta, k)
    assert delta["drops_no_session"] >= k["no_session"], (delta, k)
    assert delta["drops_malformed"] >= k["truncated"], (delta, k)
    a0, a1 = before["counters"]["access"], info["counters"]["access"]
    assert a1["auth_failures"] - a0["auth_failures"] >= k["forged"], (a0, a1, k)
    assert a1["replays"] - a0["replays"] >= k["replay"], (a0, a1, k)
    assert info["latched_ue"] == MediaSession.endpoint(s.ue), info


def test_removed_session_drops_as_no_session_and_another_is_unaffected(topology, gateway, peers):
    gone, kept = MediaSession(30), MediaSession(31)
    gateway.add_session(gone)
    gateway.add_session(kept)
    ue, core = peers.exchange(gone, WARMUP + ["--count", "50"])
    assert_clean(ue, 50, who="UE of the removed session, before")
    gateway.dpctl("session", "remove", str(gone.id))

    missing = gateway.dpctl("session", "get", str(gone.id), check=False)
    assert missing.returncode == 1 and "not_found" in missing.stderr, missing
    ids = [x["id"] for x in gateway.dpctl_json("sessions")["sessions"]]
    assert gone.id not in ids and kept.id in ids

    before = gateway.stats()["totals"]["drops_no_session"]
    # The removed session's UE keeps sending; its core peer must hear nothing.
    orphan_core = peers.start(topology.core, gone.core_args() + ["--mode", "receive", "--count", "100",
                                                                 "--seq-start", "2000", "--timeout-ms", "1500"])
    orphan_ue = peers.start(topology.ue, gone.ue_args() + ["--mode", "send", "--count", "100",
                                                           "--seq-start", "2000"])
    ue, core = peers.exchange(kept, WARMUP + MEASURED)
    assert_clean(ue, 500, who="UE of the kept session")
    assert_clean(core, 500, who="core of the kept session")
    sent = peers.result(orphan_ue)
    heard = peers.result(orphan_core)
    assert sent["sent"] == 100 and sent["send_errors"] == 0, sent
    assert heard["received"] == 0 and heard["bad"] == 0, heard
    wait_until(lambda: gateway.stats()["totals"]["drops_no_session"] - before >= 100, 5,
               "100 more no-session drops")


def test_inactivity_events_reach_a_subscriber(gateway):
    s = MediaSession(40)
    events = subprocess.Popen([gateway.dpctl_path, "--socket", gateway.socket, "events", "--count", "2",
                               "--timeout-ms", "10000", "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)  # subscribed well before the session goes idle (2 s after it is added)
        gateway.add_session(s, "--inactivity-ms", "2000")
        out, err = events.communicate(timeout=15)
    finally:
        if events.poll() is None:
            events.kill()
    assert events.returncode == 0, err
    got = [json.loads(line) for line in out.splitlines()]
    assert {(e["type"], e["session_id"]) for e in got} == {("inactivity", s.id)}, got
    assert {e["side"] for e in got} == {"access", "core"}, got
    assert all(e["value"] >= 2000 for e in got), got
    gateway.dpctl("session", "remove", str(s.id))


def test_dpctl_reports_the_dataplanes_refusals(gateway):
    s = MediaSession(50)
    gateway.add_session(s)
    again = gateway.dpctl("session", "add", *s.dpctl_args(), check=False)
    assert again.returncode == 1 and "already_exists" in again.stderr, again
    bad_window = gateway.dpctl("session", "add", *MediaSession(51).dpctl_args(), "--replay-window", "100",
                               check=False)
    assert bad_window.returncode == 1 and "invalid_argument" in bad_window.stderr, bad_window
    assert "replay" in bad_window.stderr, bad_window
    foreign = MediaSession(52)
    foreign.access = ("203.0.113.1", foreign.access[1])  # not one of the gateway's addresses
    refused = gateway.dpctl("session", "add", *foreign.dpctl_args(), check=False)
    assert refused.returncode == 1 and refused.stderr.startswith("msf-dpctl: session add: "), refused
    missing = gateway.dpctl("session", "remove", "999999", check=False)
    assert missing.returncode == 1 and "not_found" in missing.stderr, missing

    gateway.dpctl("session", "modify", *s.dpctl_args(), "--inactivity-ms", "60000")
    assert gateway.session(s.id)["inactivity_timeout_ms"] == 60000
    gateway.dpctl("session", "remove", str(s.id))
    assert gateway.dpctl("session", "get", str(s.id), check=False).returncode == 1
    # The connection-level errors do not need the dataplane's cooperation.
    dead = run([gateway.dpctl_path, "--socket", os.path.join(gateway.workdir, "nobody.sock"), "stats"], check=False)
    assert dead.returncode == 1 and "No such file" in dead.stderr, dead
    usage = run([gateway.dpctl_path, "--socket", gateway.socket, "stats", "--count", "1"], check=False)
    assert usage.returncode == 2 and "does not apply" in usage.stderr, usage
    # Everything above left the dataplane serving.
    assert gateway.dpctl_json("hello")["server_name"] == "msf-dataplane"


def test_telemetry_reports_sessions_ports_and_totals(gateway):
    """dpdk-telemetry.py reads /msf/stats, /msf/ports and /msf/sessions (refreshed each second)."""
    if shutil.which("dpdk-telemetry.py") is None:
        pytest.skip("dpdk-telemetry.py (Debian package dpdk) is not installed")
    s = MediaSession(60)
    gateway.add_session(s)
    deadline = time.monotonic() + 10
    replies = {}
    while time.monotonic() < deadline:
        out = subprocess.run(["dpdk-telemetry.py", "-f", gateway.file_prefix],
                             input="/msf/stats\n/msf/ports\n/msf/sessions\n", capture_output=True,
                             text=True, timeout=10).stdout
        replies = {}
        for line in out.splitlines():
            line = line.strip()
            if line.startswith("{"):
                replies.update(json.loads(line))
        if s.id in replies.get("/msf/sessions", []):
            break
        time.sleep(0.3)
    assert s.id in replies.get("/msf/sessions", []), replies
    assert replies["/msf/stats"]["sessions"] >= 1, replies
    assert replies["/msf/stats"]["workers"] == 1, replies
    assert set(replies["/msf/ports"]) == {"net_af_packet0", "net_af_packet1"}, replies
    assert all(p["link_up"] == 1 for p in replies["/msf/ports"].values()), replies
    gateway.dpctl("session", "remove", str(s.id))
