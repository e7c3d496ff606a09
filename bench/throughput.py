#!/usr/bin/python3
"""End-to-end throughput of msf-dataplane driven by msf-gen: zero-loss rate, Mpps per worker core,
TSC ticks per packet, latency, and rtpengine as the baseline from the same run (issue 6).

Per (sessions, suite): msf-dataplane with net_memif server ports (or, --link veth, net_af_packet
on veth pairs between namespaces), msf-controld against it, msf-pcscf --keep --hairpin-pairs
installing the sessions over Diameter (several msf-pcscf processes for large counts), then
one `msf-gen --serve` on the other ends that runs every trial of that testbed (one JSON request
line in, one report line out), so the dataplane's memif peer never disconnects while its workers
poll (DPDK 22.11's memif_disconnect() unmaps the rings under a running rx burst; bench/README.md).
A testbed is torn down msf-dataplane first, msf-gen after it. Per packet size: the highest
rate with zero loss by binary search (RFC 2544 §26.1 style: a trial offers rate R for D seconds;
no loss -> higher, loss -> lower, until the step is below --resolution or --max-trials ran),
then latency trials at 50% and 90% of that rate and one overload trial at 150% that checks every
session still receives its share. Hairpin mode: each packet crosses the gateway twice (protect
on session A, unprotect on session B), so "gateway operations" = 2 x packets.

Poll-mode workers are 100% busy whatever the load, so CPU time per packet is not measurable from
the process; the runner reports TSC ticks per gateway operation = tsc_hz x workers / (operations
per second at zero loss), i.e. what each operation costs when the workers are saturated.

rtpengine (Debian rtpengine-daemon, userspace, no kernel module) is driven the same way when it
is installed: its own network namespace with veth pairs to msf-gen (net_af_packet), calls set up
over the ng protocol with SDES, hairpin pairs made by offering call B the SRTP key rtpengine
generated toward call A's UE. Its CPU time per packet comes from /proc/<pid>/stat.

usage: bench/throughput.py [--build DIR] [--out DIR] [--sessions 2,10000,...] [--suites A,B]
         [--sizes 64,172,...] [--workers N] [--link memif|veth] [--dp-lcores L] [--dp-eal 'ARGS']
         [--gen-lcores L] [--gen-eal 'ARGS'] [--gen-queues N] [--trial-s S] [--warmup-s S]
         [--max-trials N] [--resolution F] [--hugepages auto|true|false]
         [--baseline auto|rtpengine|only|none] [--baseline-sessions N,...] [--smoke] [--keep-work]
Needs root (hugepages, network namespaces for the baseline). Exit status 0 when every point got
a result, 1 when any failed, 2 on a usage error.
"""
import argparse
import base64
import json
import math
import os
import platform
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtpengine_ng  # noqa: E402  (next to this file)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITES = ("AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM")
SESSIONS = (2, 10000, 100000, 1000000)
SIZES = (64, 172, 512, 1200)

ACCESS_IP4 = "192.0.2.10"      # the gateway's addresses (RFC 5737 documentation ranges)
CORE_IP4 = "198.51.100.10"
# msf-controld allocates media ports only on its first media address of a family, so one
# address's even/odd pairs bound the sessions one run can install (media.port-min..port-max).
MEDIA_PORT_MIN, MEDIA_PORT_MAX = 1024, 65535
# One local address holds (65535 - 1024 + 1) / 2 = 32256 RTP/RTCP port pairs; msf-controld fills
# its addresses in order, so a run gets one more address per side for every 32,000 sessions.
SESSIONS_PER_ADDRESS = 32000


def gateway_addresses(first, sessions):
    """first, first+1, ...: as many IPv4 addresses as `sessions` need (RFC 5737 ranges)."""
    base = first.rsplit(".", 1)
    count = max(1, math.ceil(sessions / SESSIONS_PER_ADDRESS))
    if int(base[1]) + count > 255:
        raise ValueError(f"{sessions} sessions need {count} addresses after {first}")
    return [f"{base[0]}.{int(base[1]) + i}" for i in range(count)]
MAX_INSTALLABLE = (MEDIA_PORT_MAX - MEDIA_PORT_MIN + 1) // 2
# msf-pcscf steps UE and core ports by 2 per call from 10000 and wraps before 65534.
CALLS_PER_PCSCF = 25000
OPS_PER_PACKET = {"hairpin": 2, "protect": 1, "unprotect": 1}
RTPENGINE = "/usr/bin/rtpengine"
# rtpengine 10.5 answered "Ran out of ports" after 4998 calls here with ports 1024-65535 on
# two interfaces; stay below that.
RTPENGINE_MAX_CALLS = 4000


# ---------------------------------------------------------------------------------------------
# The pure parts: search, trial verdicts, metrics, formatting (tests/bench/test_throughput_runner.py)

def search_zero_loss_rate(trial, upper, resolution=0.02, max_trials=12, first_guess=None, known_good=0.0):
    """Highest rate in (0, upper] at which trial(rate) passes, by bisection.

    trial(rate) -> bool. `upper` is tried first: if it passes, it is the answer (the offered
    load could not go higher). Otherwise the search keeps `lo` = highest rate seen passing
    (0 at first) and `hi` = lowest seen failing, and stops when hi - lo <= resolution * hi or
    after max_trials trials in all. first_guess (e.g. the receive rate at full overload) replaces
    the first midpoint when it lies inside (known_good, upper). known_good: a rate that already
    passed (the smoke's sanity trial), the floor of the search. Returns (rate, [(rate, passed),
    ...]); rate is known_good when nothing passed. Never returns a rate that did not pass."""
    if upper <= 0 or max_trials < 1:
        raise ValueError("upper must be > 0 and max_trials >= 1")
    history = []

    def run(rate):
        passed = bool(trial(rate))
        history.append((rate, passed))
        return passed

    if run(upper):
        return upper, history
    lo, hi = float(known_good), float(upper)
    rate = first_guess if first_guess is not None and lo < first_guess < upper else (lo + hi) / 2
    while len(history) < max_trials:
        if run(rate):
            lo = rate
        else:
            hi = rate
        if hi - lo <= resolution * hi:
            break
        rate = (lo + hi) / 2
    return lo, history


def trial_verdict(report, offered_pps=None, rate_tolerance=0.05):
    """(passed, reason) for one msf-gen --json report: passed means zero loss, nothing corrupted
    or duplicated, something received, and (when offered_pps is given) the generator actually
    offered at least (1 - rate_tolerance) of it, so a generator-bound trial is not read as the
    gateway's success."""
    if report is None:
        return False, "no report"
    sent, received = report.get("sent", 0), report.get("received", 0)
    if sent <= 0:
        return False, "nothing sent"
    if report.get("reflect_dropped", 0) > 0 and report.get("lost", 0) > 0:
        # msf-gen's own transmit ring was full when it reflected into B's access leg: loss on
        # the generator's side, which says nothing about the gateway at this rate either way.
        # (Drops in the warm-up, with nothing lost in the counted seconds, do not matter.)
        return False, f"msf-gen could not reflect {report['reflect_dropped']} packets (its tx ring was full)"
    for field in ("lost", "corrupted", "duplicates"):
        if report.get(field, 0) > 0:
            return False, f"{field} {report[field]}"
    if received < sent:
        return False, f"received {received} of {sent}"
    if offered_pps and report.get("achieved_tx_pps", 0) < (1 - rate_tolerance) * offered_pps:
        return False, f"generator offered {report.get('achieved_tx_pps', 0):.0f} of {offered_pps:.0f} pps"
    return True, "zero loss"


def point_metrics(zero_loss_pps, workers, tsc_hz, mode="hairpin"):
    """Per-core figures of a zero-loss rate (packets per second entering the gateway)."""
    ops = zero_loss_pps * OPS_PER_PACKET[mode]
    return {
        "zero_loss_pps": zero_loss_pps,
        "gateway_ops_per_s": ops,
        "packets_mpps_per_core": zero_loss_pps / workers / 1e6,
        "ops_mpps_per_core": ops / workers / 1e6,
        # Poll-mode workers spin at 100%: every TSC tick of every worker is spent on the load.
        "tsc_ticks_per_op": (tsc_hz * workers / ops) if ops > 0 and tsc_hz else None,
    }


