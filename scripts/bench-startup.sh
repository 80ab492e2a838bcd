#!/usr/bin/env bash
# Start-up, as a user meets it: the example server from exec until its socket exists and until a client has the first
# descriptor it asked for, the example client's whole run for the seed's three names, and `--help` of each; beside
# them, in the same run, a bare JVM (`java -version`) and the C reference server and client of the shared bench
# folder. Each is timed --runs times, in rounds (one of each per round, so that a load that comes and goes meets all
# of them), and printed as min / median / max milliseconds and as multiples of the bare JVM's start, which move less
# between machines than milliseconds do: median over median (what the targets judge), and min over min (what a load
# on the machine disturbs least).
#
#   scripts/bench-startup.sh [--runs N] [--no-aot]
#
#   --runs N    runs of each (default 7)
#   --no-aot    leave out the rows with the AOT caches, and run the launchers without theirs
#
# The jars are examples/target's (built first if missing: ./mvnw -B -ntp -q -DskipTests package -pl examples -am).
# Where the build made the AOT caches beside them (fdpass-example-server.aot, fdpass-example-client.aot) and they fit
# this JVM and these jars, the jar rows are timed with and without them, and the server jar's --version with its
# cache is the floor under those rows (the same JVM and cache, doing nothing). The clients ask the C reference server,
# so that a client's row is the client's own time; "first descriptor" is the C client's (fdref-client --verify), started
# as soon as the socket exists. The targets (issue 24): the server's socket within 3 times the bare JVM's start, its
# first descriptor within 4, the client's whole run within 3; the lines at the end judge the best way the project
# ships (the jar with its AOT cache where there is one). Exit status: 0, or 1 if a run failed, 2 on usage errors, 3 if a
# target is missed. Needs bash 5 (EPOCHREALTIME), a JDK 25 (found as ./mvnw does), gcc for the reference; the bench
# folder is $FDPASS_BENCH_DIR, by default ../shared/bench next to this repository.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P) # physical, as the AOT caches name their jars
BENCH=${FDPASS_BENCH_DIR:-$REPO/../shared/bench}
RUNS=7 AOT=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --runs) RUNS=${2-}; shift 2 || true ;;
        --no-aot) AOT=0; shift ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-startup.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench-startup.sh: --runs N, N >= 1" >&2; exit 2; }
[[ -n ${EPOCHREALTIME-} ]] || { echo "bench-startup.sh: needs bash 5 (EPOCHREALTIME)" >&2; exit 2; }
[[ -x $BENCH/build.sh ]] || { echo "bench-startup.sh: no build.sh in $BENCH (set FDPASS_BENCH_DIR)" >&2; exit 2; }

# shellcheck source=../.mvn/jdk.sh
. "$REPO/.mvn/jdk.sh" || exit 1
JAVA=$JAVA_HOME/bin/java
TARGET=$REPO/examples/target
SERVER_JAR=$TARGET/fdpass-example-server.jar CLIENT_JAR=$TARGET/fdpass-example-client.jar
if [[ ! -f $SERVER_JAR || ! -f $CLIENT_JAR ]]; then
    (cd "$REPO" && ./mvnw -B -ntp -q -DskipTests package -pl examples -am) || exit 1
fi
# shellcheck source=bench-lib.sh
ROOT_MOUNT=""
. "$REPO/scripts/bench-lib.sh"
bench_setup bench-startup.sh
CURRENT=""   # the server running now, stopped on exit
trap 'stop "$CURRENT"; rm -rf "$WORK"' EXIT

# The caches, where the build made them, used as the launchers use them (bin/lib/aot.sh); with --no-aot the
# launchers run without theirs.
SERVER_AOT=() CLIENT_AOT=() LAUNCHER_OPTS=-XX:AOTMode=off
if [[ $AOT == 1 ]]; then
    # shellcheck source=../bin/lib/aot.sh
    . "$REPO/bin/lib/aot.sh"
    fdpass_aot "$SERVER_JAR" && SERVER_AOT=(-XX:AOTCache="$fdpass_aot_cache" "$FDPASS_AOT_QUIET")
    fdpass_aot "$CLIENT_JAR" && CLIENT_AOT=(-XX:AOTCache="$fdpass_aot_cache" "$FDPASS_AOT_QUIET")
    LAUNCHER_OPTS=""
