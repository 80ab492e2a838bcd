#!/usr/bin/env bash
# Clients that never read (bounded, about 50 s). (1) The server as nobody under nofile 4096: 30 connections of root
# each send four 64-name requests and never read; then 5 clients of uid 4242 ask for 64 names five times each, and
# must get every descriptor their REPLY promised. (2) The server as root: 900 such connections, and the kernel slab
# they pin (/proc/meminfo), with a reading client's wait. Prints what the clients got and what the server logged.
#   scripts/attack-nonreaders.sh          (FDPASS_SERVER_JAR=PATH to attack another build)
. "$(dirname "$0")/attack-lib.sh"
chown 65534:65534 "$WORK"
start_server setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all prlimit --nofile=4096:4096 -- \
    --stats-interval 1s
attack_in_background "$WORK/silent.out" 0 nonreaders --count 30 --requests 4 --names "$NAMES64" --seconds 20
await_line "$WORK/silent.out" "^nonreaders:" 30 || exit 1
sleep 2 # the server answers what it may meanwhile: the attack's own pace, not a synchronisation
for i in 1 2 3 4 5; do
    say "(1) nofile 4096, client $i of uid 4242: $(attack 4242 good --requests 5 --names "$NAMES64")"
done
say "(1) server log: $(grep -c 'Too many references' "$LOG") sends failed with ETOOMANYREFS;" \
    "$(grep -c 'holding back' "$LOG") hold lines, e.g. $(grep -m1 -o 'holding back.*' "$LOG")"
say "(1) server $(grep -o 'stats: .*' "$LOG" | tail -1)"
kill "${BACKGROUND[@]}" 2>/dev/null; wait "${BACKGROUND[@]}" 2>/dev/null; BACKGROUND=()
say "(1) once they closed, root: $(attack 0 good --requests 5 --names "$NAMES64")"
stop_server

slab() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
before=$(slab)
start_server
attack_in_background "$WORK/silent900.out" 0 nonreaders --count 900 --requests 4 --names "$NAMES64" --seconds 20
await_line "$WORK/silent900.out" "^nonreaders:" 40 || exit 1
sleep 3 # as above
pinned=$(( $(slab) - before ))
say "(2) root server, 900 connections that never read: slab +$((pinned / 1024)) MiB;" \
    "a client of uid 4242: $(attack 4242 good --requests 5 --names "$NAMES64")"
say "(2) server log: $(grep -c 'holding back' "$LOG") hold lines; $(grep -c 'LIMIT_EXCEEDED\|Too many open' "$LOG")" \
    "lines about descriptors running out"
