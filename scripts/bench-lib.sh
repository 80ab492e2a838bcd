# Sourced by bench-clients.sh, bench-python.sh and bench-profile.sh: a work directory with the reference built and
# compare.sh's root and files in it, and the start and stop of a server that runs in a process group of its own.
#
#   bench_setup NAME   with REPO, BENCH and ROOT_MOUNT set: mounts the root's kind if ROOT_MOUNT asks for one
#                      (root-mount.sh), makes WORK, BIN (fdref-server and fdref-client built there), ROOT with
#                      compare.sh's three files, SOCK and NAMES, and sets the EXIT trap that stops the server
#                      and removes all of it; NAME is for messages
#   wait_for_socket    waits up to 60 s for a server to make SOCK; status 1 if it did not
#   stop_server        stops the server whose process group SPID leads: SIGTERM, SIGKILL after 20 s
#   start_server c|j   the reference server (c) or ours (j, $JAVA -jar $SERVER_JAR) on SOCK and ROOT, in a process
#                      group of its own, its output appended to WORK/server.log; waits for its socket (status 1 if
#                      none came, the server stopped)
#   median N...        the median of the numbers (0 for none)
# shellcheck source=root-mount.sh
. "$REPO/scripts/root-mount.sh"
SPID=""
BENCH_NAME=""

bench_setup() {
    local name=$1
    BENCH_NAME=$name
    trap 'root_unmount' EXIT
    if [[ -n $ROOT_MOUNT ]]; then
        root_mount "$name" "$ROOT_MOUNT" || exit 2
    fi
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/${name%.sh}.XXXXXX")
    BIN=$("$BENCH/build.sh" "$WORK/bin") || { echo "$name: building the reference failed" >&2; exit 1; }
    ROOT=$WORK/root SOCK=$WORK/s.sock
    mkdir "$ROOT"
    printf 'Course1\nCourse2\n' >"$ROOT/courses.txt"
    printf 'Campus1\nCampus2' >"$ROOT/campusinfo.txt"
    printf 'Contacts\n' >"$ROOT/contacts.txt"
    NAMES=(courses.txt campusinfo.txt contacts.txt)
    trap 'stop_server; rm -rf "$WORK"; root_unmount' EXIT
    trap 'exit 130' INT TERM
}

wait_for_socket() {
    for ((t = 0; t < 600; t++)); do [[ -S $SOCK ]] && return 0; sleep 0.1; done
    return 1
}

stop_server() {
    [[ -n $SPID ]] || return 0
    kill -TERM -- "-$SPID" 2>/dev/null
    for ((t = 0; t < 200; t++)); do kill -0 -- "-$SPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
    SPID=""
    rm -f "$SOCK"
}

start_server() {
    rm -f "$SOCK"
    if [[ $1 == c ]]; then
        setsid "$BIN/fdref-server" --quiet "$SOCK" "$ROOT" >>"$WORK/server.log" 2>&1 </dev/null &
    else
        setsid "$JAVA" -jar "$SERVER_JAR" --socket "$SOCK" --root "$ROOT" >>"$WORK/server.log" 2>&1 </dev/null &
    fi
    SPID=$!
    wait_for_socket && return 0
    echo "$BENCH_NAME: no socket from the $1 server" >&2
    stop_server
    return 1
}

median() { tr ' ' '\n' <<<"$*" | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {
    if (NR == 0) print 0; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2 }'; }