fi

# A sleep without a process: read from a descriptor that never has anything to read.
exec {never}<> <(:)
pause() { read -r -t "$1" -u "$never" _ || true; }

declare -A SAMPLES
ORDER=()
record() { # KEY MICROSECONDS
    [[ -v SAMPLES[$1] ]] || ORDER+=("$1")
    SAMPLES[$1]+="$2 "
}
fail() { echo "bench-startup.sh: $*" >&2; exit 1; }

# Microseconds from T0 until the socket exists; "" if the process PID ended first or 30 s passed.
until_socket() { # T0 PID
    local t
    until [[ -S $SOCK ]]; do
        kill -0 "$2" 2>/dev/null || return 1
        t=${EPOCHREALTIME/./}
        ((t - $1 < 30000000)) || return 1
        pause 0.001
    done
    t=${EPOCHREALTIME/./}
    echo $((t - $1))
}

stop() { # PID
    [[ -n $1 ]] || return 0
    kill -TERM "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    rm -f "$SOCK"
    CURRENT=""
}

# A whole command, its output to $WORK/last.out; fails the run if it fails.
whole() { # KEY COMMAND...
    local key=$1 t0 t1
    shift
    t0=${EPOCHREALTIME/./}
    "$@" >"$WORK/last.out" 2>"$WORK/last.err" </dev/null || { cat "$WORK/last.err" >&2; fail "$key failed: $*"; }
    t1=${EPOCHREALTIME/./}
    record "$key" $((t1 - t0))
}

# A server: exec to socket, and exec to the first descriptor the C client receives.
server() { # KEY COMMAND...
    local key=$1 t0 pid s t1
    shift
    rm -f "$SOCK"
    t0=${EPOCHREALTIME/./}
    "$@" >"$WORK/server.log" 2>&1 </dev/null &
    pid=$! CURRENT=$!
    s=$(until_socket "$t0" "$pid") || { cat "$WORK/server.log" >&2; stop "$pid"; fail "no socket from $key: $*"; }
    # A socket file exists from bind(2) on, and refuses connections until listen(2): a client at that moment asks
    # again (the C server binds in place; ours renames its socket into place once it listens).
    until "$BIN/fdref-client" --socket "$SOCK" --verify "${NAMES[@]}" >"$WORK/last.out" 2>&1; do
        t1=${EPOCHREALTIME/./}
        if ! grep -q 'Connection refused' "$WORK/last.out" || ((t1 - t0 > 30000000)); then
            cat "$WORK/last.out" "$WORK/server.log" >&2; stop "$pid"; fail "$key served no descriptor"
        fi
    done
    t1=${EPOCHREALTIME/./}
    stop "$pid"
    record "$key: exec to socket" "$s"
    record "$key: exec to first descriptor" $((t1 - t0))
}

with_ref_server() { # COMMAND...: runs it while the reference server serves SOCK
    local pid rc
    rm -f "$SOCK"
    "$BIN/fdref-server" --quiet "$SOCK" "$ROOT" 2>/dev/null &
    pid=$! CURRENT=$!
    until_socket "${EPOCHREALTIME/./}" "$pid" >/dev/null || fail "the reference server did not start"
    "$@"
    rc=$?
    stop "$pid"
    return "$rc"
}

