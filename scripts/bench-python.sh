#!/usr/bin/env bash
# The Python client (clients/python) next to the C client (fdref-client), in one run: each loads the C reference
# server (fdref-server) and then our example server (alternating the order every round), one connection, with the
# same scenarios and files as compare.sh; the order of the clients flips every round too. Prints per server and
# scenario the median descriptors/s, p99 latency and CPU time per descriptor of each client (user + system; the
# C client's over its whole run, the Python client's over its measured part), and the Python client's
# descriptors/s over the C client's.
#
#   scripts/bench-python.sh [--rounds 3] [--duration 5] [--warmup 10] [--client-warmup 1]
#                           [--scenarios "1:1 32:1 32:3"] [--servers "c j"] [--profile] [--root-mount nodev|dev]
#
#   --scenarios     depth:names pairs, one connection each (the Python client is one thread on one connection)
#   --warmup S      after each server start, S seconds of unmeasured load (the last scenario, C client)
#   --client-warmup S  the Python client's own unmeasured load before each measured run, in its process
#   --servers       c = the C reference server, j = our example server
#   --profile       after the rounds, the Python client once more per server and scenario under cProfile: the
#                   top of each profile (own time per function) goes to stdout
#   --root-mount K  (as root) the root on a tmpfs of its own, mounted nodev or not (see bench-clients.sh)
# Builds the reference (shared build.sh) into a temporary directory, the server jar if missing; the bench folder
# is $FDPASS_BENCH_DIR, by default ../shared/bench next to this repository; python3 is $FDPASS_PYTHON or python3.
# Exit status: 1 if a run failed, 2 on usage errors.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${FDPASS_BENCH_DIR:-$REPO/../shared/bench}
PYTHON=${FDPASS_PYTHON:-python3}
ROUNDS=3 DUR=5 WARMUP=10 CWARM=1 SCENARIOS="1:1 32:1 32:3" SERVERS="c j" PROFILE=0 ROOT_MOUNT=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DUR=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --client-warmup) CWARM=$2; shift 2 ;;
        --scenarios) SCENARIOS=$2; shift 2 ;;
        --servers) SERVERS=$2; shift 2 ;;
        --profile) PROFILE=1; shift ;;
        --root-mount) ROOT_MOUNT=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-python.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
command -v "$PYTHON" >/dev/null || { echo "bench-python.sh: no $PYTHON" >&2; exit 2; }
# shellcheck source=../.mvn/jdk.sh
. "$REPO/.mvn/jdk.sh" || exit 1
JAVA=$JAVA_HOME/bin/java
SERVER_JAR=$REPO/examples/target/fdpass-example-server.jar
LOAD=$REPO/clients/python/bench/load.py
if [[ ! -f $SERVER_JAR ]]; then
    (cd "$REPO" && ./mvnw -B -ntp -q -DskipTests package -pl examples -am) || exit 1
fi
# shellcheck source=bench-lib.sh
. "$REPO/scripts/bench-lib.sh"
bench_setup bench-python.sh

# run_client c|p DEPTH NAMES SECS -> the client's result line (fdref-client's format) with cpu_us_per_fd=
run_client() {
    local names=() i out fds
    for ((i = 0; i < $3; i++)); do names+=("${NAMES[i % 3]}"); done
    if [[ $1 == c ]]; then
        out=$( { TIMEFORMAT='%U %S'; time timeout $((${4%.*} + 30)) "$BIN/fdref-client" --socket "$SOCK" \
            --depth "$2" --duration "$4" "${names[@]}" 2>>"$WORK/client.log"; } 2>"$WORK/times")
        fds=$(sed -n 's/.* fds=\([0-9]*\).*/\1/p' <<<"$out")
        echo "$out cpu_us_per_fd=$(awk -v f="${fds:-0}" '{ printf "%.2f", (f > 0 ? 1e6 * ($1 + $2) / f : 0) }' \
            "$WORK/times")"
    else
        timeout $((${4%.*} + ${CWARM%.*} + 30)) "$PYTHON" "$LOAD" --socket "$SOCK" --depth "$2" --duration "$4" \
            --warmup "$CWARM" "${names[@]}" 2>>"$WORK/client.log"
    fi
}

