"""An unmodified Kamailio 5.6 P-CSCF (Debian kamailio + kamailio-ims-modules: ims_qos, cdp) in
front of msf-controld, with sipp (Debian sip-tester) as the UE and as the called party, and the
real msf-dataplane in the gateway namespace (the session fixture of conftest.py).

    sipp UAC (UE) --SIP/UDP--> Kamailio P-CSCF --SIP/UDP--> sipp UAS (callee)      all on 127.0.0.1
                                   | Rx (Diameter/TCP): AAR on the 200 OK, STR on the BYE
                               msf-controld --unix socket--> msf-dataplane (gateway namespace)

- the UE's INVITE and the callee's 200 OK carry SDES keys (a=crypto, RFC 4568); ims_qos sends an
  AAR with both m-sections in Codec-Data, and msf-controld installs the session from it: the
  UE->network key is the UE's a=crypto, the network->UE key the callee's (none generated), the
  core side goes to the callee's c=/m= address;
- Kamailio rewrites no SDP (it ignores the MSF-Media-Address AVP of the AAA), so the test reads
  the MSF's access and core addresses from msfctl, sends SRTP from the UE namespace with the UE's
  key and plain RTP from the core namespace (msf-rtp-peer), and every packet must arrive, intact,
  decrypted or encrypted with the other side's key;
- the UE's BYE ends the dialog, ims_qos sends an STR, and the session is gone from msf-controld
  and from the dataplane.

The configuration is config/kamailio/ (README.md there says how it is wired); the SIP scenarios
are tests/system/kamailio/. Skipped, with the reason, when kamailio, its IMS modules or sipp are
not installed, or when not root (the network namespaces of conftest.py).
"""
import base64
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import types

import pytest

from conftest import (ACCESS_IP4, CORE_IP4, CORE_PEER_IP4, REPO, UE_IP4, WARMUP, MediaSession, assert_clean,
                      stop_process)
from test_controld import Controld

CONFIG_DIR = os.path.join(REPO, "config", "kamailio")
SCENARIOS = os.path.join(REPO, "tests", "system", "kamailio")
# Identities of config/kamailio/pcscf-diameter.xml (the P-CSCF's FQDN and realm).
PCSCF = "pcscf.test"
REALM = "test"
SUITE = "AES_CM_128_HMAC_SHA1_80"
# Media ports msf-controld hands out, and the SDPs' ports: away from the other modules' ranges.
PORT_MIN, PORT_MAX = 48000, 48999
UE_MEDIA_PORT = 49000
CORE_MEDIA_PORT = 59000
# How long the UE holds the call before its BYE: the media below takes about 2 s of it.
HOLD_MS = 8000
PACKETS = 250
# Kamailio's modules that the configuration loads beyond the core ones.
IMS_MODULES = ("ims_qos", "ims_dialog", "ims_usrloc_pcscf", "cdp", "cdp_avp")


def missing_reason():
    for tool, package in (("kamailio", "kamailio"), ("sipp", "sip-tester")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian package {package})"
    for module in IMS_MODULES:
        # Debian's multiarch directory, or lib/lib64 of other builds.
        if not any(glob.glob(f"{lib}/kamailio/modules/{module}.so") for lib in ("/usr/lib/*", "/usr/lib*")):
            return f"Kamailio module {module} is not installed (Debian package kamailio-ims-modules)"
    return None


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path, lines=60):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


class KamailioControld(Controld):
    """msf-controld of test_controld.py (identity msf.test, realm test, peer pcscf.test), with
    this module's media port range."""

    def command(self):
        cmd = [arg for arg in super().command() if not arg.startswith("--media.port-")]
        # pcscf-diameter.xml's identity and realm must be the peer msf-controld accepts.
        assert f"--diameter.peer={PCSCF}" in cmd and f"--diameter.realm={REALM}" in cmd, cmd
        return cmd + [f"--media.port-min={PORT_MIN}", f"--media.port-max={PORT_MAX}"]


class Kamailio:
    """kamailio -DD -E in the foreground, with its own runtime directory, pid file and the cdp
    XML rewritten to msf-controld's port."""

    def __init__(self, workdir, procs, controld_port, callee_port):
        self.workdir = workdir
        self.callee_port = callee_port
        self.rundir = os.path.join(workdir, "kamailio-run")
        os.makedirs(self.rundir)
        self.sip_port = free_port(socket.SOCK_DGRAM)
        self.log_path = os.path.join(workdir, "kamailio.log")
        with open(os.path.join(CONFIG_DIR, "pcscf-diameter.xml")) as f:
            xml = f.read()
        assert 'port="3868"' in xml, "pcscf-diameter.xml no longer names msf-controld's port as 3868"
        self.cdp_config = os.path.join(workdir, "pcscf-diameter.xml")
        with open(self.cdp_config, "w") as f:
            f.write(xml.replace('port="3868"', f'port="{controld_port}"'))
        self.log = open(self.log_path, "w")
        self.proc = procs.start(
            ["kamailio", "-DD", "-E", "-f", os.path.join(CONFIG_DIR, "kamailio-pcscf.cfg"),
             "-Y", self.rundir, "-P", os.path.join(self.rundir, "kamailio.pid"), "-w", self.rundir,
             "-l", f"udp:127.0.0.1:{self.sip_port}", "-m", "64", "-M", "8",
             "-A", f'CDP_CONFIG="{self.cdp_config}"',
             "-A", f'NEXT_HOP="sip:127.0.0.1:{callee_port}"',
             "-A", f'RX_REALM="{REALM}"'],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.rundir)

    def assert_running(self):
        assert self.proc.poll() is None, f"kamailio exited {self.proc.returncode}:\n{self.log_tail()}"

    def log_tail(self, lines=60):
        return log_tail(self.log_path, lines)

    def stop(self):
        stop_process(self.proc)
        self.log.close()


