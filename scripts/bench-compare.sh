#!/usr/bin/env bash
# Our server against the C reference server, side by side, with the C load client (fdref-client): runs the shared
# compare.sh and adds to its table what it leaves in its client.log, the latencies (median p50 and p99 of the rounds
# per scenario), and the targets: descriptors/s at least 0.9 of the reference's, p99 at most 1.5 times.
#
#   scripts/bench-compare.sh [--root-mount nodev|dev] [--transports "epoll io_uring"] [COMPARE.SH OPTION...]
#                            [-- SERVER COMMAND...]
#
# e.g.  scripts/bench-compare.sh --rounds 3 --warmup 10
#       scripts/bench-compare.sh --rounds 3 --root-mount nodev
#       scripts/bench-compare.sh --rounds 3 --root-mount nodev --transports "epoll io_uring"
#       scripts/bench-compare.sh --rounds 3 --warmup 10 --scenarios "1:1:3 8:32:3"
#       scripts/bench-compare.sh -- java -Xmx64m -jar examples/target/fdpass-example-server.jar --socket {socket} --root {root}
#
# --transports LIST runs compare.sh once per transport, with the server command given --transport NAME, each run
# against the reference it measures itself, and ends with the runs side by side: descriptors/s and p99, each as a
# ratio to its own run's reference.
#
# --root-mount nodev|dev (as root) puts compare.sh's root, which it makes under $TMPDIR, on a tmpfs of its own,
# mounted nodev (our server opens at once, then checks) or not (it resolves the type first); the table then says
# which way the server took, from its log. The other options go to compare.sh as they are (--duration, --warmup,
# --rounds, --scenarios, ...; see its header); it always runs with --keep, and this script removes its work
# directory after reading it (FDPASS_BENCH_KEEP=1 keeps it; FDPASS_BENCH_TARGET=R sets the descriptors/s target,
# for scripts/bench-ref-opath.sh --versus-fdpass). The server command defaults to the example server
# jar on JDK 25, built first if missing. compare.sh is looked for in $FDPASS_BENCH_DIR, by default ../shared/bench
# next to this repository. Exit status: compare.sh's, 2 on usage errors, or 3 if a target is missed.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${FDPASS_BENCH_DIR:-$REPO/../shared/bench}
if [[ ${1-} == -h || ${1-} == --help ]]; then
    sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
fi
[[ -x $BENCH/compare.sh ]] || { echo "bench-compare.sh: no compare.sh in $BENCH (set FDPASS_BENCH_DIR)" >&2; exit 2; }

