#!/usr/bin/env bash
# The soak (not run in CI): mixed good, bad and abandoned requests from 16 connections against an in-process
# server, printing requests served, errors, the process's descriptor count and heap every 10 s.
#   scripts/soak.sh [--duration 10m] [--connections 16] [--interval 10s]
set -euo pipefail
cd "$(dirname "$0")/.."
. .mvn/jdk.sh
jar=examples/target/fdpass-example-server.jar
if [ ! -f "$jar" ]; then
  ./mvnw -B -ntp -q -DskipTests package -pl examples -am
fi
exec java --enable-native-access=ALL-UNNAMED -Xmx256m -cp "$jar" io.fdpass.examples.SoakMain "$@"