def sipp(workdir, name, scenario, port, *args):
    """sipp in the background, its screen and unexpected messages logged in workdir."""
    log = open(os.path.join(workdir, f"sipp-{name}.log"), "w")
    cmd = ["sipp", "-sf", os.path.join(SCENARIOS, scenario), "-i", "127.0.0.1", "-p", str(port),
           "-m", "1", "-nostdin", "-timeout", "40", "-timeout_error",
           "-trace_err", "-error_file", os.path.join(workdir, f"sipp-{name}-errors.log"),
           "-trace_msg", "-message_file", os.path.join(workdir, f"sipp-{name}-messages.log"), *args]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    proc.log = log
    return proc


def sipp_report(workdir, name):
    return (f"--- sipp {name} errors:\n{log_tail(os.path.join(workdir, f'sipp-{name}-errors.log'), 30)}"
            f"--- sipp {name} messages:\n{log_tail(os.path.join(workdir, f'sipp-{name}-messages.log'), 80)}")


def sdes_key():
    """A fresh AES_CM_128_HMAC_SHA1_80 master key and salt: (hex for msf-rtp-peer, base64 for
    the a=crypto inline: parameter)."""
    raw = secrets.token_bytes(30)
    return raw.hex(), base64.b64encode(raw).decode()


# Skip before conftest.py builds the namespaces and starts the dataplane for nothing.
pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))


@pytest.fixture(scope="module")
def pcscf(gateway, processes):
    """msf-controld, and Kamailio connected to it over Diameter (its CER accepted)."""
    # Start from an empty table, as test_controld.py does.
    for s in gateway.dpctl_json("sessions").get("sessions", []):
        gateway.dpctl("session", "remove", str(s["id"]), check=False)
    workdir = tempfile.mkdtemp(prefix="msf-kamailio-")
    controld = KamailioControld(workdir, gateway.socket, processes)
    kamailio = None
    capture = None
    pcap = os.path.join(workdir, "rx.pcap")
    try:
        controld.start()
        if shutil.which("dumpcap") and shutil.which("tshark"):
            # Every Diameter message from Kamailio's CER on, for the tshark check of the test.
            capture = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", f"tcp port {controld.port}",
                                        "-w", pcap],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        callee_port = free_port(socket.SOCK_DGRAM)
        kamailio = Kamailio(workdir, processes, controld.port, callee_port)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            kamailio.assert_running()
            peers = controld.msfctl_json("peers")["peers"]
            if any(p["identity"] == PCSCF and p["state"] in ("R-Open", "I-Open") for p in peers):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"Kamailio's cdp never opened a Diameter connection to msf-controld:\n"
                                 f"{kamailio.log_tail()}\n--- msf-controld:\n{controld.log_tail()}")
        yield types.SimpleNamespace(controld=controld, kamailio=kamailio, capture=capture, pcap=pcap)
    finally:
        if capture is not None:
            stop_process(capture)
        if kamailio is not None:
            kamailio.stop()
        controld.stop()
        for s in gateway.dpctl_json("sessions").get("sessions", []):
            gateway.dpctl("session", "remove", str(s["id"]), check=False)
        shutil.rmtree(workdir, ignore_errors=True)


def wait_for(what, probe, timeout_s, explain):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout_s} s\n{explain()}")