def cell(text):
    """Text for one Markdown table cell: one line, no column separator."""
    return " ".join(str(text).split()).replace("|", "/")


def _fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def latency_text(trial):
    """'p50/p99/p99.9' in µs of a latency trial, '-' without one."""
    if not trial or "latency_ns" not in trial:
        return "-"
    lat = trial["latency_ns"]
    text = "/".join(_fmt(lat.get(k) / 1e3 if lat.get(k) is not None else None, ".1f") for k in ("p50", "p99", "p999"))
    # A latency trial that lost packets or was not offered its rate measured something else.
    return text if trial.get("passed", True) else f"{text} (not valid: {cell(trial.get('reason', '?'))})"


def format_markdown(results):
    """The Markdown report of a results dict (as written to results.json)."""
    lines = ["# msf end-to-end throughput", ""]
    s = results.get("settings", {})
    lines.append(f"Machine: {results.get('machine', {}).get('cpu', '?')}, "
                 f"{results.get('machine', {}).get('cpus', '?')} CPUs, TSC {results.get('machine', {}).get('tsc_hz', 0) / 1e9:.3f} GHz. "
                 f"Workers: {s.get('workers', '?')}; hugepages: {s.get('hugepages', '?')}; "
                 f"trials of {s.get('trial_s', '?')} s, resolution {100 * s.get('resolution', 0):.0f}%.")
    lines.append("")
    lines.append("Hairpin: each packet is protected on session A and unprotected on session B, so one packet = "
                 "2 gateway operations. Poll-mode workers are 100% busy, so TSC ticks per operation = "
                 "tsc_hz x workers / operations per second at zero loss.")
    lines.append("")
    lines.append("| system | sessions | suite | size | zero-loss kpps (packets) | Mops/s per core (gateway ops) "
                 "| Mpps per core (packets) | TSC ticks/op | CPU µs/op | latency µs p50/p99/p99.9 @50% | @90% "
                 "| 150%: min session share | note |")
    lines.append("|" + "---|" * 13)
    for p in results.get("points", []):
        m = p.get("metrics") or {}
        over = p.get("overload") or {}
        share = over.get("min_session_share")
        share_text = "-" if share is None else f"{share:.2f}" + ("" if over.get("ok") else " FAIL")
        lines.append(
            f"| {p['system']} | {p['sessions']} | {p['suite']} | {p['size']} "
            f"| {_fmt(m.get('zero_loss_pps', None) and m['zero_loss_pps'] / 1e3, '.1f')} "
            f"| {_fmt(m.get('ops_mpps_per_core'), '.3f')} | {_fmt(m.get('packets_mpps_per_core'), '.3f')} "
            f"| {_fmt(m.get('tsc_ticks_per_op'), '.0f')} | {_fmt(m.get('cpu_us_per_op'), '.3f')} "
            f"| {latency_text((p.get('latency') or {}).get('50'))} | {latency_text((p.get('latency') or {}).get('90'))} "
            f"| {share_text} | {cell(p.get('error') or ('generator-limited: rate a lower bound, ticks/op an upper bound' if p.get('generator_limited') else ''))} |")
    comparisons = results.get("comparison", [])
    if comparisons:
        lines += ["", "## msf-dataplane vs rtpengine (same run, same generator)", "",
                  "| sessions (msf / rtpengine) | suite | size | msf ops/s per core | rtpengine ops/s per core | ratio "
                  "| msf µs/op | rtpengine CPU µs/op |", "|" + "---|" * 8]
        for c in comparisons:
            lines.append(f"| {c['sessions']} / {c['rtpengine_sessions']} | {c['suite']} | {c['size']} "
                         f"| {_fmt(c.get('msf_ops_per_core'), '.0f')} "
                         f"| {_fmt(c.get('rtpengine_ops_per_core'), '.0f')} | {_fmt(c.get('ratio'), '.1f')} "
                         f"| {_fmt(c.get('msf_us_per_op'), '.4f')} | {_fmt(c.get('rtpengine_cpu_us_per_op'), '.2f')} |")
    notes = results.get("notes", [])
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def compare(points):
    """Side-by-side rows: each msf point with the rtpengine point of the same suite and size
    and the most sessions not above msf's (rtpengine runs at most RTPENGINE_MAX_CALLS)."""
    measured = [p for p in points if p.get("metrics") and p["metrics"].get("gateway_ops_per_s") and not p.get("error")]
    rows = []
    for m in sorted((p for p in measured if p["system"] == "msf"), key=lambda p: (p["suite"], p["size"], p["sessions"])):
        peers = [p for p in measured if p["system"] == "rtpengine" and (p["suite"], p["size"]) == (m["suite"], m["size"])
                 and p["sessions"] <= m["sessions"]]
        if not peers:
            continue
        r = max(peers, key=lambda p: p["sessions"])
        msf, rtpe = m["metrics"], r["metrics"]
        msf_per_core = msf["ops_mpps_per_core"] * 1e6
        rtpe_per_core = rtpe.get("ops_per_cpu_s")
        rows.append({
            "sessions": m["sessions"], "rtpengine_sessions": r["sessions"], "suite": m["suite"], "size": m["size"],
            "msf_ops_per_core": msf_per_core,
            "rtpengine_ops_per_core": rtpe_per_core,
            "ratio": msf_per_core / rtpe_per_core if rtpe_per_core else None,
            "msf_us_per_op": 1e6 / msf_per_core if msf_per_core else None,
            "rtpengine_cpu_us_per_op": rtpe.get("cpu_us_per_op"),
        })
    return rows


