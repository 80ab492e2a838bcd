#!/usr/bin/env bash
# Our client against our server, next to the C client against the C server, in one run: each server (the reference
# fdref-server, then ours, alternating every round) is loaded by each client (fdref-client, then our load client,
# `fdpass-bench.jar load`), with the same scenarios and files as compare.sh. Prints the median per pair and
# scenario, and the target: ours/ours at least 0.8 of C/C (descriptors/s).
#
#   scripts/bench-clients.sh [--rounds 3] [--duration 5] [--warmup 10] [--client-warmup 3]
#                            [--scenarios "1:1:3 1:32:1 1:32:3 8:32:3"] [--pairs "cc cj jc jj"]
#                            [--root-mount nodev|dev]
#
#   --warmup S         after each server start, S seconds of unmeasured load (the last scenario, C client)
#   --client-warmup S  our client's own unmeasured load before each measured run, in its JVM (its JIT)
#   --pairs            which client/server pairs: c = C, j = ours, client first (cj: C client, our server)
#   --root-mount K     (as root) the root on a tmpfs of its own, mounted nodev (our server opens at once, then
#                      checks) or not (it resolves the type first)
# Builds the reference (shared build.sh) into a temporary directory and the jars if missing; the bench folder is
# $FDPASS_BENCH_DIR, by default ../shared/bench next to this repository. Exit status: 1 if a run failed, 2 on usage
# errors, 3 if the target is missed in some scenario.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${FDPASS_BENCH_DIR:-$REPO/../shared/bench}
ROUNDS=3 DUR=5 WARMUP=10 CWARM=3 SCENARIOS="1:1:3 1:32:1 1:32:3 8:32:3" PAIRS="cc cj jc jj" ROOT_MOUNT=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DUR=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --client-warmup) CWARM=$2; shift 2 ;;
        --scenarios) SCENARIOS=$2; shift 2 ;;
        --pairs) PAIRS=$2; shift 2 ;;
        --root-mount) ROOT_MOUNT=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-clients.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
# shellcheck source=../.mvn/jdk.sh
. "$REPO/.mvn/jdk.sh" || exit 1
JAVA=$JAVA_HOME/bin/java
SERVER_JAR=$REPO/examples/target/fdpass-example-server.jar
BENCH_JAR=$REPO/examples/target/fdpass-bench.jar
if [[ ! -f $SERVER_JAR || ! -f $BENCH_JAR ]]; then
    (cd "$REPO" && ./mvnw -B -ntp -q -DskipTests package) || exit 1
fi
# shellcheck source=bench-lib.sh
. "$REPO/scripts/bench-lib.sh"
bench_setup bench-clients.sh

# run_client c|j CONNS DEPTH NAMES SECS CLIENT_WARMUP -> the client's result line (fdref-client's format)
run_client() {
    local names=() i
    for ((i = 0; i < $4; i++)); do names+=("${NAMES[i % 3]}"); done
    if [[ $1 == c ]]; then
        timeout $((${5%.*} + 30)) "$BIN/fdref-client" --socket "$SOCK" --conns "$2" --depth "$3" --duration "$5" \
            "${names[@]}" 2>>"$WORK/client.log"
    else
        timeout $((${5%.*} + ${6%.*} + 60)) "$JAVA" -jar "$BENCH_JAR" load --socket "$SOCK" --conns "$2" \
            --depth "$3" --duration "${5}s" --warmup "${6}s" "${names[@]}" 2>>"$WORK/client.log" | head -1
    fi
}

declare -A FDS P99
FAILED=0
for ((r = 1; r <= ROUNDS; r++)); do
    servers="c j"
    ((r % 2 == 0)) && servers="j c"
    for s in $servers; do
        pairs=()
        for p in $PAIRS; do [[ ${p:1:1} == "$s" ]] && pairs+=("$p"); done
        [[ ${#pairs[@]} -gt 0 ]] || continue
        echo "== round $r: server $s" >&2
        start_server "$s" || { FAILED=1; continue; }
        last=${SCENARIOS##* }
        IFS=: read -r c d n <<<"$last"
        [[ $WARMUP == 0 ]] || run_client c "$c" "$d" "$n" "$WARMUP" 0 >/dev/null
        for p in "${pairs[@]}"; do
            for sc in $SCENARIOS; do
                IFS=: read -r c d n <<<"$sc"
                out=$(run_client "${p:0:1}" "$c" "$d" "$n" "$DUR" "$CWARM")
                fds=$(sed -n 's/.* fds\/s=\([0-9.]*\).*/\1/p' <<<"$out")
                p99=$(sed -n 's/.* p99_us=\([0-9.]*\).*/\1/p' <<<"$out")
                [[ -n $fds ]] || { fds=0 p99=0 FAILED=1; }
                echo "   $p $sc  fds/s=$fds p99_us=$p99" >&2
                FDS[$p,$sc]+="$fds " P99[$p,$sc]+="$p99 "
            done
        done
        stop_server
    done
done

echo
echo "client/server pairs (c = C reference, j = ours; client first), descriptors/s and p99 latency (us), median of $ROUNDS rounds"
echo "machine: $(nproc) cores, $(uname -sr); ${DUR}s per scenario, server warmup ${WARMUP}s, our client's warmup ${CWARM}s in its JVM"
way=$(grep -ho 'fdpass file source .*' "$WORK/server.log" 2>/dev/null | head -1)
echo "root: ${ROOT_MOUNT:+a tmpfs mounted $ROOT_MOUNT, }$ROOT; our server's log: ${way:-no line on its way}"
printf '%-12s' scenario
for p in $PAIRS; do printf ' %11s %9s' "$p fds/s" "$p p99"; done
printf ' %8s  %s\n' "jj/cc" "target (>= 0.8)"
MISSED=0
for sc in $SCENARIOS; do
    printf '%-12s' "$sc"
    for p in $PAIRS; do printf ' %11.0f %9.1f' "$(median ${FDS[$p,$sc]-})" "$(median ${P99[$p,$sc]-})"; done
    if [[ " $PAIRS " == *" cc "* && " $PAIRS " == *" jj "* ]]; then
        ratio=$(awk -v a="$(median ${FDS[jj,$sc]})" -v b="$(median ${FDS[cc,$sc]})" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
        ok=$(awk -v x="$ratio" 'BEGIN { print (x >= 0.8) ? "met" : "MISSED" }')
        [[ $ok == met ]] || MISSED=1
        printf ' %8s  %s' "$ratio" "$ok"
    fi
    echo
done
((FAILED)) && exit 1
((MISSED)) && exit 3
exit 0
