#!/usr/bin/env bash
# Runs fdpass's coverage-guided fuzz tests (Jazzer, core/src/test/java/io/fdpass/fuzz) for a given time each.
#
#   scripts/fuzz.sh DURATION [TEST...]
#
#   DURATION  how long to fuzz each test, in Jazzer's format: 30s, 2m, 1h 30m ...
#   TEST      FdPassRequestDecoderFuzzTest, FdPassResponseDecoderFuzzTest (default: both, one after the other;
#             Jazzer fuzzes one test per JVM)
#
# Everything a run produces goes under $FUZZ_OUT (default core/target/fuzz), one directory per test:
#   .cifuzz-corpus/...  the corpus the fuzzer grew, reused as the starting point of the next run
#   crash-*, timeout-*, slow-unit-*, oom-*  findings: inputs that failed the test, kept until you delete them
# A finding replays with
#   cp FINDING core/src/test/resources/io/fdpass/fuzz/<TEST>Inputs/<method>/
#   ./mvnw -f core/pom.xml test -Dtest=<TEST>
# (add it there for good only once it is fixed: the regression corpus runs in every build).
# Exits non-zero if any test found something or failed to run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 2
fi
duration=$1
shift
tests=("$@")
if [[ ${#tests[@]} -eq 0 ]]; then
    tests=(FdPassRequestDecoderFuzzTest FdPassResponseDecoderFuzzTest)
fi
for test in "${tests[@]}"; do
    if [[ ! -f core/src/test/java/io/fdpass/fuzz/$test.java ]]; then
        echo "no fuzz test $test in core/src/test/java/io/fdpass/fuzz" >&2
        exit 2
    fi
done
out_root=$(realpath -m "${FUZZ_OUT:-core/target/fuzz}")

# Compile once; each fuzz run then only runs its test.
./mvnw -B -ntp -q -f core/pom.xml test-compile

status=0
for test in "${tests[@]}"; do
    out="$out_root/$test"
    mkdir -p "$out"
    log="$out/fuzz-$(date +%Y%m%d-%H%M%S).log"
    started="$out/.started"
    touch "$started"
    echo "== fuzzing $test for $duration; corpus and findings in $out, log in $log"
    # JAZZER_FUZZ=1: fuzz instead of replaying the corpus. jazzer.max_duration (a Jazzer option, read from system
    # properties, which surefire passes on) overrides @FuzzTest(maxDuration).
    # jazzer.internal.basedir: where Jazzer keeps its generated corpus and writes findings (by default the source
    # tree's inputs directory, which would put an unfixed crash into every build's regression run).
    # jazzer.hooks=true: Jazzer's instrumentation, which core's pom turns off for the plain regression runs.
    # jazzer.mutator_framework=false: libFuzzer's own byte mutations, which use the values the code compares
    # against; Jazzer's structured mutators do not pay off for byte[] targets (a planted 4-byte check was found in
    # under a minute without them, not in 90 s with them).
    if JAZZER_FUZZ=1 ./mvnw -B -ntp -f core/pom.xml surefire:test \
            -Dtest="io.fdpass.fuzz.$test" \
            -Djazzer.max_duration="$duration" -Djazzer.internal.basedir="$out" -Djazzer.hooks=true \
            -Djazzer.mutator_framework=false \
            >"$log" 2>&1; then
        echo "   no finding"
    else
        status=1
        echo "   FAILED: see $log"
    fi
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs|Tests run:" "$log" \
        | tail -n 4 | sed 's/^/   /' || true
    findings=$(find "$out" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'slow-unit-*' \
        -o -name 'oom-*' -o -name 'leak-*' \) -newer "$started" 2>/dev/null || true)
    if [[ -n $findings ]]; then
        status=1
        echo "   findings:"
        echo "$findings" | sed 's/^/     /'
    fi
done
exit $status