def plot(results, out_dir):
    """PNG plots (matplotlib, Agg): throughput vs sessions per suite and size, and latency
    percentiles at 50%/90% load. Returns the paths written."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    written = []
    points = [p for p in results.get("points", []) if p.get("metrics")]
    if not points:
        return written
    fig, ax = plt.subplots(figsize=(8, 5))
    for system in sorted({p["system"] for p in points}):
        for suite in sorted({p["suite"] for p in points}):
            for size in sorted({p["size"] for p in points}):
                series = sorted((p["sessions"], p["metrics"]["ops_mpps_per_core"]) for p in points
                                if (p["system"], p["suite"], p["size"]) == (system, suite, size)
                                and p["metrics"].get("ops_mpps_per_core"))
                if series:
                    ax.plot([x for x, _ in series], [y for _, y in series], marker="o",
                            label=f"{system} {suite} {size} B")
    ax.set_xscale("log")
    ax.set_xlabel("sessions")
    ax.set_ylabel("zero-loss gateway Mops/s per worker core")
    ax.set_title("Throughput vs sessions (hairpin: 2 operations per packet)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    path = os.path.join(out_dir, "throughput_vs_sessions.png")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append(path)

    labelled = [p for p in points if p.get("latency")]
    if labelled:
        fig, ax = plt.subplots(figsize=(max(8, len(labelled) * 1.2), 5))
        width = 0.13
        names = [f"{p['system']}\n{p['sessions']} {p['suite'][:6]}\n{p['size']} B" for p in labelled]
        for i, (load, pct) in enumerate((l, q) for l in ("50", "90") for q in ("p50", "p99", "p999")):
            values = [((p["latency"].get(load) or {}).get("latency_ns") or {}).get(pct) for p in labelled]
            ax.bar([x + (i - 2.5) * width for x in range(len(labelled))],
                   [v / 1e3 if v else 0 for v in values], width, label=f"{pct} at {load}% load")
        ax.set_xticks(range(len(labelled)))
        ax.set_xticklabels(names, fontsize="x-small")
        ax.set_yscale("log")
        ax.set_ylabel("latency µs (generator to generator)")
        ax.set_title("Latency percentiles at 50% and 90% of the zero-loss rate")
        ax.legend(fontsize="x-small")
        path = os.path.join(out_dir, "latency.png")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written


def parse_list(text, kind, allowed=None):
    """Comma-separated values of one kind; raises argparse.ArgumentTypeError naming the bad one."""
    values = []
    for item in text.split(","):
        item = item.strip()
        try:
            value = kind(item)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r} is not a {kind.__name__}")
        if allowed is not None and value not in allowed:
            raise argparse.ArgumentTypeError(f"{item!r} is not one of {', '.join(map(str, allowed))}")
        if kind is int and value <= 0:
            raise argparse.ArgumentTypeError(f"{item!r} must be positive")
        values.append(value)
    if not values:
        raise argparse.ArgumentTypeError("empty list")
    return values


# ---------------------------------------------------------------------------------------------
# Processes and cleanup

class SetupError(RuntimeError):
    """A process or resource the run needs could not be started; the message says which."""


class Resources:
    """Everything this run started or created, undone in reverse order whatever happens."""

    def __init__(self):
        self.undo = []

    def add(self, what, fn):
        self.undo.append((what, fn))

    def popen(self, what, cmd, log_path=None, **kw):
        log = open(log_path, "a") if log_path else subprocess.DEVNULL  # a restart appends
        out = kw.pop("stdout", log)
        # stderr to the log; when stdout is the log, stderr joins it there.
        err = kw.pop("stderr", subprocess.STDOUT if log_path and out is log else log)
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, **kw)
        proc.what, proc.log_path = what, log_path
        self.add(what, lambda: (stop(proc), log_path and log.close()))
        return proc

    def release(self):
        while self.undo:
            what, fn = self.undo.pop()
            try:
                fn()
            except Exception as e:  # keep undoing the rest
                print(f"cleanup of {what}: {e}", file=sys.stderr)


def stop(proc, grace_s=10):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace_s)


def log_tail(path, lines=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:]).strip()
    except OSError:
        return ""


def wait_for(predicate, proc, what, timeout_s=30):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SetupError(f"{what} exited {proc.returncode} at start: {log_tail(proc.log_path)}")
        if predicate():
            return
        time.sleep(0.05)
    raise SetupError(f"{what} not ready within {timeout_s} s: {log_tail(proc.log_path)}")


def check_alive(procs):
    for p in procs:
        if p.poll() is not None:
            raise SetupError(f"{p.what} died (exit {p.returncode}): {log_tail(p.log_path, 3)}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(cmd, timeout=30, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise SetupError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()[-300:]}")
    return r


def machine_facts():
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(), "tsc_hz": 0}


def hugepages_setup(resources, want, needed_mb):
    """True when hugepages are usable for needed_mb MiB: reserves 2 MiB pages as root (the old
    count is restored at the end). want: 'auto', 'true' or 'false'. 'true' fails when it cannot."""
    if want == "false":
        return False
    path = "/proc/sys/vm/nr_hugepages"
    try:
        with open(path) as f:
            before = int(f.read())
        pages = math.ceil(needed_mb / 2)
        if before < pages:
            with open(path, "w") as f:
                f.write(str(pages))
            resources.add("nr_hugepages", lambda: open(path, "w").write(str(before)))
        with open("/proc/meminfo") as f:
            free = next(int(line.split()[1]) for line in f if line.startswith("HugePages_Free"))
        if free >= pages:
            return True
        reason = f"only {free} of {pages} 2 MiB hugepages free"
    except (OSError, ValueError, StopIteration) as e:
        reason = f"cannot reserve hugepages: {e}"
    if want == "true":
        raise SetupError(reason)
    print(f"hugepages: {reason}; running without (slower)", file=sys.stderr)
    return False


# ---------------------------------------------------------------------------------------------
# msf-gen

def gen_command(args, calls, access_port, core_port, rate, size, duration_s, warmup_s, prefix, eal):
    """One-shot msf-gen for the rtpengine baseline: one queue per net_af_packet port, so one lcore."""
    cmd = [os.path.join(args.build, "bench/gen/msf-gen"), "--calls", calls,
           "--access-port", access_port, "--core-port", core_port, "--file-prefix", prefix,
           "--lcores", args.gen_lcore_one, "--mode", "hairpin", "--rate", str(int(rate)),
           "--size", str(size), "--duration", str(duration_s), "--warmup", str(warmup_s), "--json"]
    if eal:
        cmd += ["--eal", eal]
    return cmd


def serve_command(args, calls, access_port, core_port, size, prefix, eal, queues=1):
    """msf-gen --serve: set up once, then one trial per request line (trial_request_line)."""
    cmd = [os.path.join(args.build, "bench/gen/msf-gen"), "--calls", calls,
           "--access-port", access_port, "--core-port", core_port, "--file-prefix", prefix,
           "--lcores", args.gen_lcores, "--mode", "hairpin", "--size", str(size),
           "--queues", str(queues), "--serve"]
    if eal:
        cmd += ["--eal", eal]
    return cmd


def trial_request_line(rate, duration_s, warmup_s, size):
    """One msf-gen --serve request (bench/gen/README.md), newline-terminated bytes."""
    return (json.dumps({"rate": int(rate), "duration": duration_s, "warmup": warmup_s, "size": size})
            + "\n").encode()


def take_report(buffer):
    """(report, rest): the first complete line of `buffer` (bytes) that is a JSON object, and
    what follows it. Lines before it that are not (DPDK's EAL logs to stdout too) are dropped.
    report is None while no such line is complete; rest then keeps only the incomplete tail."""
    while b"\n" in buffer:
        line, buffer = buffer.split(b"\n", 1)
        try:
            report = json.loads(line)
        except ValueError:
            continue
        if isinstance(report, dict):
            return report, buffer
    return None, buffer


class GenServer:
    """One `msf-gen --serve` for all the trials of a testbed. A trial writes one request line
    and waits for the report line; msf-gen's death, a hang or an {"error": ...} answer is a
    SetupError (a dead or killed server is then in the testbed's processes, so the runner
    restarts the testbed for the next point)."""

    def __init__(self, res, cmd, netns, log_path):
        full = (["ip", "netns", "exec", netns] if netns else []) + cmd
        self.proc = res.popen("msf-gen", full, log_path=log_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        # Undone before the stop above: EOF on its stdin ends msf-gen cleanly (ports closed).
        res.add("msf-gen stdin", self.close)
        self.buffer = b""

    def close(self):
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass

    def own_lines(self):
        """msf-gen's own lines in its log (it says what failed; EAL's chatter around them does not)."""
        return " ".join(line for line in log_tail(self.proc.log_path, 40).splitlines()
                        if line.startswith("msf-gen"))[-400:] or log_tail(self.proc.log_path, 3)[-400:]

    def trial(self, rate, duration_s, warmup_s, size, timeout_s):
        try:
            self.proc.stdin.write(trial_request_line(rate, duration_s, warmup_s, size))
            self.proc.stdin.flush()
        except OSError:
            pass  # it died: said below
        deadline = time.monotonic() + timeout_s
        fd = self.proc.stdout.fileno()
        while True:
            report, self.buffer = take_report(self.buffer)
            if report is not None:
                if "error" in report:
                    raise SetupError(f"msf-gen refused the trial: {report['error']}")
                return report
            left = deadline - time.monotonic()
            if left <= 0:
                self.proc.kill()  # a hung server is not reused: the testbed restarts
                self.proc.wait()
                raise SetupError(f"msf-gen --serve did not answer within {timeout_s:.0f} s")
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self.proc.wait()
                raise SetupError(f"msf-gen --serve exited {self.proc.returncode}: {self.own_lines()}")
            self.buffer += chunk


def run_gen(cmd, netns=None, timeout_s=120):
    """The JSON report of one msf-gen run; SetupError when it exited non-zero or printed none."""
    full = (["ip", "netns", "exec", netns] if netns else []) + cmd
    try:
        r = subprocess.run(full, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise SetupError(f"msf-gen did not finish within {timeout_s} s")
    if r.returncode != 0:
        # msf-gen's own lines say what failed; EAL's chatter around them does not.
        own = [line for line in r.stderr.splitlines() if line.startswith("msf-gen")]
        raise SetupError(f"msf-gen exited {r.returncode}: " + (" ".join(own)[-400:] or r.stderr.strip()[-400:]))
    for line in reversed(r.stdout.strip().splitlines()):
        try:
            report = json.loads(line)
        except ValueError:
            continue
        if isinstance(report, dict):
            return report
    raise SetupError(f"msf-gen printed no JSON report: {r.stdout.strip()[-200:]} {r.stderr.strip()[-200:]}")


class Testbed:
    """The system under test with its sessions installed, and msf-gen runs against it.

    Sequence numbers: the gateway keeps each session's SRTP index (ROC and replay window,
    RFC 3711 §3.3.1, §3.3.2) from one trial to the next. A trial that started every session at
    sequence 0 again would be a replay of the last one, dropped, and read as loss. A serving
    testbed (msf) keeps one msf-gen --serve, which continues every sequence in memory; one that
    runs an msf-gen process per trial (rtpengine) relies on msf-gen resuming from the state it
    keeps in CALLS.seq; when a run left no such file (it could not write it), every later trial
    gets freshly installed sessions instead (start() again: correct, slower)."""

    def __init__(self, args, parent, work):
        self.args, self.work = args, work
        self.res = Resources()
        parent.add("testbed", lambda: self.res.release())
        self.procs = []
        self.trials_run = 0
        self.carry_sequence = True  # known after the first trial

    cpu_pid = None  # the process whose CPU time a trial reports; None: poll-mode, not measurable
    fresh_per_trial = False  # True: a trial may leave the system changed (rtpengine), start again
    serves = False  # True: one msf-gen --serve carries every session's sequence in memory

    def start(self):
        raise NotImplementedError

    def gen(self, rate, duration_s, size):
        """msf-gen's report of one run (subclasses: ports, namespace, EAL)."""
        raise NotImplementedError

    def forget_sequences(self, calls):
        """Removes msf-gen's sequence state of a calls file at release."""
        for path in (calls + ".seq", calls + ".seq.tmp"):
            self.res.add(f"sequence state {path}", lambda path=path: os.path.exists(path) and os.unlink(path))

    def restart(self):
        self.res.release()
        self.procs = []
        self.start()

    def alive(self):
        check_alive(self.procs)

    def trial(self, rate, duration_s, size):
        if self.trials_run and (self.fresh_per_trial or not self.carry_sequence):
            self.restart()
        self.alive()
        pid = self.cpu_pid
        cpu0 = cpu_seconds(pid) if pid else None
        report = self.gen(rate, duration_s, size)
        if cpu0 is not None:
            report["cpu_s"] = cpu_seconds(pid) - cpu0
        self.trials_run += 1
        if not self.serves and not os.path.exists(self.calls + ".seq"):
            if self.carry_sequence:
                print("  msf-gen kept no sequence state: fresh sessions for every trial (slower)", file=sys.stderr)
            self.carry_sequence = False
        self.alive()
        return report


