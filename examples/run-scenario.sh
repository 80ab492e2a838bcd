#!/usr/bin/env bash
# fdpass's scenario in two processes: a server hands a client open descriptors of courses.txt, campusinfo.txt and
# contacts.txt, and the client prints the first bytes it reads through each.
#
#   examples/run-scenario.sh           builds the example jars if they are missing or older than the sources
#   FDPASS_BUILD=always|never examples/run-scenario.sh
#   FDPASS_TRANSPORT=io_uring examples/run-scenario.sh    the server on that transport (epoll, io_uring, kqueue)
#
# Needs JDK 25 (found by .mvn/jdk.sh, as ./mvnw does). Exits non-zero if anything fails; always stops the server
# and removes its temporary directory.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../.mvn/jdk.sh
. "$repo/.mvn/jdk.sh" || exit 1
java="$JAVA_HOME/bin/java"
target="$repo/examples/target"
server_jar="$target/fdpass-example-server.jar"
client_jar="$target/fdpass-example-client.jar"

say() { printf '%s\n' "run-scenario: $*" >&2; }

# --- build what is missing or stale ------------------------------------------------------------------------------
stale() {
  [ -f "$server_jar" ] && [ -f "$client_jar" ] || return 0
  # Any source or pom newer than the older jar?
  local older=$server_jar
  [ "$client_jar" -nt "$server_jar" ] || older=$client_jar
  [ -n "$(find "$repo/pom.xml" "$repo"/{core,epoll,io_uring,kqueue,examples}/pom.xml \
      "$repo"/{core,epoll,io_uring,kqueue,examples}/src/main -newer "$older" -print -quit 2>/dev/null)" ]
}
case ${FDPASS_BUILD:-auto} in
  always) build=1 ;;
  never) build= ;;
  auto) if stale; then build=1; else build=; fi ;;
  *) say "FDPASS_BUILD must be auto, always or never"; exit 2 ;;
esac
if [ -n "$build" ]; then
  # package, not install: the reactor hands core and the transports to examples. -DskipTests, not
  # -Dmaven.test.skip: the transports need core's test-jar resolved even when their tests do not run.
  say "building the example jars (./mvnw -B -ntp -q -DskipTests package -pl examples -am)"
  (cd "$repo" && ./mvnw -B -ntp -q -DskipTests package -pl examples -am) ||
    { say "build failed"; exit 1; }
fi
for jar in "$server_jar" "$client_jar"; do
  [ -f "$jar" ] || { say "$jar missing (FDPASS_BUILD=never?)"; exit 1; }
done

# --- a temporary root with the three sample files ----------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/fdpass-scenario.XXXXXX")
server_pid=
cleanup() {
  local rc=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$work/root"
printf 'Course1\nCourse2\n' >"$work/root/courses.txt"
printf 'Campus1\nCampus2' >"$work/root/campusinfo.txt"
printf 'Contacts\n' >"$work/root/contacts.txt"
socket="$work/fdpass.sock"

# --- the server, in the background; wait (bounded) for its socket ------------------------------------------------
"$java" -jar "$server_jar" ${FDPASS_TRANSPORT:+--transport "$FDPASS_TRANSPORT"} --socket "$socket" \
  --root "$work/root" 2>"$work/server.log" &
server_pid=$!
deadline=$((SECONDS + 30))
until [ -S "$socket" ]; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait "$server_pid" && rc=0 || rc=$?
    server_pid=
    say "the server exited ($rc) before listening:"; cat "$work/server.log" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "no socket at $socket after 30 s:"; cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.1
done

# --- the client ---------------------------------------------------------------------------------------------------
say "client: java -jar $(basename "$client_jar") --socket $socket courses.txt campusinfo.txt contacts.txt"
client_rc=0
"$java" -jar "$client_jar" --socket "$socket" courses.txt campusinfo.txt contacts.txt || client_rc=$?

# --- stop the server: SIGTERM, graceful shutdown, exit 0, socket removed -----------------------------------------
kill -TERM "$server_pid"
server_rc=0
wait "$server_pid" || server_rc=$?
server_pid=
say "server log:"
sed 's/^/  /' "$work/server.log" >&2
if [ "$client_rc" -ne 0 ]; then
  say "the client failed (exit $client_rc)"; exit 1
fi
if [ "$server_rc" -ne 0 ]; then
  say "the server exited $server_rc on SIGTERM (expected 0)"; exit 1
fi
if [ -e "$socket" ]; then
  say "the server left its socket behind"; exit 1
fi
say "OK"
