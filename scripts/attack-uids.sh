#!/usr/bin/env bash
# Clients that never read, of more and more uids (bounded, about 30 s a round). The server runs as nobody under
# nofile 4096: a budget of 3,072 descriptors in flight, 2,304 of them shared (288 per uid, 72 per connection) and a
# reserve of 768 that only a uid with none in flight draws on, a request's worth at a time. In each round K uids
# hold 4 connections each that pipeline 64-name requests and never read; then a client of another uid fetches 4
# and then 64 names on each of 5 connections. With these limits it takes 21 such uids to leave another waiting
# (docs/SECURITY.md): 9 fill the shared part, 12 more take the reserve a request at a time. Each round prints what
# the other uid got, the server's descriptors in flight, and the kernel memory the silent clients pin (Slab).
#   scripts/attack-uids.sh [K...]      (default: 4 20 21; FDPASS_SERVER_JAR=PATH to attack another build)
. "$(dirname "$0")/attack-lib.sh"
chown 65534:65534 "$WORK"
slab() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
for uids in "${@:-4 20 21}"; do
    for k in $uids; do
        before=$(slab)
        start_server setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all prlimit --nofile=4096:4096 \
            -- --stats-interval 1s
        # One uid after another, as an attacker who wants the reserve too would: the first fill the shared part, each
        # later one finds nothing in flight for its uid and draws a request's worth on the reserve.
        for u in $(seq "$k"); do
            attack_in_background "$WORK/silent$u.out" $((5000 + u)) nonreaders --count 4 --requests 8 \
                --names "$NAMES64" --seconds 30
            await_line "$WORK/silent$u.out" "^nonreaders:" 30 || exit 1
            sleep 0.2 # the server answers it meanwhile: the attack's own pace, not a synchronisation
        done
        sleep 2 # as above
        say "$k uids that never read: another uid: $(attack 4242 good --connections 5 --requests 1 \
            --names f00.txt,f01.txt,f02.txt,f03.txt --then "$NAMES64")"
        say "$k uids: server $(grep -o 'inFlight=[0-9]*' "$LOG" | tail -1), kernel slab +$((($(slab) - before) / 1024)) MiB"
        kill "${BACKGROUND[@]}" 2>/dev/null; wait "${BACKGROUND[@]}" 2>/dev/null; BACKGROUND=()
        stop_server
    done
done
