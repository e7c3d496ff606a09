"""Unit tests of bench/throughput.py's pure parts and bench/rtpengine_ng.py's bencode: the
zero-loss binary search on synthetic loss functions, trial verdicts, per-core metrics, the
Markdown/JSON report, and bencode encode/decode including malformed input. No process is
started; run with `/usr/bin/python3 -m pytest -q tests/bench/test_throughput_runner.py`."""
import json
import os
import random
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bench"))
import rtpengine_ng as ng  # noqa: E402
import throughput as tp  # noqa: E402


# --- binary search ---------------------------------------------------------------------------

def threshold_trial(threshold, calls=None):
    """A device that loses nothing up to `threshold` pps and loses packets above it."""
    def trial(rate):
        if calls is not None:
            calls.append(rate)
        return rate <= threshold
    return trial


@pytest.mark.parametrize("threshold", [1.0, 1234.0, 499_999.0, 2_500_000.0, 9_990_000.0])
def test_search_finds_the_threshold_within_the_resolution_and_never_above_it(threshold):
    rate, history = tp.search_zero_loss_rate(threshold_trial(threshold), 10_000_000, resolution=0.01, max_trials=64)
    assert rate <= threshold
    assert rate >= threshold * (1 - 0.0101)
    assert all(passed == (r <= threshold) for r, passed in history)


def test_search_returns_the_upper_bound_after_one_trial_when_it_passes():
    calls = []
    rate, history = tp.search_zero_loss_rate(threshold_trial(5e6, calls), 1e6)
    assert rate == 1e6 and calls == [1e6] and history == [(1e6, True)]


def test_search_returns_zero_when_no_rate_passes():
    rate, history = tp.search_zero_loss_rate(lambda r: False, 1e6, resolution=0.02, max_trials=10)
    assert rate == 0.0
    assert len(history) == 10 and not any(passed for _, passed in history)


def test_search_stops_after_max_trials_and_keeps_the_best_passing_rate():
    calls = []
    rate, history = tp.search_zero_loss_rate(threshold_trial(333_333, calls), 1e6, resolution=1e-9, max_trials=5)
    assert len(calls) == 5
    assert rate == max(r for r, passed in history if passed)


def test_search_starts_from_the_first_guess_inside_the_range():
    calls = []
    tp.search_zero_loss_rate(threshold_trial(700_000, calls), 1e6, first_guess=690_000, max_trials=3)
    assert calls[:2] == [1e6, 690_000]


def test_search_ignores_a_first_guess_outside_the_range():
    calls = []
    tp.search_zero_loss_rate(threshold_trial(700_000, calls), 1e6, first_guess=2e6, max_trials=3)
    assert calls[1] == 5e5


def test_search_with_noisy_trials_never_reports_a_failed_rate():
    rng = random.Random(6)
    rate, history = tp.search_zero_loss_rate(lambda r: r < 4e5 and rng.random() > 0.2, 1e6, max_trials=20)
    assert rate == 0.0 or (rate, True) in history


def test_search_refuses_a_nonpositive_upper_bound():
    with pytest.raises(ValueError):
        tp.search_zero_loss_rate(lambda r: True, 0)


# --- trial verdicts and metrics --------------------------------------------------------------

def report(**over):
    base = {"sent": 1000, "received": 1000, "lost": 0, "corrupted": 0, "duplicates": 0, "reordered": 0,
            "achieved_tx_pps": 10_000.0, "rx_pps": 10_000.0}
    base.update(over)
    return base


def test_verdict_passes_a_trial_without_loss():
    assert tp.trial_verdict(report(), 10_000) == (True, "zero loss")


@pytest.mark.parametrize("over,reason", [
    ({"lost": 1, "received": 999}, "lost 1"),
    ({"corrupted": 2}, "corrupted 2"),
    ({"duplicates": 1}, "duplicates 1"),
    ({"received": 10}, "received 10 of 1000"),
    ({"sent": 0, "received": 0}, "nothing sent"),
])
def test_verdict_fails_loss_corruption_duplicates_and_silence(over, reason):
    passed, why = tp.trial_verdict(report(**over), 10_000)
    assert not passed and why == reason


def test_verdict_fails_a_trial_the_generator_could_not_offer():
    passed, why = tp.trial_verdict(report(achieved_tx_pps=8_000.0), 10_000)
    assert not passed and "generator offered 8000" in why


def test_verdict_fails_a_missing_report():
    assert tp.trial_verdict(None) == (False, "no report")


