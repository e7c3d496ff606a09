"""The test tools on their own, over loopback and without a dataplane (no root needed):
msf-rtp-peer must notice every kind of damage it exists to detect, and msf-dpctl must fail with
the right exit code and one line. If these pass, a clean result in the namespace tests means
the dataplane delivered every byte."""
import json
import os
import socket
import subprocess
import time

import pytest

from conftest import binary, run

KEY = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d"
OTHER_KEY = "ff" + KEY[2:]


def free_port_pair():
    """An even port whose odd neighbour is free too (RTP and RTCP)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1] & ~1
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a, \
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
                return port
        except OSError:
            continue
    pytest.fail("no free UDP port pair on 127.0.0.1")


def wait_bound(port, timeout_s=10.0):
    """Until some process holds UDP 127.0.0.1:port (a started peer has bound its socket)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return
        time.sleep(0.02)
    pytest.fail(f"nothing bound 127.0.0.1:{port} within {timeout_s} s")


def peer(*args):
    return subprocess.Popen([binary("tests/tools/msf-rtp-peer"), *args, "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def summary(proc):
    out, err = proc.communicate(timeout=30)
    result = json.loads(out.strip().splitlines()[-1])
    result["exit"] = proc.returncode
    result["stderr"] = err
    return result


def pair(a_args, b_args, common=()):
    """b starts first, so it hears all of a's packets even without a warm-up."""
    pa, pb = free_port_pair(), free_port_pair()
    a_ep, b_ep = f"127.0.0.1:{pa}", f"127.0.0.1:{pb}"
    b = peer("--bind", b_ep, "--peer", a_ep, *common, *b_args)
    wait_bound(pb)
    a = peer("--bind", a_ep, "--peer", b_ep, *common, *a_args)
    return summary(a), summary(b)


@pytest.mark.parametrize("extra", [[], ["--key", KEY, "--rtcp"], ["--key", KEY, "--rtcp-mux"],
                                   ["--suite", "AEAD_AES_256_GCM", "--key", KEY + "00" * 14, "--rtcp"]],
                         ids=["rtp", "srtp-srtcp", "srtp-mux", "gcm"])
def test_rtp_peer_pair_exchanges_everything(extra):
    # The warm-up spans 0.4 s, so both processes are up before the measured packets.
    common = ["--count", "200", "--interval-us", "200", "--warmup", "10", "--warmup-interval-us", "20000",
              "--warmup-gap-ms", "200", *extra]
    a, b = pair(["--ssrc", "1", "--expect-ssrc", "2"], ["--ssrc", "2", "--expect-ssrc", "1"], common)
    rtcp = 20 if "--rtcp" in extra or "--rtcp-mux" in extra else 0
    for s in (a, b):
        assert s["exit"] == 0 and s["bad"] == 0, s
        assert s["sent"] == 200 and s["received"] == 200 and s["lost"] == 0, s
        assert s["rtcp_received"] == rtcp and s["rtcp_lost"] == 0, s


def test_rtp_peer_rejects_a_wrong_key():
    common = ["--count", "20", "--interval-us", "200", "--timeout-ms", "1000"]
    a, b = pair(["--key", KEY, "--mode", "send"], ["--key", KEY, "--rx-key", OTHER_KEY, "--mode", "receive"], common)
    assert b["exit"] == 1 and b["unprotect_failed"] > 0 and b["received"] == 0, b
    assert "auth_fail" in b["first_bad"], b


def test_rtp_peer_rejects_plain_rtp_when_expecting_srtp():
    common = ["--count", "20", "--interval-us", "200", "--timeout-ms", "1000"]
    a, b = pair(["--mode", "send"], ["--key", KEY, "--mode", "receive"], common)
    assert b["exit"] == 1 and b["unprotect_failed"] > 0, b


def test_rtp_peer_checks_payload_ssrc_and_source():
    common = ["--count", "20", "--interval-us", "200", "--timeout-ms", "1000"]
    a, b = pair(["--mode", "send"], ["--payload-size", "100", "--mode", "receive"], common)
    assert b["exit"] == 1 and b["payload_mismatch"] > 0, b
    a, b = pair(["--ssrc", "5", "--mode", "send"], ["--expect-ssrc", "6", "--mode", "receive"], common)
    assert b["exit"] == 1 and b["payload_mismatch"] > 0, b
    # A sender that is not the configured peer.
    pr, pb, pc = free_port_pair(), free_port_pair(), free_port_pair()
    receiver = peer("--bind", f"127.0.0.1:{pr}", "--peer", f"127.0.0.1:{pc}", "--mode", "receive",
                    "--count", "20", "--timeout-ms", "1000")
    wait_bound(pr)
    sender = peer("--bind", f"127.0.0.1:{pb}", "--peer", f"127.0.0.1:{pr}", "--mode", "send", "--count", "20",
                  "--interval-us", "200")
    summary(sender)
    r = summary(receiver)
    assert r["exit"] == 1 and r["wrong_source"] > 0, r


def test_rtp_peer_counts_losses_against_max_loss():
    # Nobody answers: every expected packet is lost.
    p = free_port_pair()
    alone = summary(peer("--bind", f"127.0.0.1:{p}", "--peer", "127.0.0.1:9", "--count", "10",
                         "--interval-us", "100", "--timeout-ms", "200"))
    assert alone["exit"] == 1 and alone["lost"] == 10, alone
    tolerant = summary(peer("--bind", f"127.0.0.1:{p}", "--peer", "127.0.0.1:9", "--count", "10",
                            "--interval-us", "100", "--timeout-ms", "200", "--max-loss", "10"))
    assert tolerant["exit"] == 0 and tolerant["lost"] == 10, tolerant


def test_rtp_peer_echo_mode_answers_the_sender():
    pe, ps = free_port_pair(), free_port_pair()
    echo = peer("--bind", f"127.0.0.1:{pe}", "--mode", "echo", "--count", "50", "--timeout-ms", "2000",
                "--key", KEY)
    wait_bound(pe)
    sender = summary(peer("--bind", f"127.0.0.1:{ps}", "--peer", f"127.0.0.1:{pe}", "--count", "50",
                          "--interval-us", "500", "--key", KEY))
    e = summary(echo)
    assert sender["exit"] == 0 and sender["received"] == 50, sender
    assert e["echoed"] == 50, e


@pytest.mark.parametrize("args,code,message", [
    ([], 2, "--bind is required"),
    (["--bind", "127.0.0.1"], 1, "is not IP:PORT"),
    (["--bind", "127.0.0.1:5000", "--mode", "both"], 2, "need --peer"),
    (["--bind", "127.0.0.1:5000", "--bogus"], 2, "unknown option --bogus"),
    (["--bind", "127.0.0.1:5000", "--count"], 2, "needs a value"),
    (["--bind", "127.0.0.1:5000", "--count", "70000"], 1, "out of range"),
    (["--bind", "127.0.0.1:5000", "--mode", "receive", "--key", "00"], 1, "--key: 1 bytes"),
    (["--bind", "127.0.0.1:5000", "--peer", "[::1]:5000"], 2, "same address family"),
    (["--bind", "127.0.0.1:5000", "--pt", "72"], 1, "would look like RTCP"),
])
def test_rtp_peer_usage_errors(args, code, message):
    r = run([binary("tests/tools/msf-rtp-peer"), *args], check=False)
    assert r.returncode == code and message in r.stderr, r


def test_dpctl_without_a_dataplane(tmp_path):
    dpctl = binary("dataplane/tools/msf-dpctl")
    r = run([dpctl, "--socket", str(tmp_path / "none.sock"), "stats"], check=False)
    assert r.returncode == 1 and r.stderr.startswith("msf-dpctl: unavailable: connect "), r
    assert r.stderr.count("\n") == 1, r
    r = run([dpctl, "session", "add", "--id", "1"], check=False)
    assert r.returncode == 2 and "session add needs --access-local" in r.stderr, r
    r = run([dpctl, "session", "get", "x"], check=False)
    assert r.returncode == 1 and "session ID: 'x' is not a decimal number" in r.stderr, r
    r = run([dpctl, "--help"], check=False)
    assert r.returncode == 0 and "session add" in r.stdout and "convenience" in r.stdout, r
    # A path that is not a socket at all.
    not_socket = tmp_path / "file"
    not_socket.write_text("")
    r = run([dpctl, "--socket", str(not_socket), "hello"], check=False)
    assert r.returncode == 1 and "Connection refused" in r.stderr, r
    assert os.path.exists(not_socket)
