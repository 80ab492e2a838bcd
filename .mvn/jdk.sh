# shellcheck shell=sh
# ----------------------------------------------------------------------------
# fdpass: find a JDK 25 or newer.  POSIX sh; meant to be SOURCED, not run:
#
#     . "$repo_root/.mvn/jdk.sh" || exit 1
#
# Needs nothing from the sourcing script (no arguments, any cwd) and works
# under `set -euf` (./mvnw) as well as bash's `set -euo pipefail`.
#
# Order: $JAVA_HOME (if set), then the `java` on PATH, then the usual install
# dirs (/usr/lib/jvm/*, /usr/lib64/jvm/*, /usr/java/*, /opt/java/*,
# /Library/Java/JavaVirtualMachines/*/Contents/Home,
# ~/.sdkman/candidates/java/*, ~/.jdks/*; the newest JDK there wins), then
# macOS's /usr/libexec/java_home.  A candidate must have bin/java AND
# bin/javac (a JRE cannot compile); its version comes from its `release`
# file, or else from running it.
#
# Found: exports JAVA_HOME and puts $JAVA_HOME/bin first on PATH; returns 0
#        (prints nothing unless MVNW_VERBOSE=true).
# Not found: prints ONE line to stderr and returns 1 (exits 1 if executed).
#
# Environment knobs:
#   FDPASS_JDK_SEARCH_PATH  colon-separated dirs to search INSTEAD of the usual
#                           ones (each dir is a JDK home or holds JDK homes);
#                           set it to an empty dir to simulate a machine with
#                           no JDK 25, e.g. for testing:
#                             FDPASS_JDK_SEARCH_PATH=/var/empty ./mvnw -v
#   FDPASS_SKIP_JDK_SELECT  =1: do nothing (use JAVA_HOME/PATH exactly as they
#                           are, e.g. to see the enforcer's own error).
# All helper names start with _fdpass_ and are unset again before returning.
# ----------------------------------------------------------------------------

_fdpass_min=25

