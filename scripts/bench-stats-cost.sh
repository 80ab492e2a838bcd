#!/usr/bin/env bash
# What stats counting and the Flight Recorder events cost the server: fdref-client at 1:32:3 against three
# servers in turn, three rounds: the example server as built (stats counted, JFR events off), the same with
# every stats method and the RequestServed event creation stubbed out (NO_STATS_JAR: build it from a copy of
# the tree with FdPassServerStats' recording methods emptied), and the example server recording
# fdpass.RequestServed. Needs the shared bench binaries: BIN=$(../shared/bench/build.sh).
#   WITH_STATS_JAR=... NO_STATS_JAR=... BIN=... scripts/bench-stats-cost.sh
set -uo pipefail
cd "$(dirname "$0")/.."
. .mvn/jdk.sh
J=java
BIN=${BIN:?build the reference client: BIN=$(../shared/bench/build.sh)}
WITH=${WITH_STATS_JAR:-examples/target/fdpass-example-server.jar}
WITHOUT=${NO_STATS_JAR:?a server jar built without stats}
W=$(mktemp -d); mkdir $W/root; printf 'Course1\nCourse2\n' > $W/root/courses.txt; printf 'Campus1\nCampus2' > $W/root/campusinfo.txt; printf 'Contacts\n' > $W/root/contacts.txt
run() { # label jar extra
  rm -f $W/s.sock
  $J $3 -jar $2 --socket $W/s.sock --root $W/root 2>/dev/null & local P=$!
  while [ ! -S $W/s.sock ]; do sleep 0.1; done
  $BIN/fdref-client --socket $W/s.sock --conns 1 --depth 32 --duration 8 courses.txt campusinfo.txt contacts.txt >/dev/null
  echo "$1 $($BIN/fdref-client --socket $W/s.sock --conns 1 --depth 32 --duration 6 courses.txt campusinfo.txt contacts.txt)"
  kill $P; wait $P 2>/dev/null
}
for r in 1 2 3; do
  run stats-on "$WITH" ""
  run no-stats "$WITHOUT" ""
  run jfr-on "$WITH" "-XX:StartFlightRecording:filename=$W/r.jfr,+fdpass.RequestServed#enabled=true"
done
