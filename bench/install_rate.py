#!/usr/bin/env python3
"""End-to-end session install and removal rate of msf-controld (issue 4's benchmark).

Per run: msf-dataplane on net_ring vdevs (no NIC, no hugepages; its busy-polling worker under
SCHED_IDLE so it does not take the core being measured on a small machine), msf-controld against it,
and CONNECTIONS msf-pcscf load clients at once, each running CALLS calls (AAR -> dataplane
installed -> AAA, then STR -> dataplane removed -> STA) with CONCURRENCY requests in flight.
The clients run msf-pcscf --rx-only: the AARs a whole call sends, with random keys and none of
the SIP, SDP and SA work around them, which costs a client three times msf-controld's CPU per
call; --full-calls runs whole calls (registration, INVITE, SDP rewriting, BYE) instead. Reports, as the median of REPEAT runs: installs/s and removals/s (summed over the
clients, from msf-pcscf's own windows), AAR->AAA median latency, and the CPU time per call of
msf-controld, of msf-dataplane's control thread and of the load clients (theirs including their
start-up), so that the figure can be read apart from the load's share of the machine.

On a machine with cores to spare, --controld-cpu pins msf-controld to one CPU (the target is
installs per second on ONE core), --dataplane-cpus gives msf-dataplane its own (its worker then
polls at normal priority) and --client-cpus spreads the load clients over the rest, so the
figure is msf-controld's and not the load client's.

usage: bench/install_rate.py [--build DIR] [--connections 1,4] [--calls N] [--concurrency M]
                             [--repeat R] [--keep] [--full-calls] [--smoke]
                             [--controld-cpu N] [--dataplane-cpus A,B] [--client-cpus LIST]
"""
import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid, tid=None):
    """CPU time of a process, or of one of its threads (tid)."""
    with open(f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_socket(path, proc, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited {proc.returncode}")
        if os.path.exists(path):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not create {path}")


def cpu_list(text):
    """CPU numbers from '4-7,9' (taskset's list syntax)."""
    cpus = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        cpus.extend(range(int(first), int(last or first) + 1))
    return cpus


def pinned(cpus):
    """preexec_fn that runs the child on the given CPUs (None: wherever the scheduler likes)."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, set(cpus))


SESSIONS_PER_ADDRESS = 24000  # ports 16384-65535, two per stream (RTP, RTCP), with room to spare


def one_run(build, connections, calls, concurrency, keep, pins, full_calls):
    # Enough media addresses on each side for every session at once (--keep installs them all).
    addresses = range(10, 10 + max(1, -(-connections * calls // SESSIONS_PER_ADDRESS)))
    work = tempfile.mkdtemp(prefix="msf-install-rate-")
    procs = []
    try:
        dp_sock = os.path.join(work, "dp.sock")
        prefix = f"msf-ir-{os.getpid()}"
        dp = subprocess.Popen(
            [f"{build}/dataplane/gateway/msf-dataplane", "--access.port=net_ring0", "--core.port=net_ring1",
             "--access.mac=02:00:00:00:0a:01", "--core.mac=02:00:00:00:0c:01",
             *[f"--access.ipv4=192.0.2.{a}" for a in addresses],
             *[f"--core.ipv4=198.51.100.{a}" for a in addresses], "--hugepages=false",
             "--memory-mb=1024", "--mbufs=8191", "--telemetry=false", "--workers=1",
             "--max-sessions=1000000", "--port-min=16384", "--port-max=65535",
             f"--file-prefix={prefix}", f"--control-socket={dp_sock}", "--log-level=error",
             *([f"--lcores={','.join(map(str, pins['dataplane']))}"] if pins["dataplane"] else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(dp)
        wait_socket(dp_sock, dp, "msf-dataplane")
        if not pins["dataplane"]:  # sharing the CPUs: the busy-polling worker must yield
            for task in os.listdir(f"/proc/{dp.pid}/task"):
                with open(f"/proc/{dp.pid}/task/{task}/comm") as f:
                    if "rte-worker" in f.read():
                        # SCHED_IDLE, not just nice 19: a CPU running only it counts as idle
                        # where the kernel places a waking task, so the control processes go
                        # there at once (4 connections, 3 runs in turn: 21.0-21.5k installs/s
                        # at nice 19, 22.7-26.1k with SCHED_IDLE).
                        os.sched_setscheduler(int(task), os.SCHED_IDLE, os.sched_param(0))
        port = free_port()
        cli = os.path.join(work, "cli.sock")
        peers = [f"--diameter.peer=pcscf{c}.localdomain,address=127.0.0.1" for c in range(connections)]
        cd = subprocess.Popen(
            [f"{build}/controlplane/msf-controld", f"--dataplane-socket={dp_sock}",
             f"--store={work}/c.db", f"--store-key={work}/c.key", f"--cli-socket={cli}",
             f"--diameter.listen=127.0.0.1:{port}", *peers,
             *[f"--media.access-ipv4=192.0.2.{a}" for a in addresses],
             *[f"--media.core-ipv4=198.51.100.{a}" for a in addresses],
             "--policy.max-sessions=1000000", "--log-level=warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=pinned([pins["controld"]] if pins["controld"] is not None else None))
        procs.append(cd)
        wait_socket(cli, cd, "msf-controld")
        time.sleep(0.5)  # the first dataplane connect and reconcile
        cpu_before = cpu_seconds(cd.pid)
        # msf-dataplane's main thread (tid = pid) runs its control socket; its workers poll.
        dp_cpu_before = cpu_seconds(dp.pid, dp.pid)
        # The clients are the only children reaped in between: their CPU time, to show how much of
        # a small machine the load itself takes.
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        clients = []
        for c in range(connections):
            cmd = [f"{build}/controlplane/pcscf/msf-pcscf", "--msf", f"127.0.0.1:{port}",
                   "--identity", f"pcscf{c}.localdomain", "--ues", "100", "--calls", str(calls),
                   "--concurrency", str(concurrency), "--json",
                   "--ue-base", f"192.0.2.{100 + c}:10000", "--core-base", f"198.51.100.{100 + c}:10000"]
            if keep:
                cmd.append("--keep")
            if not full_calls:
                cmd.append("--rx-only")
            client_cpus = pins["clients"]
            clients.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                            preexec_fn=pinned([client_cpus[c % len(client_cpus)]]
                                                              if client_cpus else None)))
        reports = []
        for p in clients:
            out, err = p.communicate(timeout=600)
            try:
                reports.append(json.loads(out))
            except ValueError:
                raise RuntimeError(f"msf-pcscf exited {p.returncode}: {err.strip()[-500:]}")
        cpu = cpu_seconds(cd.pid) - cpu_before
        dp_cpu = cpu_seconds(dp.pid, dp.pid) - dp_cpu_before
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_cpu = (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
        ok = all(r["ok"] for r in reports)
        for r in reports:
            if not r["ok"]:  # what went wrong, in msf-pcscf's words (counts by result)
                print(f"msf-pcscf: {json.dumps(r.get('counts'))} {r.get('error', '')}", file=sys.stderr)
        installs = sum(r["counts"]["aaa_ok"] for r in reports)
        return {
            "ok": ok,
            "installs": installs,
            "installs_per_s": sum(r["rates"]["installs_per_s"] for r in reports),
            "removals_per_s": sum(r["rates"]["removals_per_s"] for r in reports),
            "aar_aaa_median_us": statistics.median(r["latency_us"]["aar_aaa"]["median"] for r in reports),
            "controld_cpu_us_per_call": 1e6 * cpu / max(installs, 1),
            "dataplane_cpu_us_per_call": 1e6 * dp_cpu / max(installs, 1),
            "client_cpu_us_per_call": 1e6 * client_cpu / max(installs, 1),
        }
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(f"/var/run/dpdk/msf-ir-{os.getpid()}", ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--connections", default="1,4")
    ap.add_argument("--calls", type=int, default=20000, help="per connection")
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="installs only, no BYE/STR")
    ap.add_argument("--full-calls", action="store_true",
                    help="clients run whole calls (SIP, SDP rewriting, keys from UE SAs), not --rx-only")
    ap.add_argument("--smoke", action="store_true", help="tiny run, for CI: checks the runner works")
    ap.add_argument("--controld-cpu", type=int, help="pin msf-controld to this CPU")
    ap.add_argument("--dataplane-cpus", default="", help="msf-dataplane --lcores (main, worker)")
    ap.add_argument("--client-cpus", default="", help="CPUs for the msf-pcscf clients, one each in turn")
    args = ap.parse_args()
    pins = {"controld": args.controld_cpu, "dataplane": cpu_list(args.dataplane_cpus),
            "clients": cpu_list(args.client_cpus)}
    if args.smoke:
        args.calls, args.repeat, args.connections = 200, 1, "1,2"
    print(f"{'connections':>11} {'installs/s':>11} {'removals/s':>11} {'AAR->AAA median':>16} "
          f"{'controld CPU/call':>18} {'dataplane ctl CPU/call':>22} {'clients CPU/call':>17}   (median of {args.repeat}, {args.calls} calls per connection, "
          f"{args.concurrency} in flight{', installs only' if args.keep else ''}{', whole calls' if args.full_calls else ', --rx-only clients'})")
    failed = False
    for conns in (int(c) for c in args.connections.split(",")):
        runs = [one_run(args.build, conns, args.calls, args.concurrency, args.keep, pins, args.full_calls) for _ in range(args.repeat)]
        failed |= not all(r["ok"] for r in runs)
        med = {k: statistics.median(r[k] for r in runs) for k in
               ("installs_per_s", "removals_per_s", "aar_aaa_median_us", "controld_cpu_us_per_call",
                "dataplane_cpu_us_per_call", "client_cpu_us_per_call")}
        print(f"{conns:>11} {med['installs_per_s']:>11.0f} {med['removals_per_s']:>11.0f} "
              f"{med['aar_aaa_median_us']:>13.0f} us {med['controld_cpu_us_per_call']:>15.1f} us"
              f" {med['dataplane_cpu_us_per_call']:>19.1f} us {med['client_cpu_us_per_call']:>14.1f} us"
              + ("" if all(r["ok"] for r in runs) else "   FAILED (see msf-pcscf's report)"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
