#!/usr/bin/env bash
# One user against everyone (bounded, about 40 s): 1,500 idle connections of root, held 8 s, and meanwhile a client
# of another user (nobody) and one of root's; then 200 slowloris connections (uid 4242) sending a request one byte
# every 3 s, for 25 s. Prints what each side got, and what the server's log says. The server runs with its defaults.
#   scripts/attack-connections.sh          (FDPASS_SERVER_JAR=PATH to attack another build)
. "$(dirname "$0")/attack-lib.sh"
start_server
say "server: $(head -c 300 "$LOG" | grep -o 'limits:.*' || true)"
attack_in_background "$WORK/hold.out" 0 hold --count 1500 --seconds 8
await_line "$WORK/hold.out" "^hold: connections=" 60 || exit 1
say "$(head -1 "$WORK/hold.out")"
say "another user, while they hold: $(attack 65534 good --requests 20 --names courses.txt,campusinfo.txt,contacts.txt)"
say "root itself, while they hold:  $(attack 0 good --requests 1)"
await_line "$WORK/hold.out" "^hold: still_held" 30 || exit 1
say "$(tail -1 "$WORK/hold.out")"
say "$(attack 4242 slowloris --count 200 --interval 3 --seconds 25)"
say "server log: $(wc -l <"$LOG") lines, $(wc -c <"$LOG") bytes"
grep -E "refused|timed out|more connections|connections refused" "$LOG" | head -12 | sed "s/^/$NAME: log: /"
