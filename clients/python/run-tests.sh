#!/bin/sh
# Runs the Python client's tests, as `./mvnw verify` does (clients/python/pom.xml, integration-test):
#     clients/python/run-tests.sh [unittest names...]
# With python3 (or $FDPASS_PYTHON) missing or older than 3.9 it says so in one line and exits 0: the Java build
# goes on without them. The tests find the example jars and a JDK 25 as in tests/support.py (the build passes
# them: FDPASS_JAVA, FDPASS_SERVER_JAR, FDPASS_CLIENT_JAR).
set -u
python=${FDPASS_PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "fdpass Python client: SKIPPED, no $python on PATH: its tests did not run"
  exit 0
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
  echo "fdpass Python client: SKIPPED, $python is $("$python" -V 2>&1), older than 3.9: its tests did not run"
  exit 0
fi
PYTHONDONTWRITEBYTECODE=1 exec "$python" "$(dirname "$0")/tests/run.py" "$@"
