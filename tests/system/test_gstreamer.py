"""GStreamer's srtpenc/srtpdec (libsrtp2 through an independent media stack) as the UE, through
the whole gateway: msf-dataplane in the gateway namespace (the session fixture of conftest.py),
msf-controld beside it, msf-pcscf installing one call over Diameter with keys derived from an IMS
AKA SA, and msf-ue-keys deriving the same keys on the UE side from the UE's own copy of the SA.

- UE -> core: a gst-launch pipeline in the UE namespace (audiotestsrc, G.711 mu-law, rtppcmupay,
  srtpenc, udpsink bound to the UE's port) sends SRTP to the MSF's access address; a plain UDP
  socket in the core namespace receives RTP from the MSF's core address, and every packet, its
  sequence number, SSRC and 160 payload bytes match what the pipeline sent (a tee writes the
  mu-law bytes it payloaded to a file);
- core -> UE: plain RTP from the core namespace to the MSF's core address; in the UE namespace
  udpsrc (on the UE's port) ! srtpdec ! rtppcmudepay ! filesink decodes every packet, and the
  file holds exactly the payload bytes the core sent;
- the same with a wrong key in srtpdec: every packet arrives (udpsrc stops after N datagrams)
  and nothing decodes, so the byte comparison above is a check that can fail.

GStreamer exits 0 whatever the key, so every check counts and compares at the far end. Skipped,
with the reason, when gst-launch-1.0 or one of the elements is missing (Debian:
gstreamer1.0-tools, gstreamer1.0-plugins-base, -good, -bad).
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import ACCESS_IP4, CORE_IP4, CORE_PEER_IP4, UE_IP4, binary, run, stop_process

SUITE = "AES_CM_128_HMAC_SHA1_80"
# libsrtp2's names for that suite (RFC 4568 §6.2.1): AES-CM 128 and a 10-byte HMAC-SHA1 tag,
# the same for SRTCP.
GST_CIPHER = "aes-128-icm"
GST_AUTH = "hmac-sha1-80"
# msf-pcscf's call: the UE's and the core peer's media addresses, and msf-controld's port range,
# away from the ports the other system test modules use.
UE_PORT = 47000
CORE_PEER_PORT = 57000
PORT_MIN, PORT_MAX = 46000, 46999
PCSCF = "pcscf.localdomain"

UE_SSRC = 0x5EC0_0001
CORE_SSRC = 0x5EC0_0002
PAYLOAD_BYTES = 160  # G.711 at 8 kHz, 20 ms per packet
PACKETS = 50         # 1 s of live audio
# Sequence numbers: a warm-up below the tests' ranges, then one increasing range per test, so
# the order in which the tests run never takes an index backwards.
WARMUP_SEQ, UE_SEQ, CORE_SEQ, WRONG_KEY_SEQ, UE_WRONG_KEY_SEQ = 1000, 2000, 3000, 4000, 5000
GST_TIMEOUT_S = 20

GST_ELEMENTS = ("audiotestsrc", "mulawenc", "tee", "queue", "rtppcmupay", "srtpenc", "udpsink",
                "udpsrc", "srtpdec", "rtppcmudepay", "filesink")

# A plain-RTP endpoint run inside a namespace (`ip netns exec NS python3 -c ...`): Python's
# socket module, independent of the project's code.
#   receive IP PORT FIRST_SEQ COUNT DEADLINE_S: prints "ready", then one JSON object with every
#     datagram that arrived until COUNT of sequence numbers FIRST_SEQ.. were in (and 0.3 s more,
#     to see extras) or DEADLINE_S passed;
#   send IP PORT DEST_IP DEST_PORT SSRC FIRST_SEQ INTERVAL_S PAYLOAD_FILE: one RTP packet
#     (RFC 3550 §5.1, PT 0) per 160 bytes of the file.
RTP_ENDPOINT = r"""
import json, socket, struct, sys, time
mode, ip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((ip, port))
if mode == "receive":
    first, count, deadline = int(sys.argv[4]), int(sys.argv[5]), time.monotonic() + float(sys.argv[6])
    print("ready", flush=True)
    packets, wanted, linger_until = [], 0, None
    while True:
        end = deadline if linger_until is None else min(deadline, linger_until)
        left = end - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            data, source = sock.recvfrom(65535)
        except socket.timeout:
            break
        packets.append({"source": f"{source[0]}:{source[1]}", "hex": data.hex()})
        if len(data) >= 12 and first <= struct.unpack_from("!H", data, 2)[0] < first + count:
            wanted += 1
            if wanted == count and linger_until is None:
                linger_until = time.monotonic() + 0.3
    print(json.dumps({"packets": packets}), flush=True)
