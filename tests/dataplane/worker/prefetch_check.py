#!/usr/bin/env python3
"""The compiled burst path prefetches each packet's SRTP context.

GCC 12 once deleted every call to Context::prefetch without a word: the function was made only
of __builtin_prefetch calls, which GCC judged "looping pure", and a pure call whose result is
unused is dead code. Worker::process then issued 3 prefetches (the next frame, the flow line and
the latch line) and none of the context's lines. This counts the PREFETCH instructions in the
compiled Worker::process (Context::prefetch inlined) or in an out-of-line Context::prefetch.

usage: prefetch_check.py OBJDUMP LIBRARY
"""
import re
import subprocess
import sys

# Worker::process itself: next frame, flow line, latch line. Context::prefetch: its first line,
# the replay window and two loops over key lines.
WORKER_OWN = 3
CONTEXT_MIN = 4


def functions(disassembly):
    """{demangled name: [instruction lines]} from objdump -d -C output."""
    out, name = {}, None
    for line in disassembly.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if m:
            name = m.group(1)
            out.setdefault(name, [])
        elif name and line.strip():
            out[name].append(line)
    return out


def prefetches(lines):
    return sum(1 for l in lines if re.search(r"\tprefetch(t0|t1|t2|nta|w)?\s", l))


def main():
    objdump, library = sys.argv[1], sys.argv[2]
    text = subprocess.run([objdump, "-d", "--no-show-raw-insn", "-C", library], check=True,
                          capture_output=True, text=True).stdout
    funcs = functions(text)
    process = [n for n in funcs if n.startswith("msf::dp::Worker::process(") and "cold" not in n]
    if not process:
        print(f"no Worker::process in {library}")
        return 1
    in_process = sum(prefetches(funcs[n]) for n in process)
    out_of_line = sum(prefetches(l) for n, l in funcs.items() if n.startswith("msf::srtp::Context::prefetch("))
    print(f"Worker::process: {in_process} prefetch instructions; out-of-line Context::prefetch: {out_of_line}")
    if in_process >= WORKER_OWN + CONTEXT_MIN or out_of_line >= CONTEXT_MIN:
        return 0
    print(f"expected at least {WORKER_OWN + CONTEXT_MIN} in Worker::process (its own {WORKER_OWN} and "
          f"Context::prefetch's {CONTEXT_MIN}): the context prefetch was compiled away")
    return 1


if __name__ == "__main__":
    sys.exit(main())
