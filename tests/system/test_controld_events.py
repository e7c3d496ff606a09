"""msf-controld turns dataplane events into MSF-initiated Rx requests: a session whose media stays
idle past media.inactivity-timeout-ms gets an RAR (Specific-Action INDICATION_OF_LOSS_OF_BEARER,
MSF-Event-Cause INACTIVITY) sent to the P-CSCF that installed it, here the freeDiameter 1.2.1
client, which answers it. Own msf-controld instance (the timeout is a daemon option), same
msf-dataplane as the other system tests.
"""
import os
import secrets
import shutil
import tempfile

import pytest

from test_controld import Controld, FdClient, aar_spec, first, running_controld


class IdleControld(Controld):
    def command(self):
        return super().command() + ["--media.inactivity-timeout-ms=1000"]


@pytest.fixture(scope="module")
def idle_controld(gateway, processes):
    yield from running_controld(IdleControld, "msf-controld-events-", gateway, processes)


def test_idle_media_makes_the_msf_send_a_rar_to_the_owning_pcscf(idle_controld):
    client = FdClient(idle_controld, "--aar", aar_spec(44700, 54700, secrets.token_hex(30)),
                      "--wait-rar", "--str", "--dpr")
    aaa = client.wait_for("received", "AAA")
    assert aaa["result_code"] == 2001
    rar = client.wait_for("received", "RAR", timeout=20)
    assert rar["session_id"] == aaa["session_id"]
    assert first(rar["msf_event_cause"]) == 1            # INACTIVITY
    assert 2 in (rar["specific_action"] if isinstance(rar["specific_action"], list) else [rar["specific_action"]])
    sta = client.wait_for("received", "STA")
    assert sta["result_code"] == 2001
    assert client.finish() == 0
    assert "media inactive" in idle_controld.log_tail(100)
    stats = idle_controld.msfctl_json("stats")
    rar_counts = [m for m in stats["diameter"]["messages"] if m["command"] == "RAR"][0]
    # Both legs went idle in the same scan: the P-CSCF hears it once.
    assert rar_counts["sent"] == 1


class LateDataplaneControld(Controld):
    """Media ports below the dataplane's range (it serves 16384 and up), and a dataplane socket
    path that appears only once the session is stored: the install is kept for reconciliation,
    and reconciliation cannot restore it."""

    def command(self):
        return [a for a in super().command() if not a.startswith("--media.port-")] + [
            "--media.port-min=10000", "--media.port-max=10999"]


def test_session_the_dataplane_cannot_take_back_is_removed_with_an_asr_dataplane_lost(gateway, processes):
    workdir = tempfile.mkdtemp(prefix="msf-controld-lost-")
    late_socket = os.path.join(workdir, "late-dataplane.sock")
    c = LateDataplaneControld(workdir, late_socket, processes)
    try:
        c.start(expect_connected=False)
        client = FdClient(c, "--aar", aar_spec(44800, 54800, secrets.token_hex(30)), "--wait-asr", "--dpr")
        aaa = client.wait_for("received", "AAA")
        assert aaa["result_code"] == 2001                  # stored; the dataplane gets it on reconnect
        assert c.msfctl_json("stats")["sessions"] == 1
        os.symlink(gateway.socket, late_socket)             # the dataplane "comes back"
        asr = client.wait_for("received", "ASR", timeout=20)
        assert asr["session_id"] == aaa["session_id"]
        assert first(asr["msf_event_cause"]) == 3          # DATAPLANE_LOST
        client.finish()
        assert c.msfctl_json("sessions")["sessions"] == []
        assert "could not be restored" in c.log_tail(50)
    finally:
        c.stop()
        shutil.rmtree(workdir, ignore_errors=True)
