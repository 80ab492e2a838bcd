#!/usr/bin/env bash
# How fast the C reference server itself is when it opens names the way protocol v1 asks of a server where the
# platform allows it ("Opening": resolve with O_PATH, check the type, then open for reading), as fdpass's server
# does: openat2(O_PATH) + statx + openat(/proc/self/fd, "N") + close (relative to a descriptor of /proc/self/fd
# opened once, as fdpass's file source holds one), instead of the reference's
# openat2(O_RDONLY|O_NONBLOCK) + fstat. It builds that variant from the reference's source (the shared bench folder
# stays untouched) and runs the shared compare.sh on it: the ratios show what the spec's type check alone costs, a
# bound for any server that follows it.
#
#   scripts/bench-ref-opath.sh [COMPARE.SH OPTION...]      e.g. --rounds 3 --warmup 2
#   scripts/bench-ref-opath.sh --build-only DIR            only builds DIR/fdref-server-opath (same arguments as
#                                                          fdref-server), e.g. for its CPU time per request
#   scripts/bench-ref-opath.sh --versus-fdpass [BENCH-COMPARE.SH OPTION...] [-- SERVER COMMAND...]
#                                                          our server against that variant, in one run:
#                                                          scripts/bench-compare.sh with the variant as its
#                                                          reference (target 0.95), e.g. --rounds 3 --root-mount dev
#
# compare.sh is looked for in $FDPASS_BENCH_DIR, by default ../shared/bench next to this repository.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${FDPASS_BENCH_DIR:-$REPO/../shared/bench}
if [[ ${1-} == -h || ${1-} == --help ]]; then
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
[[ -f $BENCH/fdref-server.c && -x $BENCH/compare.sh ]] || {
    echo "bench-ref-opath.sh: no fdref-server.c / compare.sh in $BENCH (set FDPASS_BENCH_DIR)" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-ref-opath.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The reference's open_name(), up to its closing brace, replaced by the O_PATH variant.
awk '
    /^static int open_name\(const uint8_t \*name, size_t n, int \*out_fd, uint64_t \*out_size\) \{$/ { skip = 1; found = 1
        print "static int open_name(const uint8_t *name, size_t n, int *out_fd, uint64_t *out_size) {"
        print "    char path[MAX_NAME_LEN + 1];"
        print "    if (!name_valid(name, n)) return S_INVALID;"
        print "    memcpy(path, name, n);"
        print "    path[n] = 0;"
        print "    struct open_how how = { .flags = O_PATH | O_CLOEXEC, .mode = 0,"
        print "                            .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };"
        print "    long pfd;"
        print "    int tries = 0;"
        print "    for (;;) {"
        print "        pfd = syscall(SYS_openat2, root_fd, path, &how, sizeof how);"
        print "        if (pfd >= 0) break;"
        print "        if ((errno == EAGAIN || errno == EINTR) && ++tries < 8) continue;"
        print "        return status_of_errno(errno);"
        print "    }"
        print "    struct statx sx;"
        print "    if (statx((int)pfd, \"\", AT_EMPTY_PATH, STATX_TYPE | STATX_MODE | STATX_INO | STATX_SIZE, &sx) < 0) {"
        print "        close((int)pfd); return S_IO; }"
        print "    if (!S_ISREG(sx.stx_mode)) { close((int)pfd); return S_NOT_REGULAR; }"
        print "    static int proc_fd = -1;"
        print "    if (proc_fd < 0) proc_fd = open(\"/proc/self/fd\", O_PATH | O_DIRECTORY | O_CLOEXEC);"
        print "    char num[16];"
        print "    snprintf(num, sizeof num, \"%d\", (int)pfd);"
        print "    int fd = openat(proc_fd, num, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);"
        print "    int e = errno;"
        print "    close((int)pfd);"
        print "    if (fd < 0) return status_of_errno(e);"
        print "    *out_fd = fd;"
        print "    *out_size = (uint64_t)sx.stx_size;"
        print "    return S_OK;"
        print "}"
        next }
    skip && /^}$/ { skip = 0; next }
    skip { next }
    { print }
    END { if (!found) { print "open_name() not found" > "/dev/stderr"; exit 1 } }
' "$BENCH/fdref-server.c" >"$WORK/fdref-server-opath.c"
"${CC:-gcc}" -O2 -Wall -o "$WORK/fdref-server-opath" "$WORK/fdref-server-opath.c"
if [[ ${1-} == --build-only ]]; then
    [[ -n ${2-} ]] || { echo "bench-ref-opath.sh: --build-only needs a directory" >&2; exit 2; }
    mkdir -p "$2" && cp "$WORK/fdref-server-opath" "$2/" && echo "$2/fdref-server-opath"
    exit 0
fi
if [[ ${1-} == --versus-fdpass ]]; then
    # A bench folder of its own whose reference server is the variant: compare.sh builds it as fdref-server.
    shift
    mkdir "$WORK/bench"
    cp "$BENCH/compare.sh" "$BENCH/build.sh" "$BENCH/fdref-client.c" "$WORK/bench/"
    cp "$WORK/fdref-server-opath.c" "$WORK/bench/fdref-server.c"
    FDPASS_BENCH_DIR=$WORK/bench FDPASS_BENCH_TARGET=0.95 "$REPO/scripts/bench-compare.sh" "$@"
    exit
fi
"$BENCH/compare.sh" "$@" -- "$WORK/fdref-server-opath" --quiet '{socket}' '{root}'
