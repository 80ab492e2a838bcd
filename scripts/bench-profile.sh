#!/usr/bin/env bash
# Where each server's CPU time goes, per descriptor: the reference server and ours, one after the other, each loaded by
# the C client (fdref-client) for one scenario, sampled with `perf record -g`; every sample is put down to the system
# call it was in (the kernel function under do_syscall_64) or, outside the kernel, to the server's own code, the JIT's
# code, the JVM, libc. Each share of the samples times the server's CPU time over its descriptors gives microseconds
# per descriptor. It also counts how often the client had to sleep for an answer (its voluntary context switches per
# descriptor): a client that waits is woken by the server's next write, and that wake-up is the writer's cost.
#
#   scripts/bench-profile.sh [--root-mount nodev|dev] [--scenario C:D:N] [--duration S] [--warmup S]
#                            [--transports "epoll io_uring"] [-- SERVER COMMAND...]
#
#   --scenario   conns:depth:names, as compare.sh's (default 1:32:1)
#   --duration   seconds sampled (default 3), after --warmup seconds of unmeasured load (default 15: the JIT)
#   --transports our server once per transport (its command given --transport NAME), a column each
# The server command defaults to the example server jar ({socket} and {root} are replaced), e.g.
#   scripts/bench-profile.sh --root-mount nodev -- java -jar examples/target/fdpass-example-server.jar --no-confine \
#       --socket {socket} --root {root}
# Needs perf and python3; --root-mount needs root. The bench folder is $FDPASS_BENCH_DIR, by default ../shared/bench
# next to this repository. Exit status: 1 if a run failed, 2 on usage errors.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${FDPASS_BENCH_DIR:-$REPO/../shared/bench}
SCENARIO=1:32:1 DUR=3 WARMUP=15 ROOT_MOUNT="" TRANSPORTS=""
while [[ $# -gt 0 && $1 != -- ]]; do
    case $1 in
        --transports) TRANSPORTS=$2; shift 2 ;;
        --scenario) SCENARIO=$2; shift 2 ;;
        --duration) DUR=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --root-mount) ROOT_MOUNT=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-profile.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ ${1-} == -- ]] && shift
IFS=: read -r CONNS DEPTH NNAMES <<<"$SCENARIO"
[[ $CONNS =~ ^[0-9]+$ && $DEPTH =~ ^[0-9]+$ && $NNAMES =~ ^[1-3]$ ]] || {
    echo "bench-profile.sh: --scenario C:D:N with N of 1 to 3, not '$SCENARIO'" >&2; exit 2; }
command -v perf >/dev/null && command -v python3 >/dev/null || { echo "bench-profile.sh: needs perf and python3" >&2; exit 2; }
[[ -x $BENCH/build.sh ]] || { echo "bench-profile.sh: no build.sh in $BENCH (set FDPASS_BENCH_DIR)" >&2; exit 2; }