# _fdpass_major VERSION -> prints the feature release ("1.8.0_402" -> 8,
# "25.0.3" -> 25, "26-ea" -> 26), or nothing.
_fdpass_major() {
  _fdpass_v=${1#1.}
  [ "$_fdpass_v" != "$1" ] || _fdpass_v=$1
  _fdpass_v=${_fdpass_v%%[!0-9]*}
  printf '%s' "$_fdpass_v"
}

# _fdpass_probe HOME -> sets _fdpass_ver (full version string, maybe empty).
# Reads HOME/release; if that has no JAVA_VERSION, runs HOME/bin/java.
_fdpass_probe() {
  _fdpass_ver=
  if [ -r "$1/release" ]; then
    _fdpass_ver=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' "$1/release" 2>/dev/null) || _fdpass_ver=
  fi
  if [ -z "$_fdpass_ver" ] && [ -x "$1/bin/java" ]; then
    _fdpass_ver=$("$1/bin/java" -XshowSettings:properties -version 2>&1 </dev/null |
      sed -n 's/^[[:space:]]*java\.version = \(.*\)$/\1/p') || _fdpass_ver=
  fi
  _fdpass_ver=${_fdpass_ver%%"
"*}
}

# _fdpass_ok HOME -> true if HOME is a JDK (java + javac) of version >= 25;
# sets _fdpass_ver and _fdpass_maj.
_fdpass_ok() {
  _fdpass_maj=
  [ -n "$1" ] && [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  _fdpass_probe "$1"
  _fdpass_maj=$(_fdpass_major "$_fdpass_ver")
  [ -n "$_fdpass_maj" ] && [ "$_fdpass_maj" -ge "$_fdpass_min" ]
}

# _fdpass_consider HOME: remember HOME if it beats the best so far.
_fdpass_consider() {
  if _fdpass_ok "$1" && { [ -z "$_fdpass_best" ] || [ "$_fdpass_maj" -gt "$_fdpass_best_maj" ]; }; then
    _fdpass_best=$1 _fdpass_best_maj=$_fdpass_maj _fdpass_best_ver=$_fdpass_ver
  fi
}

_fdpass_select() {
  _fdpass_found='' _fdpass_best='' _fdpass_best_maj='' _fdpass_best_ver=''

  # 1. $JAVA_HOME
  if [ -n "${JAVA_HOME-}" ]; then
    if _fdpass_ok "${JAVA_HOME%/}"; then
      _fdpass_best=${JAVA_HOME%/} _fdpass_best_ver=$_fdpass_ver
    elif [ -x "$JAVA_HOME/bin/java" ]; then
      [ -n "$_fdpass_ver" ] || _fdpass_probe "${JAVA_HOME%/}"
      _fdpass_found="${_fdpass_ver:-unknown version} at ${JAVA_HOME%/}/bin/java"
    else
      _fdpass_found="JAVA_HOME=$JAVA_HOME has no bin/java"
    fi
  fi

  # 2. the java on PATH (resolve symlinks to its home; ask java if that fails)
  if [ -z "$_fdpass_best" ]; then
    _fdpass_java=$(command -v java 2>/dev/null) || _fdpass_java=
    if [ -n "$_fdpass_java" ]; then
      _fdpass_home=$(readlink -f "$_fdpass_java" 2>/dev/null) || _fdpass_home=
      _fdpass_home=${_fdpass_home%/bin/java}
      if ! [ -r "$_fdpass_home/release" ] || ! [ -x "$_fdpass_home/bin/javac" ]; then
        _fdpass_home=$("$_fdpass_java" -XshowSettings:properties -version 2>&1 </dev/null |
          sed -n 's/^[[:space:]]*java\.home = \(.*\)$/\1/p') || _fdpass_home=
        _fdpass_home=${_fdpass_home%%"
"*}
        _fdpass_home=${_fdpass_home%/jre}
      fi
      if _fdpass_ok "$_fdpass_home"; then
        _fdpass_best=$_fdpass_home _fdpass_best_ver=$_fdpass_ver
      elif [ -z "$_fdpass_found" ]; then
        [ -n "$_fdpass_ver" ] || _fdpass_probe "$_fdpass_home"
        _fdpass_found="${_fdpass_ver:-unknown version} at $_fdpass_java"
      fi
    fi
  fi

  # 3. the usual install dirs (or $FDPASS_JDK_SEARCH_PATH), newest wins
  if [ -z "$_fdpass_best" ]; then
    if [ -n "${FDPASS_JDK_SEARCH_PATH+set}" ]; then
      _fdpass_rest=$FDPASS_JDK_SEARCH_PATH
    else
      _fdpass_rest=/usr/lib/jvm:/usr/lib64/jvm:/usr/java:/opt/java:/Library/Java/JavaVirtualMachines
      [ -z "${HOME-}" ] || _fdpass_rest="$_fdpass_rest:$HOME/.sdkman/candidates/java:$HOME/.jdks"
    fi
    while [ -n "$_fdpass_rest" ]; do
      _fdpass_dir=${_fdpass_rest%%:*}
      case $_fdpass_rest in *:*) _fdpass_rest=${_fdpass_rest#*:} ;; *) _fdpass_rest= ;; esac
      if [ -z "$_fdpass_dir" ] || ! [ -d "$_fdpass_dir" ]; then continue; fi
      _fdpass_consider "$_fdpass_dir"
      _fdpass_consider "$_fdpass_dir/Contents/Home"
      for _fdpass_d in "$_fdpass_dir"/*; do
        [ -d "$_fdpass_d" ] || continue
        _fdpass_consider "$_fdpass_d"
        _fdpass_consider "$_fdpass_d/Contents/Home"
      done
    done
    # macOS: ask the system (only when searching the default places)
    if [ -z "$_fdpass_best" ] && [ -z "${FDPASS_JDK_SEARCH_PATH+set}" ] && [ -x /usr/libexec/java_home ]; then
      _fdpass_d=$(/usr/libexec/java_home -v "$_fdpass_min+" 2>/dev/null </dev/null) || _fdpass_d=
      _fdpass_consider "$_fdpass_d"
    fi
  fi

  if [ -z "$_fdpass_best" ]; then
    printf 'fdpass: needs JDK %s or newer (found: %s); install Temurin %s (e.g. apt-get install temurin-%s-jdk, or from adoptium.net) or set JAVA_HOME\n' \
      "$_fdpass_min" "${_fdpass_found:-no java on PATH}" "$_fdpass_min" "$_fdpass_min" >&2
    return 1
  fi

  JAVA_HOME=$_fdpass_best
  export JAVA_HOME
  case ":$PATH:" in
  ":$JAVA_HOME/bin:"*) ;;
  *) PATH="$JAVA_HOME/bin:$PATH" ;;
  esac
  export PATH
  [ "${MVNW_VERBOSE-}" != true ] || printf 'fdpass: using JDK %s at %s\n' "$_fdpass_best_ver" "$JAVA_HOME" >&2
  return 0
}

# Globbing is needed for the search; ./mvnw runs with `set -f`, so switch it
# on here and restore the caller's setting afterwards.
case $- in *f*) _fdpass_noglob=1 ;; *) _fdpass_noglob= ;; esac
set +f
_fdpass_rc=0
if [ "${FDPASS_SKIP_JDK_SELECT-}" != 1 ]; then
  _fdpass_select || _fdpass_rc=1
fi
[ -z "$_fdpass_noglob" ] || set -f
unset -f _fdpass_major _fdpass_probe _fdpass_ok _fdpass_consider _fdpass_select
unset _fdpass_min _fdpass_v _fdpass_ver _fdpass_maj _fdpass_found _fdpass_best _fdpass_best_maj \
  _fdpass_best_ver _fdpass_java _fdpass_home _fdpass_rest _fdpass_dir _fdpass_d _fdpass_noglob
# `return` when sourced (the normal case); `exit` if someone ran this file.
# shellcheck disable=SC2317
if [ "$_fdpass_rc" = 0 ]; then
  unset _fdpass_rc
  return 0 2>/dev/null || exit 0
else
  unset _fdpass_rc
  return 1 2>/dev/null || exit 1
fi
