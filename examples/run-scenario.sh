#!/usr/bin/env bash
# fdpass's scenario in two processes: a server hands a client open descriptors of courses.txt, campusinfo.txt and
# contacts.txt, and the client prints the first bytes it reads through each.
#
#   examples/run-scenario.sh           builds the example jars if they are missing or older than the sources
#   FDPASS_BUILD=always|never examples/run-scenario.sh
#   FDPASS_TRANSPORT=io_uring examples/run-scenario.sh    the server on that transport (epoll, io_uring, kqueue)
#   examples/run-scenario.sh --train-aot
#
# Each JVM starts with the AOT cache the build trained for its jar, where it fits this JVM and the jar, and silently
# without it where it does not (bin/lib/aot.sh). --train-aot is that training, which the build runs after making the
# jars: the same scenario with -XX:AOTCacheOutput, writing examples/target/fdpass-example-server.aot and
# fdpass-example-client.aot, each with its .trained-for (nothing is built, nothing printed but a line on stderr if it
# fails; the log is examples/target/aot-training.log).
#
# Needs JDK 25 (found by .mvn/jdk.sh, as ./mvnw does). Exits non-zero if anything fails; always stops the server
# and removes its temporary directory.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P) # physical: the AOT caches name their jars so
# shellcheck source=../.mvn/jdk.sh
. "$repo/.mvn/jdk.sh" || exit 1
# shellcheck source=../bin/lib/aot.sh
. "$repo/bin/lib/aot.sh"
java="$JAVA_HOME/bin/java"
target="$repo/examples/target"
server_jar="$target/fdpass-example-server.jar"
client_jar="$target/fdpass-example-client.jar"

say() { printf '%s\n' "run-scenario: $*" >&2; }

train=
case $# in
  0) ;;
  1) [ "$1" = --train-aot ] || { say "usage: run-scenario.sh [--train-aot]"; exit 2; }
     train=1 FDPASS_BUILD=never
     # Everything but the verdict goes to the log; the build shows stderr.
     exec 3>&2 >"$target/aot-training.log" 2>&1
     say() { printf '%s\n' "run-scenario: $*"; }
     trained() { [ "$1" = 0 ] || printf '%s\n' "run-scenario: --train-aot: no AOT cache, the jars run without it" \
       "(the training failed, see $target/aot-training.log)" >&3; } ;;
  *) say "usage: run-scenario.sh [--train-aot]"; exit 2 ;;
esac

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

# --- how each JVM starts: with the jar's AOT cache, or (--train-aot) writing it -----------------------------------
jvm_options() { # JAR: sets options
  if [ -n "$train" ]; then
    options=(-XX:AOTCacheOutput="${1%.jar}.aot.new")
  elif fdpass_aot "$1"; then
    options=(-XX:AOTCache="$fdpass_aot_cache" "$FDPASS_AOT_QUIET")
  else
    options=()
  fi
}
# (${a[@]+"${a[@]}"}: an empty array under set -u, for bash before 4.4, as on macOS.)
jvm_options "$server_jar"
server_options=(${options[@]+"${options[@]}"})
jvm_options "$client_jar"
client_options=(${options[@]+"${options[@]}"})

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
  if [ -n "$train" ]; then
    rm -f "${server_jar%.jar}.aot.new" "${client_jar%.jar}.aot.new" "${server_jar%.jar}.aot.trained-for.new" \
      "${client_jar%.jar}.aot.trained-for.new"
    trained "$rc"
  fi
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
"$java" ${server_options[@]+"${server_options[@]}"} -jar "$server_jar" \
  ${FDPASS_TRANSPORT:+--transport "$FDPASS_TRANSPORT"} --socket "$socket" --root "$work/root" 2>"$work/server.log" &
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
"$java" ${client_options[@]+"${client_options[@]}"} -jar "$client_jar" --socket "$socket" courses.txt campusinfo.txt contacts.txt ||
  client_rc=$?

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
if [ -n "$train" ]; then
  # Each JVM wrote its cache as it exited: into place only both, whole (bin/lib/aot.sh).
  for jar in "$server_jar" "$client_jar"; do
    [ -s "${jar%.jar}.aot.new" ] || { say "no ${jar%.jar}.aot.new from the training"; exit 1; }
  done
  for jar in "$server_jar" "$client_jar"; do
    fdpass_aot_trained "$jar" "${jar%.jar}.aot.new" || { say "cannot put ${jar%.jar}.aot in place"; exit 1; }
  done
  say "AOT caches written: ${server_jar%.jar}.aot, ${client_jar%.jar}.aot"
fi
say "OK"