else:
    dest = (sys.argv[4], int(sys.argv[5]))
    ssrc, seq, interval = int(sys.argv[6]), int(sys.argv[7]), float(sys.argv[8])
    payload = open(sys.argv[9], "rb").read()
    for i in range(0, len(payload), 160):
        header = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, (seq * 160) & 0xFFFFFFFF, ssrc)
        sock.sendto(header + payload[i:i + 160], dest)
        seq += 1
        time.sleep(interval)
"""


def gstreamer_missing_reason():
    for tool in ("gst-launch-1.0", "gst-inspect-1.0"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: gstreamer1.0-tools)"
    for element in GST_ELEMENTS:
        if run(["gst-inspect-1.0", "--exists", element], check=False, timeout=60).returncode != 0:
            return (f"the GStreamer element {element} is missing (Debian: gstreamer1.0-plugins-base, "
                    "gstreamer1.0-plugins-good, gstreamer1.0-plugins-bad for srtpenc/srtpdec)")
    return None


def parse_rtp(data):
    """(sequence number, SSRC, payload type, payload) of an RTP packet (RFC 3550 §5.1): the
    fixed header, CSRCs and a header extension skipped, padding removed."""
    assert len(data) >= 12 and data[0] >> 6 == 2, data.hex()
    header = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10:
        header += 4 + 4 * int.from_bytes(data[header + 2:header + 4], "big")
    end = len(data) - (data[-1] if data[0] & 0x20 else 0)
    return (int.from_bytes(data[2:4], "big"), int.from_bytes(data[8:12], "big"), data[1] & 0x7F,
            data[header:end])


class Call:
    """The call msf-pcscf installed, with the keys the UE derived (msf-ue-keys)."""

    def __init__(self, keys):
        self.session_id = keys["session_id"]
        self.access = self.split(keys["msf_access"])
        self.msf_core = self.split(keys["msf_core"])
        self.ue = self.split(keys["ue"])
        self.core_peer = self.split(keys["core"])
        self.from_ue_key = keys["from_ue_key"]
        self.to_ue_key = keys["to_ue_key"]

    @staticmethod
    def split(endpoint):
        ip, port = endpoint.rsplit(":", 1)
        return ip, int(port)


class Controld:
    """msf-controld with msf-pcscf's default identities (pcscf.localdomain, msf.localdomain)."""

    def __init__(self, workdir, dataplane_socket, procs):
        self.workdir = workdir
        self.cli = os.path.join(workdir, "controld.sock")
        self.log_path = os.path.join(workdir, "msf-controld.log")
        self.port = self.free_tcp_port()
        self.log = open(self.log_path, "w")
        self.proc = procs.start(
            [binary("controlplane/msf-controld"),
             f"--store={os.path.join(workdir, 'controld.db')}",
             f"--store-key={os.path.join(workdir, 'store.key')}", f"--cli-socket={self.cli}",
             f"--dataplane-socket={dataplane_socket}", "--dataplane-retry-ms=200",
             f"--diameter.listen=127.0.0.1:{self.port}", f"--diameter.peer={PCSCF}",
             f"--media.access-ipv4={ACCESS_IP4}", f"--media.core-ipv4={CORE_IP4}",
             f"--media.port-min={PORT_MIN}", f"--media.port-max={PORT_MAX}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"msf-controld exited {self.proc.returncode}:\n{self.log_tail()}")
            result = self.msfctl("--json", "stats")
            if result.returncode == 0 and json.loads(result.stdout)["dataplane"]["connected"]:
                return
            time.sleep(0.1)
        raise AssertionError(f"msf-controld did not reach msf-dataplane:\n{self.log_tail()}")

    @staticmethod
    def free_tcp_port():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def msfctl(self, *args):
        return run([binary("controlplane/cli/msfctl"), "--socket", self.cli, *args], check=False)

    def log_tail(self, lines=40):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-lines:])

    def stop(self):
        stop_process(self.proc)
        self.log.close()