clients() {
    whole "C reference client, 3 names (fdref-client --verify)" "$BIN/fdref-client" --socket "$SOCK" --verify "${NAMES[@]}"
    whole "example client jar, 3 names" "$JAVA" -jar "$CLIENT_JAR" --socket "$SOCK" "${NAMES[@]}"
    if [[ ${#CLIENT_AOT[@]} -gt 0 ]]; then
        whole "example client jar + AOT cache, 3 names" "$JAVA" "${CLIENT_AOT[@]}" -jar "$CLIENT_JAR" --socket "$SOCK" "${NAMES[@]}"
    fi
    whole "bin/fdpass-client, 3 names" env FDPASS_BUILD=never FDPASS_JAVA_OPTS="$LAUNCHER_OPTS" \
        "$REPO/bin/fdpass-client" --socket "$SOCK" "${NAMES[@]}"
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench-startup.sh: $RUNS runs of each; load average before: $load" >&2
for ((run = 1; run <= RUNS; run++)); do
    echo "bench-startup.sh: round $run of $RUNS" >&2
    whole "bare JVM: java -version" "$JAVA" -version
    server "C reference server" "$BIN/fdref-server" --quiet "$SOCK" "$ROOT"
    server "example server jar" "$JAVA" -jar "$SERVER_JAR" --socket "$SOCK" --root "$ROOT"
    if [[ ${#SERVER_AOT[@]} -gt 0 ]]; then
        server "example server jar + AOT cache" "$JAVA" "${SERVER_AOT[@]}" -jar "$SERVER_JAR" --socket "$SOCK" --root "$ROOT"
    fi
    server "bin/fdpass-server" env FDPASS_BUILD=never FDPASS_JAVA_OPTS="$LAUNCHER_OPTS" \
        "$REPO/bin/fdpass-server" --socket "$SOCK" --root "$ROOT"
    with_ref_server clients || exit 1
    whole "fdpass-example-server.jar --help" "$JAVA" -jar "$SERVER_JAR" --help
    whole "fdpass-example-client.jar --help" "$JAVA" -jar "$CLIENT_JAR" --help
    if [[ ${#SERVER_AOT[@]} -gt 0 ]]; then
        # The floor under the jar's rows with the cache: the same JVM and cache, printing a version.
        whole "fdpass-example-server.jar + AOT cache --version" "$JAVA" "${SERVER_AOT[@]}" -jar "$SERVER_JAR" --version
    fi
done

# min, median, max in ms (one decimal), then the median and the min in microseconds, of the samples of KEY.
stats() {
    tr ' ' '\n' <<<"${SAMPLES[$1]}" | sed '/^$/d' | sort -n | awk '
        { v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%.1f %.1f %.1f %d %d\n", v[1] / 1000, m / 1000, v[NR] / 1000, m, v[1] }'
}
read -r _ _ _ jvm jvm_min < <(stats "bare JVM: java -version")
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null | head -1)
echo "commit $commit${dirty:+ (with uncommitted changes)}, $(date -u +%Y-%m-%d), $("$JAVA" -version 2>&1 | sed -n 2p)," \
    "$(nproc) cores, load average before $load, after $(cut -d' ' -f1-3 /proc/loadavg)"
# The multiples: median over the JVM's median (the targets'), and min over min, the least disturbed by a load.
printf '%-62s %8s %8s %8s %7s %7s\n' "what ($RUNS runs)" "min ms" "median" "max" "× JVM" "(min)"
for key in "${ORDER[@]}"; do
    read -r lo mid hi us us_min < <(stats "$key")
    printf '%-62s %8s %8s %8s %7s %7s\n' "$key" "$lo" "$mid" "$hi" \
        "$(awk -v a="$us" -v b="$jvm" 'BEGIN { printf "%.1f", a / b }')" \
        "$(awk -v a="$us_min" -v b="$jvm_min" 'BEGIN { printf "%.1f", a / b }')"
done

# The targets, on the best way shipped: with the AOT caches where they are.
best() { [[ -v SAMPLES[$2] ]] && echo "$2" || echo "$1"; }
missed=0
echo
for target in "example server jar:exec to socket:3" "example server jar:exec to first descriptor:4"; do
    IFS=: read -r what event limit <<<"$target"
    key=$(best "$what: $event" "$what + AOT cache: $event")
    read -r _ _ _ us _ < <(stats "$key")
    ratio=$(awk -v a="$us" -v b="$jvm" 'BEGIN { printf "%.1f", a / b }')
    verdict=$(awk -v r="$ratio" -v l="$limit" 'BEGIN { print (r <= l ? "met" : "missed") }')
    [[ $verdict == met ]] || missed=1
    echo "target: $key <= $limit × JVM: $ratio, $verdict"
done
key=$(best "example client jar, 3 names" "example client jar + AOT cache, 3 names")
read -r _ _ _ us _ < <(stats "$key")
ratio=$(awk -v a="$us" -v b="$jvm" 'BEGIN { printf "%.1f", a / b }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 3 ? "met" : "missed") }')
[[ $verdict == met ]] || missed=1
echo "target: $key <= 3 × JVM: $ratio, $verdict"
((missed == 0)) || exit 3