def test_metrics_count_two_gateway_operations_per_hairpin_packet_and_tsc_ticks_per_operation():
    m = tp.point_metrics(5_000_000, workers=1, tsc_hz=2_000_000_000)
    assert m["gateway_ops_per_s"] == 10_000_000
    assert m["ops_mpps_per_core"] == pytest.approx(10.0)
    assert m["packets_mpps_per_core"] == pytest.approx(5.0)
    assert m["tsc_ticks_per_op"] == pytest.approx(200.0)


def test_metrics_divide_by_the_workers():
    m = tp.point_metrics(4_000_000, workers=2, tsc_hz=3e9, mode="protect")
    assert m["ops_mpps_per_core"] == pytest.approx(2.0)
    assert m["tsc_ticks_per_op"] == pytest.approx(1500.0)


def test_metrics_without_a_rate_have_no_ticks_per_operation():
    assert tp.point_metrics(0, workers=1, tsc_hz=3e9)["tsc_ticks_per_op"] is None


# --- report formatting -----------------------------------------------------------------------

def sample_results():
    latency = {"latency_ns": {"p50": 12_000, "p99": 31_500, "p999": 48_000, "max": 90_000}}
    msf = {"system": "msf", "sessions": 10000, "suite": "AES_CM_128_HMAC_SHA1_80", "size": 172,
           "metrics": tp.point_metrics(5e6, 1, 2e9), "latency": {"50": latency, "90": latency},
           "overload": {"min_session_share": 0.61, "ok": True}}
    rtpe = {"system": "rtpengine", "sessions": 10000, "suite": "AES_CM_128_HMAC_SHA1_80", "size": 172,
            "metrics": dict(tp.point_metrics(80_000, 1, 2e9), tsc_ticks_per_op=None, cpu_us_per_op=6.25,
                            ops_per_cpu_s=160_000.0),
            "latency": {"50": latency}, "overload": {"min_session_share": 0.0, "ok": False}}
    failed = {"system": "msf", "sessions": 100000, "suite": "AES_CM_128_HMAC_SHA1_80", "size": 172,
              "error": "at most 32256 sessions"}
    points = [msf, rtpe, failed]
    return {"machine": {"cpu": "Test CPU", "cpus": 2, "tsc_hz": 2e9}, "settings": {"workers": 1, "trial_s": 10,
            "resolution": 0.02, "hugepages": True}, "points": points, "comparison": tp.compare(points),
            "notes": ["a note"]}


def test_comparison_is_msf_operations_per_core_over_rtpengine_operations_per_cpu_second():
    (row,) = tp.compare(sample_results()["points"])
    assert row["sessions"] == 10000 and row["rtpengine_sessions"] == 10000
    assert row["msf_ops_per_core"] == pytest.approx(10e6)
    assert row["rtpengine_ops_per_core"] == pytest.approx(160_000)
    assert row["ratio"] == pytest.approx(62.5)
    assert row["msf_us_per_op"] == pytest.approx(0.1)


def test_markdown_has_one_row_per_point_with_rate_latency_overload_and_errors():
    text = tp.format_markdown(sample_results())
    rows = [line for line in text.splitlines() if line.startswith("| msf ") or line.startswith("| rtpengine ")]
    assert len(rows) == 3
    assert "| 5000.0 | 10.000 | 5.000 | 200 |" in rows[0]
    assert "12.0/31.5/48.0" in rows[0] and "0.61 |" in rows[0]
    assert "0.00 FAIL" in rows[1] and "| 6.250 |" in rows[1]
    assert "at most 32256 sessions" in rows[2]
    assert "| 62.5 |" in text
    assert "- a note" in text


def test_results_survive_a_json_round_trip_and_format_the_same():
    results = sample_results()
    again = json.loads(json.dumps(results))
    assert tp.format_markdown(again) == tp.format_markdown(results)


