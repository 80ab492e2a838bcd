# shellcheck shell=sh
# ----------------------------------------------------------------------------
# fdpass: the body of bin/fdpass-server, bin/fdpass-client and bin/fdpass-bench.
# POSIX sh; SOURCED by them (not run) after they have set
#
#     fdpass_repo   the repository (absolute)
#     fdpass_name   the launcher's name, for messages (fdpass-server)
#     fdpass_jar    the jar it runs, in examples/target (fdpass-example-server.jar)
#
# It then
#   1. finds a JDK 25 as ./mvnw does (.mvn/jdk.sh: $JAVA_HOME, the java on
#      PATH, /usr/lib/jvm/*, ...), so an older default java does not matter;
#   2. builds the example jars when the jar is missing or older than a pom or
#      a file under */src/main, as examples/run-scenario.sh does:
#          ./mvnw -B -ntp -q -DskipTests package -pl examples -am
#      (one build at a time: a second launcher started meanwhile waits for it);
#   3. replaces itself (exec, so the pid stays: kill, wait, LISTEN_PID) by
#          java [AOT] $FDPASS_JAVA_OPTS -jar JAR ARGS...
#      where AOT is -XX:AOTCache=CACHE and the option that keeps the JVM quiet
#      about it, when the build trained CACHE for JAR (bin/lib/aot.sh: the JVM
#      runs without it, silently, where it does not fit this JVM and this jar).
#      The jar's manifest enables native access (Enable-Native-Access), as
#      --enable-native-access=ALL-UNNAMED would, which the cache would not fit.
#
# Environment:
#   FDPASS_BUILD      auto (default): build if missing or stale; always; never
#   FDPASS_JAVA_OPTS  more JVM options, split at blanks (e.g. -Xmx64m;
#                     -XX:AOTMode=off runs without the AOT cache)
#   JAVA_HOME, FDPASS_JDK_SEARCH_PATH   see .mvn/jdk.sh
# Exit status: the program's, or 1 if there is no JDK 25 or the build failed
# (one line on stderr saying so), 2 if FDPASS_BUILD is not understood.
# ----------------------------------------------------------------------------

_fdpass_say() { printf '%s: %s\n' "$fdpass_name" "$*" >&2; }

# shellcheck source=../../.mvn/jdk.sh
. "$fdpass_repo/.mvn/jdk.sh" || exit 1
# shellcheck source=aot.sh
. "$fdpass_repo/bin/lib/aot.sh"

_fdpass_target=$fdpass_repo/examples/target
_fdpass_path=$_fdpass_target/$fdpass_jar

# True if the jar is missing or a pom or main source is newer than it.
_fdpass_stale() {
  [ -f "$_fdpass_path" ] || return 0
  [ -n "$(cd "$fdpass_repo" && find pom.xml core/pom.xml epoll/pom.xml kqueue/pom.xml examples/pom.xml \
      core/src/main epoll/src/main kqueue/src/main examples/src/main \
      -newer "$_fdpass_path" -print 2>/dev/null | head -n 1)" ]
}

_fdpass_build() {
  mkdir -p "$_fdpass_target" || { _fdpass_say "cannot create $_fdpass_target"; exit 1; }
  # A directory as the lock (mkdir is atomic everywhere); its pid file tells a
  # waiting launcher whether the builder still runs.
  _fdpass_lock=$_fdpass_target/.fdpass-launcher-build.lock
  _fdpass_waited=0
  while ! mkdir "$_fdpass_lock" 2>/dev/null; do
    if ! [ -d "$_fdpass_lock" ]; then
      # Not a lock held by another launcher: this user may not write there (say, nobody in the README's demo).
      _fdpass_say "the jar is missing or older than the sources, and $_fdpass_target is not writable here:" \
        "build it as its owner (./mvnw -B -ntp -q -DskipTests package -pl examples -am), or set FDPASS_BUILD=never"
      exit 1
    fi
    _fdpass_pid=$(cat "$_fdpass_lock/pid" 2>/dev/null) || _fdpass_pid=
    if [ -n "$_fdpass_pid" ] && ! ps -p "$_fdpass_pid" >/dev/null 2>&1; then
      rm -rf "$_fdpass_lock"   # its builder is gone
      continue
    fi
    [ "$_fdpass_waited" != 0 ] || _fdpass_say "waiting for another launcher's build to finish"
    _fdpass_waited=$((_fdpass_waited + 1))
    if [ "$_fdpass_waited" -gt 1200 ]; then
      _fdpass_say "still locked after 20 min: remove $_fdpass_lock if no build runs"
      exit 1
    fi
    sleep 1
  done
  echo "$$" >"$_fdpass_lock/pid"
  trap 'rm -rf "$_fdpass_lock"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if [ "$_fdpass_waited" = 0 ] || _fdpass_stale; then
    _fdpass_say "building the example jars (./mvnw -B -ntp -q -DskipTests package -pl examples -am)"
    # The build's output goes to stderr: stdout stays the program's.
    (cd "$fdpass_repo" && ./mvnw -B -ntp -q -DskipTests package -pl examples -am) >&2 ||
      { _fdpass_say "the build failed"; exit 1; }
  fi
  rm -rf "$_fdpass_lock"
  trap - EXIT INT TERM
}

case ${FDPASS_BUILD:-auto} in
  always) _fdpass_build ;;
  never) ;;
  auto) if _fdpass_stale; then _fdpass_build; fi ;;
  *) _fdpass_say "FDPASS_BUILD must be auto, always or never"; exit 2 ;;
esac
[ -f "$_fdpass_path" ] || { _fdpass_say "$_fdpass_path is missing (FDPASS_BUILD=never?)"; exit 1; }

# FDPASS_JAVA_OPTS is split at blanks on purpose; no globbing of its words.
set -f
if fdpass_aot "$_fdpass_path"; then
  # shellcheck disable=SC2086
  exec "$JAVA_HOME/bin/java" -XX:AOTCache="$fdpass_aot_cache" "$FDPASS_AOT_QUIET" ${FDPASS_JAVA_OPTS-} \
    -jar "$_fdpass_path" "$@"
fi
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" ${FDPASS_JAVA_OPTS-} -jar "$_fdpass_path" "$@"
