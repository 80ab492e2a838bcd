#!/usr/bin/env bash
# Filling the disk through the log (bounded, about 25 s): for 10 s root, whom --allow-uid 65534 refuses, connects
# and sends a 64-name request again and again; then for 10 s nobody, who is served, does the same. Prints the
# connections made and how much the server's log grew each time.
#   scripts/attack-log.sh          (FDPASS_SERVER_JAR=PATH to attack another build)
. "$(dirname "$0")/attack-lib.sh"
start_server --allow-uid 65534
sleep 1
base=$(wc -c <"$LOG")
say "refused: $(attack 0 flood --seconds 10 --names "$NAMES64")"
grown=$(( $(wc -c <"$LOG") - base ))
say "refused: the log grew by $grown bytes ($(wc -l <"$LOG") lines in all)"
base=$(wc -c <"$LOG")
say "served:  $(attack 65534 flood --seconds 10 --names courses.txt)"
sleep 11 # the end of the log's interval, so that its summary is written: measured, not waited for
say "served:  the log grew by $(( $(wc -c <"$LOG") - base )) bytes"
grep -E "uid [0-9?]+: " "$LOG" | sed "s/^/$NAME: log: /"
