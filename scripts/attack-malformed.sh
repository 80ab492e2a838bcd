#!/usr/bin/env bash
# Malformed frames (bounded, about 30 s): 20,000 connections each send a frame of length 0, read the ERROR, send
# 64 bytes more and read again: the end of the stream is what the closing rule promises, ECONNRESET what a server
# gives that closes with the client's bytes unread.
#   scripts/attack-malformed.sh [COUNT]          (FDPASS_SERVER_JAR=PATH to attack another build)
. "$(dirname "$0")/attack-lib.sh"
start_server
say "$(attack 0 malformed --count "${1:-20000}" --threads 32)"
