# Sourced by scripts/attack-*.sh: the example server jar (built if missing; FDPASS_SERVER_JAR=PATH for another, and
# FDPASS_TRANSPORT=NAME for its --transport), a temporary directory every user can reach with a root of sample files
# and the socket, the server started and stopped (by its pid), attack.py (the clients, written from the protocol) run
# as any user, and the cleanup.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../.mvn/jdk.sh
. "$REPO/.mvn/jdk.sh" || exit 1
JAVA=$JAVA_HOME/bin/java
SERVER_JAR=${FDPASS_SERVER_JAR:-$REPO/examples/target/fdpass-example-server.jar}
if [[ ! -f $SERVER_JAR ]]; then
    (cd "$REPO" && ./mvnw -B -ntp -q -DskipTests package -pl examples -am) || exit 1
fi
NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fdpass-$NAME.XXXXXX")
chmod 755 "$WORK"
ROOT=$WORK/root SOCK=$WORK/s.sock LOG=$WORK/server.log
mkdir "$ROOT"
printf 'Course1\nCourse2\n' >"$ROOT/courses.txt"
printf 'Campus1\nCampus2' >"$ROOT/campusinfo.txt"
printf 'Contacts\n' >"$ROOT/contacts.txt"
NAMES64=
for i in $(seq -w 0 63); do
    echo "the content of f$i.txt" >"$ROOT/f$i.txt"
    NAMES64+=${NAMES64:+,}f$i.txt
done
chmod -R a+rX "$ROOT"
cp "$REPO/scripts/attack.py" "$WORK/attack.py" && chmod 644 "$WORK/attack.py"
# Other users run it too: a python3 they can reach (not one under /root, as pyenv's shims are).
PYTHON=${PYTHON:-/usr/bin/python3}
[[ -x $PYTHON ]] || PYTHON=$(command -v python3)
SERVER_PID=
BACKGROUND=()

say() { printf '%s: %s\n' "$NAME" "$*"; }

# attack UID SUBCOMMAND ARGS...: attack.py as that user (0: as root, without setpriv).
attack_command() {
    local uid=$1; shift
    CMD=("$PYTHON" "$WORK/attack.py" "$@" --socket "$SOCK")
    [[ $uid == 0 ]] || CMD=(setpriv --reuid="$uid" --regid="$uid" --clear-groups "${CMD[@]}")
}
attack() {
    attack_command "$@"
    "${CMD[@]}"
}

# attack_in_background FILE UID SUBCOMMAND ARGS...: the same with its output in FILE, its pid (setpriv execs
# python) in BACKGROUND, killed at the end if still running.
attack_in_background() {
    local out=$1; shift
    attack_command "$@"
    "${CMD[@]}" >"$out" 2>&1 &
    BACKGROUND+=($!)
}

# start_server [WRAPPER... --] [SERVER ARGS...]: the example server, its log in $LOG, socket mode 0666.
start_server() {
    local wrapper=()
    if [[ " $* " == *" -- "* ]]; then
        while [[ $1 != -- ]]; do wrapper+=("$1"); shift; done
        shift
    fi
    rm -f "$SOCK"
    "${wrapper[@]}" "$JAVA" -jar "$SERVER_JAR" ${FDPASS_TRANSPORT:+--transport "$FDPASS_TRANSPORT"} --socket "$SOCK" \
        --root "$ROOT" --mode 0666 "$@" >"$LOG" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 300); do
        [[ -S $SOCK ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    say "the server did not start:"; cat "$LOG"; exit 1
}

stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null
    fi
    SERVER_PID=
}

# await_line FILE PATTERN [SECONDS]: until FILE has a line matching PATTERN.
await_line() {
    for _ in $(seq $((${3:-30} * 10))); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    say "no '$2' in $1 within ${3:-30} s:"; cat "$1"; return 1
}

cleanup() {
    for pid in "${BACKGROUND[@]}"; do
        kill "$pid" 2>/dev/null
    done
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT

[[ $(id -u) == 0 ]] || { say "needs root: the attacks run as several users (setpriv)"; exit 2; }