def test_plots_are_written_as_png(tmp_path):
    pytest.importorskip("matplotlib")
    paths = tp.plot(sample_results(), str(tmp_path))
    assert [os.path.basename(p) for p in paths] == ["throughput_vs_sessions.png", "latency.png"]
    for p in paths:
        with open(p, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_list_options_reject_unknown_suites_and_nonpositive_numbers():
    assert tp.parse_list("2,10000", int) == [2, 10000]
    with pytest.raises(Exception, match="not one of"):
        tp.parse_list("AES_CM_128_HMAC_SHA1_32", str, tp.SUITES)
    with pytest.raises(Exception, match="positive"):
        tp.parse_list("0", int)
    with pytest.raises(Exception, match="not a int"):
        tp.parse_list("ten", int)


def test_smoke_restricts_the_sweep_and_turns_the_baseline_off():
    args = tp.parse_args(["--smoke"])
    assert args.sessions == [2, 20] and args.sizes == [172] and len(args.suites) == 1 and args.link == "veth"
    assert args.baseline == "none"


def test_odd_session_counts_are_refused_for_hairpin_pairs():
    with pytest.raises(SystemExit):
        tp.parse_args(["--sessions", "3"])


def test_rtpengine_unpadded_gcm_key_is_rewritten_as_padded_base64():
    key = bytes(range(28))
    unpadded = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw"
    value, raw = tp.canonical_crypto(f"1 AEAD_AES_128_GCM inline:{unpadded}")
    assert raw == key and value == f"1 AEAD_AES_128_GCM inline:{unpadded}=="


def test_sdp_media_reads_address_port_and_crypto_values():
    text = tp.sdp("192.0.2.10", 20000, "RTP/SAVP", "1 AES_CM_128_HMAC_SHA1_80 inline:" + "A" * 40)
    assert tp.sdp_media(text) == ("192.0.2.10", 20000, ["1 AES_CM_128_HMAC_SHA1_80 inline:" + "A" * 40])
    with pytest.raises(tp.SetupError):
        tp.sdp_media("v=0\r\n")


# --- bencode ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value,encoded", [
    (0, b"i0e"), (-42, b"i-42e"), ("spam", b"4:spam"), ("", b"0:"), (b"\xff\x00", b"2:\xff\x00"),
    ([1, "a", []], b"li1e1:alee"), ({"cow": "moo", "spam": "eggs"}, b"d3:cow3:moo4:spam4:eggse"),
    ({"z": 1, "a": {"b": [2]}}, b"d1:ad1:bli2eee1:zi1ee"),
])
def test_bencode_encodes_bep3_and_decodes_back(value, encoded):
    assert ng.encode(value) == encoded
    assert ng.decode(encoded, sorted_keys=True) == (value if not isinstance(value, bytes) else value)


def test_bencode_sorts_dictionary_keys_as_raw_bytes():
    assert ng.encode({"b": 1, "B": 2, "a": 3}) == b"d1:Bi2e1:ai3e1:bi1ee"


def test_bencode_round_trips_an_ng_offer():
    offer = {"command": "offer", "call-id": "c1", "from-tag": "ue", "sdp": "v=0\r\nm=audio 1 RTP/SAVP 0\r\n",
             "direction": ["access", "core"], "replace": ["origin"]}
    assert ng.decode(ng.encode(offer), sorted_keys=True) == offer


def test_bencode_reads_rtpengines_unsorted_answer_unless_sorted_keys_is_asked_for():
    answer = b"d3:sdp3:v=06:result2:oke"
    assert ng.decode(answer) == {"sdp": "v=0", "result": "ok"}
    with pytest.raises(ng.BencodeError, match="out of order"):
        ng.decode(answer, sorted_keys=True)


@pytest.mark.parametrize("bad", [
    b"", b"i", b"i12", b"ie", b"i-e", b"i-0e", b"i03e", b"ixe", b"i1.5e",
    b"5:abc", b"-1:a", b"01:a", b"3abc", b"l", b"li1e", b"d", b"d1:a", b"d1:ai1e",
    b"di1ei2ee", b"d1:ai1e1:ai2ee", b"x", b"i1ei2e", b"4:spamX", b"l" * 40 + b"e" * 40,
])
def test_bencode_rejects_malformed_input_with_an_error_not_a_crash(bad):
    with pytest.raises(ng.BencodeError):
        ng.decode(bad)


def test_bencode_rejects_non_bytes_input_and_unencodable_values():
    with pytest.raises(ng.BencodeError):
        ng.decode("i1e")
    for value in (1.5, True, None, {1: 2}, {"a": 1, b"a": 2}):
        with pytest.raises(ng.BencodeError):
            ng.encode(value)


