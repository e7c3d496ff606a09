"""msf-fd-rx-client, the freeDiameter 1.2.1 Rx client (P-CSCF side) that the Diameter tests run
against msf-controld, checked on its own so the tool cannot rot:

- against freeDiameterd, a second freeDiameter as the server: CER/CEA, DWR/DWA and DPR/DPA
  complete; the AAR and STR draw an error answer (3001/3007: freeDiameterd has no Rx application),
  printed all the same. Where dumpcap and tshark are there, the capture of the exchange on `lo`
  decodes as Diameter with nothing malformed.
- against a scripted Rx server written here with struct (a third, independent encoder): the AAA's
  MSF-Media-Address and MSF-Media-Protection reach the output; the client answers RAR and ASR with
  2001 and ends the aborted session with an STR; freeDiameter itself answers an RAR without
  Specific-Action with 5005 (TS 29.214 §5.6.3 requires it); a 2001 AAA without
  Auth-Application-Id (TS 29.214 §5.6.2 requires it) is dropped by freeDiameter, which the client
  reports and fails on.

Loopback only, no root needed except for the capture. Skipped, with the reason, when
freeDiameterd or its acl_wl extension is not installed (Debian package freediameter).
"""
import glob
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import binary, stop_process

CLIENT = "tests/tools/fd_rx_client/msf-fd-rx-client"
CLIENT_ID = "pcscf.test"
REALM = "test"
RX = 16777236
TGPP = 10415
MSF_VENDOR = 32473
# RFC 4568 §9.1's example inline key, as key || salt in hex.
KEY30 = "3d2d6e40255e7821426a75667239293f2c2335685c603d265d7b71695051"
RUN_TIMEOUT_S = 60


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_client(port, peer, *actions, timeout_ms=10000):
    """Runs the client to its end; returns (exit code, JSON lines, stderr)."""
    cmd = [binary(CLIENT), "--identity", CLIENT_ID, "--realm", REALM, "--peer", peer,
           "--peer-host", "127.0.0.1", "--peer-port", str(port), "--timeout-ms", str(timeout_ms), *actions]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.returncode, lines, result.stderr


def messages(lines, direction, command):
    return [m for m in lines if m.get("direction") == direction and m.get("command") == command]


def one(lines, direction, command):
    found = messages(lines, direction, command)
    assert len(found) == 1, f"{direction} {command}: {len(found)} lines in {lines}"
    return found[0]


# ---- freeDiameterd as the server ----

def find_acl_wl():
    for pattern in ("/usr/lib/freeDiameter/acl_wl.fdx", "/usr/lib/*/freeDiameter/acl_wl.fdx"):
        found = glob.glob(pattern)
        if found:
            return found[0]
    return None


class FreeDiameterd:
    """freeDiameterd on 127.0.0.1:port, plain TCP, TLS off (SecPort 0, so no certificate), that
    lets pcscf.test in without a ConnectPeer (acl_wl, ALLOW_IPSEC: no TLS) and relays (so its CEA
    advertises the relay application and the client routes Rx requests to it)."""

    IDENTITY = "server.test"

    def __init__(self, workdir, acl_wl):
        self.port = free_tcp_port()
        self.log_path = os.path.join(workdir, "freeDiameterd.log")
        acl = os.path.join(workdir, "acl_wl.conf")
        with open(acl, "w") as f:
            f.write(f"ALLOW_IPSEC {CLIENT_ID}\n")
        self.config = os.path.join(workdir, "freeDiameterd.conf")
        with open(self.config, "w") as f:
            f.write(f'Identity = "{self.IDENTITY}";\nRealm = "{REALM}";\nPort = {self.port};\nSecPort = 0;\n'
                    f'No_SCTP;\nListenOn = "127.0.0.1";\nTwTimer = 30;\n'
                    f'LoadExtension = "{acl_wl}" : "{acl}";\n')
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(["freeDiameterd", "-c", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"freeDiameterd exited {self.proc.returncode}:\n{self.log_text()}")
            if "daemon initialized" in self.log_text():
                return
            time.sleep(0.1)
        raise AssertionError(f"freeDiameterd did not start:\n{self.log_text()}")

    def stop(self):
        if self.proc is not None:
            stop_process(self.proc)
            self.log.close()

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


class Capture:
    """dumpcap on lo for one TCP port, read back with tshark as Diameter."""

    def __init__(self, workdir, port):
        self.port = port
        self.path = os.path.join(workdir, "diameter.pcapng")
        self.proc = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", f"tcp port {port}", "-w", self.path],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            # The file's pcapng header is written once the capture runs.
            if os.path.exists(self.path) and os.path.getsize(self.path) > 0:
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"dumpcap exited {self.proc.returncode}: {self.proc.stderr.read()}")
            time.sleep(0.05)
        raise AssertionError("dumpcap did not start capturing")

    def stop(self):
        time.sleep(0.3)  # the last segments
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)

    def tshark(self, *args):
        return subprocess.run(["tshark", "-r", self.path, "-d", f"tcp.port=={self.port},diameter", *args],
                              capture_output=True, text=True, timeout=60, check=True).stdout


