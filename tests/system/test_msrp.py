"""msf-msrpd end to end with the real binary, no root needed (127.0.0.1, free ports):

- a session installed over the control socket (JSON lines) answers the gateway's paths;
- `openssl s_client -psk ... -tls1_2` and `-tls1_3` as the UE, a Python TCP server as the core
  endpoint: an MSRP SEND each way and the 200 response arrive byte-exact with To-Path and
  From-Path rewritten, and the session's counters show them;
- a wrong PSK fails the handshake and is counted for the session;
- a malformed frame closes that connection and is counted;
- remove_session closes the UE's connection, and a new connection with the same PSK is refused;
- --help lists every option with its default, and a bad option value stops the daemon at start
  with a line naming the option.
"""
import json
import os
import secrets
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import binary, stop_process

MSRPD = "dataplane/msrp/msf-msrpd"
UE_PATH = "msrps://127.0.0.1:40000/uepath01;tcp"
TIMEOUT_S = 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Control:
    """The JSON-lines control socket of msf-msrpd."""

    def __init__(self, path):
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(TIMEOUT_S)
        self.buffer = b""

    def request(self, **request):
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            assert chunk, "msf-msrpd closed the control socket"
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def counters(self, session):
        answer = self.request(op="get_session", session=session)
        assert answer["ok"], answer
        return answer["session"]["counters"]


def read_frame(read, buffer, tid):
    """Reads from `read()` until the end-line of transaction `tid`; returns (frame, rest)."""
    end = f"-------{tid}$\r\n".encode()
    while end not in buffer:
        chunk = read()
        assert chunk, f"connection closed before the end of transaction {tid}: {buffer[:200]!r}"
        buffer += chunk
    cut = buffer.index(end) + len(end)
    return buffer[:cut], buffer[cut:]


def send_frame(tid, to, frm, body, message_id="msg00001"):
    return (f"MSRP {tid} SEND\r\nTo-Path: {to}\r\nFrom-Path: {frm}\r\nMessage-ID: {message_id}\r\n"
            f"Byte-Range: 1-{len(body)}/{len(body)}\r\nContent-Type: text/plain\r\n\r\n").encode() + body + \
        f"\r\n-------{tid}$\r\n".encode()


def ok_frame(tid, to, frm):
    return f"MSRP {tid} 200 OK\r\nTo-Path: {to}\r\nFrom-Path: {frm}\r\n-------{tid}$\r\n".encode()


