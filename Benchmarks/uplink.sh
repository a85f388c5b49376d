#!/usr/bin/env bash
# The uplink's figures for docs/performance.md, against a real Mosquitto on loopback started here:
#   latency  SOS press raised at a 10 ms tick -> the event at a subscriber (p50, p99, max)
#   backlog  50,000 journaled events flushed to the broker vs mosquitto_pub -l, same count, same in-flight limit
#   outbox   appends per second, with fdatasync per append (high/critical) and batched (normal)
#   day      resident memory after a simulated day with the uplink on
# Usage: Benchmarks/uplink.sh [latency|backlog|outbox|day]...   (all of them by default)
# Needs a release build (made here) and scripts/setup's packages. Scratch files go under .build/ (a real
# disk: fdatasync on tmpfs would measure nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup
swift build -c release --product crossguard >/dev/null
swift build -c release --product crossguard-load >/dev/null
B=$PWD/.build/release/crossguard
L=$PWD/.build/release/crossguard-load   # the load tools, not part of the device's binary
W=$PWD/.build/bench-uplink
rm -rf "$W" && mkdir -p "$W"
broker_pid=""
cleanup() { [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null; true; }
trap cleanup EXIT

# A broker on a free loopback port (tries random ones until mosquitto binds).
start_broker() {
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 20000))
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n' "$port" >"$W/mosquitto.conf"
    mosquitto -c "$W/mosquitto.conf" >"$W/mosquitto.log" 2>&1 &
    broker_pid=$!
    sleep 0.3
    if kill -0 "$broker_pid" 2>/dev/null; then return; fi
  done
  echo "uplink.sh: mosquitto would not start: $(cat "$W/mosquitto.log")" >&2
  exit 1
}

# p50, p99 and max of one number per line.
percentiles() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "no samples"; exit 1 }
  i50 = int(NR * 0.50 + 0.5); i99 = int(NR * 0.99 + 0.5); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
  printf "n=%d p50=%.2f p99=%.2f max=%.2f\n", NR, v[i50], v[i99], v[NR] }'; }

latency() {
  local presses=${PRESSES:-120}
  # An SOS post (long_press 0 ms: a press raises the alarm once debounced), pressed every 1.5 s and answered.
  awk -v n="$presses" 'BEGIN {
    print "site = \"examples/sos-post.toml\"\nboard = \"boards/sim.toml\""
    printf "duration = \"%.1fs\"\n", 5 + n * 1.5 + 2
    for (i = 0; i < n; i++) { t = 5 + i * 1.5
      printf "[[step]]\nat = \"%.1fs\"\ninput = \"sos.button\"\nvalue = true\n", t
      printf "[[step]]\nat = \"%.1fs\"\ninput = \"sos.button\"\nvalue = false\n", t + 0.2
      printf "[[step]]\nat = \"%.1fs\"\ncommand = { type = \"sos.ack\" }\n", t + 0.5
      printf "[[step]]\nat = \"%.1fs\"\ncommand = { type = \"sos.close\" }\n", t + 1.0 } }' >"$W/sos-latency.toml"
  mkdir -p "$W/latency"
  mosquitto_sub -p "$port" -q 1 -t 'crossguard/+/events' -F '%U %p' >"$W/latency.txt" &
  local sub=$!
  sleep 0.5
  "$B" bench --scenario "$W/sos-latency.toml" --speed 1 --quiet --broker "mqtt://127.0.0.1:$port" --state-dir "$W/latency" 2>"$W/latency.log"
  sleep 1
  kill "$sub"
  # Latency = arrival at the subscriber - the event's time (the wall clock of the tick that raised the alarm,
  # truncated to the millisecond, so the figure errs up to 1 ms high).
  grep '"type":"sos.alarm".*"state":"raised"' "$W/latency.txt" | while read -r arrived payload; do
    stamp=${payload#*\"time\":\"}; stamp=${stamp%%\"*}
    echo "$arrived $(date -d "$stamp" +%s.%N)"
  done | awk '{ printf "%.3f\n", ($1 - $2) * 1000 }' >"$W/latency.ms"
  echo "latency: SOS alarm raised at a tick -> subscriber, ms: $(percentiles <"$W/latency.ms")"
}

backlog() {
  local count=${COUNT:-50000} rounds=${ROUNDS:-3}
  awk -v n="$count" 'BEGIN { pad = sprintf("%200s", ""); gsub(/ /, "x", pad)
    for (i = 1; i <= n; i++) { s = sprintf("%06d ", i); print s substr(pad, 1, 200 - length(s)) } }' >"$W/lines200"
  for r in $(seq "$rounds"); do
    rm -rf "$W/backlog" && mkdir "$W/backlog"
    "$L" uplink-load --count "$count" --state-dir "$W/backlog" --broker "mqtt://127.0.0.1:$port" 2>&1 | grep -v '^uplink: ' | tail -1
    local t0 t1
    t0=$(date +%s.%N)
    mosquitto_pub -p "$port" -q 1 -M 16 -t bench/pub -l <"$W/lines200"
    t1=$(date +%s.%N)
    echo "mosquitto_pub -l -q 1 -M 16: $count messages of 200 bytes in $(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }') s"
  done
  # One of ours, to compare the sizes: the synthetic selftest event the load journals.
  mosquitto_sub -p "$port" -q 1 -t 'crossguard/+/events' -C 1 -W 10 >"$W/one-event.txt" &
  local sub=$!
  sleep 0.3
  rm -rf "$W/backlog" && mkdir "$W/backlog"
  "$L" uplink-load --count 1 --state-dir "$W/backlog" --broker "mqtt://127.0.0.1:$port" 2>/dev/null
  wait "$sub" || true
  echo "our event payload: $(($(wc -c <"$W/one-event.txt") - 1)) bytes: $(cat "$W/one-event.txt")"
}

outbox() {
  for p in normal critical; do
    rm -rf "$W/outbox-$p" && mkdir "$W/outbox-$p"
    "$L" outbox-load --state-dir "$W/outbox-$p" --count "$([ $p = normal ] && echo 100000 || echo 3000)" --priority "$p"
  done
}

day() {
  # 24 copies of the one-hour scenario, each shifted by an hour.
  awk 'FNR == 1 { h++; step = 0 } h == 1 && /^(site|board)/ { print } h == 1 && /^duration/ { print "duration = \"86400s\"" }
       /^\[\[step\]\]/ { step = 1 } step && /^at = / { v = $3; gsub(/[" s]/, "", v); printf "at = \"%.1fs\"\n", v + (h - 1) * 3600; next }
       step { print }' $(for _ in $(seq 24); do echo Benchmarks/scenarios/one-hour.toml; done) >"$W/one-day.toml"
  rm -rf "$W/day" && mkdir "$W/day"
  /usr/bin/time -f "day with the uplink: %e s wall, %M KB maximum resident" \
    "$B" bench --scenario "$W/one-day.toml" --speed 1000 --quiet --broker "mqtt://127.0.0.1:$port" --state-dir "$W/day" 2>&1 | grep -v '^uplink: '
  /usr/bin/time -f "day without the uplink (virtual time): %e s wall, %M KB maximum resident" \
    "$B" bench --scenario "$W/one-day.toml" --quiet 2>&1
}

start_broker
echo "mosquitto on 127.0.0.1:$port; scratch in $W ($(df -T "$W" | awk 'NR == 2 { print $2 }'))"
for what in "${@:-latency backlog outbox day}"; do
  for w in $what; do "$w"; done
done