# shellcheck source=../.mvn/jdk.sh
. "$REPO/.mvn/jdk.sh" || exit 1
if [[ $# -eq 0 ]]; then
    jar=$REPO/examples/target/fdpass-example-server.jar
    [[ -f $jar ]] || (cd "$REPO" && ./mvnw -B -ntp -q -DskipTests package) || exit 1
    set -- "$JAVA_HOME/bin/java" -jar "$jar" --socket '{socket}' --root '{root}'
fi
# shellcheck source=bench-lib.sh
. "$REPO/scripts/bench-lib.sh"
bench_setup bench-profile.sh
NAMES=("${NAMES[@]:0:NNAMES}")

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
voluntary() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/ { n += $2 } END { print n + 0 }'; }

profile() { # LABEL COMMAND...: prints "LABEL fds_per_s=... cpu_s=... window_s=... client_waits=..." and leaves $WORK/LABEL.script
    local label=$1 args=() a cl c0 c1 v0 v1 t0 t1 fds
    shift
    for a in "$@"; do a=${a//\{socket\}/$SOCK}; args+=("${a//\{root\}/$ROOT}"); done
    rm -f "$SOCK"
    setsid "${args[@]}" >"$WORK/$label.log" 2>&1 </dev/null &
    SPID=$!
    wait_for_socket || { echo "bench-profile.sh: no socket from the $label server" >&2; cat "$WORK/$label.log" >&2; exit 1; }
    "$BIN/fdref-client" --socket "$SOCK" --conns "$CONNS" --depth "$DEPTH" --duration "$WARMUP" "${NAMES[@]}" \
        >/dev/null || { echo "bench-profile.sh: the warmup against the $label server failed" >&2; exit 1; }
    # The client runs past the sampled window on both sides, so that its threads are there to be counted.
    "$BIN/fdref-client" --socket "$SOCK" --conns "$CONNS" --depth "$DEPTH" --duration $((DUR + 10)) "${NAMES[@]}" \
        >"$WORK/$label.client" &
    cl=$!
    sleep 1
    c0=$(cpu_ticks "$SPID") v0=$(voluntary "$cl") t0=$(date +%s%N)
    perf record -q -g -F 1999 -o "$WORK/$label.data" -p "$SPID" -- sleep "$DUR" >/dev/null 2>&1
    c1=$(cpu_ticks "$SPID") v1=$(voluntary "$cl") t1=$(date +%s%N)
    kill -0 "$cl" 2>/dev/null || v1=$((v0 - 1)) # it ended inside the window (perf took long to attach): not counted
    wait "$cl" || { echo "bench-profile.sh: the client against the $label server failed" >&2; exit 1; }
    stop_server
    perf script -i "$WORK/$label.data" 2>/dev/null >"$WORK/$label.script"
    fds=$(sed -n 's/.* fds\/s=\([0-9]*\).*/\1/p' "$WORK/$label.client")
    echo "$label fds_per_s=$fds cpu_s=$(awk -v c=$((c1 - c0)) 'BEGIN { print c / 100 }')" \
        "window_s=$(awk -v n=$((t1 - t0)) 'BEGIN { print n / 1e9 }') client_waits=$((v1 - v0))"
}

LABELS=(ref)
{
    profile ref "$BIN/fdref-server" --quiet '{socket}' '{root}'
    if [[ -z $TRANSPORTS ]]; then
        LABELS+=(fdpass)
        profile fdpass "$@"
    else
        for transport in $TRANSPORTS; do
            LABELS+=("$transport")
            profile "$transport" "$@" --transport "$transport"
        done
    fi
} >"$WORK/runs" || exit 1
way=$(grep -ho 'fdpass file source .*' "$WORK/${LABELS[1]}.log" | head -1)
echo "scenario $SCENARIO (conns:depth:names), fdref-client; root: ${ROOT_MOUNT:+a tmpfs mounted $ROOT_MOUNT, }$ROOT"
echo "our server's log: ${way:-no line on its way}"
python3 - "$WORK" "${LABELS[@]}" <<'EOF'
import collections, re, sys
work, labels = sys.argv[1], sys.argv[2:]
runs = {}
for line in open(work + "/runs"):
    label, *fields = line.split()
    runs[label] = {k: float(v) for k, v in (f.split("=") for f in fields)}

# The reference and the JVM make the same calls through different entry points.
SAME = {"sendto": "sendto / writev (REPLY)", "writev": "sendto / writev (REPLY)",
        "sendmsg": "sendmsg (descriptor)", "recvfrom": "recvfrom (REQUESTs)",
        "newfstatat": "fstat / statx", "statx": "fstat / statx", "read": "read (REQUESTs)",
        "epoll_wait": "epoll_wait / epoll_pwait2", "epoll_pwait2": "epoll_wait / epoll_pwait2"}

def where(stack):
    """The system call a sample was in, or the kind of code outside the kernel."""
    names = [f.split()[1].split("+")[0] if len(f.split()) > 1 else f for f in stack]
    for i, n in enumerate(names):
        if n in ("do_syscall_64", "x64_sys_call"):
            j = i - 1
            while j >= 0 and names[j] == "x64_sys_call":
                j -= 1
            if j < 0:
                return "system call entry and exit"
            call = re.sub(r"^(__x64_sys_|__do_sys_|__sys_|do_|ksys_|__se_sys_)", "", names[j])
            return SAME.get(call, call)
    leaf = stack[0]
    if "kallsyms" in leaf:
        return "kernel, no system call (interrupts, exit to user)"
    if "libjvm" in leaf:
        return "the JVM (GC, JIT compiler, runtime)"
    if "libc" in leaf:
        return "libc"
    if "[vdso]" in leaf:
        return "vdso (clock_gettime)"
    return "the server's own code (for ours: the JIT's)"

per = {}
for label in runs:
    # perf script: one sample a block, its header line then its stack, leaf first, each frame indented.
    counts = collections.Counter()
    for block in open(f"{work}/{label}.script").read().split("\n\n"):
        stack = [line.strip() for line in block.splitlines() if line[:1] in ("\t", " ")]
        if stack:
            counts[where(stack)] += 1
    total = sum(counts.values())
    r = runs[label]
    descriptors = r["fds_per_s"] * r["window_s"]
    us = 1e6 * r["cpu_s"] / descriptors if descriptors else 0
    per[label] = ({k: us * n / total for k, n in counts.items()} if total else {}, us, r)

rows = sorted({k for p in per.values() for k in p[0]}, key=lambda k: -max(p[0].get(k, 0) for p in per.values()))
names = ["reference" if l == "ref" else l for l in labels]
print(f"\n{'µs of server CPU per descriptor':52s}" + "".join(f" {n:>10s}" for n in names))
for k in rows:
    values = [per[l][0].get(k, 0) for l in labels]
    if max(values) >= 0.005:
        print(f"{k:52s}" + "".join(f" {v:10.3f}" for v in values))
print(f"{'total':52s}" + "".join(f" {per[l][1]:10.3f}" for l in labels))
for label in labels:
    us, r = per[label][1], per[label][2]
    if r["client_waits"] < 0 or not r["fds_per_s"]:
        slept = "client's sleeps not counted: it ended before the window did"
    else:
        slept = f"client slept {r['client_waits'] / (r['fds_per_s'] * r['window_s']):.3f} times per descriptor"
    print(f"{label}: {r['fds_per_s']:.0f} descriptors/s, server {r['cpu_s'] / r['window_s']:.2f} cores, {slept}")
EOF
