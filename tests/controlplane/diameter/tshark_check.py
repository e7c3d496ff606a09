#!/usr/bin/env python3
"""Dissects a capture with tshark, the MSF Wireshark dictionary installed, and fails on anything
Wireshark finds wrong with the Diameter in it.

usage: tshark_check.py PCAP PORT [--dictionary FILE] [--require NAME ...] [--verbose]

Wireshark 4.0 reads its Diameter dictionary from <data dir>/diameter/dictionary.xml only (not from
the personal configuration), the data dir being /usr/share/wireshark unless the WIRESHARK_DATA_DIR
environment variable names another, and it ignores that variable when run as root. This script
builds a private data dir in a temporary directory: links to everything of the system one, and a
copy of diameter/ whose dictionary.xml includes config/wireshark/msf-dictionary.xml as an entity
(the way Wireshark's own vendor files are included). It runs tshark with "-d
tcp.port==PORT,diameter" on a copy of the capture, as user nobody when started as root, and exits
non-zero when
  - tshark fails or prints an error (a dictionary that does not parse, for one),
  - a frame has _ws.malformed or an expert item of severity warning or error,
  - no Diameter message was found, or
  - an AVP name given with --require does not appear (proof that our AVPs were decoded by name).
Other tests and helpers use it on their captures; tests/controlplane/diameter/wireshark_test.cpp
runs it on the golden messages.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

SOURCE_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEFAULT_DICTIONARY = os.path.join(SOURCE_ROOT, "config", "wireshark", "msf-dictionary.xml")
ENTITY = "msf"
WARNING_SEVERITY = 0x00600000  # PI_WARN in epan/proto.h; PI_ERROR is 0x00800000


def system_data_dir():
    """The data dir tshark uses now ("Global configuration" of tshark -G folders)."""
    out = subprocess.run(["tshark", "-G", "folders"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Global configuration:"):
            return line.split(":", 1)[1].strip()
    return "/usr/share/wireshark"


def make_data_dir(dictionary, into):
    """A data dir like the system one whose Diameter dictionary includes `dictionary`."""
    system = system_data_dir()
    data = os.path.join(into, "wireshark")
    os.mkdir(data)
    for name in os.listdir(system):
        if name != "diameter":
            os.symlink(os.path.join(system, name), os.path.join(data, name))
    diameter = os.path.join(data, "diameter")
    shutil.copytree(os.path.join(system, "diameter"), diameter)
    shutil.copy(dictionary, os.path.join(diameter, "msf-dictionary.xml"))
    path = os.path.join(diameter, "dictionary.xml")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    declaration = '<!ENTITY Custom'
    if declaration not in text or "</dictionary>" not in text:
        raise RuntimeError(f"{path}: no '{declaration}' entity or </dictionary> to hook into")
    text = text.replace(declaration, f'<!ENTITY {ENTITY} SYSTEM "msf-dictionary.xml">\n\t{declaration}', 1)
    text = text.replace("</dictionary>", f"\t&{ENTITY};\n</dictionary>", 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return data


def noise_removed(stderr):
    """tshark's stderr without the line it prints for every run as root."""
    return "\n".join(line for line in stderr.splitlines()
                     if line.strip() and "could be dangerous" not in line)


def run_tshark(data_dir, pcap, port, fields=None, verbose=False):
    tmp = os.path.dirname(data_dir)
    env = dict(os.environ, WIRESHARK_DATA_DIR=data_dir, HOME=tmp)
    # Our own preferences only: a user profile must not change the outcome.
    env["WIRESHARK_CONFIG_DIR"] = os.path.join(tmp, "profile")
    cmd = ["tshark", "-n", "-r", pcap, "-d", f"tcp.port=={port},diameter"]
    if os.geteuid() == 0:
        # Wireshark ignores WIRESHARK_DATA_DIR with special privileges, root included.
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    if verbose:
        cmd.append("-V")
    if fields:
        cmd += ["-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"]
        for field in fields:
            cmd += ["-e", field]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def check(pcap, port, dictionary, required, show):
    problems = []
    with tempfile.TemporaryDirectory(prefix="msf-tshark-") as tmp:
        os.chmod(tmp, 0o755)  # readable by the unprivileged tshark
        os.mkdir(os.path.join(tmp, "profile"))
        data_dir = make_data_dir(dictionary, tmp)
        pcap = shutil.copy(pcap, os.path.join(tmp, "capture.pcap"))
        os.chmod(pcap, 0o644)
        fields = ["frame.number", "diameter.cmd.code", "_ws.malformed", "_ws.expert.severity",
                  "_ws.expert.message"]
        result = run_tshark(data_dir, pcap, port, fields)
        if result.returncode != 0:
            problems.append(f"tshark exited {result.returncode}")
        stderr = noise_removed(result.stderr)
        if stderr:
            problems.append(f"tshark reported: {stderr}")
        messages = 0
        for line in result.stdout.splitlines():
            frame, cmdcodes, malformed, severities, expert = (line.split("|") + [""] * 5)[:5]
            if cmdcodes:
                messages += len(cmdcodes.split(","))
            if malformed:
                problems.append(f"frame {frame}: malformed ({expert})")
            worst = max((int(s, 0) for s in filter(None, severities.split(","))), default=0)
            if worst >= WARNING_SEVERITY:
                problems.append(f"frame {frame}: expert severity {worst:#x}: {expert}")
        if messages == 0:
            problems.append("no Diameter message in the capture")
        verbose = run_tshark(data_dir, pcap, port, verbose=True)
        if show:
            print(verbose.stdout)
        for name in required:
            if f"{name}:" not in verbose.stdout and f"{name}(" not in verbose.stdout:
                problems.append(f"no AVP named {name} in the dissection")
    for problem in problems:
        print(f"tshark_check: {problem}", file=sys.stderr)
    if not problems:
        print(f"tshark_check: {messages} Diameter messages, no malformed frame, no expert warning")
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pcap")
    parser.add_argument("port", type=int)
    parser.add_argument("--dictionary", default=DEFAULT_DICTIONARY)
    parser.add_argument("--require", nargs="*", default=[], metavar="NAME",
                        help="AVP names that must appear in the dissection")
    parser.add_argument("--verbose", action="store_true", help="print tshark -V output")
    args = parser.parse_args()
    if shutil.which("tshark") is None:
        print("tshark_check: tshark is not installed", file=sys.stderr)
        return 77  # "skipped" for meson and automake
    return check(args.pcap, args.port, args.dictionary, args.require, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
