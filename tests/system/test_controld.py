"""msf-controld end to end, with the real processes: msf-dataplane in the gateway namespace (the
session fixture of conftest.py), msf-controld beside it, a freeDiameter 1.2.1 P-CSCF
(msf-fd-rx-client, an independent Diameter implementation) installing sessions over Rx, msfctl,
and msf-rtp-peer sending SRTP from the UE namespace and RTP from the core namespace through the
gateway.

- an AAR with the UE's key installs a session; the AAA carries the MSF's media addresses and the
  key the MSF generated for the network->UE direction; media then flows both ways with nothing
  lost or corrupted; STR removes it and STA carries its counters; DWR and DPR are answered;
- the capture of that exchange decodes in tshark as Diameter with nothing malformed;
- a peer that is not configured is refused (DIAMETER_UNKNOWN_PEER) and nothing is installed;
- msfctl shows sessions, one session, keys (fingerprints; --reveal as root), stats and peers,
  removes a session (the P-CSCF gets an ASR), and fails clearly on bad input;
- msf-controld killed (SIGKILL) in the middle of a call and started again: the session is still
  there and media never stopped; msf-dataplane restarted: msf-controld reinstalls the session.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import (ACCESS_IP4, ACCESS_IP6, CORE_IP4, CORE_PEER_IP4, UE_IP4, WARMUP, MediaSession,
                      assert_clean, binary, run, stop_process)

CLIENT = "tests/tools/fd_rx_client/msf-fd-rx-client"
PCSCF = "pcscf.test"
MSF = "msf.test"
REALM = "test"
SUITE = "AES_CM_128_HMAC_SHA1_80"
# Media ports msf-controld hands out: away from the fixed ports the dataplane tests use.
PORT_MIN, PORT_MAX = 44000, 44999


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Controld:
    def __init__(self, workdir, dataplane_socket, procs):
        self.workdir = workdir
        self.dataplane_socket = dataplane_socket
        self.procs = procs
        self.port = free_tcp_port()
        self.cli = os.path.join(workdir, "controld.sock")
        self.store = os.path.join(workdir, "controld.db")
        self.key = os.path.join(workdir, "store.key")
        self.log_path = os.path.join(workdir, "msf-controld.log")
        self.proc = None

    def command(self):
        return [binary("controlplane/msf-controld"),
                f"--store={self.store}", f"--store-key={self.key}", f"--cli-socket={self.cli}",
                f"--dataplane-socket={self.dataplane_socket}", "--dataplane-retry-ms=200",
                f"--diameter.identity={MSF}", f"--diameter.realm={REALM}",
                f"--diameter.listen=127.0.0.1:{self.port}", f"--diameter.peer={PCSCF}",
                f"--media.access-ipv4={ACCESS_IP4}", f"--media.access-ipv6={ACCESS_IP6}",
                f"--media.core-ipv4={CORE_IP4}",
                f"--media.port-min={PORT_MIN}", f"--media.port-max={PORT_MAX}"]

    def start(self, expect_connected=True):
        self.log = open(self.log_path, "a")
        self.proc = self.procs.start(self.command(), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"msf-controld exited {self.proc.returncode}:\n{self.log_tail()}")
            result = self.msfctl("--json", "stats", check=False)
            if result.returncode == 0:
                stats = json.loads(result.stdout)
                if not expect_connected or stats["dataplane"]["connected"]:
                    return
            time.sleep(0.1)
        raise AssertionError(f"msf-controld not ready:\n{self.log_tail()}")

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return
        if sig == signal.SIGKILL:
            self.proc.kill()
            self.proc.wait(timeout=10)
        else:
            stop_process(self.proc)
        self.proc = None
        self.log.close()

    def log_tail(self, lines=40):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def msfctl(self, *args, check=True):
        result = run([binary("controlplane/cli/msfctl"), "--socket", self.cli, *args], check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"msfctl {' '.join(args)} exited {result.returncode}: {result.stderr}\n"
                                 f"{self.log_tail()}")
        return result

    def msfctl_json(self, *args):
        return json.loads(self.msfctl("--json", *args).stdout)


class FdClient:
    """msf-fd-rx-client in the background; its JSON lines are read as they come."""

    def __init__(self, controld, *actions, identity=PCSCF, timeout_ms=20000):
        cmd = [binary(CLIENT), "--identity", identity, "--realm", REALM, "--peer", MSF,
               "--peer-host", "127.0.0.1", "--peer-port", str(controld.port), "--timeout-ms", str(timeout_ms),
               *actions]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if not line.strip():
                continue
            with self.cond:
                self.lines.append(json.loads(line))
                self.cond.notify_all()

    def wait_for(self, direction, command, timeout=30):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [m for m in self.lines if m.get("direction") == direction and m.get("command") == command]
                if found:
                    return found[-1]
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise AssertionError(f"no {direction} {command}; got {self.lines}\n{self.proc.stderr.read()}")
                self.cond.wait(min(left, 0.2))

    def finish(self, timeout=60):
        self.proc.wait(timeout=timeout)
        self.reader.join(timeout=5)
        return self.proc.returncode


def messages_of(client, direction, command):
    """Every line of one kind a finished FdClient printed, in order."""
    return [m for m in client.lines if m.get("direction") == direction and m.get("command") == command]


def first(value):
    return value[0] if isinstance(value, list) else value


def media_from_aaa(aaa, from_ue_hex, ue_port, core_port):
    """The MediaSession msf-rtp-peer needs, from the AAA's MSF-Media-Address and the key the MSF
    generated (MSF-Media-Protection, NETWORK_TO_UE)."""
    assert aaa.get("result_code") == 2001, aaa
    address = first(aaa["msf_media_address"])
    protection = first(aaa["msf_media_protection"])
    assert protection["msf_direction"] == 1
    session = MediaSession(1)
    session.access = (address["msf_access_address"], address["msf_access_port"])
    session.core = (address["msf_core_address"], address["msf_core_port"])
    session.ue = (UE_IP4, ue_port)
    session.core_peer = (CORE_PEER_IP4, core_port)
    session.from_ue_key = from_ue_hex
    session.to_ue_key = protection["msf_master_key"] + protection["msf_master_salt"]
    session.ue_ssrc = 0x3000 + ue_port
    session.core_ssrc = 0x4000 + core_port
    return session


def aar_spec(ue_port, core_port, key_hex):
    return (f"ue={UE_IP4}:{ue_port},core={CORE_PEER_IP4}:{core_port},"
            f"from-ue={SUITE}:{key_hex},framed-ip=yes")


def running_controld(cls, prefix, gateway, processes):
    """A started msf-controld of class `cls` on the shared dataplane, for a module fixture to
    yield from. Sessions other tests left in the dataplane would be removed by reconciliation
    anyway; the table starts empty so that nothing of theirs is touched mid-test, and what is
    left at the end is ours and goes."""
    for s in gateway.dpctl_json("sessions").get("sessions", []):
        gateway.dpctl("session", "remove", str(s["id"]), check=False)
    workdir = tempfile.mkdtemp(prefix=prefix)
    c = cls(workdir, gateway.socket, processes)
    try:
        c.start()
        yield c
    finally:
        c.stop()
        for s in gateway.dpctl_json("sessions").get("sessions", []):
            gateway.dpctl("session", "remove", str(s["id"]), check=False)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def controld(gateway, processes):
    yield from running_controld(Controld, "msf-controld-", gateway, processes)


def test_freediameter_pcscf_installs_a_session_media_flows_and_str_removes_it(controld, peers, gateway, processes):
    key = secrets.token_hex(30)
    capture = None
    if shutil.which("dumpcap") and shutil.which("tshark"):
        pcap = os.path.join(controld.workdir, "rx.pcap")
        # Through `processes`, so that a failing assertion below still stops it.
        capture = processes.start(["dumpcap", "-q", "-i", "lo", "-f", f"tcp port {controld.port}", "-w", pcap],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    client = FdClient(controld, "--aar", aar_spec(44100, 54100, key), "--wait-dwa", "--sleep-ms", "1000",
                      "--str", "--dpr", "--tw", "6")
    aaa = client.wait_for("received", "AAA")
    session = media_from_aaa(aaa, key, 44100, 54100)
    listed = controld.msfctl_json("sessions")["sessions"]
    assert [s["session_id"] for s in listed] == [aaa["session_id"]]
    ue, core = peers.exchange(session, ["--count", "200", "--interval-us", "2000", *WARMUP])
    assert_clean(ue, 200, who="UE")
    assert_clean(core, 200, who="core")

    sta = client.wait_for("received", "STA", timeout=40)
    assert sta["result_code"] == 2001
    counters = first(sta["msf_session_counters"])
    assert counters["msf_packets_protected"] >= 200 and counters["msf_packets_unprotected"] >= 200
    assert counters["msf_auth_failures"] == 0 and counters["msf_replay_drops"] == 0
    client.wait_for("received", "DWA")
    client.wait_for("received", "DPA")
    assert client.finish() == 0
    assert controld.msfctl_json("sessions")["sessions"] == []
    assert gateway.dpctl_json("sessions").get("sessions", []) == []

    if capture:
        time.sleep(0.5)
        capture.send_signal(signal.SIGTERM)
        capture.wait(timeout=10)
        check = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "controlplane", "diameter", "tshark_check.py")
        result = subprocess.run(["/usr/bin/python3", check, pcap, str(controld.port)],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode in (0, 77), f"tshark: {result.stdout}{result.stderr}"


def test_unconfigured_peer_is_refused_and_nothing_installed(controld):
    client = FdClient(controld, "--aar", aar_spec(44200, 54200, secrets.token_hex(30)),
                      identity="intruder.test", timeout_ms=4000)
    assert client.finish() != 0
    assert controld.msfctl_json("sessions")["sessions"] == []
    assert "intruder.test" in controld.log_tail(200)
    stats = controld.msfctl_json("stats")
    assert [m for m in stats["diameter"]["messages"] if m["command"] == "AAR"][0]["errors"] == 0


def test_aar_without_a_key_is_refused_by_policy(controld):
    client = FdClient(controld, "--aar", f"ue={UE_IP4}:44300,core={CORE_PEER_IP4}:54300,framed-ip=yes", "--dpr")
    aaa = client.wait_for("received", "AAA")
    assert aaa.get("result_code") != 2001
    assert first(aaa["experimental_result"])["experimental_result_code"] == 5063
    client.finish()
    assert controld.msfctl_json("sessions")["sessions"] == []


def test_msfctl_shows_sessions_keys_stats_peers_and_removes_with_asr(controld):
    key = secrets.token_hex(30)
    client = FdClient(controld, "--aar", aar_spec(44400, 54400, key), "--wait-asr", "--dpr")
    aaa = client.wait_for("received", "AAA")
    sid = aaa["session_id"]

    table = controld.msfctl("sessions").stdout
    assert sid in table and PCSCF in table
    one = controld.msfctl_json("session", sid)
    stream = one["streams"][0]
    assert stream["access"]["local"].startswith(ACCESS_IP4 + ":")
    assert stream["core"]["remote"] == f"{CORE_PEER_IP4}:54400"
    assert stream["suite_from_ue"] == SUITE

    keys = controld.msfctl_json("keys", sid)
    assert keys["revealed"] is False
    assert "master_key" not in keys["streams"][0]["from_ue"]
    assert keys["streams"][0]["to_ue"]["generated"] is True
    revealed = controld.msfctl_json("keys", sid, "--reveal")
    assert revealed["streams"][0]["from_ue"]["master_key"] + revealed["streams"][0]["from_ue"]["master_salt"] == key
    assert "revealed to uid 0" in controld.log_tail(50)

    stats = controld.msfctl_json("stats")
    assert stats["sessions"] == 1 and stats["dataplane"]["connected"] is True
    aar = [m for m in stats["diameter"]["messages"] if m["command"] == "AAR"][0]
    assert aar["received"] >= 1
    peers = controld.msfctl_json("peers")["peers"]
    assert peers[0]["identity"] == PCSCF and peers[0]["state"] in ("R-Open", "I-Open")

    removed = controld.msfctl_json("session", "remove", sid)
    assert removed["removed"] is True
    asr = client.wait_for("received", "ASR")
    assert asr["session_id"] == sid
    client.finish()
    assert controld.msfctl_json("sessions")["sessions"] == []

    bad = controld.msfctl("session", "no-such-session", check=False)
    assert bad.returncode == 1 and "not found" in bad.stderr
    usage = controld.msfctl("frobnicate", check=False)
    assert usage.returncode == 2


def test_controld_killed_mid_call_keeps_the_session_and_media_never_stops(controld, peers, gateway):
    key = secrets.token_hex(30)
    client = FdClient(controld, "--aar", aar_spec(44500, 54500, key), "--dpr")
    aaa = client.wait_for("received", "AAA")
    client.finish()
    sid = aaa["session_id"]
    session = media_from_aaa(aaa, key, 44500, 54500)

    # 3 s of media; msf-controld is killed and restarted in the middle of it.
    result = {}
    media = threading.Thread(target=lambda: result.update(
        zip(("ue", "core"), peers.exchange(session, ["--count", "1500", "--interval-us", "2000", *WARMUP]))))
    media.start()
    time.sleep(1.5)
    controld.stop(signal.SIGKILL)
    controld.start()
    media.join(timeout=120)
    assert_clean(result["ue"], 1500, who="UE")
    assert_clean(result["core"], 1500, who="core")
    assert [s["session_id"] for s in controld.msfctl_json("sessions")["sessions"]] == [sid]

    # msf-dataplane restarted: msf-controld puts the session back.
    gateway.stop()
    gateway.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if len(gateway.dpctl_json("sessions").get("sessions", [])) == 1:
            break
        time.sleep(0.2)
    assert len(gateway.dpctl_json("sessions").get("sessions", [])) == 1, controld.log_tail()
    # Media again, with fresh SSRCs and sequence numbers: the dataplane's contexts are new.
    session.ue_ssrc += 1
    session.core_ssrc += 1
    ue, core = peers.exchange(session, ["--count", "200", "--interval-us", "2000", *WARMUP])
    assert_clean(ue, 200, who="UE")
    assert_clean(core, 200, who="core")
    controld.msfctl("session", "remove", sid)
