#!/usr/bin/env bash
# The tick's figures for docs/performance.md:
#   latency  wake-up lateness of crossguard's tick loop (the daemon, `run --simulated`, 10 ms ticks) against
#            cyclictest (apt rt-tests) at the same period and priority, run alternately in chunks on this
#            machine: p50, p99, p99.9 and max of each, and the ratios
#   idle     CPU time of an idle crossing at 10 ms ticks, as a share of one core
# Usage: Benchmarks/tick.sh [latency|idle]...   (both by default)
# Env:   CHUNKS=6 chunks of each, SECONDS_PER_CHUNK=20; PRIORITY=N runs both with SCHED_FIFO N (needs root or
#        CAP_SYS_NICE), else both run as ordinary SCHED_OTHER threads. IDLE_SECONDS=60.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup
CROSSGUARD_APT_PACKAGES=rt-tests scripts/setup >/dev/null
swift build -c release --product crossguard >/dev/null
B=$PWD/.build/release/crossguard
W=$PWD/.build/bench-tick
rm -rf "$W" && mkdir -p "$W/state"
chunks=${CHUNKS:-6}
secs=${SECONDS_PER_CHUNK:-20}
loops=$((secs * 100))

# The example site with a [daemon] table asking for the same priority as cyclictest gets.
site() {
  sed 's/^device_id *=.*/device_id = "bench-tick"/' examples/site.toml >"$W/site.toml"
  if [ -n "${PRIORITY:-}" ]; then printf '\n[daemon]\nrealtime_priority = %s\n' "$PRIORITY" >>"$W/site.toml"; fi
}

# Runs the daemon for SECONDS and leaves its stop line (lateness percentiles in µs) in $W/run.log.
run_daemon() {
  "$B" run --simulated --board boards/sim.toml --site "$W/site.toml" --state-dir "$W/state" 2>"$W/run.log" &
  local pid=$!
  sleep "$1"
  kill -TERM "$pid"
  wait "$pid"
}

# p50 p99 p99.9 max in µs from cyclictest's histogram (-h: one "µs count" line per bucket, then "# Max Latencies").
cyclic_percentiles() {
  awk '/^[0-9]/ { n[$1 + 0] = $2 + 0; total += $2 } /^# Max Latencies:/ { max = $4 + 0 }
    END { split("50 99 99.9", ps, " "); c = 0; k = 1
      for (us = 0; us <= 100000 && k <= 3; us++) { c += n[us]; while (k <= 3 && c >= total * ps[k] / 100) { out[k] = us; k++ } }
      printf "%d %d %d %d\n", out[1], out[2], out[3], max }' "$1"
}

latency() {
  site
  local prio=() i
  [ -n "${PRIORITY:-}" ] && prio=(-p "$PRIORITY")
  : >"$W/ours.txt"; : >"$W/theirs.txt"
  for i in $(seq 1 "$chunks"); do
    run_daemon "$secs"
    sed -n 's/.*wake-up lateness p50 \([0-9]*\) µs, p99 \([0-9]*\) µs, p99.9 \([0-9]*\) µs, max \([0-9]*\) µs.*/\1 \2 \3 \4/p' "$W/run.log" >>"$W/ours.txt"
    cyclictest -q -t1 -i 10000 -l "$loops" -h 100000 -m ${prio[@]+"${prio[@]}"} >"$W/cyclic-$i.txt" 2>/dev/null || cyclictest -q -t1 -i 10000 -l "$loops" -h 100000 ${prio[@]+"${prio[@]}"} >"$W/cyclic-$i.txt"
    cyclic_percentiles "$W/cyclic-$i.txt" >>"$W/theirs.txt"
    echo "chunk $i: crossguard $(tail -1 "$W/ours.txt")  cyclictest $(tail -1 "$W/theirs.txt")  (p50 p99 p99.9 max, µs)"
  done
  # The median chunk of each, and the ratios of p50 and p99.
  paste "$W/ours.txt" "$W/theirs.txt" | awk -v n="$chunks" '
    { for (j = 1; j <= 8; j++) v[j, NR] = $j }
    function median(j,   a, i, k, t) { for (i = 1; i <= NR; i++) a[i] = v[j, i]
      for (i = 1; i <= NR; i++) for (k = i + 1; k <= NR; k++) if (a[k] < a[i]) { t = a[i]; a[i] = a[k]; a[k] = t }
      return a[int((NR + 1) / 2)] }
    END {
      printf "median of %d chunks: crossguard p50 %d p99 %d p99.9 %d max %d µs; cyclictest p50 %d p99 %d p99.9 %d max %d µs\n", NR,
        median(1), median(2), median(3), median(4), median(5), median(6), median(7), median(8)
      printf "ratio crossguard/cyclictest: p50 %.2f, p99 %.2f\n", median(1) / (median(5) ? median(5) : 1), median(2) / (median(6) ? median(6) : 1) }'
}

idle() {
  site
  local s=${IDLE_SECONDS:-60} hz pid t0 t1
  hz=$(getconf CLK_TCK)
  "$B" run --simulated --board boards/sim.toml --site "$W/site.toml" --state-dir "$W/state" 2>"$W/idle.log" &
  pid=$!
  sleep 5  # past start-up
  t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  sleep "$s"
  t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  kill -TERM "$pid"; wait "$pid"
  awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$s" 'BEGIN { printf "idle crossing, 10 ms ticks, no broker: %.2f %% of one core over %d s (%d clock ticks of CPU at %d Hz)\n", 100 * d / hz / s, s, d, hz }'
}

for what in "${@:-latency idle}"; do for w in $what; do "$w"; done; done
