"""Fixtures of the system tests: three network namespaces joined by veth pairs, msf-dataplane
running in the middle one on net_af_packet vdevs, and helpers that run msf-dpctl and
msf-rtp-peer.

    UE ns                      gateway ns (msf-dataplane)                  core ns
    ue0 192.0.2.2/24  ==veth==  gwa0 [access]    [core] gwc0  ==veth==  core0 198.51.100.20/24
        2001:db8:a::2/64            192.0.2.10        198.51.100.10
                                    2001:db8:a::10

Only documentation address ranges (RFC 5737, RFC 3849) and only the namespaces this process
creates are used; every name carries the pid, so parallel runs do not meet. The gateway's
addresses live in DPDK only: its veth ends have no IP configuration, so ARP, ND and ICMP echo
for them are answered by the dataplane or not at all.

Binaries come from $MSF_BUILD_DIR (default: build/ at the repository root). Every test is
skipped, with the reason, when not run as root or when `ip netns` does not work here.
"""
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_DIR = os.path.abspath(os.environ.get("MSF_BUILD_DIR", os.path.join(REPO, "build")))

UE_IP4 = "192.0.2.2"
UE_IP6 = "2001:db8:a::2"
ACCESS_IP4 = "192.0.2.10"
ACCESS_IP6 = "2001:db8:a::10"
CORE_PEER_IP4 = "198.51.100.20"
CORE_IP4 = "198.51.100.10"

# Bounds, so that a broken dataplane fails a test instead of hanging the suite.
START_TIMEOUT_S = 30
COMMAND_TIMEOUT_S = 20


def binary(relative):
    path = os.path.join(BUILD_DIR, relative)
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing: build it first (ninja -C {BUILD_DIR}) or set MSF_BUILD_DIR")
    return path


def run(cmd, check=True, timeout=COMMAND_TIMEOUT_S, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {result.returncode}: {result.stderr.strip()}")
    return result


def netns_unavailable_reason():
    if os.geteuid() != 0:
        return "system tests need root (network namespaces, veth pairs, AF_PACKET)"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    if shutil.which("ethtool") is None:
        return "ethtool is not installed (needed to turn off veth checksum offload)"
    probe = f"msfprobe{os.getpid()}"
    try:
        if run(["ip", "netns", "add", probe], check=False).returncode != 0:
            return "`ip netns add` does not work here"
    finally:
        run(["ip", "netns", "del", probe], check=False)
    return None


class Processes:
    """Everything the tests start, so teardown can stop it whatever happened."""

    def __init__(self):
        self.procs = []

    def start(self, cmd, **kw):
        proc = subprocess.Popen(cmd, **kw)
        self.procs.append(proc)
        return proc

    def stop_all(self):
        for proc in self.procs:
            stop_process(proc)
        self.procs.clear()


def stop_process(proc, grace_s=10):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace_s)


class Topology:
    def __init__(self, tag):
        self.ue = f"msf{tag}-ue"
        self.gw = f"msf{tag}-gw"
        self.core = f"msf{tag}-core"
        self.created = []

    def ns(self, name, *cmd):
        return run(["ip", "netns", "exec", name, *cmd])

    def mac(self, ns, ifname):
        out = run(["ip", "-n", ns, "-j", "link", "show", ifname]).stdout
        return json.loads(out)[0]["address"]

    def create(self):
        for name in (self.ue, self.gw, self.core):
            run(["ip", "netns", "add", name])
            self.created.append(name)
        # Created straight inside the namespaces: nothing appears in the caller's namespace.
        run(["ip", "link", "add", "ue0", "netns", self.ue, "type", "veth", "peer", "name", "gwa0",
             "netns", self.gw])
        run(["ip", "link", "add", "core0", "netns", self.core, "type", "veth", "peer", "name", "gwc0",
             "netns", self.gw])
        for ns, ifname in ((self.ue, "ue0"), (self.core, "core0"), (self.gw, "gwa0"), (self.gw, "gwc0")):
            # The sending kernel must write real UDP checksums: with tx offload a veth passes
            # CHECKSUM_PARTIAL packets, which AF_PACKET hands the dataplane unsummed.
            self.ns(ns, "ethtool", "-K", ifname, "tx", "off")
        for ns in (self.ue, self.gw, self.core):
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        # No IP stack on the gateway's veth ends: DPDK owns the gateway's addresses.
        for ifname in ("gwa0", "gwc0"):
            self.ns(self.gw, "sysctl", "-q", "-w", f"net.ipv6.conf.{ifname}.disable_ipv6=1")
            run(["ip", "-n", self.gw, "link", "set", ifname, "up"])
        self.ns(self.ue, "sysctl", "-q", "-w", "net.ipv6.conf.ue0.accept_ra=0")
        run(["ip", "-n", self.ue, "addr", "add", f"{UE_IP4}/24", "dev", "ue0"])
        run(["ip", "-n", self.ue, "addr", "add", f"{UE_IP6}/64", "dev", "ue0", "nodad"])
        run(["ip", "-n", self.ue, "link", "set", "ue0", "up"])
        run(["ip", "-n", self.core, "addr", "add", f"{CORE_PEER_IP4}/24", "dev", "core0"])
        run(["ip", "-n", self.core, "link", "set", "core0", "up"])
        self.gw_access_mac = self.mac(self.gw, "gwa0")
        self.gw_core_mac = self.mac(self.gw, "gwc0")
        self.ue_mac = self.mac(self.ue, "ue0")

    def destroy(self):
        # Deleting a namespace deletes the veth ends inside it, and so both ends of each pair.
        for name in self.created:
            run(["ip", "netns", "del", name], check=False)
        self.created.clear()