declare -A FDS P99 CPU
FAILED=0
for ((r = 1; r <= ROUNDS; r++)); do
    servers=$SERVERS
    ((r % 2 == 0)) && servers=$(tr ' ' '\n' <<<"$SERVERS" | tac | tr '\n' ' ')
    for s in $servers; do
        echo "== round $r: server $s" >&2
        start_server "$s" || { FAILED=1; continue; }
        last=${SCENARIOS##* }
        IFS=: read -r d n <<<"$last"
        [[ $WARMUP == 0 ]] || run_client c "$d" "$n" "$WARMUP" >/dev/null
        clients="c p"
        ((r % 2 == 0)) && clients="p c"
        for client in $clients; do
            for sc in $SCENARIOS; do
                IFS=: read -r d n <<<"$sc"
                out=$(run_client "$client" "$d" "$n" "$DUR")
                fds=$(sed -n 's/.* fds\/s=\([0-9.]*\).*/\1/p' <<<"$out")
                p99=$(sed -n 's/.* p99_us=\([0-9.]*\).*/\1/p' <<<"$out")
                cpu=$(sed -n 's/.* cpu_us_per_fd=\([0-9.]*\).*/\1/p' <<<"$out")
                [[ -n $fds ]] || { fds=0 p99=0 cpu=0 FAILED=1; }
                echo "   client $client, server $s, depth:names $sc  fds/s=$fds p99_us=$p99 cpu_us_per_fd=$cpu" >&2
                FDS[$client$s,$sc]+="$fds " P99[$client$s,$sc]+="$p99 " CPU[$client$s,$sc]+="$cpu "
            done
        done
        stop_server
    done
done

echo
echo "Python client (clients/python) and C client (fdref-client), one connection each, against the C reference"
echo "server (c) and our example server (j): descriptors/s, p99 latency (us) and the client's CPU time per descriptor"
echo "(us, user + system), median of $ROUNDS rounds"
echo "machine: $(nproc) cores, $(uname -sr); $("$PYTHON" -V 2>&1); ${DUR}s per scenario, server warmup ${WARMUP}s,"
echo "Python client warmup ${CWARM}s; commit $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
printf '%-7s %-12s %11s %9s %9s %11s %9s %9s %9s\n' server depth:names "C fds/s" "C p99" "C cpu/fd" "Py fds/s" \
    "Py p99" "Py cpu/fd" "Py/C"
for s in $SERVERS; do
    for sc in $SCENARIOS; do
        cf=$(median ${FDS[c$s,$sc]-}) pf=$(median ${FDS[p$s,$sc]-})
        printf '%-7s %-12s %11.0f %9.1f %9.2f %11.0f %9.1f %9.2f %9s\n' "$s" "$sc" "$cf" "$(median ${P99[c$s,$sc]-})" \
            "$(median ${CPU[c$s,$sc]-})" "$pf" "$(median ${P99[p$s,$sc]-})" "$(median ${CPU[p$s,$sc]-})" \
            "$(awk -v a="$pf" -v b="$cf" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
    done
done

if ((PROFILE)); then
    for s in $SERVERS; do
        start_server "$s" || { FAILED=1; continue; }
        for sc in $SCENARIOS; do
            IFS=: read -r d n <<<"$sc"
            names=()
            for ((i = 0; i < n; i++)); do names+=("${NAMES[i % 3]}"); done
            echo
            echo "== profile: Python client, server $s, depth:names $sc (cProfile, own time per function)"
            "$PYTHON" "$LOAD" --socket "$SOCK" --depth "$d" --duration "$DUR" --warmup "$CWARM" \
                --profile "$WORK/profile.out" "${names[@]}" 2>&1 | sed -n '/ncalls/,/^$/p' | head -18
        done
        stop_server
    done
fi
((FAILED)) && exit 1
exit 0