class Measurement:
    """Search, latency and overload trials of one (system, sessions, suite, size) point."""

    def __init__(self, args, bed, size):
        self.args, self.bed, self.size = args, bed, size

    def trial(self, rate, duration_s=None):
        return self.bed.trial(rate, duration_s or self.args.trial_s, self.size)

    def measure(self, point):
        args = self.args
        full = self.trial(0)  # as fast as the generator can: the search's upper bound
        upper = full.get("achieved_tx_pps", 0)
        point["full_load"] = full
        if upper <= 0:
            point["error"] = "generator sent nothing at full load"
            return point
        full["passed"], full["reason"] = trial_verdict(full)
        if full["passed"]:
            # Nothing lost at the most msf-gen can send: the gateway's zero-loss rate is at
            # least that; the generator, not the gateway, is the limit of this point.
            rate, best = upper, full
            point["search"] = [{"rate": upper, "passed": True, "reason": "zero loss at full generator load"}]
            point["generator_limited"] = True
        else:
            trials = {}

            def trial(rate):
                report = self.trial(rate)
                passed, reason = trial_verdict(report, rate)
                report["passed"], report["reason"] = passed, reason
                trials[rate] = report
                return passed

            sanity = point.get("sanity") or {}
            known_good = sanity["rate"] if sanity.get("passed") and sanity["rate"] < upper * 0.98 else 0.0
            if known_good:
                trials[known_good] = sanity["report"]
            rate, history = search_zero_loss_rate(trial, upper * 0.98, args.resolution, args.max_trials,
                                                  first_guess=full.get("rx_pps") or None, known_good=known_good)
            point["search"] = [{"rate": r, "passed": ok, "reason": trials[r]["reason"], "report": trials[r]}
                               for r, ok in history]
            if known_good and rate == known_good:
                point["search"].append({"rate": known_good, "passed": True, "reason": "the sanity trial's rate"})
            if rate <= 0:
                point["error"] = f"no zero-loss rate found ({history[-1][0]:.0f} pps: {trials[history[-1][0]]['reason']})"
                return point
            point["generator_limited"] = history[0][1]
            best = trials[rate]
        point["zero_loss_trial"] = best
        tsc_hz = full.get("tsc_hz") or best.get("tsc_hz") or 0
        point["metrics"] = point_metrics(rate, args.workers, tsc_hz)
        if best.get("cpu_s") is not None:
            # The process's CPU time covers the warm-up as well as the counted seconds: every
            # packet sent in both was forwarded (the trial lost none).
            m = point["metrics"]
            packets = best.get("achieved_tx_pps", rate) * (best.get("duration_s", args.trial_s) + args.warmup_s)
            ops = packets * OPS_PER_PACKET["hairpin"]
            m["cpu_s"] = best["cpu_s"]
            m["cpu_us_per_op"] = 1e6 * best["cpu_s"] / ops if ops else None
            m["ops_per_cpu_s"] = ops / best["cpu_s"] if best["cpu_s"] > 0 else None
            # Not poll-mode: per core means per CPU-second the process used.
            m["ops_mpps_per_core"] = (m["ops_per_cpu_s"] or 0) / 1e6 or None
            m["packets_mpps_per_core"] = m["ops_mpps_per_core"] and m["ops_mpps_per_core"] / OPS_PER_PACKET["hairpin"]
            m["tsc_ticks_per_op"] = None
        else:
            point["metrics"]["cpu_us_per_op"] = 1e6 * args.workers / point["metrics"]["gateway_ops_per_s"]
        point["latency"] = {}
        for load in (50, 90):
            report = self.trial(rate * load / 100)
            report["passed"], report["reason"] = trial_verdict(report, rate * load / 100)
            point["latency"][str(load)] = report
        report = self.trial(rate * 1.5)
        share = report.get("min_session_share")
        receiving, sessions = report.get("sessions_receiving"), report.get("sessions")
        report["ok"] = bool(share is not None and share > 0 and receiving == sessions)
        point["overload"] = report
        return point


# ---------------------------------------------------------------------------------------------
# msf: msf-dataplane + msf-controld + msf-pcscf on memif

def veth_pairs(res, left_ns, right_ns, pairs):
    """Two network namespaces joined by veth pairs [(left_if, right_if), ...], all up, IPv6 off,
    checksum offload off (AF_PACKET then hands over what the kernel would put on a wire);
    deleting the namespaces at release deletes the pairs."""
    for ns in (left_ns, right_ns):
        run(["ip", "netns", "add", ns])
        res.add(f"netns {ns}", lambda ns=ns: run(["ip", "netns", "del", ns], check=False))
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
    for left_if, right_if in pairs:
        run(["ip", "link", "add", left_if, "netns", left_ns, "type", "veth", "peer", "name", right_if,
             "netns", right_ns])
        for ns, ifname in ((left_ns, left_if), (right_ns, right_if)):
            run(["ip", "netns", "exec", ns, "ethtool", "-K", ifname, "tx", "off"], check=False)
            run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"net.ipv6.conf.{ifname}.disable_ipv6=1"])
            run(["ip", "-n", ns, "link", "set", ifname, "up"])


