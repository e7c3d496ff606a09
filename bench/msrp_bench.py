#!/usr/bin/env python3
"""Throughput of msf-msrpd against socat as the plain-TLS baseline (issue 7).

For 1 KiB MSRP SEND messages with 1 and 1000 sessions (one TLS connection each), measures
messages per second, MB/s of message bodies, and the relay's CPU time per message (run time
from /proc/<pid>/schedstat, for socat summed over its forked children), while msrp-load
(tests/dataplane/msrp/msrp_load.cpp) streams messages over every connection at once and counts
what reaches the core side. Each figure is the median of --runs runs (default 3).

- msf-msrpd: TLS 1.3 with an external PSK (TLS_AES_128_GCM_SHA256), MSRP parsed, To-Path and
  From-Path checked and rewritten, relayed to the core over TCP.
- socat 1.7.4 (no PSK support): OPENSSL-LISTEN with a self-signed P-256 certificate, fork per
  connection, TLS 1.3 TLS_AES_128_GCM_SHA256, bytes relayed to the same TCP sink unparsed.
Only the streaming phase is timed and charged; handshakes happen before it.

usage: bench/msrp_bench.py [--build DIR] [--runs N] [--smoke]
  --smoke: one short run of each case (1 and 20 sessions), under 20 s, to keep the script alive.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BODY_SIZE = 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, timeout_s=10):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def cpu_seconds(pid):
    """CPU time of pid and of its living children, in seconds. /proc/<pid>/schedstat counts
    nanoseconds; /proc/<pid>/stat counts whole clock ticks per process, which rounds the many
    short-lived socat children to nothing."""
    def own(p):
        try:
            with open(f"/proc/{p}/schedstat") as f:
                return int(f.read().split()[0]) / 1e9
        except (FileNotFoundError, ProcessLookupError):
            return 0.0
    return own(pid) + sum(own(child) for child in child_pids(pid))


class Control:
    def __init__(self, path):
        deadline = time.monotonic() + 10
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
        self.file = self.sock.makefile("rwb")

    def request(self, **request):
        self.file.write(json.dumps(request).encode() + b"\n")
        self.file.flush()
        answer = json.loads(self.file.readline())
        if not answer.get("ok"):
            raise RuntimeError(f"msf-msrpd refused {request.get('op')}: {answer}")
        return answer


def run_load(load_bin, relay_port, core_port, mode, lines, messages, relay_pid):
    """Starts msrp-load, hands it the sessions, times the streaming phase."""
    load = subprocess.Popen([load_bin, "--relay-port", str(relay_port), "--core-port", str(core_port),
                             "--mode", mode, "--messages", str(messages), "--size", str(BODY_SIZE)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        load.stdin.write("\n".join(lines) + "\n\n")
        load.stdin.flush()
        if load.stdout.readline().strip() != "connected":
            raise RuntimeError("msrp-load did not connect")
        cpu_before = cpu_seconds(relay_pid)
        load.stdin.write("go\n")
        load.stdin.flush()
        result = json.loads(load.stdout.readline())
        cpu = cpu_seconds(relay_pid) - cpu_before
        load.stdin.write("quit\n")
        load.stdin.flush()
        load.wait(timeout=30)
    finally:
        if load.poll() is None:
            load.kill()
            load.wait()
    seconds = result["seconds"]
    return {
        "messages_per_s": result["messages"] / seconds,
        "mb_per_s": result["messages"] * BODY_SIZE / seconds / 1e6,
        "cpu_us_per_message": cpu / result["messages"] * 1e6,
        "seconds": seconds,
    }


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_msrpd(build, sessions, messages, tmp):
    port, core_port = free_port(), free_port()
    control_path = os.path.join(tmp, "msrpd.sock")
    relay = subprocess.Popen([os.path.join(build, "dataplane/msrp/msf-msrpd"), "--listen", f"127.0.0.1:{port}",
                              "--control-socket", control_path, "--max-connections", str(sessions + 100)],
                             stderr=subprocess.DEVNULL)
    try:
        control = Control(control_path)
        lines = []
        ue_path = "msrps://127.0.0.1:40000/benchue01;tcp"
        for i in range(sessions):
            psk = os.urandom(32).hex()
            core_path = f"msrp://127.0.0.1:{core_port}/benchcore{i};tcp"
            answer = control.request(op="add_session", session=f"bench-{i}", psk_identity=f"bench-ue-{i}",
                                     psk=psk, ue_path=ue_path, core_path=core_path)
            lines.append(f"bench-ue-{i} {psk} {answer['gw_access_path']} {ue_path} {core_path} "
                         f"{answer['gw_core_path']}")
        wait_listening(port)
        return run_load(os.path.join(build, "tests/dataplane/msrp/msrp-load"), port, core_port, "psk", lines,
                        messages, relay.pid)
    finally:
        stop(relay)


def make_certificate(tmp):
    pem = os.path.join(tmp, "socat.pem")
    key = os.path.join(tmp, "socat.key")
    crt = os.path.join(tmp, "socat.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "1", "-subj", "/CN=msrp-bench", "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    with open(pem, "w") as out:
        out.write(open(crt).read() + open(key).read())
    return pem


def run_socat(build, sessions, messages, tmp, pem):
    port, core_port = free_port(), free_port()
    relay = subprocess.Popen(["socat", f"OPENSSL-LISTEN:{port},bind=127.0.0.1,backlog=1024,reuseaddr,fork,cert={pem},verify=0",
                              f"TCP:127.0.0.1:{core_port}"], stderr=subprocess.DEVNULL)
    try:
        wait_listening_socat(port)
        to, frm = "msrps://127.0.0.1:2855/benchgw01;tcp", "msrps://127.0.0.1:40000/benchue01;tcp"
        lines = [f"-ignored- 00 {to} {frm} {to} {frm}" for _ in range(sessions)]
        return run_load(os.path.join(build, "tests/dataplane/msrp/msrp-load"), port, core_port, "cert", lines,
                        messages, relay.pid)
    finally:
        # The forked children end with their connections; any left over is ended by its pid.
        children = child_pids(relay.pid)
        stop(relay)
        for child in children:
            try:
                os.kill(child, 15)
            except ProcessLookupError:
                pass


def child_pids(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(child) for child in f.read().split()]
    except FileNotFoundError:
        return []


def wait_listening_socat(port):
    # A probe connection would make socat fork a child that connects to a sink not yet there,
    # so look at the listening sockets instead.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True).stdout
        if out.strip():
            return
        time.sleep(0.05)
    raise RuntimeError("socat did not start listening")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.environ.get("MSF_BUILD_DIR", os.path.join(REPO, "build")))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    for binary in ("dataplane/msrp/msf-msrpd", "tests/dataplane/msrp/msrp-load"):
        if not os.access(os.path.join(build, binary), os.X_OK):
            sys.exit(f"{build}/{binary} is missing: build it first (ninja -C {build})")

    # (sessions, messages per session): about 200,000 messages per case.
    cases = [(1, 2000), (20, 100)] if args.smoke else [(1, 200000), (1000, 200)]
    runs = 1 if args.smoke else args.runs
    have_socat = subprocess.run(["which", "socat"], capture_output=True).returncode == 0
    if not have_socat:
        print("socat is not installed: the baseline rows are left out", file=sys.stderr)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        pem = make_certificate(tmp) if have_socat else None
        for sessions, messages in cases:
            relays = [("msf-msrpd (TLS-PSK, MSRP parsed)", lambda: run_msrpd(build, sessions, messages, tmp))]
            if have_socat:
                relays.append(("socat (TLS cert, bytes)", lambda: run_socat(build, sessions, messages, tmp, pem)))
            for name, run in relays:
                results = [run() for _ in range(runs)]
                median = {key: statistics.median(r[key] for r in results) for key in results[0]}
                spread = (min(r["messages_per_s"] for r in results), max(r["messages_per_s"] for r in results))
                rows.append((name, sessions, sessions * messages, median, spread))

    print(f"1 KiB MSRP SEND messages, median of {runs} run(s); CPU is the relay's (/proc/<pid>/schedstat)")
    print(f"| relay | sessions | messages | messages/s (min..max) | MB/s | CPU µs/message |")
    print(f"| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, sessions, total, median, (low, high) in rows:
        print(f"| {name} | {sessions} | {total} | {median['messages_per_s']:,.0f} ({low:,.0f}..{high:,.0f}) | "
              f"{median['mb_per_s']:.1f} | {median['cpu_us_per_message']:.2f} |")


if __name__ == "__main__":
    main()
