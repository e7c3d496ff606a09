"""MSRP through the whole control path (issue 7): msf-pcscf sets up a call whose SDP has an MSRP
component, with the TLS PSK derived from the UE's SA and sent in the AAR; msf-controld plans it,
gives the relay's URIs in the AAA and installs the PSK in msf-msrpd; the UE (openssl s_client,
with the PSK msf-ue-keys derives from the UE's own copy of the SA) sends an MSRP SEND through
msf-msrpd to the core endpoint, and back; the BYE's STR removes the session, the STA counts the
messages (unit-tested in tests/controlplane/rx), and msf-msrpd refuses the PSK afterwards. msf-controld runs without a dataplane (the
call's audio stream waits in the store for one), so this needs no root.
"""
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import binary, stop_process
from test_controld import MSF, PCSCF, REALM, Controld
from test_msrp import MSRPD, Control, CorePeer, SClient, free_port, ok_frame, read_frame, send_frame, with_paths

HOLD_MS = 8000


class MsrpControld(Controld):
    def __init__(self, workdir, procs, msrpd_socket, tls_port):
        super().__init__(workdir, os.path.join(workdir, "no-dataplane.sock"), procs)
        self.msrpd_socket = msrpd_socket
        self.tls_port = tls_port

    def command(self):
        return super().command() + [f"--msrp.socket={self.msrpd_socket}",
                                    f"--msrp.access-address=127.0.0.1:{self.tls_port}",
                                    "--msrp.core-address=127.0.0.1:2855"]


class Processes:
    def __init__(self):
        self.procs = []

    def start(self, cmd, **kw):
        proc = subprocess.Popen(cmd, **kw)
        self.procs.append(proc)
        return proc

    def stop_all(self):
        for proc in reversed(self.procs):
            stop_process(proc)