opts=()
ROOT_MOUNT=""
TRANSPORTS=""
while [[ $# -gt 0 && $1 != -- ]]; do
    if [[ $1 == --root-mount ]]; then
        ROOT_MOUNT=${2-}
        shift 2 || { echo "bench-compare.sh: --root-mount needs nodev or dev" >&2; exit 2; }
        continue
    fi
    if [[ $1 == --transports ]]; then
        TRANSPORTS=${2-}
        shift 2 || { echo "bench-compare.sh: --transports needs a list, e.g. \"epoll io_uring\"" >&2; exit 2; }
        continue
    fi
    opts+=("$1")
    shift
done
[[ ${1-} == -- ]] && shift
SCENARIOS="1:1:3 1:32:1 1:32:3 8:32:3" WARMUP=2
for ((i = 0; i < ${#opts[@]}; i++)); do
    case ${opts[i]} in
        --scenarios) SCENARIOS=${opts[i + 1]-} ;;
        --warmup) WARMUP=${opts[i + 1]-} ;;
    esac
done

# shellcheck source=../.mvn/jdk.sh
. "$REPO/.mvn/jdk.sh" || exit 1
if [[ $# -eq 0 ]]; then
    jar=$REPO/examples/target/fdpass-example-server.jar
    if [[ ! -f $jar ]]; then
        (cd "$REPO" && ./mvnw -B -ntp -q -DskipTests package) || exit 1
    fi
    set -- "$JAVA_HOME/bin/java" -jar "$jar" --socket '{socket}' --root '{root}'
fi

# shellcheck source=root-mount.sh
. "$REPO/scripts/root-mount.sh"
trap 'rm -rf "${tmp-}"; [[ ${FDPASS_BENCH_KEEP-} == 1 && -n $ROOT_MOUNT_DIR ]] || root_unmount' EXIT
if [[ -n $ROOT_MOUNT ]]; then
    root_mount bench-compare.sh "$ROOT_MOUNT" || exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-compare.XXXXXX")

# compare_run LABEL COMMAND...: compare.sh with COMMAND as the server under test, its table, then the latencies and
# the targets (one SUMMARY line per scenario into $tmp/summary, labelled LABEL). Sets rc (compare.sh's status) and
# arc (3 if a target was missed).
compare_run() {
    local label=$1 work way
    shift
    # compare.sh's stdout (its table) to a file, its stderr (progress) to the terminal and a file.
    { "$BENCH/compare.sh" --keep "${opts[@]}" -- "$@" 2>&1 1>&3 | tee "$tmp/err" >&2; } 3>"$tmp/out"
    rc=${PIPESTATUS[0]}
    cat "$tmp/out"
    work=$(sed -n 's/^compare.sh: work directory kept: //p' "$tmp/err" | tail -1)
    if [[ -z $work || ! -f $work/client.log ]]; then
        echo "bench-compare.sh: no client.log from compare.sh: latencies not shown" >&2
        arc=0
        return
    fi

    # client.log holds one "conns=..." line per client run, in run order: per server start, the warmup run (unless
    # --warmup 0) and then one per scenario. The "== ref:" / "== test:" lines on stderr give the order of the starts.
    way=$(grep -ho 'fdpass file source .*' "$work/test.log" 2>/dev/null | head -1)
    echo "root: ${ROOT_MOUNT:+a tmpfs mounted $ROOT_MOUNT, }${TMPDIR:-/tmp}/...; the server's log: ${way:-no line on its way}"
    grep -E '^== (ref|test):' "$tmp/err" | sed 's/^== \([a-z]*\):.*/\1/' >"$tmp/labels"
    grep '^conns=' "$work/client.log" >"$tmp/runs"
    awk -v target="${FDPASS_BENCH_TARGET:-0.9}" -v scenarios="$SCENARIOS" -v label="$label" \
        -v summary="$tmp/summary" -v warm="$([[ $WARMUP == 0 ]] && echo 0 || echo 1)" '
        function field(line, key,   m) { return match(line, " " key "=[0-9.]+") ? substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 2) + 0 : -1 }
        function median(list,   a, n, i, j, t) {
            n = split(list, a, " ")
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            if (n == 0) return 0
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        FNR == NR { labels[++nl] = $0; next }
        { runs[++nr] = $0 }
        END {
            ns = split(scenarios, sc, " ")
            if (nr != nl * (ns + warm)) {
                printf "bench-compare.sh: %d client runs in client.log for %d server starts: cannot attribute them; latencies not shown\n", nr, nl > "/dev/stderr"
                exit 1
            }
            r = 0
            for (l = 1; l <= nl; l++) {
                r += warm
                for (s = 1; s <= ns; s++) {
                    line = runs[++r]
                    key = labels[l] SUBSEP sc[s]
                    fds[key] = fds[key] " " field(line, "fds/s")
                    p50[key] = p50[key] " " field(line, "p50_us")
                    p99[key] = p99[key] " " field(line, "p99_us")
                }
            }
            print ""
            print "latency (REQUEST written -> last descriptor received, fdref-client), median of the rounds; targets: fds ratio >= " target ", p99 ratio <= 1.5"
            printf "%-12s %11s %11s %7s %9s %9s %9s %9s %7s  %s\n", "scenario", "ref fds/s", "test fds/s", "ratio", "ref p50", "test p50", "ref p99", "test p99", "p99 x", "target"
            missed = 0
            for (s = 1; s <= ns; s++) {
                rk = "ref" SUBSEP sc[s]; tk = "test" SUBSEP sc[s]
                rf = median(fds[rk]); tf = median(fds[tk])
                ratio = rf > 0 ? tf / rf : 0
                rp99 = median(p99[rk]); tp99 = median(p99[tk])
                p99x = rp99 > 0 ? tp99 / rp99 : 0
                ok = ratio >= target + 0 && p99x <= 1.5 && tp99 > 0
                if (!ok) missed = 1
                printf "%-12s %11.0f %11.0f %7.3f %9.1f %9.1f %9.1f %9.1f %7.2f  %s\n", sc[s], rf, tf, ratio, median(p50[rk]), median(p50[tk]), rp99, tp99, p99x, ok ? "met" : "MISSED"
                printf "%s %s %.0f %.0f %.3f %.1f %.1f %.2f\n", label, sc[s], rf, tf, ratio, rp99, tp99, p99x >> summary
            }
            exit missed ? 3 : 0
        }' "$tmp/labels" "$tmp/runs"
    arc=$?
    if [[ ${FDPASS_BENCH_KEEP-} == 1 ]]; then
        echo "bench-compare.sh: compare.sh's work directory kept: $work${ROOT_MOUNT_DIR:+ (its tmpfs left mounted)}" >&2
    else
        rm -rf "$work"
    fi
}

if [[ -z $TRANSPORTS ]]; then
    compare_run test "$@"
    if [[ $rc -ne 0 ]]; then exit "$rc"; fi
    exit "$arc"
fi

worst_rc=0 worst_arc=0
for transport in $TRANSPORTS; do
    echo
    echo "== transport $transport: $* --transport $transport"
    compare_run "$transport" "$@" --transport "$transport"
    ((rc > worst_rc)) && worst_rc=$rc
    ((arc > worst_arc)) && worst_arc=$arc
done
echo
echo "the transports side by side: each server's descriptors/s and p99 as ratios to the reference measured in its own run"
awk -v transports="$TRANSPORTS" -v scenarios="$SCENARIOS" '
    { ref[$1, $2] = $3; fds[$1, $2] = $4; ratio[$1, $2] = $5; p99[$1, $2] = $7; p99x[$1, $2] = $8 }
    END {
        nt = split(transports, t, " "); ns = split(scenarios, sc, " ")
        printf "%-12s", "scenario"
        for (i = 1; i <= nt; i++) printf " %13s %7s %9s %6s", t[i] " fds/s", "ratio", "p99 us", "p99 x"
        printf "\n"
        for (s = 1; s <= ns; s++) {
            printf "%-12s", sc[s]
            for (i = 1; i <= nt; i++) printf " %13.0f %7.3f %9.1f %6.2f", fds[t[i], sc[s]], ratio[t[i], sc[s]], p99[t[i], sc[s]], p99x[t[i], sc[s]]
            printf "\n"
        }
    }' "$tmp/summary"
if [[ $worst_rc -ne 0 ]]; then exit "$worst_rc"; fi
exit "$worst_arc"