def test_bencode_random_bytes_either_decode_or_raise_bencode_error():
    rng = random.Random(2544)
    seeds = [ng.encode({"result": "ok", "sdp": "v=0", "list": [1, -2, "x"]}), b"li1e3:abcd1:ai0eee"]
    for _ in range(3000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            op = rng.randrange(3)
            pos = rng.randrange(len(data) + 1)
            if op == 0 and data:
                del data[min(pos, len(data) - 1)]
            elif op == 1:
                data.insert(pos, rng.randrange(256))
            elif data:
                data[min(pos, len(data) - 1)] = rng.choice(b"ilde:0123456789-x")
        try:
            ng.decode(bytes(data))
        except ng.BencodeError:
            pass


def test_ng_reply_must_echo_the_cookie_and_hold_a_dictionary():
    assert ng.parse_reply(b"abc d6:result4:ponge", b"abc") == {"result": "pong"}
    for bad in (b"abc", b" d6:result4:ponge", b"xyz d6:result4:ponge", b"abc li1ee", b"abc d6:resulte"):
        with pytest.raises(ng.BencodeError):
            ng.parse_reply(bad, b"abc")


def test_latency_of_a_trial_that_did_not_hold_its_rate_is_marked_not_valid():
    trial = {"latency_ns": {"p50": 1000, "p99": 2000, "p999": 3000}, "passed": False,
             "reason": "generator offered 384 of 4277 pps"}
    assert tp.latency_text(trial) == "1.0/2.0/3.0 (not valid: generator offered 384 of 4277 pps)"
    assert tp.latency_text(dict(trial, passed=True)) == "1.0/2.0/3.0"
    assert tp.latency_text(None) == "-"


class ModelTestbed:
    """A gateway model for Measurement: forwards everything up to `capacity` pps and drops the
    excess evenly; a generator that sends at most `generator_max` pps. trial() answers what
    msf-gen's --json report holds."""

    def __init__(self, capacity, generator_max, sessions=4):
        self.capacity, self.generator_max, self.sessions = capacity, generator_max, sessions
        self.rates = []

    def trial(self, rate, duration_s, size):
        self.rates.append(rate)
        offered = self.generator_max if rate == 0 else min(rate, self.generator_max)
        sent = int(offered * duration_s)
        received = int(min(offered, self.capacity) * duration_s)
        return {"sent": sent, "received": received, "lost": sent - received, "corrupted": 0, "duplicates": 0,
                "achieved_tx_pps": offered, "rx_pps": received / duration_s, "tsc_hz": 2_000_000_000,
                "sessions": self.sessions, "sessions_receiving": self.sessions if received else 0,
                "min_session_share": received / sent if sent else 0.0,
                "latency_ns": {"p50": 10_000, "p99": 20_000, "p999": 30_000, "max": 40_000}, "size": size}


def measured(bed):
    args = tp.parse_args(["--trial-s", "1", "--max-trials", "16", "--resolution", "0.01"])
    point = {"system": "msf", "sessions": bed.sessions, "suite": tp.SUITES[0], "size": 172}
    return tp.Measurement(args, bed, 172).measure(point), bed.rates


def test_measurement_finds_the_gateways_capacity_then_runs_latency_at_50_and_90_percent_and_overload_at_150():
    point, rates = measured(ModelTestbed(capacity=300_000, generator_max=1_000_000))
    rate = point["metrics"]["zero_loss_pps"]
    assert 297_000 <= rate <= 300_000
    assert not point["generator_limited"]
    assert rates[0] == 0 and rates[-3:] == [rate * 0.5, rate * 0.9, rate * 1.5]
    assert point["latency"]["50"]["passed"] and point["latency"]["90"]["passed"]
    assert point["overload"]["ok"] and 0 < point["overload"]["min_session_share"] < 1
    assert point["metrics"]["tsc_ticks_per_op"] == pytest.approx(2e9 / (2 * rate))


def test_measurement_reports_the_generator_limit_when_full_load_loses_nothing():
    point, rates = measured(ModelTestbed(capacity=5_000_000, generator_max=400_000))
    assert point["generator_limited"] and point["metrics"]["zero_loss_pps"] == 400_000
    assert len(rates) == 4  # full load, 50%, 90%, 150%


def test_measurement_fails_a_point_where_nothing_passes():
    point, _ = measured(ModelTestbed(capacity=0, generator_max=400_000))
    assert "no zero-loss rate" in point["error"] and "metrics" not in point


def test_overload_check_fails_when_a_session_stops():
    bed = ModelTestbed(capacity=300_000, generator_max=1_000_000)
    real = bed.trial

    def starving(rate, duration_s, size):
        report = real(rate, duration_s, size)
        if rate > 400_000:
            report["sessions_receiving"], report["min_session_share"] = bed.sessions - 1, 0.0
        return report
    bed.trial = starving
    point, _ = measured(bed)
    assert not point["overload"]["ok"]


def test_verdict_fails_a_trial_where_the_generator_could_not_reflect_every_packet():
    passed, why = tp.trial_verdict(report(reflect_dropped=64, lost=64, received=936), 10_000)
    assert not passed and why == "msf-gen could not reflect 64 packets (its tx ring was full)"


def test_verdict_ignores_reflect_drops_when_nothing_counted_was_lost():
    assert tp.trial_verdict(report(reflect_dropped=32), 10_000) == (True, "zero loss")


def test_comparison_pairs_msf_with_rtpengine_at_the_most_sessions_not_above_msfs():
    def point(system, sessions, ops_per_core):
        m = tp.point_metrics(ops_per_core / 2, 1, 2e9)
        if system == "rtpengine":
            m.update(ops_per_cpu_s=ops_per_core, cpu_us_per_op=1e6 / ops_per_core)
        return {"system": system, "sessions": sessions, "suite": tp.SUITES[0], "size": 172, "metrics": m}
    points = [point("msf", 2, 8e6), point("msf", 10000, 6e6), point("rtpengine", 2, 1e5), point("rtpengine", 4000, 1.5e5)]
    rows = tp.compare(points)
    assert [(r["sessions"], r["rtpengine_sessions"]) for r in rows] == [(2, 2), (10000, 4000)]
    assert rows[1]["ratio"] == pytest.approx(40.0)


def test_default_baseline_sessions_are_capped_below_rtpengines_port_limit():
    args = tp.parse_args(["--sessions", "2,10000,1000000"])
    assert args.baseline_sessions == [2, tp.RTPENGINE_MAX_CALLS]
    with pytest.raises(SystemExit):
        tp.parse_args(["--baseline-sessions", "10000"])


def test_markdown_keeps_a_multiline_error_inside_its_table_row():
    results = sample_results()
    results["points"][2]["error"] = "msf-gen exited 1: line one\nline | two"
    rows = [line for line in tp.format_markdown(results).splitlines() if "msf-gen exited" in line]
    assert len(rows) == 1 and rows[0].endswith("| msf-gen exited 1: line one line / two |")


def test_search_keeps_a_known_good_rate_as_its_floor():
    calls = []
    rate, history = tp.search_zero_loss_rate(threshold_trial(1500, calls), 100_000, max_trials=3, known_good=2000)
    assert rate == 2000 and all(r > 2000 for r in calls)
    calls.clear()
    rate, _ = tp.search_zero_loss_rate(threshold_trial(60_000, calls), 100_000, max_trials=3, known_good=2000)
    assert calls[1] == 51_000 and rate >= 51_000


def test_a_point_that_failed_after_its_search_is_shown_with_its_error(capsys):
    point = {"system": "msf", "sessions": 2, "suite": tp.SUITES[0], "size": 172,
             "metrics": tp.point_metrics(1e5, 1, 2e9), "latency": {}, "error": "msf-gen exited 1: x"}
    tp.show(point)
    assert "ERROR: msf-gen exited 1: x" in capsys.readouterr().err


def test_comparison_leaves_out_a_point_that_failed_after_its_search():
    results = sample_results()
    results["points"][0]["error"] = "msf-dataplane died (exit -11)"
    assert tp.compare(results["points"]) == []


def test_gateway_addresses_grow_with_the_sessions_one_per_32000():
    assert tp.gateway_addresses("192.0.2.10", 2) == ["192.0.2.10"]
    assert tp.gateway_addresses("192.0.2.10", 32000) == ["192.0.2.10"]
    assert tp.gateway_addresses("192.0.2.10", 100000) == ["192.0.2.10", "192.0.2.11", "192.0.2.12",
                                                                  "192.0.2.13"]
    assert len(tp.gateway_addresses("198.51.100.10", 1000000)) == 32
    with pytest.raises(ValueError):
        tp.gateway_addresses("192.0.2.250", 1000000)


# --- msf-gen --serve -------------------------------------------------------------------------

def test_serve_command_runs_hairpin_serving_on_the_asked_queues():
    args = tp.parse_args(["--build", "/b", "--workers", "2", "--gen-lcores", "3"])
    cmd = tp.serve_command(args, "calls.jsonl", "net_memif0,role=client", "net_memif1,role=client", 172, "p",
                           "--in-memory -m 512", args.gen_queues)
    assert cmd[0] == "/b/bench/gen/msf-gen" and "--serve" in cmd
    assert cmd[cmd.index("--queues") + 1] == "2"
    assert cmd[cmd.index("--mode") + 1] == "hairpin" and cmd[cmd.index("--lcores") + 1] == "3"
    assert cmd[cmd.index("--eal") + 1] == "--in-memory -m 512"
    assert "--rate" not in cmd and "--duration" not in cmd  # per request, not per process


def test_gen_queues_default_to_the_workers_and_are_bounded():
    assert tp.parse_args(["--workers", "3"]).gen_queues == 3
    assert tp.parse_args(["--workers", "2", "--gen-queues", "1"]).gen_queues == 1
    with pytest.raises(SystemExit):
        tp.parse_args(["--gen-queues", "17"])


def test_lcore_ids_reads_eal_core_lists_and_leaves_other_forms_alone():
    assert tp.lcore_ids("3") == [3]
    assert tp.lcore_ids("8-11") == [8, 9, 10, 11]
    assert tp.lcore_ids("0,4-5,4") == [0, 4, 5]
    assert tp.lcore_ids("(0-1)@2") is None
    assert tp.lcore_ids("0@3") is None
    assert tp.lcore_ids("a-b") is None


def test_several_gen_lcores_go_to_msf_gen_and_each_needs_a_queue():
    args = tp.parse_args(["--build", "/b", "--workers", "4", "--dp-lcores", "0-4", "--gen-lcores", "8-11"])
    assert args.gen_queues == 4
    cmd = tp.serve_command(args, "calls.jsonl", "net_memif0,role=client", "net_memif1,role=client", 172, "p",
                           None, args.gen_queues)
    assert cmd[cmd.index("--lcores") + 1] == "8-11" and cmd[cmd.index("--queues") + 1] == "4"
    # The rtpengine baseline's msf-gen has one queue per port: it takes the first lcore only.
    one = tp.gen_command(args, "calls.jsonl", "net_af_packet0,iface=gena", "net_af_packet1,iface=genc", 1000, 172,
                         1.0, 0.2, "p", None)
    assert one[one.index("--lcores") + 1] == "8"
    with pytest.raises(SystemExit):  # 4 lcores, 2 queues: two lcores would own nothing
        tp.parse_args(["--workers", "2", "--gen-lcores", "8-11"])
    with pytest.raises(SystemExit):
        tp.parse_args(["--workers", "4", "--gen-queues", "2", "--gen-lcores", "8-10"])
    assert tp.parse_args(["--workers", "8", "--gen-lcores", "9-15"]).gen_queues == 8  # 7 lcores over 8 queues


def test_gen_queues_over_the_workers_are_refused_with_memif():
    """msf-dataplane opens one memif queue per worker and disconnects a client asking for more."""
    with pytest.raises(SystemExit):
        tp.parse_args(["--workers", "1", "--gen-queues", "2"])
    assert tp.parse_args(["--workers", "1", "--gen-queues", "2", "--link", "veth"]).gen_queues == 2


def test_dp_eal_is_taken_as_one_argument():
    assert tp.parse_args(["--dp-eal", "--in-memory --log-level=lib.eal:debug"]).dp_eal == \
        "--in-memory --log-level=lib.eal:debug"
    assert tp.parse_args([]).dp_eal is None


def test_trial_request_is_one_json_line_with_the_trials_settings():
    line = tp.trial_request_line(250000.7, 2.0, 0.5, 172)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"rate": 250000, "duration": 2.0, "warmup": 0.5, "size": 172}


def test_take_report_skips_eal_chatter_and_keeps_what_follows():
    buffer = b"EAL: Detected 2 lcore(s)\nMEMIF: Connected\n{\"sent\": 5}\n{\"sent\": 6"
    report, rest = tp.take_report(buffer)
    assert report == {"sent": 5}
    assert rest == b"{\"sent\": 6"
    assert tp.take_report(rest) == (None, rest)  # incomplete: wait for more
    assert tp.take_report(rest + b"}\n") == ({"sent": 6}, b"")


def test_take_report_ignores_json_that_is_not_an_object_and_passes_error_answers_on():
    report, rest = tp.take_report(b"[1, 2]\n42\n{\"error\": \"unknown key \\\"x\\\"\"}\n")
    assert report == {"error": "unknown key \"x\""} and rest == b""
    assert tp.take_report(b"no newline yet") == (None, b"no newline yet")