def test_kamailio_call_with_a_crypto_installs_the_session_media_flows_both_ways_and_bye_removes_it(
        pcscf, peers, gateway):
    controld, kamailio = pcscf.controld, pcscf.kamailio
    workdir = kamailio.workdir
    ue_hex, ue_b64 = sdes_key()
    callee_hex, callee_b64 = sdes_key()

    callee = sipp(workdir, "callee", "callee.xml", kamailio.callee_port,
                  "-key", "core_media_ip", CORE_PEER_IP4, "-key", "core_media_port", str(CORE_MEDIA_PORT),
                  "-key", "core_crypto_key", callee_b64)
    ue = sipp(workdir, "ue", "ue-call.xml", free_port(socket.SOCK_DGRAM),
              f"127.0.0.1:{kamailio.sip_port}", "-d", str(HOLD_MS),
              "-key", "ue_media_ip", UE_IP4, "-key", "ue_media_port", str(UE_MEDIA_PORT),
              "-key", "ue_crypto_key", ue_b64)
    try:
        def explain():
            return (f"--- kamailio:\n{kamailio.log_tail()}\n--- msf-controld:\n{controld.log_tail()}\n"
                    f"{sipp_report(workdir, 'ue')}{sipp_report(workdir, 'callee')}")

        # The 200 OK made ims_qos send the AAR: one session, from Kamailio.
        sessions = wait_for("no session installed by Kamailio's AAR",
                            lambda: controld.msfctl_json("sessions")["sessions"], 15, explain)
        assert len(sessions) == 1, sessions
        sid = sessions[0]["session_id"]
        stream = controld.msfctl_json("session", sid)["streams"][0]
        access_ip, access_port = stream["access"]["local"].rsplit(":", 1)
        core_ip, core_port = stream["core"]["local"].rsplit(":", 1)
        assert access_ip == ACCESS_IP4 and core_ip == CORE_IP4, stream
        assert PORT_MIN <= int(access_port) <= PORT_MAX, stream
        # The core side is the callee's c=/m= (Flow-Description and Codec-Data agree on it).
        assert stream["core"]["remote"] == f"{CORE_PEER_IP4}:{CORE_MEDIA_PORT}", stream
        assert stream["suite_from_ue"] == SUITE, stream
        assert stream["rtcp_mux"] is False, stream

        # Both keys come from the SDPs' a=crypto lines in Codec-Data; the MSF generated none.
        keys = controld.msfctl_json("keys", sid, "--reveal")["streams"][0]
        assert keys["from_ue"]["master_key"] + keys["from_ue"]["master_salt"] == ue_hex, keys
        assert keys["to_ue"]["master_key"] + keys["to_ue"]["master_salt"] == callee_hex, keys
        assert keys["to_ue"]["generated"] is False, keys

        media = MediaSession(1)
        media.access = (access_ip, int(access_port))
        media.core = (core_ip, int(core_port))
        media.ue = (UE_IP4, UE_MEDIA_PORT)
        media.core_peer = (CORE_PEER_IP4, CORE_MEDIA_PORT)
        media.from_ue_key = ue_hex
        media.to_ue_key = callee_hex
        started = time.monotonic()
        # RTP and RTCP (one RTCP packet per 10 RTP, on the RTP port + 1: no a=rtcp-mux in the SDPs)
        ue_summary, core_summary = peers.exchange(
            media, ["--count", str(PACKETS), "--interval-us", "2000", *WARMUP], rtcp=True)
        media_s = time.monotonic() - started
        assert_clean(ue_summary, PACKETS, rtcp_count=PACKETS // 10, who="UE")
        assert_clean(core_summary, PACKETS, rtcp_count=PACKETS // 10, who="core")
        # The BYE must not have come in the middle of the media: the hold covers it.
        assert media_s * 1000 < HOLD_MS - 1000, f"media took {media_s:.1f} s of the {HOLD_MS} ms hold"
        assert [s["session_id"] for s in controld.msfctl_json("sessions")["sessions"]] == [sid]

        # The UE's BYE ends the dialog; ims_qos sends an STR and the session goes.
        assert ue.wait(timeout=HOLD_MS / 1000 + 20) == 0, f"sipp UE exited {ue.returncode}\n{explain()}"
        assert callee.wait(timeout=20) == 0, f"sipp callee exited {callee.returncode}\n{explain()}"
        wait_for("the session is still installed after the BYE",
                 lambda: controld.msfctl_json("sessions")["sessions"] == [], 10, explain)
        assert gateway.dpctl_json("sessions").get("sessions", []) == []
        messages = {m["command"]: m for m in controld.msfctl_json("stats")["diameter"]["messages"]}
        assert messages["AAR"]["received"] == 1 and messages["AAR"]["errors"] == 0, messages
        assert messages["STR"]["received"] == 1 and messages["STR"]["errors"] == 0, messages
        kamailio.assert_running()

        # What Kamailio and msf-controld said to each other decodes as Diameter, nothing
        # malformed, and the AAR carried the SDPs in Codec-Data.
        if pcscf.capture is not None:
            time.sleep(0.5)
            stop_process(pcscf.capture)
            check = os.path.join(REPO, "tests", "controlplane", "diameter", "tshark_check.py")
            result = subprocess.run(["/usr/bin/python3", check, pcscf.pcap, str(controld.port),
                                     "--require", "Codec-Data", "Flow-Description", "Framed-IP-Address"],
                                    capture_output=True, text=True, timeout=120)
            assert result.returncode in (0, 77), f"tshark: {result.stdout}{result.stderr}"
    finally:
        for proc in (ue, callee):
            stop_process(proc)
            proc.log.close()