class Media:
    """The processes of one exchange: gst-launch-1.0 and the Python RTP endpoint, each in its
    namespace."""

    def __init__(self, topology, processes, call, workdir):
        self.topo = topology
        self.procs = processes
        self.call = call
        self.workdir = workdir

    def path(self, name):
        return os.path.join(self.workdir, name)

    def start_receiver(self, ns, endpoint, first_seq, count, deadline_s=10):
        proc = self.procs.start(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", RTP_ENDPOINT, "receive",
                                 endpoint[0], str(endpoint[1]), str(first_seq), str(count), str(deadline_s)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready = proc.stdout.readline()
        assert ready.strip() == "ready", f"receiver in {ns}: {ready!r} {proc.stderr.read()}"
        return proc

    @staticmethod
    def received(proc):
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, f"receiver exited {proc.returncode}: {err}"
        return [(p["source"], bytes.fromhex(p["hex"])) for p in json.loads(out)["packets"]]

    def core_send(self, first_seq, payload, interval_s=0.005):
        payload_file = self.path(f"core-{first_seq}.raw")
        with open(payload_file, "wb") as f:
            f.write(payload)
        run(["ip", "netns", "exec", self.topo.core, "/usr/bin/python3", "-c", RTP_ENDPOINT, "send",
             *map(str, self.call.core_peer), *map(str, self.call.msf_core), str(CORE_SSRC), str(first_seq),
             str(interval_s), payload_file], timeout=30)

    def ue_send(self, first_seq, buffers, sent_file, key_hex=None):
        """audiotestsrc -> mu-law -> RTP -> srtpenc -> udpsink from the UE's port; a tee writes
        the mu-law bytes that were payloaded to sent_file."""
        key_hex = key_hex or self.call.from_ue_key
        pipeline = [
            "audiotestsrc", "is-live=true", f"num-buffers={buffers}", f"samplesperbuffer={PAYLOAD_BYTES}",
            "!", "audio/x-raw,rate=8000,channels=1", "!", "mulawenc", "!", "tee", "name=t",
            "!", "queue", "!", "rtppcmupay", f"ssrc={UE_SSRC}", f"seqnum-offset={first_seq}",
            "min-ptime=20000000", "max-ptime=20000000",
            "!", "srtpenc", f"key={key_hex}", f"rtp-cipher={GST_CIPHER}", f"rtp-auth={GST_AUTH}",
            f"rtcp-cipher={GST_CIPHER}", f"rtcp-auth={GST_AUTH}",
            "!", "udpsink", f"host={self.call.access[0]}", f"port={self.call.access[1]}",
            f"bind-address={self.call.ue[0]}", f"bind-port={self.call.ue[1]}",
            "t.", "!", "queue", "!", "filesink", f"location={sent_file}",
        ]
        result = run(["ip", "netns", "exec", self.topo.ue, "gst-launch-1.0", "-q", *pipeline],
                     check=False, timeout=GST_TIMEOUT_S)
        assert result.returncode == 0, f"gst-launch-1.0 (srtpenc) exited {result.returncode}: {result.stderr}"

    def start_ue_decoder(self, key_hex, buffers, out_file):
        """udpsrc on the UE's port ! srtpdec ! rtppcmudepay ! filesink; udpsrc ends the stream
        after `buffers` datagrams, decoded or not. Returns once the port is bound."""
        caps = ("application/x-srtp, media=(string)audio, clock-rate=(int)8000, encoding-name=(string)PCMU, "
                f"payload=(int)0, ssrc=(uint){CORE_SSRC}, srtp-key=(buffer){key_hex}, "
                f"srtp-cipher=(string){GST_CIPHER}, srtp-auth=(string){GST_AUTH}, "
                f"srtcp-cipher=(string){GST_CIPHER}, srtcp-auth=(string){GST_AUTH}, roc=(uint)0")
        proc = self.procs.start(
            ["ip", "netns", "exec", self.topo.ue, "gst-launch-1.0", "-q",
             "udpsrc", f"address={self.call.ue[0]}", f"port={self.call.ue[1]}", f"num-buffers={buffers}",
             f"caps={caps}", "!", "srtpdec", "!", "rtppcmudepay", "!", "filesink", f"location={out_file}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + GST_TIMEOUT_S
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"gst-launch-1.0 (srtpdec) exited {proc.returncode}: {proc.communicate()}"
            bound = run(["ip", "netns", "exec", self.topo.ue, "ss", "-Hnul", f"sport = :{self.call.ue[1]}"]).stdout
            if bound.strip():
                return proc
            time.sleep(0.05)
        raise AssertionError("gst-launch-1.0 (srtpdec) never bound the UE's port")

    @staticmethod
    def finish_decoder(proc):
        try:
            out, err = proc.communicate(timeout=GST_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            stop_process(proc)
            raise AssertionError("udpsrc did not receive every packet the core sent (gst-launch-1.0 still running)")
        assert proc.returncode == 0, f"gst-launch-1.0 (srtpdec) exited {proc.returncode}: {err}"


def flip_one_bit(key_hex):
    key = bytearray.fromhex(key_hex)
    key[0] ^= 0x01  # one bit of the master key
    return key.hex()


def dataplane_session(gateway):
    """msf-dpctl's view of the one session installed (counters per leg, the latched UE)."""
    sessions = gateway.dpctl_json("sessions").get("sessions", [])
    assert len(sessions) == 1, sessions
    return gateway.session(sessions[0]["id"])


@pytest.fixture(scope="module")
def gst_call(gateway, topology, processes):
    """One call installed over Diameter by msf-pcscf, the UE's keys from msf-ue-keys, and both
    directions warmed up: the UE latched by an authenticated packet and both next hops resolved."""
    reason = gstreamer_missing_reason()
    if reason:
        pytest.skip(reason)
    # Start from an empty table, as test_controld.py does: msf-controld reconciles the dataplane
    # with its (new, empty) store.
    for s in gateway.dpctl_json("sessions").get("sessions", []):
        gateway.dpctl("session", "remove", str(s["id"]), check=False)
    workdir = tempfile.mkdtemp(prefix="msf-gstreamer-")
    controld = None
    try:
        controld = Controld(workdir, gateway.socket, processes)
        calls = os.path.join(workdir, "calls.jsonl")
        pcscf = run([binary("controlplane/pcscf/msf-pcscf"), "--msf", f"127.0.0.1:{controld.port}",
                     "--identity", PCSCF, "--keep", "--calls", "1", "--ues", "1", "--key-source", "aka",
                     "--suite", SUITE, "--ue-base", f"{UE_IP4}:{UE_PORT}",
                     "--core-base", f"{CORE_PEER_IP4}:{CORE_PEER_PORT}", "--calls-out", calls],
                    check=False, timeout=60)
        assert pcscf.returncode == 0, f"msf-pcscf: {pcscf.stdout}{pcscf.stderr}\n{controld.log_tail()}"
        keys = run([binary("tests/tools/msf-ue-keys"), calls]).stdout.strip().splitlines()
        assert len(keys) == 1, keys
        call = Call(json.loads(keys[0]))
        assert call.ue == (UE_IP4, UE_PORT) and call.core_peer == (CORE_PEER_IP4, CORE_PEER_PORT)
        assert call.access[0] == ACCESS_IP4 and call.msf_core[0] == CORE_IP4
        assert [s["session_id"] for s in json.loads(controld.msfctl("--json", "sessions").stdout)["sessions"]] \
            == [call.session_id]
        media = Media(topology, processes, call, workdir)

        # The dataplane drops a packet whose next hop it has not resolved yet (and resolves it):
        # warm each direction up until at least one packet is through, below the tests' ranges.
        def warm(receiver_ns, receiver_ep, send):
            for _ in range(3):
                receiver = media.start_receiver(receiver_ns, receiver_ep, WARMUP_SEQ, 10, deadline_s=3)
                send()
                if media.received(receiver):
                    return
            raise AssertionError(f"nothing reached {receiver_ep} during the warm-up:\n{gateway.log_tail()}")

        warm(topology.core, call.core_peer,
             lambda: media.ue_send(WARMUP_SEQ, 10, media.path("warmup-ue.raw")))
        warm(topology.ue, call.ue, lambda: media.core_send(WARMUP_SEQ, bytes(10 * PAYLOAD_BYTES)))
        assert dataplane_session(gateway)["latched_ue"] == f"{UE_IP4}:{UE_PORT}"
        yield media
    finally:
        if controld is not None:
            controld.stop()
        # msf-pcscf --keep left the session installed: remove it for the modules that follow.
        for s in gateway.dpctl_json("sessions").get("sessions", []):
            gateway.dpctl("session", "remove", str(s["id"]), check=False)
        shutil.rmtree(workdir, ignore_errors=True)


def test_gstreamer_srtpenc_from_the_ue_arrives_at_the_core_as_the_same_plain_rtp(gst_call, topology, gateway):
    call = gst_call.call
    receiver = gst_call.start_receiver(topology.core, call.core_peer, UE_SEQ, PACKETS)
    before = dataplane_session(gateway)["counters"]["access"]
    sent_file = gst_call.path("ue-sent.raw")
    gst_call.ue_send(UE_SEQ, PACKETS, sent_file)
    packets = gst_call.received(receiver)
    after = dataplane_session(gateway)["counters"]["access"]
    assert after["auth_failures"] == before["auth_failures"] and after["replays"] == before["replays"], after
    with open(sent_file, "rb") as f:
        sent = f.read()
    assert len(sent) == PACKETS * PAYLOAD_BYTES

    ours = [(source, parse_rtp(data)) for source, data in packets if parse_rtp(data)[0] >= UE_SEQ]
    assert len(ours) == PACKETS, f"{len(ours)} of {PACKETS} RTP packets reached the core:\n{gateway.log_tail()}"
    assert {source for source, _ in ours} == {f"{call.msf_core[0]}:{call.msf_core[1]}"}
    assert [rtp[0] for _, rtp in ours] == list(range(UE_SEQ, UE_SEQ + PACKETS))
    assert {(rtp[1], rtp[2]) for _, rtp in ours} == {(UE_SSRC, 0)}
    assert all(len(rtp[3]) == PAYLOAD_BYTES for _, rtp in ours)
    assert b"".join(rtp[3] for _, rtp in ours) == sent


def test_core_rtp_arrives_at_gstreamer_srtpdec_in_the_ue_with_the_same_payload(gst_call):
    out_file = gst_call.path("ue-decoded.raw")
    decoder = gst_call.start_ue_decoder(gst_call.call.to_ue_key, PACKETS, out_file)
    payload = os.urandom(PACKETS * PAYLOAD_BYTES)
    gst_call.core_send(CORE_SEQ, payload)
    gst_call.finish_decoder(decoder)
    with open(out_file, "rb") as f:
        decoded = f.read()
    assert len(decoded) == PACKETS * PAYLOAD_BYTES
    assert decoded == payload


def test_srtpdec_with_a_wrong_key_decodes_nothing_although_every_packet_arrives(gst_call):
    out_file = gst_call.path("ue-wrong-key.raw")
    decoder = gst_call.start_ue_decoder(flip_one_bit(gst_call.call.to_ue_key), PACKETS, out_file)
    gst_call.core_send(WRONG_KEY_SEQ, os.urandom(PACKETS * PAYLOAD_BYTES))
    # udpsrc ends the stream only after PACKETS datagrams: they all arrived and none decoded.
    gst_call.finish_decoder(decoder)
    with open(out_file, "rb") as f:
        assert f.read() == b""


def test_srtp_from_the_ue_with_a_wrong_key_is_dropped_by_the_msf_and_counted(gst_call, topology, gateway):
    call = gst_call.call
    before = dataplane_session(gateway)["counters"]["access"]
    receiver = gst_call.start_receiver(topology.core, call.core_peer, UE_WRONG_KEY_SEQ, PACKETS, deadline_s=4)
    gst_call.ue_send(UE_WRONG_KEY_SEQ, PACKETS, gst_call.path("ue-wrong-key.raw"),
                     key_hex=flip_one_bit(call.from_ue_key))
    packets = gst_call.received(receiver)
    assert [data.hex() for _, data in packets if parse_rtp(data)[0] >= UE_WRONG_KEY_SEQ] == []
    after = dataplane_session(gateway)["counters"]["access"]
    # RFC 3711 §3.3 step 5: a packet whose tag does not verify is discarded, and counted.
    assert after["auth_failures"] - before["auth_failures"] == PACKETS, after
    assert dataplane_session(gateway)["latched_ue"] == f"{UE_IP4}:{UE_PORT}"
