#!/usr/bin/env bash
# What one name's open costs in the kernel, each way a server can do it, in a C loop (no server, no socket):
#   reference   openat2(O_RDONLY|O_NONBLOCK, RESOLVE_BENEATH) + fstat + close, as fdref-server opens
#   opath       openat2(O_PATH, RESOLVE_BENEATH) + statx + openat(<descriptor of /proc/self/fd>, "N") + close of
#               both, as protocol v1's "Opening" asks where the platform allows it, and as fdpass opens
#   opath-path  the same, reopening through the whole path "/proc/self/fd/N"
#   reopen      only the reopen through /proc/self/fd and its close (of an O_PATH descriptor opened once)
# Prints nanoseconds per open, the best of 3 runs of N opens each.
#   scripts/bench-open.sh [--root DIR] [--name NAME] [--count N]      (default: a temporary file, 1000000)
set -euo pipefail
ROOT= NAME=courses.txt COUNT=1000000
while [[ $# -gt 0 ]]; do
    case $1 in
        --root) ROOT=$2; shift 2 ;;
        --name) NAME=$2; shift 2 ;;
        --count) COUNT=$2; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-open.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-open.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if [[ -z $ROOT ]]; then
    ROOT=$WORK/root
    mkdir "$ROOT" && printf 'Course1\nCourse2\n' >"$ROOT/$NAME"
fi
cat >"$WORK/open.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int root, proc_fd;
static const char *name;

static int open_path(void) {
    struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
    return (int) syscall(SYS_openat2, root, name, &how, sizeof how);
}

static int check(int fd) {
    struct statx sx;
    return statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MODE | STATX_INO | STATX_SIZE, &sx) == 0
            && S_ISREG(sx.stx_mode);
}

static int one(int way, int held) {
    char num[32];
    if (way == 0) {
        struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
        int fd = (int) syscall(SYS_openat2, root, name, &how, sizeof how);
        struct stat st;
        int ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
        close(fd);
        return ok;
    }
    if (way == 3) {
        snprintf(num, sizeof num, "%d", held);
        int fd = openat(proc_fd, num, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        close(fd);
        return fd >= 0;
    }
    int path = open_path();
    if (path < 0 || !check(path)) return 0;
    int fd;
    if (way == 1) {
        snprintf(num, sizeof num, "%d", path);
        fd = openat(proc_fd, num, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    } else {
        snprintf(num, sizeof num, "/proc/self/fd/%d", path);
        fd = open(num, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    }
    close(path);
    close(fd);
    return fd >= 0;
}

int main(int argc, char **argv) {
    root = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
    name = argv[2];
    long count = atol(argv[3]);
    proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int held = open_path();
    if (root < 0 || proc_fd < 0 || held < 0 || !check(held)) {
        fprintf(stderr, "bench-open: cannot open %s beneath %s as a regular file\n", name, argv[1]);
        return 1;
    }
    const char *ways[] = { "reference", "opath", "opath-path", "reopen" };
    for (int way = 0; way < 4; way++) {
        double best = 1e30;
        for (int run = 0; run < 3; run++) {
            struct timespec a, b;
            clock_gettime(CLOCK_MONOTONIC, &a);
            for (long i = 0; i < count; i++) {
                if (!one(way, held)) {
                    fprintf(stderr, "bench-open: %s failed\n", ways[way]);
                    return 1;
                }
            }
            clock_gettime(CLOCK_MONOTONIC, &b);
            double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / count;
            if (ns < best) best = ns;
        }
        printf("%-10s %6.0f ns per open\n", ways[way], best);
    }
    return 0;
}
EOF
"${CC:-gcc}" -O2 -Wall -o "$WORK/open" "$WORK/open.c"
"$WORK/open" "$ROOT" "$NAME" "$COUNT"
