#!/usr/bin/env python3
"""Prints what ran and one closing line "tests: N passed, M failed".

Arguments: JUnit logs of meson and pytest (each GoogleTest or pytest case counts once), then "--",
then NAME=RC pairs for steps that are not test cases (each counts once; a meson or pytest phase
only counts when its log cannot account for the failure)."""
import sys
import xml.etree.ElementTree as ET


def main(argv):
    sep = argv.index("--") if "--" in argv else len(argv)
    junits, phases = argv[:sep], argv[sep + 1:]
    passed = failed = skipped = 0
    failures = []
    for path in junits:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as e:
            print(f"  {path}: unreadable ({e})")
            failed += 1
            failures.append(path)
            continue
        for suite in root.iter("testsuite"):
            for case in suite.iter("testcase"):
                name = f"{suite.get('name')}.{case.get('classname', '')}.{case.get('name')}"
                if case.find("failure") is not None or case.find("error") is not None:
                    failed += 1
                    failures.append(name)
                elif case.find("skipped") is not None:
                    skipped += 1
                else:
                    passed += 1
        print(f"  {path}: counted")
    for item in phases:
        name, _, rc = item.partition("=")
        print(f"  step {name}: {'ok' if rc == '0' else 'FAILED (exit ' + rc + ')'}")
        if name in ("unit", "asan-ubsan", "system"):
            # meson's or pytest's own exit code; its cases are counted from the log above. A
            # non-zero exit with no failed case (a crash before the log was written) still counts
            # as a failure.
            if rc != "0" and not failures:
                failed += 1
                failures.append(name)
            continue
        if rc == "0":
            passed += 1
        else:
            failed += 1
            failures.append(name)
    for f in failures:
        print(f"  FAILED: {f}")
    line = f"tests: {passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
