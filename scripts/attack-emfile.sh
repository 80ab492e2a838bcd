#!/usr/bin/env bash
# Out of descriptors (bounded, about 15 s): the server under nofile 64; 80 clients connect at once and hold their
# connections 5 s, waiting that long for an answer. Prints how many were served, refused (HELLO, then ERROR
# TOO_MANY_CONNECTIONS) or left waiting.
#   scripts/attack-emfile.sh          (FDPASS_SERVER_JAR=PATH to attack another build)
. "$(dirname "$0")/attack-lib.sh"
start_server prlimit --nofile=64:64 --
say "$(attack 0 burst --count 80 --timeout 5)"
say "then, one more: $(attack 0 good --requests 1)"
say "server log: $(grep -c 'no descriptor free' "$LOG") refusal lines, $(grep -c 'Too many open files' "$LOG")" \
    "failed accepts reported by Netty"