class CorePeer:
    """The core-side MSRP endpoint: a TCP listener that keeps each connection it accepts."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(TIMEOUT_S)
        self.port = self.listener.getsockname()[1]
        self.path = f"msrp://127.0.0.1:{self.port}/corepath1;tcp"

    def accept(self):
        conn, _ = self.listener.accept()
        conn.settimeout(TIMEOUT_S)
        return conn

    def close(self):
        self.listener.close()


class SClient:
    """`openssl s_client` as the UE: stdin goes to the relay, stdout is what the relay sent."""

    def __init__(self, port, identity, psk_hex, version):
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-psk", psk_hex,
                "-psk_identity", identity, "-quiet"]
        args += ["-tls1_2", "-cipher", "PSK-AES128-GCM-SHA256"] if version == "tls1_2" else ["-tls1_3"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.buffer = b""

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read(self):
        return os.read(self.proc.stdout.fileno(), 65536)

    def read_frame(self, tid):
        frame, self.buffer = read_frame(self.read, self.buffer, tid)
        return frame

    def wait_exit(self):
        return self.proc.wait(timeout=TIMEOUT_S)

    def stop(self):
        stop_process(self.proc, grace_s=2)


def with_paths(frame, to, frm):
    head, sep, rest = frame.partition(b"\r\n\r\n") if b"\r\n\r\n" in frame else (frame, b"", b"")
    lines = head.split(b"\r\n")
    lines = [b"To-Path: " + to.encode() if line.startswith(b"To-Path: ") else
             b"From-Path: " + frm.encode() if line.startswith(b"From-Path: ") else line for line in lines]
    return b"\r\n".join(lines) + sep + rest


@pytest.fixture
def msrpd():
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        socket_path = os.path.join(tmp, "msrpd.sock")
        log = open(os.path.join(tmp, "msrpd.log"), "w+")
        proc = subprocess.Popen([binary(MSRPD), "--listen", f"127.0.0.1:{port}", "--control-socket", socket_path,
                                 "--access-host", "127.0.0.1", "--core-host", "127.0.0.1"],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            control = Control(socket_path)
            yield port, control, log
        finally:
            stop_process(proc)
            log.seek(0)
            print(log.read())
            log.close()
        assert proc.returncode == 0, f"msf-msrpd exited {proc.returncode}"


def add_session(control, session, core, psk_hex):
    answer = control.request(op="add_session", session=session, psk_identity=f"ue-{session}", psk=psk_hex,
                             ue_path=UE_PATH, core_path=core.path)
    assert answer["ok"], answer
    assert answer["gw_access_path"].startswith("msrps://127.0.0.1:") and answer["gw_access_path"].endswith(";tcp")
    assert answer["gw_core_path"].startswith("msrp://127.0.0.1:")
    return answer["gw_access_path"], answer["gw_core_path"]


@pytest.mark.parametrize("version", ["tls1_2", "tls1_3"])
def test_send_each_way_through_msrpd_with_paths_rewritten(msrpd, version):
    port, control, _ = msrpd
    core = CorePeer()
    psk = secrets.token_hex(32)
    gw_access, gw_core = add_session(control, "call-1", core, psk)
    ue = SClient(port, "ue-call-1", psk, version)
    try:
        conn = core.accept()
        body = b"Hello from the UE " + secrets.token_hex(200).encode()
        sent = send_frame("uetid001", gw_access, UE_PATH, body)
        ue.send(sent)
        at_core, _ = read_frame(lambda: conn.recv(65536), b"", "uetid001")
        assert at_core == with_paths(sent, core.path, gw_core)

        answer = ok_frame("uetid001", gw_core, core.path)
        back = send_frame("coretid1", gw_core, core.path, b"Hello from the core", "coremsg1")
        conn.sendall(answer + back)
        assert ue.read_frame("uetid001") == with_paths(answer, UE_PATH, gw_access)
        assert ue.read_frame("coretid1") == with_paths(back, UE_PATH, gw_access)

        counters = control.counters("call-1")
        assert counters["messages_from_ue"] == 1 and counters["bytes_from_ue"] == len(sent)
        assert counters["messages_to_ue"] == 2 and counters["bytes_to_ue"] == len(answer) + len(back)
        assert counters["connections"] == 1 and counters["active_connections"] == 1
        conn.close()
    finally:
        ue.stop()
        core.close()


def test_wrong_psk_fails_the_handshake_and_is_counted(msrpd):
    port, control, _ = msrpd
    core = CorePeer()
    add_session(control, "call-2", core, secrets.token_hex(16))
    for version in ("tls1_2", "tls1_3"):
        ue = SClient(port, "ue-call-2", secrets.token_hex(16), version)
        ue.proc.stdin.close()
        assert ue.wait_exit() != 0
    deadline = time.monotonic() + TIMEOUT_S
    while control.counters("call-2")["tls_handshake_failures"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert control.counters("call-2")["tls_handshake_failures"] == 2
    assert control.counters("call-2")["connections"] == 0
    core.close()


def test_malformed_frame_closes_the_connection_and_is_counted(msrpd):
    port, control, log = msrpd
    core = CorePeer()
    psk = secrets.token_hex(32)
    add_session(control, "call-3", core, psk)
    ue = SClient(port, "ue-call-3", psk, "tls1_3")
    try:
        conn = core.accept()
        ue.send(b"MSRP x SEND\r\n\r\n")
        assert conn.recv(1) == b""  # the relay closed the core side too
        assert ue.wait_exit() is not None
        assert control.counters("call-3")["parse_errors"] == 1
        log.seek(0)
        assert "bad MSRP from UE" in log.read()
        conn.close()
    finally:
        ue.stop()
        core.close()


def test_removed_session_closes_the_connection_and_refuses_new_ones(msrpd):
    port, control, _ = msrpd
    core = CorePeer()
    psk = secrets.token_hex(32)
    add_session(control, "call-4", core, psk)
    ue = SClient(port, "ue-call-4", psk, "tls1_2")
    try:
        conn = core.accept()
        assert control.request(op="remove_session", session="call-4") == {"ok": True}
        assert conn.recv(1) == b""
        ue.wait_exit()
        conn.close()
        again = SClient(port, "ue-call-4", psk, "tls1_3")
        again.proc.stdin.close()
        assert again.wait_exit() != 0
        answer = control.request(op="get_session", session="call-4")
        assert answer["ok"] is False and "no session" in answer["error"]
        assert control.request(op="stats")["stats"]["tls_handshake_failures"] >= 1
    finally:
        ue.stop()
        core.close()


def test_help_lists_every_option_with_its_default():
    result = subprocess.run([binary(MSRPD), "--help"], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0
    for option in ("--listen arg (=0.0.0.0:2855)", "--access-host", "--core-host", "--core-port",
                   "--control-socket arg (=/run/msf/msrpd.sock)", "--max-header-bytes", "--max-chunk-size",
                   "--max-message-size", "--max-chunks-per-message", "--max-open-messages", "--out-buffer-limit",
                   "--max-connections-per-session", "--max-connections", "--handshake-timeout-ms"):
        assert option in result.stdout, option


@pytest.mark.parametrize("args, message", [
    (["--max-chunk-size", "0"], "max-chunk-size: 0 is outside"),
    (["--listen", "nowhere:2855"], "listen: \"nowhere\" is not an IP address"),
    (["--listen", "127.0.0.1:http"], "listen: \"http\" is not a port"),
    (["--no-such-option"], "no-such-option"),
])
def test_bad_option_is_refused_at_start(args, message):
    result = subprocess.run([binary(MSRPD), "--control-socket", "/nonexistent/x.sock"] + args,
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 2
    assert message in result.stderr


def test_example_config_file_is_accepted(tmp_path):
    config = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                          "config", "msf-msrpd.conf")
    port = free_port()
    socket_path = str(tmp_path / "msrpd.sock")
    proc = subprocess.Popen([binary(MSRPD), "--config", config, "--listen", f"127.0.0.1:{port}",
                             "--control-socket", socket_path], stderr=subprocess.PIPE, text=True)
    try:
        control = Control(socket_path)
        stats = control.request(op="stats")
        assert stats["ok"] and stats["stats"]["sessions"] == 0
        core = CorePeer()
        answer = control.request(op="add_session", session="c", psk_identity="c", psk="00" * 16, ue_path=UE_PATH,
                                 core_path=core.path)
        # access-host and core-host come from the file
        assert answer["gw_access_path"].startswith(f"msrps://192.0.2.20:{port}/")
        assert answer["gw_core_path"].startswith("msrp://198.51.100.20:2855/")
        core.close()
    finally:
        stop_process(proc)