class MsfTestbed(Testbed):
    """msf-dataplane, msf-controld and the installed sessions. The dataplane faces msf-gen over
    net_memif (--link memif: shared memory, the faster, what the figures use) or over two veth
    pairs between namespaces with net_af_packet on both ends (--link veth: through the kernel,
    slower, but a generator that exits cannot take the dataplane down with it, see README).

    One msf-gen --serve, started once the sessions are installed, runs every trial; release
    stops msf-dataplane before it, so the dataplane never sees its memif peer go away while
    its workers poll (the disconnect race in bench/README.md)."""

    serves = True

    def __init__(self, args, parent, work, sessions, suite, hugepages):
        super().__init__(args, parent, work)
        self.sessions, self.suite, self.hugepages = sessions, suite, hugepages
        self.tag = f"msf-tput-{os.getpid()}-{sessions}-{suite[:6]}"

    def memory_mb(self):
        # Two SRTP contexts of about 2.4 KiB per session, plus pools and tables.
        return 512 + math.ceil(self.sessions * 5.2 / 1024)

    def start(self):
        b = self.args.build
        dp_sock = os.path.join(self.work, "dp.sock")
        self.res.add(f"socket {dp_sock}", lambda: os.path.exists(dp_sock) and os.unlink(dp_sock))
        if self.args.link == "memif":
            self.access_sock = os.path.join(self.work, f"{self.sessions}-{self.suite[:6]}-a.sock")
            self.core_sock = os.path.join(self.work, f"{self.sessions}-{self.suite[:6]}-c.sock")
            for s in (self.access_sock, self.core_sock):
                self.res.add(f"socket {s}", lambda s=s: os.path.exists(s) and os.unlink(s))
            in_ns = []
            dp_ports = [f"--access.port=net_memif0,role=server,socket={self.access_sock},id=0",
                        f"--core.port=net_memif1,role=server,socket={self.core_sock},id=0"]
            self.gen_ports = (f"net_memif0,role=client,socket={self.access_sock},id=0",
                              f"net_memif1,role=client,socket={self.core_sock},id=0")
            self.gen_ns = None
        else:
            tag = f"mt{os.getpid() % 100000}"
            ns_gw, self.gen_ns = f"{tag}-gw", f"{tag}-mgen"
            veth_pairs(self.res, ns_gw, self.gen_ns, [("gwa0", "gena"), ("gwc0", "genc")])
            in_ns = ["ip", "netns", "exec", ns_gw]
            dp_ports = ["--access.port=net_af_packet0,iface=gwa0", "--core.port=net_af_packet1,iface=gwc0"]
            self.gen_ports = ("net_af_packet0,iface=gena", "net_af_packet1,iface=genc")
        self.res.add("dpdk runtime dir", lambda: shutil.rmtree(f"/var/run/dpdk/{self.tag}-dp", ignore_errors=True))
        dp = self.res.popen("msf-dataplane", [
            *in_ns, f"{b}/dataplane/gateway/msf-dataplane", *dp_ports,
            *[f"--access.ipv4={a}" for a in gateway_addresses(ACCESS_IP4, self.sessions)],
            *[f"--core.ipv4={a}" for a in gateway_addresses(CORE_IP4, self.sessions)],
            f"--hugepages={'true' if self.hugepages else 'false'}", f"--memory-mb={self.memory_mb()}",
            f"--workers={self.args.workers}", f"--lcores={self.args.dp_lcores}", "--telemetry=false",
            f"--max-sessions={max(self.sessions, 16)}", f"--port-min={MEDIA_PORT_MIN}", f"--port-max={MEDIA_PORT_MAX}",
            f"--file-prefix={self.tag}-dp", f"--control-socket={dp_sock}", "--log-level=error",
            *([f"--eal={self.args.dp_eal}"] if self.args.dp_eal else [])],
            log_path=os.path.join(self.work, "msf-dataplane.log"))
        self.procs.append(dp)
        wait_for(lambda: os.path.exists(dp_sock), dp, "msf-dataplane", timeout_s=60)
        self.dataplane = dp
        port = free_port()
        cli = os.path.join(self.work, "cli.sock")
        self.res.add("controld files", lambda: [os.path.exists(p) and os.unlink(p) for p in
                                                (cli, f"{self.work}/c.db", f"{self.work}/c.key")])
        n_pcscf = max(1, math.ceil(self.sessions / CALLS_PER_PCSCF))
        peers = [f"--diameter.peer=pcscf{c}.localdomain,address=127.0.0.1" for c in range(n_pcscf)]
        cd = self.res.popen("msf-controld", [
            f"{b}/controlplane/msf-controld", f"--dataplane-socket={dp_sock}",
            f"--store={self.work}/c.db", f"--store-key={self.work}/c.key", f"--cli-socket={cli}",
            f"--diameter.listen=127.0.0.1:{port}", *peers,
            *[f"--media.access-ipv4={a}" for a in gateway_addresses(ACCESS_IP4, self.sessions)],
            *[f"--media.core-ipv4={a}" for a in gateway_addresses(CORE_IP4, self.sessions)],
            f"--media.port-min={MEDIA_PORT_MIN}",
            f"--media.port-max={MEDIA_PORT_MAX}", f"--policy.max-sessions={max(self.sessions, 16)}",
            "--log-level=warning"], log_path=os.path.join(self.work, "msf-controld.log"))
        self.procs.append(cd)
        wait_for(lambda: os.path.exists(cli), cd, "msf-controld")
        time.sleep(0.5)  # the first dataplane connect and reconcile
        self.calls = self.install(port, n_pcscf)
        self.start_gen()
        # Added last, undone first: msf-dataplane stops while msf-gen is still connected.
        self.res.add("msf-dataplane before msf-gen", lambda: stop(dp))

    def start_gen(self):
        args = self.args
        prefix = f"{self.tag}-gen"
        self.res.add("msf-gen dpdk runtime dir", lambda: shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True))
        eal = args.gen_eal or ("--in-memory" if self.hugepages else "--no-huge --no-shconf") + " -m 512"
        cmd = serve_command(args, self.calls, *self.gen_ports, args.sizes[0], prefix, eal, args.gen_queues)
        self.server = GenServer(self.res, cmd, self.gen_ns, os.path.join(self.work, "msf-gen.log"))
        self.procs.append(self.server.proc)

    def install(self, port, n_pcscf):
        """Installs the sessions with n_pcscf msf-pcscf processes at once (each an even share, so
        every hairpin pair lies inside one file); returns the merged calls file."""
        b, clients, files = self.args.build, [], []
        share = 2 * math.ceil(self.sessions / n_pcscf / 2)
        left = self.sessions
        for c in range(n_pcscf):
            calls = min(share, left)
            left -= calls
            out = os.path.join(self.work, f"calls-{c}.jsonl")
            files.append(out)
            self.res.add(f"calls file {out}", lambda out=out: os.path.exists(out) and os.unlink(out))
            clients.append(subprocess.Popen(
                [f"{b}/controlplane/pcscf/msf-pcscf", "--msf", f"127.0.0.1:{port}",
                 "--identity", f"pcscf{c}.localdomain", "--ues", str(min(calls, 100)), "--calls", str(calls),
                 "--concurrency", "128", "--timeout-ms", "60000", "--keep", "--hairpin-pairs", "--key-source", "aka",
                 "--suite", self.suite, "--calls-out", out, "--json",
                 "--ue-base", f"192.0.2.{20 + c}:10000", "--core-base", f"198.51.100.{20 + c}:10000"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        t0 = time.monotonic()
        for p in clients:
            out, err = p.communicate(timeout=1800)
            try:
                report = json.loads(out)
            except ValueError:
                raise SetupError(f"msf-pcscf exited {p.returncode}: {err.strip()[-400:]}")
            if not report.get("ok"):
                raise SetupError(f"msf-pcscf: not every call installed: {report.get('errors', [])[:3]}")
        self.install_s = time.monotonic() - t0
        merged = os.path.join(self.work, "calls.jsonl")
        self.res.add("calls file", lambda: os.path.exists(merged) and os.unlink(merged))
        self.forget_sequences(merged)
        lines = 0
        with open(merged, "w") as dst:
            os.chmod(merged, 0o600)  # the UEs' SAs
            for path in files:
                # Each msf-pcscf numbers its calls from 0: shift call_index by the calls before
                # it (an even number, so the hairpin pairs (2k, 2k+1) stay pairs).
                offset = lines
                with open(path) as src:
                    for line in src:
                        record = json.loads(line)
                        if "call_index" in record:
                            record["call_index"] += offset
                        dst.write(json.dumps(record, sort_keys=True) + "\n")
                        lines += 1
        if lines != self.sessions:
            raise SetupError(f"calls files hold {lines} calls, {self.sessions} installed")
        return merged

    def gen(self, rate, duration_s, size):
        # The server sets up (EAL, ports, ARP, latching every UE) before it reads the first
        # request: allow for that besides the trial and its drain.
        setup_s = 0 if self.trials_run else 30 + 100e-6 * self.sessions
        return self.server.trial(rate, duration_s, self.args.warmup_s, size,
                                 timeout_s=duration_s + self.args.warmup_s + 60 + setup_s)


# ---------------------------------------------------------------------------------------------
# rtpengine: userspace, its own namespace, veth pairs to msf-gen on net_af_packet

def sdp(ip, port, profile, crypto=None, session="msf"):
    lines = ["v=0", f"o=- 1 1 IN IP4 {ip}", f"s={session}", f"c=IN IP4 {ip}", "t=0 0",
             f"m=audio {port} {profile} 0", "a=rtpmap:0 PCMU/8000", "a=sendrecv"]
    if crypto:
        lines.append(f"a=crypto:{crypto}")
    return "\r\n".join(lines) + "\r\n"


def sdp_media(text):
    """(ip, port, [a=crypto values]) of the first audio m-section of an SDP."""
    ip, port, cryptos = None, None, []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith("c=IN IP4 "):
            ip = line.split()[2]
        elif line.startswith("m=audio "):
            port = int(line.split()[1])
        elif line.startswith("a=crypto:"):
            cryptos.append(line[len("a=crypto:"):].strip())
    if ip is None or port is None:
        raise SetupError(f"rtpengine's SDP has no c=/m=audio line: {text[:200]!r}")
    return ip, port, cryptos


def canonical_crypto(value):
    """(a=crypto value, key||salt bytes) with the inline key in padded base64 (RFC 4648 §4):
    rtpengine writes the 28-byte AEAD_AES_128_GCM key||salt without its '=' padding."""
    head, _, rest = value.partition("inline:")
    if not rest:
        raise SetupError(f"a=crypto value without an inline key: {value!r}")
    key_text = rest.split("|")[0].split()[0]
    try:
        key = base64.b64decode(key_text + "=" * (-len(key_text) % 4), validate=True)
    except ValueError:
        raise SetupError(f"a=crypto inline key is not base64: {value!r}")
    return head + "inline:" + base64.b64encode(key).decode() + rest[len(key_text):], key


class RtpengineTestbed(Testbed):
    """rtpengine in namespace <tag>-rtpe with two interfaces, access (192.0.2.10) and core
    (198.51.100.10); msf-gen in <tag>-gen on the other ends of the two veth pairs."""

    # rtpengine 10.5 stops reading a media socket for good once its receive loop has hit 50
    # queued packets 5 times (error_strikes in daemon/media_socket.c: with edge-triggered
    # polling nothing resets it), so one overloaded trial would silence streams in every later
    # one. Each trial therefore gets a fresh rtpengine and fresh calls.
    fresh_per_trial = True

    def __init__(self, args, parent, work, sessions, suite):
        super().__init__(args, parent, work)
        self.sessions, self.suite = sessions, suite
        tag = f"mt{os.getpid() % 100000}"
        self.ns_rtpe, self.ns_gen = f"{tag}-rtpe", f"{tag}-gen"

    @property
    def cpu_pid(self):
        return self.pid

    def start(self):
        veth_pairs(self.res, self.ns_rtpe, self.ns_gen, [("rtpa", "gena"), ("rtpc", "genc")])
        for rtpe_if, ip in (("rtpa", ACCESS_IP4), ("rtpc", CORE_IP4)):
            run(["ip", "-n", self.ns_rtpe, "addr", "add", f"{ip}/24", "dev", rtpe_if])
        self.ng_port = 22222
        log = os.path.join(self.work, "rtpengine.log")
        cmd = ["ip", "netns", "exec", self.ns_rtpe, RTPENGINE, "--config-file=none", "--foreground",
               "--log-stderr", "--table=-1", "--interface=access/" + ACCESS_IP4, "--interface=core/" + CORE_IP4,
               f"--listen-ng=127.0.0.1:{self.ng_port}", "--port-min=1024", "--port-max=65535",
               "--num-threads=1", "--log-level=4", "--timeout=600", "--delete-delay=0",
               f"--pidfile={self.work}/rtpengine.pid"]
        proc = self.res.popen("rtpengine", cmd, log_path=log)
        self.procs.append(proc)
        self.ng = rtpengine_ng.NgClient(("127.0.0.1", self.ng_port), netns=self.ns_rtpe, timeout_s=1.0)
        self.res.add("ng socket", self.ng.close)

        def pong():
            try:
                return self.ng.request("ping").get("result") == "pong"
            except rtpengine_ng.NgError:
                return False
        wait_for(pong, proc, "rtpengine", timeout_s=20)
        with open(f"{self.work}/rtpengine.pid") as f:
            self.pid = int(f.read().split()[0])
        self.calls = self.create_calls()

    def create_calls(self):
        """N calls over ng, in hairpin pairs; writes the calls file msf-gen reads."""
        records = []
        key_of_a = None
        for i in range(self.sessions):
            try:
                records.append(self.create_call(i, key_of_a))
            except rtpengine_ng.NgError as e:
                raise SetupError(f"{e} (after {i} of {self.sessions} calls)")
            if i % 2 == 0:
                key_of_a = self.last_to_ue_key
        path = os.path.join(self.work, f"rtpengine-calls-{self.sessions}.jsonl")
        self.res.add("calls file", lambda: os.path.exists(path) and os.unlink(path))
        self.forget_sequences(path)
        with open(path, "w") as f:
            os.chmod(path, 0o600)
            for r in records:
                f.write(json.dumps(r, sort_keys=True) + "\n")
        return path

    def create_call(self, i, key_of_a):
        """Call i over ng (offer from the UE, answer from the core); its calls-file record.
        key_of_a: for a B call (odd i), the key rtpengine answered toward UE A."""
        call_id = f"tput-{os.getpid()}-{i}"
        ue_ip, core_ip = f"192.0.2.{20 + i // 25000}", f"198.51.100.{20 + i // 25000}"
        ue_port = core_port = 10000 + 2 * (i % 25000)
        if i % 2 == 0:
            # UE A's own UE->network master key || salt (RFC 4568 §6.2.1: 16 + 14 bytes;
            # RFC 7714 §12: 16 + 12 for AEAD_AES_128_GCM)
            key = os.urandom(28 if self.suite.startswith("AEAD") else 30)
        else:
            key = key_of_a  # B's UE->network key = rtpengine's key toward UE A
        crypto = f"1 {self.suite} inline:{base64.b64encode(key).decode()}"
        offer = self.ng.request("offer", call_id=call_id, from_tag="ue", sdp=sdp(ue_ip, ue_port, "RTP/SAVP", crypto),
                                direction=["access", "core"], transport_protocol="RTP/AVP",
                                replace=["origin", "session-connection"], ICE="remove")
        msf_core_ip, msf_core_port, offered = sdp_media(offer["sdp"])
        if offered:
            raise SetupError(f"rtpengine kept a=crypto toward the core (no SRTP->RTP): {offer['sdp'][:300]!r}")
        answer = self.ng.request("answer", call_id=call_id, from_tag="ue", to_tag="core",
                                 sdp=sdp(core_ip, core_port, "RTP/AVP"), transport_protocol="RTP/SAVP",
                                 replace=["origin", "session-connection"], ICE="remove")
        msf_access_ip, msf_access_port, cryptos = sdp_media(answer["sdp"])
        if not cryptos:
            raise SetupError(f"rtpengine's answer toward the UE has no a=crypto: {answer['sdp'][:300]!r}")
        to_ue_crypto, to_ue_key = canonical_crypto(cryptos[0])
        self.last_to_ue_key = to_ue_key
        # Both directions' keys travel in the record (to_ue_crypto: what rtpengine answered,
        # from_ue_crypto: what the UE offered), so the SA is never used to derive a key:
        # call_record.hpp requires one, this one is random and unused.
        return {"call_id": call_id, "session_id": call_id, "ue_user": f"ue{i}", "component": 1,
                "media_index": 0, "ue": f"{ue_ip}:{ue_port}", "core": f"{core_ip}:{core_port}",
                "msf_access": f"{msf_access_ip}:{msf_access_port}",
                "msf_core": f"{msf_core_ip}:{msf_core_port}", "rtcp_mux": False,
                "suite": self.suite, "to_ue_key": "sdes", "to_ue_crypto": to_ue_crypto,
                "from_ue_key": "paired", "from_ue_crypto": crypto, "call_index": i,
                "ue_sa": {"source": "aka", "ck": os.urandom(16).hex(), "ik": os.urandom(16).hex()}}

    def gen(self, rate, duration_s, size):
        args = self.args
        prefix = f"mt{os.getpid()}-gen-rtpe"
        eal = args.gen_eal or "--no-huge --no-shconf -m 512"
        cmd = gen_command(args, self.calls, "net_af_packet0,iface=gena", "net_af_packet1,iface=genc",
                          rate, size, duration_s, args.warmup_s, prefix, eal)
        try:
            return run_gen(cmd, netns=self.ns_gen, timeout_s=duration_s + args.warmup_s + 60)
        finally:
            shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)


# ---------------------------------------------------------------------------------------------

def lcore_ids(text):
    """The lcore ids of an EAL core list ("3", "8-11", "0,4-5"); None for the EAL's other
    --lcores forms (lcore@cpu, groups in parentheses), which are passed on unchecked."""
    ids = []
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            return None
        ids.extend(range(int(first), int(last if dash else first) + 1))
    return sorted(set(ids)) or None


def default_lcores(workers):
    cpus = os.cpu_count() or 1
    dp = ",".join(str(c) for c in range(0, workers + 1))
    gen = str(workers + 1) if workers + 1 < cpus else "0"  # shares the dataplane's main lcore (idle)
    return dp, gen


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(REPO, "build"), help="meson build dir with -Dbench=enabled")
    ap.add_argument("--out", default="throughput-results", help="results.json, results.md, plots, logs/")
    ap.add_argument("--sessions", type=lambda t: parse_list(t, int), default=list(SESSIONS),
                    help="sessions (calls); hairpin pairs them, so at least 2 and even")
    ap.add_argument("--suites", type=lambda t: parse_list(t, str, SUITES), default=list(SUITES),
                    help=f"SRTP suites ({', '.join(SUITES)})")
    ap.add_argument("--sizes", type=lambda t: parse_list(t, int), default=list(SIZES),
                    help="UDP payload bytes including the RTP header")
    ap.add_argument("--workers", type=int, default=1, help="msf-dataplane worker lcores")
    ap.add_argument("--link", choices=("memif", "veth"),
                    help="how msf-gen reaches msf-dataplane: memif (default; shared memory) or veth "
                         "(net_af_packet over veth pairs; the smoke's default, see README)")
    ap.add_argument("--dp-lcores", help="msf-dataplane --lcores (default 0..workers)")
    ap.add_argument("--dp-eal", help="msf-dataplane --eal: extra EAL arguments")
    ap.add_argument("--gen-lcores", help="msf-gen --lcores (default the next CPU, else 0); several lcores "
                                         "split the queues and the rate, at most --gen-queues of them")
    ap.add_argument("--gen-eal", help="msf-gen --eal (default --in-memory or --no-huge, -m 512)")
    ap.add_argument("--gen-queues", type=int,
                    help="msf-gen --queues: queues per memif/veth port (default --workers, so every "
                         "dataplane worker's rx queue gets traffic)")
    ap.add_argument("--trial-s", type=float, default=10.0, help="counted seconds per trial")
    ap.add_argument("--warmup-s", type=float, default=1.0, help="seconds sent before counting")
    ap.add_argument("--max-trials", type=int, default=12, help="search trials per point at most")
    ap.add_argument("--resolution", type=float, default=0.02, help="search stops when the step is below this fraction")
    ap.add_argument("--hugepages", choices=("auto", "true", "false"), default="auto",
                    help="auto: reserve 2 MiB pages if possible, else run without")
    ap.add_argument("--baseline", choices=("auto", "rtpengine", "only", "none"), default="auto",
                    help="auto: rtpengine when /usr/bin/rtpengine exists; only: rtpengine, not msf")
    ap.add_argument("--baseline-sessions", type=lambda t: parse_list(t, int),
                    help="sessions for rtpengine (default: those of --sessions up to 10000)")
    ap.add_argument("--sanity-pps", type=float, default=2000, help="smoke: a rate that must pass")
    ap.add_argument("--smoke", action="store_true", help="seconds-long run for CI; fails on any error")
    ap.add_argument("--keep-work", action="store_true", help="keep the work directory (logs)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.sessions, args.suites, args.sizes = [2, 20], [SUITES[0]], [172]
        args.trial_s, args.warmup_s, args.max_trials = 0.5, 0.2, 3
        # Through the kernel (net_af_packet on veth pairs) unless --link memif: needs no shared
        # memory between the processes and checks the namespace set-up too.
        args.link = args.link or "veth"
        if args.baseline == "auto":
            args.baseline = "none"
    if any(s < 2 or s % 2 for s in args.sessions):
        ap.error("--sessions: hairpin needs an even count of at least 2 (pairs)")
    if args.workers < 1:
        ap.error("--workers must be at least 1")
    args.gen_queues = args.gen_queues or args.workers
    if not 1 <= args.gen_queues <= 16:
        ap.error("--gen-queues: 1..16")
    # msf-dataplane opens one memif queue per worker and drops a client asking for more rings
    # ("Invalid ring index"): msf-gen would never hear an ARP answer.
    if (args.link or "memif") == "memif" and args.gen_queues > args.workers:
        ap.error(f"--gen-queues {args.gen_queues} > --workers {args.workers}: msf-dataplane opens one memif queue "
                 "per worker and refuses a client with more")
    if not 0 < args.resolution < 1:
        ap.error("--resolution is a fraction, e.g. 0.02")
    args.link = args.link or "memif"
    dp, gen = default_lcores(args.workers)
    args.dp_lcores = args.dp_lcores or dp
    args.gen_lcores = args.gen_lcores or gen
    # Each msf-gen lcore owns queues q with q % lcores == its index (bench/gen/README.md).
    gen_ids = lcore_ids(args.gen_lcores)
    if gen_ids and len(gen_ids) > args.gen_queues:
        ap.error(f"--gen-lcores {args.gen_lcores} is {len(gen_ids)} lcores for {args.gen_queues} msf-gen queue(s): "
                 "each lcore needs a queue of its own (--gen-queues, at most --workers with memif)")
    # The rtpengine baseline's msf-gen has one queue per port (net_af_packet): its first lcore.
    args.gen_lcore_one = str(gen_ids[0]) if gen_ids else args.gen_lcores
    args.build = os.path.abspath(args.build)
    if args.baseline == "auto":
        args.baseline = "rtpengine" if os.access(RTPENGINE, os.X_OK) else "none"
    if args.baseline_sessions is None:
        args.baseline_sessions = sorted({min(s, RTPENGINE_MAX_CALLS) for s in args.sessions})
    if any(s > RTPENGINE_MAX_CALLS or s < 2 or s % 2 for s in args.baseline_sessions):
        ap.error(f"--baseline-sessions: even counts from 2 to {RTPENGINE_MAX_CALLS}")
    return args


def measure_point(args, bed, system, sessions, suite, size, hugepages):
    """One (sessions, suite, size) point on a started testbed; errors land in point["error"]."""
    point = {"system": system, "mode": "hairpin", "sessions": sessions, "suite": suite, "size": size,
             "workers": args.workers if system == "msf" else None, "hugepages": hugepages if system == "msf" else None}
    t0 = time.monotonic()
    try:
        m = Measurement(args, bed, size)
        if args.smoke:
            sanity = m.trial(args.sanity_pps)
            passed, reason = trial_verdict(sanity, args.sanity_pps)
            sanity["passed"], sanity["reason"] = passed, reason
            point["sanity"] = {"rate": args.sanity_pps, "passed": passed, "reason": reason, "report": sanity}
            if not passed:
                point["error"] = f"loss at the sanity rate {args.sanity_pps:.0f} pps: {reason}"
        if "error" not in point:
            m.measure(point)
    except (SetupError, rtpengine_ng.NgError, OSError, subprocess.SubprocessError) as e:
        point["error"] = str(e)
    point["wall_s"] = time.monotonic() - t0
    return point


def measure_system(args, system, sessions, suite, hugepages, results, work_root):
    """All sizes of one (system, sessions, suite): one testbed, installed once."""
    res = Resources()
    work = tempfile.mkdtemp(prefix=f"{system}-{sessions}-", dir=work_root)
    points = []
    try:
        if system == "msf":
            if sessions > MAX_INSTALLABLE:
                raise SetupError(f"msf-controld allocates media ports on its first media address only: at most "
                                 f"{MAX_INSTALLABLE} sessions per run (ports {MEDIA_PORT_MIN}-{MEDIA_PORT_MAX})")
            bed = MsfTestbed(args, res, work, sessions, suite, hugepages)
        else:
            bed = RtpengineTestbed(args, res, work, sessions, suite)
        t0 = time.monotonic()
        bed.start()
        print(f"  {system}: {sessions} sessions installed in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        for size in args.sizes:
            # A process that dies fails the point. Outside the smoke the point is measured once
            # more on a restarted system (a known memif crash, README), and the death stays on
            # record in the point and in the notes.
            deaths = []
            for attempt in range(1 if args.smoke else 2):
                if deaths:
                    bed.restart()
                point = measure_point(args, bed, system, sessions, suite, size, hugepages)
                died = [p for p in bed.procs if p.poll() is not None]
                if not died:
                    break
                deaths += [f"{p.what} exit {p.returncode}" for p in died]
            if deaths:
                point["process_deaths"] = deaths
                results["notes"].append(f"{system} {sessions} sessions {suite} {size} B: {', '.join(deaths)}"
                                        + ("" if point.get("error") else "; measured again on a restarted system"))
            points.append(point)
            show(point)
            if any(p.poll() is not None for p in bed.procs) and size != args.sizes[-1]:
                bed.restart()  # the next size gets a whole system again
    except (SetupError, rtpengine_ng.NgError, rtpengine_ng.BencodeError, OSError, subprocess.SubprocessError) as e:
        for size in args.sizes:
            if not any(p["size"] == size for p in points):
                points.append({"system": system, "mode": "hairpin", "sessions": sessions, "suite": suite,
                               "size": size, "error": str(e)})
                show(points[-1])
    finally:
        res.release()
        if any(p.get("error") for p in points):
            # The processes' logs of a failed point go next to the results.
            logs = os.path.join(args.out, "logs", os.path.basename(work))
            os.makedirs(logs, exist_ok=True)
            for name in os.listdir(work):
                if name.endswith(".log"):
                    shutil.copy(os.path.join(work, name), logs)
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    results["points"] += points


def show(point):
    m = point.get("metrics")
    head = f"  {point['system']:9} {point['sessions']:>7} {point['suite']:24} {point['size']:>5} B"
    if not m:
        print(f"{head}  FAILED: {point.get('error')}", file=sys.stderr)
        return
    overload = point.get("overload")
    print(f"{head}  {m['zero_loss_pps'] / 1e3:9.1f} kpps  {m['ops_mpps_per_core'] or 0:.3f} Mops/s/core  "
          f"p50/p99/p99.9@50% {latency_text((point.get('latency') or {}).get('50'))} µs  "
          f"150%: {'-' if overload is None else 'ok' if overload['ok'] else 'FAIL'}"
          + (f"  ERROR: {point['error']}" if point.get("error") else ""), file=sys.stderr)


def interrupted(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if os.geteuid() != 0:
        print("throughput.py needs root (hugepages, memif sockets, network namespaces)", file=sys.stderr)
        return 1
    for binary in ("dataplane/gateway/msf-dataplane", "controlplane/msf-controld",
                   "controlplane/pcscf/msf-pcscf", "bench/gen/msf-gen"):
        if not os.access(os.path.join(args.build, binary), os.X_OK):
            print(f"{args.build}/{binary} is missing: build with -Dbench=enabled first", file=sys.stderr)
            return 1
    if args.baseline in ("rtpengine", "only") and not os.access(RTPENGINE, os.X_OK):
        print(f"--baseline {args.baseline}: {RTPENGINE} is not installed (Debian rtpengine-daemon)", file=sys.stderr)
        return 1
    # SIGTERM as SIGINT: both unwind through the finally blocks that stop and remove everything
    # (SIGINT too when started from a non-interactive shell's background, where it is ignored).
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    os.makedirs(args.out, exist_ok=True)
    top = Resources()
    work_root = tempfile.mkdtemp(prefix="msf-tput-")
    top.add("work dir", lambda: args.keep_work or shutil.rmtree(work_root, ignore_errors=True))
    results = {"machine": machine_facts(), "points": [], "notes": [], "settings": {}}
    try:
        largest = max((s for s in args.sessions if s <= MAX_INSTALLABLE), default=16)
        # The dataplane's memory for the largest install, msf-gen's 512 MiB, some slack.
        hugepages = hugepages_setup(top, args.hugepages, 512 + math.ceil(largest * 5.2 / 1024) + 512 + 64)
        results["settings"] = {k: v for k, v in vars(args).items()}
        results["settings"]["hugepages"] = hugepages
        results["notes"].append("Poll-mode workers are 100% busy whatever the load: TSC ticks per operation is "
                                "tsc_hz x workers / zero-loss operations per second, and msf's µs/op is the "
                                "worker core time per operation at that rate.")
        if (os.cpu_count() or 1) < args.workers + 2:
            results["notes"].append(f"{os.cpu_count()} CPUs for {args.workers} worker(s) + msf-gen + control "
                                    "processes: the generator shares a core, figures are a lower bound.")
        for sessions in args.sessions if args.baseline != "only" else []:
            for suite in args.suites:
                print(f"msf: {sessions} sessions, {suite}", file=sys.stderr)
                measure_system(args, "msf", sessions, suite, hugepages, results, work_root)
        if args.baseline in ("rtpengine", "only"):
            results["notes"].append("rtpengine 10.5 userspace (--table=-1), one ng call per session over SDES, "
                                    "hairpin pairs by offering call B the key rtpengine generated toward UE A; "
                                    "CPU µs/op from /proc/<pid>/stat over the zero-loss trial (the process only: "
                                    "the kernel's UDP and veth work in softirq is not in it). rtpengine stops reading a "
                                    "media socket for good after 5 rounds of more than 50 queued packets, so every "
                                    "rtpengine trial starts a fresh rtpengine with fresh calls.")
            for sessions in args.baseline_sessions:
                for suite in args.suites:
                    print(f"rtpengine: {sessions} sessions, {suite}", file=sys.stderr)
                    measure_system(args, "rtpengine", sessions, suite, hugepages, results, work_root)
        for p in results["points"]:
            for key in ("full_load", "zero_loss_trial"):
                if key in p and "tsc_hz" in p[key]:
                    results["machine"]["tsc_hz"] = p[key]["tsc_hz"]
        results["comparison"] = compare(results["points"])
    except KeyboardInterrupt:
        results["notes"].append("interrupted")
        print("interrupted; cleaning up", file=sys.stderr)
        return_code = 130
    except SetupError as e:  # hugepages refused with --hugepages=true
        results["notes"].append(str(e))
        print(f"throughput.py: {e}", file=sys.stderr)
        return_code = 1
    else:
        return_code = 0
    finally:
        top.release()
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True, default=str)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(format_markdown(results))
    try:
        plots = plot(results, args.out)
    except ImportError as e:
        plots = []
        print(f"no plots: {e} (install python3-matplotlib)", file=sys.stderr)
    print(format_markdown(results))
    print(f"results: {args.out}/results.json, results.md" + "".join(f", {os.path.basename(p)}" for p in plots))
    # rtpengine's streams stopping at 150% is a finding about rtpengine, not a failed run.
    failed = [p for p in results["points"] if p.get("error") or not p.get("metrics")
              or (p["system"] == "msf" and not (p.get("overload") or {}).get("ok"))]
    if return_code:
        return return_code
    return 1 if failed or not results["points"] else 0


if __name__ == "__main__":
    sys.exit(main())