def capture_unavailable_reason():
    if os.geteuid() != 0:
        return "capturing on lo needs root"
    for tool in ("dumpcap", "tshark"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


@pytest.fixture
def freediameterd():
    if shutil.which("freeDiameterd") is None:
        pytest.skip("freeDiameterd is not installed (Debian package freediameter)")
    acl_wl = find_acl_wl()
    if acl_wl is None:
        pytest.skip("freeDiameter's acl_wl.fdx extension is not installed (Debian package freediameter-extensions)")
    workdir = tempfile.mkdtemp(prefix="msf-fd-rx-")
    server = FreeDiameterd(workdir, acl_wl)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def test_client_completes_cer_dwr_dpr_with_freediameterd_and_prints_its_aar_error(freediameterd):
    capture = None
    if capture_unavailable_reason() is None:
        capture = Capture(os.path.dirname(freediameterd.config), freediameterd.port)
    try:
        spec = (f"ue=192.0.2.2:49170,core=198.51.100.20:30000,crypto=AES_CM_128_HMAC_SHA1_80:{KEY30},"
                f"from-ue=AES_CM_128_HMAC_SHA1_80:{KEY30}")
        code, lines, stderr = run_client(freediameterd.port, FreeDiameterd.IDENTITY, "--aar", spec, "--str",
                                         "--wait-dwa", "--dpr")
    finally:
        if capture is not None:
            capture.stop()
    where = f"exit {code}\n{json.dumps(lines, indent=1)}\nstderr: {stderr}\nserver:\n{freediameterd.log_text()}"
    assert code == 0, where
    assert lines[-1] == {"event": "done", "ok": True}, where

    cea = one(lines, "received", "CEA")
    assert cea["result_code"] == 2001 and cea["origin_host"] == FreeDiameterd.IDENTITY, where
    cer = one(lines, "sent", "CER")
    assert cer["vendor_specific_application_id"] == [{"auth_application_id": [RX], "vendor_id": TGPP}], where
    assert {"event": "connected", "peer": FreeDiameterd.IDENTITY} in lines, where

    aar = one(lines, "sent", "AAR")
    assert aar["application_id"] == RX and aar["flags"] == "RP", where
    mcd = aar["media_component_description"][0]
    assert mcd["media_sub_component"][0]["flow_description"] == [
        "permit out 17 from 192.0.2.2 49170 to 198.51.100.20 30000",
        "permit in 17 from 198.51.100.20 30000 to 192.0.2.2 49170"], where
    assert "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n" \
        in mcd["codec_data"][0], where
    assert aar["msf_media_protection"][0]["msf_master_key"] == KEY30[:32], where
    # freeDiameterd has no Rx application: an error answer (E bit), for the AAR and the STR.
    for command in ("AAA", "STA"):
        answer = one(lines, "received", command)
        assert answer["result_code"] in (3001, 3007) and "E" in answer["flags"], where
        assert answer["session_id"] == aar["session_id"], where

    # Our DWR after Tw (6 s) of silence, or freeDiameterd's: either way one full exchange.
    dwa = messages(lines, "received", "DWA") + messages(lines, "sent", "DWA")
    assert dwa and all(m["result_code"] == 2001 for m in dwa), where
    one(lines, "sent", "DPR")
    assert one(lines, "received", "DPA")["result_code"] == 2001, where
    assert not [m for m in lines if m.get("event") in ("dropped", "timeout", "error")], where

    if capture is not None:
        assert capture.tshark("-Y", "_ws.malformed", "-T", "fields", "-e", "frame.number").strip() == "", \
            "tshark finds malformed Diameter"
        seen = set(capture.tshark("-Y", "diameter", "-T", "fields", "-e", "diameter.cmd.code").split())
        assert {"257", "265", "275", "280", "282"} <= seen, f"commands in the capture: {seen}"


def test_client_fails_and_says_so_when_nothing_listens():
    code, lines, _ = run_client(free_tcp_port(), "nobody.test", "--aar", "ue=192.0.2.2:1,core=192.0.2.3:2",
                                timeout_ms=1500)
    assert code == 1, lines
    assert {"event": "timeout", "action": "connect", "after_ms": 1500} in lines
    assert lines[-1] == {"event": "done", "ok": False}


# ---- a scripted Rx server (RFC 6733 §3, §4 encoding by hand) ----

def avp(code, data, vendor=0, mandatory=True):
    flags = (0x80 if vendor else 0) | (0x40 if mandatory else 0)
    header = struct.pack("!IB", code, flags) + (8 + (4 if vendor else 0) + len(data)).to_bytes(3, "big")
    if vendor:
        header += struct.pack("!I", vendor)
    out = header + data
    return out + b"\0" * (-len(out) % 4)


def u32(v):
    return struct.pack("!I", v)


def u64(v):
    return struct.pack("!Q", v)


def address(ip):
    return b"\0\1" + socket.inet_aton(ip)


def text(s):
    return s.encode()


def diameter_message(code, request, app, hbh, e2e, avps, proxiable=True):
    body = b"".join(avps)
    flags = (0x80 if request else 0) | (0x40 if proxiable else 0)
    return (b"\1" + (20 + len(body)).to_bytes(3, "big") + bytes([flags]) + code.to_bytes(3, "big")
            + struct.pack("!III", app, hbh, e2e) + body)


def parse_avps(data):
    out = []
    while len(data) >= 8:
        code, flags = struct.unpack("!IB", data[:5])
        length = int.from_bytes(data[5:8], "big")
        vendor = struct.unpack("!I", data[8:12])[0] if flags & 0x80 else 0
        start = 12 if flags & 0x80 else 8
        out.append({"code": code, "vendor": vendor, "flags": flags, "data": data[start:length]})
        data = data[(length + 3) & ~3:]
    return out


def find(avps, code, vendor=0):
    return [a for a in avps if a["code"] == code and a["vendor"] == vendor]


class ScriptedRxServer(threading.Thread):
    """Accepts the client, answers CER/DWR/DPR/STR, answers the AAR with the MSF's vendor AVPs,
    then sends an RAR, an RAR without Specific-Action and an ASR, each after the previous answer.
    aaa_without_auth_application_id: the AAA breaks TS 29.214 §5.6.2 instead."""

    IDENTITY = "msf.test"

    def __init__(self, aaa_without_auth_application_id=False):
        super().__init__(daemon=True)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(RUN_TIMEOUT_S)
        self.port = self.listener.getsockname()[1]
        self.broken_aaa = aaa_without_auth_application_id
        self.received = []  # (code, request, avps)
        self.error = None
        self.next_id = 1000
        self.session_id = None
        self.server_requests = []

    def origin(self):
        return [avp(264, text(self.IDENTITY)), avp(296, text(REALM))]

    def send(self, conn, *args, **kw):
        conn.sendall(diameter_message(*args, **kw))

    def answer(self, conn, code, app, hbh, e2e, avps, proxiable=True):
        self.send(conn, code, False, app, hbh, e2e, avps, proxiable=proxiable)

    def request(self, conn, code, avps):
        self.next_id += 1
        self.send(conn, code, True, RX, self.next_id, self.next_id, avps)

    def to_client(self, sid):
        return [avp(263, text(sid)), *self.origin(), avp(283, text(REALM)), avp(293, text(CLIENT_ID)),
                avp(258, u32(RX))]

    def run(self):
        try:
            conn, _ = self.listener.accept()
            conn.settimeout(RUN_TIMEOUT_S)
            with conn:
                self.serve(conn)
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            self.listener.close()

    def read_message(self, conn, buffer):
        while len(buffer) < 4 or len(buffer) < int.from_bytes(buffer[1:4], "big"):
            chunk = conn.recv(65536)
            if not chunk:
                return None, buffer
            buffer += chunk
        length = int.from_bytes(buffer[1:4], "big")
        return buffer[:length], buffer[length:]

    def serve(self, conn):
        buffer = b""
        while True:
            message, buffer = self.read_message(conn, buffer)
            if message is None:
                return
            flags, code = message[4], int.from_bytes(message[5:8], "big")
            app, hbh, e2e = struct.unpack("!III", message[8:20])
            request = bool(flags & 0x80)
            avps = parse_avps(message[20:])
            self.received.append((code, request, avps))
            sid = find(avps, 263)[0]["data"].decode() if find(avps, 263) else None
            if code == 257 and request:
                self.answer(conn, 257, 0, hbh, e2e, [avp(268, u32(2001)), *self.origin(),
                                                     avp(257, address("127.0.0.1")), avp(266, u32(0)),
                                                     avp(269, text("scripted Rx server"), mandatory=False),
                                                     avp(258, u32(RX))], proxiable=False)
            elif code == 280 and request:
                self.answer(conn, 280, 0, hbh, e2e, [avp(268, u32(2001)), *self.origin()], proxiable=False)
            elif code == 282 and request:
                self.answer(conn, 282, 0, hbh, e2e, [avp(268, u32(2001)), *self.origin()], proxiable=False)
                return
            elif code == 265 and request:
                self.session_id = sid
                media_address = avp(1010, b"".join([
                    avp(518, u32(1), vendor=TGPP), avp(1011, address("192.0.2.10"), vendor=MSF_VENDOR, mandatory=False),
                    avp(1012, u32(20000), vendor=MSF_VENDOR, mandatory=False),
                    avp(1013, address("198.51.100.10"), vendor=MSF_VENDOR, mandatory=False),
                    avp(1014, u32(30000), vendor=MSF_VENDOR, mandatory=False),
                    avp(1015, u32(0), vendor=MSF_VENDOR, mandatory=False)]), vendor=MSF_VENDOR, mandatory=False)
                protection = avp(1001, b"".join([
                    avp(1002, u32(1), vendor=MSF_VENDOR, mandatory=False),
                    avp(1003, text("AES_CM_128_HMAC_SHA1_80"), vendor=MSF_VENDOR, mandatory=False),
                    avp(1004, bytes(range(16)), vendor=MSF_VENDOR, mandatory=False),
                    avp(1005, bytes(range(14)), vendor=MSF_VENDOR, mandatory=False)]), vendor=MSF_VENDOR,
                    mandatory=False)
                head = [avp(263, text(sid))] + ([] if self.broken_aaa else [avp(258, u32(RX))])
                self.answer(conn, 265, RX, hbh, e2e, [*head, *self.origin(), avp(268, u32(2001)),
                                                      media_address, protection])
                if not self.broken_aaa:
                    # TS 29.214 §5.6.3 RAR; Specific-Action 4 INDICATION_OF_RELEASE_OF_BEARER;
                    # MSF-Event-Cause 1 INACTIVITY.
                    self.request(conn, 258, [*self.to_client(sid), avp(513, u32(4), vendor=TGPP),
                                             avp(1030, u32(1), vendor=MSF_VENDOR, mandatory=False)])
            elif code == 258 and not request:
                rars_answered = sum(1 for c, r, _ in self.received if c == 258 and not r)
                if rars_answered == 1:  # the same RAR without its required Specific-Action
                    self.request(conn, 258, self.to_client(self.session_id))
                else:  # TS 29.214 §5.6.7 ASR, Abort-Cause 0 BEARER_RELEASED
                    self.request(conn, 274, [*self.to_client(self.session_id), avp(500, u32(0), vendor=TGPP)])
            elif code == 275 and request:
                counters = avp(1020, b"".join([avp(518, u32(1), vendor=TGPP)] + [
                    avp(c, u64(v), vendor=MSF_VENDOR, mandatory=False)
                    for c, v in ((1021, 500), (1022, 499), (1023, 1), (1024, 0), (1025, 86000), (1026, 85828))]),
                    vendor=MSF_VENDOR, mandatory=False)
                self.answer(conn, 275, RX, hbh, e2e, [avp(263, text(sid)), *self.origin(), avp(268, u32(2001)),
                                                      counters])

    def received_commands(self, code, request):
        return [avps for c, r, avps in self.received if c == code and r == request]


@pytest.fixture
def scripted_server():
    servers = []

    def make(**kw):
        server = ScriptedRxServer(**kw)
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.join(timeout=RUN_TIMEOUT_S)
        assert server.error is None, f"scripted server: {server.error!r}"


def test_client_reports_msf_avps_answers_rar_and_asr_and_ends_the_aborted_session(scripted_server):
    server = scripted_server()
    spec = f"ue=192.0.2.2:49170,core=198.51.100.20:30000,crypto=AES_CM_128_HMAC_SHA1_80:{KEY30}"
    code, lines, stderr = run_client(server.port, ScriptedRxServer.IDENTITY, "--aar", spec, "--wait-rar",
                                     "--wait-rar", "--wait-asr", "--str-aborted", "--dpr")
    where = f"exit {code}\n{json.dumps(lines, indent=1)}\nstderr: {stderr}"
    assert code == 0, where
    assert lines[-1] == {"event": "done", "ok": True}, where

    aaa = one(lines, "received", "AAA")
    assert aaa["result_code"] == 2001 and aaa["auth_application_id"] == [RX], where
    assert aaa["msf_media_address"] == [{
        "media_component_number": 1, "msf_access_address": "192.0.2.10", "msf_access_port": 20000,
        "msf_core_address": "198.51.100.10", "msf_core_port": 30000, "msf_rtcp_mux": 0}], where
    assert aaa["msf_media_protection"] == [{
        "msf_direction": 1, "msf_crypto_suite": "AES_CM_128_HMAC_SHA1_80",
        "msf_master_key": bytes(range(16)).hex(), "msf_master_salt": bytes(range(14)).hex()}], where

    rars = messages(lines, "received", "RAR")
    assert len(rars) == 2 and rars[0]["specific_action"] == [4] and rars[0]["msf_event_cause"] == 1, where
    raas = messages(lines, "sent", "RAA")
    # Ours for the Rx RAR; freeDiameter's own for the one without Specific-Action.
    assert [r["result_code"] for r in raas] == [2001, 5005], where
    assert raas[1]["failed_avp"] == [{"avps": [{"code": 513, "vendor_id": TGPP}]}], where
    assert raas[0]["session_id"] == aaa["session_id"], where
    assert one(lines, "received", "ASR")["abort_cause"] == 0, where
    assert one(lines, "sent", "ASA")["result_code"] == 2001, where
    strs = messages(lines, "sent", "STR")
    assert len(strs) == 1 and strs[0]["termination_cause"] == 4 and strs[0]["session_id"] == aaa["session_id"], where
    sta = one(lines, "received", "STA")
    assert sta["msf_session_counters"][0]["msf_packets_unprotected"] == 500, where
    assert sta["msf_session_counters"][0]["msf_bytes_to_ue"] == 85828, where
    assert one(lines, "received", "DPA")["result_code"] == 2001, where

    # The AAR as the server read it: Rx AVPs carry V and M, the MSF's none here, the UE's key in
    # the offer's a=crypto line.
    (aar,) = server.received_commands(265, True)
    assert aar[0]["code"] == 263, "Session-Id first (RFC 6733 §8.8)"
    assert [a["data"] for a in find(aar, 258)] == [u32(RX)]
    (mcd,) = find(aar, 517, TGPP)
    assert mcd["flags"] == 0xC0
    inner = parse_avps(mcd["data"])
    assert find(inner, 518, TGPP)[0]["data"] == u32(1)
    assert len(find(inner, 519, TGPP)) == 2
    offer, answer = (a["data"].decode() for a in find(inner, 524, TGPP))
    assert offer.startswith("uplink\noffer\nm=audio 49170 RTP/SAVP 0\r\n")
    assert "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n" in offer
    assert answer.startswith("downlink\nanswer\nm=audio 30000 RTP/AVP 0\r\n")
    assert find(aar, 8)[0]["data"] == socket.inet_aton("192.0.2.2")
    (cer,) = server.received_commands(257, True)
    (vsai,) = find(cer, 260)
    assert sorted((a["code"], a["data"]) for a in parse_avps(vsai["data"])) == [(258, u32(RX)), (266, u32(TGPP))]


def test_client_reports_an_aaa_freediameter_drops_and_fails(scripted_server):
    server = scripted_server(aaa_without_auth_application_id=True)
    code, lines, stderr = run_client(server.port, ScriptedRxServer.IDENTITY, "--aar",
                                     "ue=192.0.2.2:49170,core=198.51.100.20:30000", "--dpr")
    where = f"exit {code}\n{json.dumps(lines, indent=1)}\nstderr: {stderr}"
    assert code == 1, where
    assert one(lines, "received", "AAA")["result_code"] == 2001, where
    dropped = [m for m in lines if m.get("event") == "dropped" and m.get("command") == "AAA"]
    assert dropped and "rules" in dropped[0]["reason"], where
    assert lines[-1] == {"event": "done", "ok": False}, where
