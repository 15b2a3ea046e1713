#!/usr/bin/env python3
"""Run Osprey's test suites and print one closing line: N passed, N failed[, N skipped].

Every test program (a unit-test binary in BUILD/tests/unit, or a Python script
tests/qtest/test_*.py and tests/*/test_*.py) prints one line per case:
    ok NAME | FAIL NAME: why | skip NAME: why
A program that exits non-zero without printing a FAIL line counts as one failure,
so a crash can never pass.
"""
import argparse
import glob
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# DBT backends the CPU test suites run on (native exists on x86-64 hosts only).
BACKENDS = ["native", "interp"] if os.uname().machine == "x86_64" else ["interp"]


def run_one(cmd, env, timeout):
    start = time.time()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
        out = proc.stdout.decode(errors="replace")
        rc = proc.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        out += "\nFAIL %s: timed out after %ds\n" % (os.path.basename(cmd[-1]), timeout)
        rc = 1
    return out, rc, time.time() - start


def script_timeout(path, default):
    """A script that needs longer (real guests) says so near its top: '# run-tests-timeout: N'."""
    with open(path, errors="replace") as f:
        for _, line in zip(range(5), f):
            if line.startswith("# run-tests-timeout:"):
                return int(line.split(":", 1)[1])
    return default


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--suite", action="append", help="only suites whose path contains this")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    build = os.path.abspath(os.path.join(ROOT, args.build))
    env = dict(os.environ, OSPREY_BUILD=build, OSPREY=os.path.join(build, "osprey"),
               PYTHONDONTWRITEBYTECODE="1")
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")

    programs = []
    for b in sorted(glob.glob(os.path.join(build, "tests", "unit", "test-*"))):
        if os.access(b, os.X_OK) and not b.endswith(".d"):
            base = os.path.basename(b)
            if base.startswith("test-x86-") or base == "test-sst286":
                # The CPU suites run on every DBT backend (the x86 test rig reads
                # OSPREY_TCG_BACKEND); the results must agree.
                for backend in BACKENDS:
                    programs.append(([b], 600, {"OSPREY_TCG_BACKEND": backend}))
            else:
                programs.append(([b], 600, {}))
    for py in sorted(glob.glob(os.path.join(ROOT, "tests", "*", "test_*.py"))):
        programs.append(([sys.executable, py], script_timeout(py, 900), {}))
    if args.suite:
        programs = [p for p in programs if any(s in p[0][-1] for s in args.suite)]

    passed = failed = skipped = 0
    failures = []
    for cmd, timeout, extra_env in programs:
        name = os.path.relpath(cmd[-1], ROOT)
        if extra_env.get("OSPREY_TCG_BACKEND"):
            name += "@" + extra_env["OSPREY_TCG_BACKEND"]
        out, rc, secs = run_one(cmd, dict(env, **extra_env), timeout)
        p = f = s = 0
        for line in out.splitlines():
            if line.startswith("ok "):
                p += 1
            elif line.startswith("FAIL "):
                f += 1
                failures.append("%s: %s" % (name, line))
            elif line.startswith("skip "):
                s += 1
        sanitizer = "ERROR: AddressSanitizer" in out or "runtime error:" in out \
            or "ERROR: LeakSanitizer" in out
        if (rc != 0 or sanitizer) and f == 0:
            f = 1
            failures.append("%s: exited with status %d%s" %
                            (name, rc, " (sanitizer report)" if sanitizer else ""))
        elif sanitizer:
            failures.append("%s: sanitizer report" % name)
        passed += p
        failed += f
        skipped += s
        status = "FAIL" if f else "ok"
        print("%-4s %-45s %3d passed %3d failed %3d skipped  %.1fs" % (status, name, p, f, s, secs))
        if args.verbose or f:
            for line in out.splitlines():
                if args.verbose or not line.startswith("ok "):
                    print("     | " + line)
        sys.stdout.flush()
    for fl in failures:
        print("failed: " + fl)
    summary = "%d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    print(summary)
    return 1 if failed or (passed == 0) else 0


if __name__ == "__main__":
    sys.exit(main())