def wait_for_record(path, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                line = f.readline()
            if line.endswith("\n"):
                return path
        time.sleep(0.05)
    raise AssertionError(f"msf-pcscf wrote no call record to {path}")


def test_aar_with_an_msrp_component_gives_a_working_tls_psk_relay_and_str_removes_it():
    workdir = tempfile.mkdtemp(prefix="msf-msrp-diameter-")
    procs = Processes()
    core = CorePeer()
    try:
        tls_port = free_port()
        msrpd_socket = os.path.join(workdir, "msrpd.sock")
        msrpd_log = open(os.path.join(workdir, "msrpd.log"), "w")
        procs.start([binary(MSRPD), "--listen", f"127.0.0.1:{tls_port}", "--control-socket", msrpd_socket],
                    stdout=msrpd_log, stderr=subprocess.STDOUT)
        control = Control(msrpd_socket)

        controld = MsrpControld(workdir, procs, msrpd_socket, tls_port)
        controld.start(expect_connected=False)

        calls = os.path.join(workdir, "calls.jsonl")
        pcscf = procs.start([binary("controlplane/pcscf/msf-pcscf"), "--msf", f"127.0.0.1:{controld.port}",
                             "--identity", PCSCF, "--realm", REALM, "--msf-identity", MSF, "--ues", "1",
                             "--calls", "1", "--key-source", "aka", "--hold-ms", str(HOLD_MS),
                             "--ue-base", "127.0.0.1:40000", "--core-base", "127.0.0.1:30000",
                             "--msrp", f"127.0.0.1:{core.port}", "--calls-out", calls, "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for_record(calls)
        keys = subprocess.run([binary("tests/tools/msf-ue-keys"), calls], capture_output=True, text=True,
                              timeout=20, check=True)
        msrp = json.loads(keys.stdout.splitlines()[0])["msrp"]
        assert msrp["gw_access_path"].startswith(f"msrps://127.0.0.1:{tls_port}/")
        assert msrp["core_path"].startswith(f"msrp://127.0.0.1:{core.port}/")

        # msf-controld holds it, and so does msf-msrpd (under "<Session-Id>#2"), PSK never shown.
        session_id = controld.msfctl_json("sessions")["sessions"][0]["session_id"]
        shown = controld.msfctl_json("session", session_id)["msrp"][0]
        assert shown["psk_identity"] == msrp["psk_identity"] and "psk" not in shown
        relay_id = f"{session_id}#2"
        deadline = time.monotonic() + 10
        while not control.request(op="get_session", session=relay_id)["ok"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert control.request(op="get_session", session=relay_id)["ok"]

        # The UE, with the PSK from its own SA, through the relay to the core endpoint and back.
        ue = SClient(tls_port, msrp["psk_identity"], msrp["psk"], "tls1_2")
        try:
            conn = core.accept()
            body = b"e2ae MSRP " + secrets.token_hex(100).encode()
            sent = send_frame("uetid042", msrp["gw_access_path"], msrp["ue_path"], body)
            ue.send(sent)
            at_core, _ = read_frame(lambda: conn.recv(65536), b"", "uetid042")
            assert at_core == with_paths(sent, msrp["core_path"], msrp["gw_core_path"])
            answer = ok_frame("uetid042", msrp["gw_core_path"], msrp["core_path"])
            conn.sendall(answer)
            assert ue.read_frame("uetid042") == with_paths(answer, msrp["ue_path"], msrp["gw_access_path"])
            conn.close()
        finally:
            ue.stop()

        # The BYE's STR: msf-msrpd forgets the session and its PSK.
        out, err = pcscf.communicate(timeout=HOLD_MS / 1000 + 30)
        assert pcscf.returncode == 0, f"msf-pcscf exited {pcscf.returncode}: {err}\n{out}"
        report = json.loads(out)
        assert report["counts"]["str_sent"] == 1 and report["counts"]["sta_ok"] == 1, report
        assert controld.msfctl_json("sessions")["sessions"] == []
        assert not control.request(op="get_session", session=relay_id)["ok"]
        refused = SClient(tls_port, msrp["psk_identity"], msrp["psk"], "tls1_2")
        refused.proc.stdin.close()
        assert refused.wait_exit() != 0
    finally:
        procs.stop_all()
        core.close()
        shutil.rmtree(workdir, ignore_errors=True)


def test_a_restarted_msrpd_gets_its_sessions_back_from_msf_controlds_store():
    workdir = tempfile.mkdtemp(prefix="msf-msrp-restart-")
    procs = Processes()
    core = CorePeer()
    try:
        tls_port = free_port()
        msrpd_socket = os.path.join(workdir, "msrpd.sock")
        msrpd_cmd = [binary(MSRPD), "--listen", f"127.0.0.1:{tls_port}", "--control-socket", msrpd_socket]
        log = open(os.path.join(workdir, "msrpd.log"), "w")
        first = procs.start(msrpd_cmd, stdout=log, stderr=subprocess.STDOUT)
        Control(msrpd_socket)
        controld = MsrpControld(workdir, procs, msrpd_socket, tls_port)
        controld.start(expect_connected=False)
        calls = os.path.join(workdir, "calls.jsonl")
        subprocess.run([binary("controlplane/pcscf/msf-pcscf"), "--msf", f"127.0.0.1:{controld.port}",
                        "--identity", PCSCF, "--realm", REALM, "--msf-identity", MSF, "--ues", "2", "--calls", "2",
                        "--keep", "--ue-base", "127.0.0.1:40000", "--core-base", "127.0.0.1:30000",
                        "--msrp", f"127.0.0.1:{core.port}", "--calls-out", calls],
                       capture_output=True, text=True, timeout=60, check=True)
        keys = subprocess.run([binary("tests/tools/msf-ue-keys"), calls], capture_output=True, text=True,
                              timeout=20, check=True)
        msrp = [json.loads(line)["msrp"] for line in keys.stdout.splitlines()]
        assert len(msrp) == 2

        # msf-msrpd dies and comes back empty; msf-controld puts both sessions back, same URIs and PSKs.
        stop_process(first)
        procs.start(msrpd_cmd, stdout=log, stderr=subprocess.STDOUT)
        control = Control(msrpd_socket)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            held = control.request(op="list_sessions")["sessions"]
            if len(held) == 2:
                break
            time.sleep(0.1)
        assert sorted(s["gw_access_path"] for s in held) == sorted(m["gw_access_path"] for m in msrp)
        assert "in sync" in controld.log_tail(40)

        ue = SClient(tls_port, msrp[1]["psk_identity"], msrp[1]["psk"], "tls1_3")
        try:
            conn = core.accept()
            sent = send_frame("uetid077", msrp[1]["gw_access_path"], msrp[1]["ue_path"], b"after the restart")
            ue.send(sent)
            at_core, _ = read_frame(lambda: conn.recv(65536), b"", "uetid077")
            assert at_core == with_paths(sent, msrp[1]["core_path"], msrp[1]["gw_core_path"])
            conn.close()
        finally:
            ue.stop()
    finally:
        procs.stop_all()
        core.close()
        shutil.rmtree(workdir, ignore_errors=True)
