#!/usr/bin/env bash
# Runs the codec's JMH benchmarks (benchmarks/, Maven profile "bench") with the gc profiler: time and heap
# allocated per frame (gc.alloc.rate.norm, bytes/op), encode and decode, client and server side.
#
#   scripts/bench-codec.sh [JMH OPTION...]
#
# Options go to JMH as they are, e.g.
#   scripts/bench-codec.sh -p names=3                 # only 3-name frames (default: 1, 3 and 64)
#   scripts/bench-codec.sh 'CodecBenchmark.request.*' -f 3
#   scripts/bench-codec.sh -rf json -rff codec.json   # results as JSON too
# Builds benchmarks/target/benchmarks.jar first (needs network once, for JMH); runs it on JDK 25 (.mvn/jdk.sh finds
# it). FDPASS_BENCH_BUILD=never skips the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ${1-} == -h || ${1-} == --help ]]; then
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
if [[ ${FDPASS_BENCH_BUILD-} != never ]]; then
    ./mvnw -B -ntp -q -Pbench -pl benchmarks -am -DskipTests package
fi
# shellcheck source=../.mvn/jdk.sh
. ./.mvn/jdk.sh
exec "$JAVA_HOME/bin/java" -jar benchmarks/target/benchmarks.jar -prof gc "$@"
