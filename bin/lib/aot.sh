# shellcheck shell=sh
# ----------------------------------------------------------------------------
# fdpass: the AOT caches of the example jars. POSIX sh; SOURCED by
# bin/lib/launch.sh, examples/run-scenario.sh and scripts/bench-startup.sh.
#
# The build (examples/pom.xml, `package`) runs the scenario once with
# -XX:AOTCacheOutput (examples/run-scenario.sh --train-aot) and leaves beside
# each of the server and client jars JDK 25's AOT cache of what it loaded
# (fdpass-example-server.aot: classes parsed and linked, method profiles) and
# CACHE.trained-for, which names the jar it was trained for and has its time
# (fdpass_aot_trained JAR CACHE writes it). Then
#
#     if fdpass_aot "$jar"; then
#         java -XX:AOTCache="$fdpass_aot_cache" "$FDPASS_AOT_QUIET" ... -jar "$jar"
#
# fdpass_aot JAR (absolute, as the training named it) is true when JAR's cache
# (its name, .aot for .jar) was trained for this very jar: the same path, the
# same modification time, so not for a jar built before or after it, nor moved.
# JDK 25.0.3 does not check that itself (JDK-8377932: a cache made with
# -XX:AOTCacheOutput names no jar to check, and the JVM would run the classes
# of the jar it was trained on). The JVM does check the rest: that this JVM
# (the same build) made it, with the same module options; where one did not,
# it runs without the cache and says so on stdout, in the program's output:
# FDPASS_AOT_QUIET turns those words off, and nothing else. So another JDK, a
# jar rebuilt or moved, never fails a run: it only starts it more slowly.
# ----------------------------------------------------------------------------

FDPASS_AOT_QUIET='-Xlog:aot*=off,cds*=off'

fdpass_aot() {
  fdpass_aot_cache=${1%.jar}.aot
  [ -f "$fdpass_aot_cache" ] && [ -f "$fdpass_aot_cache.trained-for" ] || return 1
  # The same time, to the second: neither newer nor older.
  ! [ "$1" -nt "$fdpass_aot_cache.trained-for" ] && ! [ "$1" -ot "$fdpass_aot_cache.trained-for" ] || return 1
  IFS= read -r _fdpass_aot_jar <"$fdpass_aot_cache.trained-for" && [ "$_fdpass_aot_jar" = "$1" ]
}

# fdpass_aot_trained JAR CACHE: CACHE, just written for JAR (absolute), becomes
# JAR's cache: renamed into place, then its .trained-for (until that one is
# there, the one before names another jar's time, so no launcher takes the new
# cache for an older jar, nor the old cache for this one).
fdpass_aot_trained() {
  printf '%s\n' "$1" >"${1%.jar}.aot.trained-for.new" &&
    touch -r "$1" "${1%.jar}.aot.trained-for.new" &&
    mv -f "$2" "${1%.jar}.aot" &&
    mv -f "${1%.jar}.aot.trained-for.new" "${1%.jar}.aot.trained-for"
}