class Gateway:
    """msf-dataplane in the gateway namespace and msf-dpctl against its control socket."""

    def __init__(self, topo, workdir, procs):
        self.topo = topo
        self.workdir = workdir
        self.procs = procs
        self.socket = os.path.join(workdir, "dataplane.sock")
        self.log_path = os.path.join(workdir, "msf-dataplane.log")
        self.dpctl_path = binary("dataplane/tools/msf-dpctl")
        self.file_prefix = f"msf-sys-{os.getpid()}"
        self.proc = None

    def start(self):
        cmd = [
            "ip", "netns", "exec", self.topo.gw, binary("dataplane/gateway/msf-dataplane"),
            "--access.port=net_af_packet0,iface=gwa0",
            "--core.port=net_af_packet1,iface=gwc0",
            f"--access.ipv4={ACCESS_IP4}",
            f"--access.ipv6={ACCESS_IP6}",
            f"--core.ipv4={CORE_IP4}",
            "--hugepages=false", "--memory-mb=256", "--mbufs=8191",
            f"--file-prefix={self.file_prefix}",
            "--telemetry=true",  # test_telemetry_* reads it with dpdk-telemetry.py
            "--workers=1", "--max-sessions=1024",
            "--inactivity-check-ms=100",
            f"--control-socket={self.socket}",
        ]
        self.log = open(self.log_path, "w")
        self.proc = self.procs.start(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"msf-dataplane exited {self.proc.returncode} at start:\n{self.log_tail()}")
            if os.path.exists(self.socket) and self.dpctl("hello", check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise AssertionError(f"msf-dataplane did not answer on {self.socket} within {START_TIMEOUT_S} s:\n"
                             f"{self.log_tail()}")

    def stop(self):
        if self.proc is not None:
            stop_process(self.proc)
            self.log.close()
        # EAL leaves its runtime directory behind even without shared config.
        shutil.rmtree(os.path.join("/var/run/dpdk", self.file_prefix), ignore_errors=True)

    def log_tail(self, lines=40):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def assert_running(self):
        assert self.proc.poll() is None, f"msf-dataplane died (exit {self.proc.returncode}):\n{self.log_tail()}"

    def dpctl(self, *args, check=True):
        result = run([self.dpctl_path, "--socket", self.socket, *args], check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"msf-dpctl {' '.join(args)} exited {result.returncode}: "
                                 f"{result.stderr.strip()}\n{self.log_tail()}")
        return result

    def dpctl_json(self, *args):
        return json.loads(self.dpctl(*args, "--json").stdout)

    def session(self, session_id):
        return self.dpctl_json("session", "get", str(session_id))

    def stats(self):
        return self.dpctl_json("stats")

    def add_session(self, session, *extra):
        self.dpctl("session", "add", *session.dpctl_args(), *extra)


class MediaSession:
    """One session's addresses and keys, and the peers' arguments that go with them."""

    def __init__(self, session_id, ue_ip=UE_IP4, access_ip=ACCESS_IP4, suite="AES_CM_128_HMAC_SHA1_80",
                 access_mux=False, core_mux=False):
        self.id = session_id
        base = 2 * session_id  # even RTP ports, RTCP on the odd one above
        self.access = (access_ip, 20000 + base)
        self.core = (CORE_IP4, 30000 + base)
        self.ue = (ue_ip, 40000 + base)
        self.core_peer = (CORE_PEER_IP4, 50000 + base)
        self.suite = suite
        # key || salt: 16 or 32 key bytes, a 14-byte salt (RFC 3711) or 12 (RFC 7714).
        key_bytes = (32 if "256" in suite else 16) + (12 if "GCM" in suite else 14)
        self.from_ue_key = secrets.token_hex(key_bytes)
        self.to_ue_key = secrets.token_hex(key_bytes)
        self.access_mux = access_mux
        self.core_mux = core_mux
        self.ue_ssrc = 0x1000 + session_id
        self.core_ssrc = 0x2000 + session_id

    @staticmethod
    def endpoint(ep):
        ip, port = ep
        return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"

    def dpctl_args(self):
        args = ["--id", str(self.id),
                "--access-local", self.endpoint(self.access),
                "--core-local", self.endpoint(self.core),
                "--core-remote", self.endpoint(self.core_peer),
                "--from-ue-suite", self.suite, "--from-ue-key", self.from_ue_key,
                "--to-ue-suite", self.suite, "--to-ue-key", self.to_ue_key]
        if self.access_mux:
            args.append("--access-rtcp-mux")
        if self.core_mux:
            args.append("--core-rtcp-mux")
        return args

    def ue_args(self, rtcp=False):
        args = ["--bind", self.endpoint(self.ue), "--peer", self.endpoint(self.access),
                "--suite", self.suite, "--key", self.from_ue_key, "--rx-key", self.to_ue_key,
                "--ssrc", str(self.ue_ssrc), "--expect-ssrc", str(self.core_ssrc)]
        if rtcp:
            args.append("--rtcp-mux" if self.access_mux else "--rtcp")
        return args

    def core_args(self, rtcp=False):
        args = ["--bind", self.endpoint(self.core_peer), "--peer", self.endpoint(self.core),
                "--ssrc", str(self.core_ssrc), "--expect-ssrc", str(self.ue_ssrc)]
        if rtcp:
            args.append("--rtcp-mux" if self.core_mux else "--rtcp")
        return args


class Peers:
    """msf-rtp-peer processes in the UE and core namespaces."""

    def __init__(self, topo, procs):
        self.topo = topo
        self.procs = procs
        self.path = binary("tests/tools/msf-rtp-peer")

    def start(self, ns, args):
        return self.procs.start(["ip", "netns", "exec", ns, self.path, *args, "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    @staticmethod
    def result(proc, timeout=60):
        out, err = proc.communicate(timeout=timeout)
        try:
            summary = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise AssertionError(f"msf-rtp-peer exited {proc.returncode} without a summary: {err.strip()}")
        summary["exit"] = proc.returncode
        summary["stderr"] = err.strip()
        return summary

    def exchange(self, session, common, rtcp=False, ue_extra=(), core_extra=()):
        """Both directions at once: the core peer starts first so it is listening, the UE's
        warm-up then latches it and opens both paths. Returns (ue, core) summaries."""
        core = self.start(self.topo.core, session.core_args(rtcp) + list(common) + list(core_extra))
        ue = self.start(self.topo.ue, session.ue_args(rtcp) + list(common) + list(ue_extra))
        return self.result(ue), self.result(core)


# Warm-up that spreads over half a second, so the two peers' warm-ups overlap even when one
# process starts late, then a pause for the last resolutions. The measured packets follow.
WARMUP = ["--warmup", "50", "--warmup-interval-us", "10000", "--warmup-gap-ms", "300"]


def assert_clean(summary, count, rtcp_count=0, who=""):
    where = f"{who}: {summary}"
    assert summary["exit"] == 0, where
    assert summary["bad"] == 0, where
    assert summary["send_errors"] == 0, where
    assert summary["sent"] == count, where
    assert summary["received"] == count and summary["lost"] == 0, where
    assert summary["duplicates"] == 0, where
    assert summary["rtcp_received"] == rtcp_count and summary["rtcp_lost"] == 0, where


@pytest.fixture(scope="session")
def topology():
    reason = netns_unavailable_reason()
    if reason:
        pytest.skip(reason)
    topo = Topology(os.getpid())
    try:
        topo.create()
        yield topo
    finally:
        topo.destroy()


@pytest.fixture(scope="session")
def processes():
    procs = Processes()
    try:
        yield procs
    finally:
        procs.stop_all()


@pytest.fixture(scope="session")
def gateway(topology, processes):
    workdir = tempfile.mkdtemp(prefix="msf-system-")
    gw = Gateway(topology, workdir, processes)
    try:
        gw.start()
        yield gw
    finally:
        gw.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def peers(topology, processes, gateway):
    yield Peers(topology, processes)
    gateway.assert_running()
