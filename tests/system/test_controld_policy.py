"""msf-controld's per-peer session limit (diameter.peer ...,max-sessions=N): the AAR that would
go past it is answered DIAMETER_RESOURCES_EXCEEDED (5006) with an Error-Message, nothing of it is
installed, and the sessions already there are untouched. Own msf-controld instance (the limit
is a daemon option), same msf-dataplane as the other system tests.
"""
import secrets

import pytest

from test_controld import PCSCF, Controld, FdClient, aar_spec, messages_of, running_controld


class LimitedControld(Controld):
    def command(self):
        return [f"--diameter.peer={PCSCF},max-sessions=1" if arg == f"--diameter.peer={PCSCF}" else arg
                for arg in super().command()]


@pytest.fixture(scope="module")
def limited_controld(gateway, processes):
    yield from running_controld(LimitedControld, "msf-controld-policy-", gateway, processes)


def test_aar_past_the_peers_session_limit_gets_5006_and_installs_nothing(limited_controld, gateway):
    client = FdClient(limited_controld,
                      "--aar", aar_spec(44800, 54800, secrets.token_hex(30)),
                      "--aar", aar_spec(44802, 54802, secrets.token_hex(30)),
                      "--dpr")
    client.finish()
    answers = messages_of(client, "received", "AAA")
    assert len(answers) == 2, client.lines
    assert answers[0]["result_code"] == 2001
    assert answers[1]["result_code"] == 5006
    assert "maximum of 1 sessions" in answers[1]["error_message"]
    sessions = limited_controld.msfctl_json("sessions")["sessions"]
    assert [s["session_id"] for s in sessions] == [answers[0]["session_id"]]
    assert len(gateway.dpctl_json("sessions").get("sessions", [])) == 1
