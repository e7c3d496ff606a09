#!/usr/bin/env python3
"""Turns msf-srtp-bench's Google Benchmark JSON into a Markdown table.

Rows: operation / suite / RTP packet size. Cells: Mpps (TSC ticks per packet) for each contender,
the medians when the run had repetitions: Mpps from CPU time, ticks the median over iterations
(ticks/pkt_p50), which preemption on a shared core does not move. The ratio columns come from the
paired benchmarks (engine_b32 and the other contender alternating in one benchmark, so both see
the same machine load), or, where those did not run, from the separate benchmarks' ticks. Then
one line per target with the paired ratio and, for comparison, the ratios of the separate
benchmarks (by ticks and by CPU-time rate). Exit status: 1 when a benchmark reported an error (a contender produced wrong output
or failed packets), else 0; missed targets are reported, not failed (benchmarks are not tests).

Usage: srtp_table.py RESULT.json [--targets]
"""
import json
import sys

CONTENDERS = ["engine_b16", "engine_b32", "engine_b64", "ipsec_mb_b16", "ipsec_mb_b32",
              "ipsec_mb_b64", "openssl_evp", "libsrtp2"]
ENGINE, RAW, EVP = "engine_b32", "ipsec_mb_b32", "openssl_evp"
OPS = ["protect", "unprotect"]
SUITES = ["AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"]

# (op, suite, size, numerator, denominator, minimum ratio of packet rates)
TARGETS = [
    ("protect", "AES_CM_128_HMAC_SHA1_80", 172, ENGINE, RAW, 0.9),
    ("protect", "AES_CM_128_HMAC_SHA1_80", 172, ENGINE, EVP, 4.0),
    ("protect", "AEAD_AES_128_GCM", 172, ENGINE, RAW, 0.9),
]


def load(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    runs = doc.get("benchmarks", [])
    has_median = any(r.get("aggregate_name") == "median" for r in runs)
    results, paired, errors = {}, {}, []
    for r in runs:
        name = r.get("run_name", r.get("name", ""))
        if r.get("error_occurred"):
            errors.append(f"{name}: {r.get('error_message', 'error')}")
            results[name] = None
            continue
        if has_median:
            if r.get("run_type") != "aggregate" or r.get("aggregate_name") != "median":
                continue
        elif r.get("run_type", "iteration") != "iteration":
            continue
        if "rate_a/rate_b" in r:
            paired[name] = r["rate_a/rate_b"]
        else:
            results[name] = (r["items_per_second"] / 1e6, r.get("ticks/pkt_p50", r["ticks/pkt"]))
    return doc.get("context", {}), results, paired, errors, has_median


def key(op, suite, size, contender):
    return f"{op}/{suite}/{size}/{contender}"


def paired_ratio(paired, op, suite, size, num, den):
    """rate(num) / rate(den) from the paired benchmark, when it ran."""
    return paired.get(f"{op}/{suite}/{size}/paired/{num}/{den}")


def ratio(results, op, suite, size, num, den, by_cpu_rate=False):
    """Packet rate of `num` over that of `den`: from ticks per packet, or from CPU-time rates."""
    a, b = results.get(key(op, suite, size, num)), results.get(key(op, suite, size, den))
    if not a or not b or min(a[0], a[1], b[0], b[1]) <= 0:
        return None
    return a[0] / b[0] if by_cpu_rate else b[1] / a[1]


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    context, results, paired, errors, has_median = load(argv[1])
    sizes = sorted({int(n.split("/")[2]) for n in list(results) + list(paired)})

    what = "medians of the repetitions" if has_median else "single runs"
    print(f"SRTP on one core ({what}); TSC {context.get('tsc_ghz', '?')} GHz, "
          f"ipsec-mb {context.get('ipsec_mb', '?')}, {context.get('openssl', '?')}, "
          f"{context.get('libsrtp2', '?')}, host {context.get('host_name', '?')}")
    print("Cells: Mpps from CPU time (median TSC ticks per packet over iterations). "
          "Ratios: packet rate of engine_b32 over raw ipsec-mb at batch 32 (same packets) "
          "and over OpenSSL EVP, measured side by side (paired benchmarks; * = from the "
          "separate benchmarks' ticks).")
    print()
    header = ["op", "suite", "bytes"] + CONTENDERS + ["b32/raw32", "b32/EVP"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] * 3 + ["---:"] * (len(header) - 3)) + "|")
    for op in OPS:
        for suite in SUITES:
            for size in sizes:
                cells = []
                for c in CONTENDERS:
                    k = key(op, suite, size, c)
                    if k not in results:
                        cells.append("")
                    elif results[k] is None:
                        cells.append("error")
                    else:
                        mpps, ticks = results[k]
                        cells.append(f"{mpps:.2f} ({ticks:.0f})")
                if not any(cells) and not any(k.startswith(f"{op}/{suite}/{size}/") for k in paired):
                    continue
                for num, den in ((ENGINE, RAW), (ENGINE, EVP)):
                    r = paired_ratio(paired, op, suite, size, num, den)
                    if r is not None:
                        cells.append(f"{r:.2f}")
                    else:
                        r = ratio(results, op, suite, size, num, den)
                        cells.append("" if r is None else f"{r:.2f}*")
                print(f"| {op} | {suite} | {size} | " + " | ".join(cells) + " |")

    if "--targets" in argv:
        print()
        for op, suite, size, num, den, minimum in TARGETS:
            r_pair = paired_ratio(paired, op, suite, size, num, den)
            r_ticks = ratio(results, op, suite, size, num, den)
            r_cpu = ratio(results, op, suite, size, num, den, by_cpu_rate=True)
            r = r_pair if r_pair is not None else r_ticks
            verdict = "n/a" if r is None else ("met" if r >= minimum else "MISSED")
            fmt = lambda x: "?" if x is None else f"{x:.2f}"
            print(f"target {op} {suite} {size} B: rate {num} / {den} = {fmt(r_pair)} paired "
                  f"(separate: {fmt(r_ticks)} by ticks, {fmt(r_cpu)} by CPU time), "
                  f"needs >= {minimum:g}: {verdict}")
        # The same packets against raw ipsec-mb at its best batch: the distance to the
        # physical limit, for information.
        for op, suite, size in sorted({t[:3] for t in TARGETS}):
            raws = [c for c in CONTENDERS if c.startswith("ipsec_mb_")
                    and results.get(key(op, suite, size, c))]
            if not raws:
                continue
            best = min(raws, key=lambda c: results[key(op, suite, size, c)][1])
            r = ratio(results, op, suite, size, ENGINE, best)
            if r is not None:
                print(f"info {op} {suite} {size} B: {ENGINE} / best raw ({best}) = {r:.2f} by ticks")

    if errors:
        print()
        for e in errors:
            print(f"error: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
