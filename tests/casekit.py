"""The case runner the command-line test scripts share: each case prints `ok NAME`,
`FAIL NAME: why` or `skip NAME: why` (tests/run-tests.py counts those lines)."""
import subprocess
import sys


class Skip(Exception):
    """Raised by a case that cannot run here; the message says why."""


class Cases:
    def __init__(self):
        self.failures = 0

    def run(self, name, fn):
        try:
            fn()
            print("ok " + name)
        except Skip as e:
            print("skip %s: %s" % (name, e))
        except (AssertionError, subprocess.TimeoutExpired) as e:
            self.failures += 1
            print("FAIL %s: %s" % (name, e))
        sys.stdout.flush()

    def status(self):
        """The script's exit status: 1 when a case failed."""
        return 1 if self.failures else 0
