"""Runs the Python client's tests: python3 clients/python/tests/run.py [unittest names...].

Every test module here (test_*.py), verbose, then one line of counts and every skip with its reason; exit status 1
if a test failed. The tests import the package from this source tree.
"""

from __future__ import annotations

import os
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    sys.path[:0] = [str(HERE.parent), str(HERE)]
    loader = unittest.TestLoader()
    suite = (loader.loadTestsFromNames(sys.argv[1:]) if len(sys.argv) > 1
             else loader.discover(str(HERE), top_level_dir=str(HERE)))
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print(f"fdpass Python client ({sys.executable}, Python {sys.version.split()[0]}): {result.testsRun} tests run, "
          f"{failed} failed, {len(result.skipped)} skipped")
    for test, reason in result.skipped:
        print(f"  skipped {test.id()}: {reason}")
    sys.stdout.flush()
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
