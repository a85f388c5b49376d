# Tests/HIL/run.sh: the checks of `crossguard run` against real kernel GPIO, sourced by the guest's /init
# after lib.sh has made the gpio-sim chip from board.toml (see scripts/hil). The daemon's contract:
#   crossguard run --board B --site S --state-dir D
#   SIGTERM or SIGINT: every output inactive, then exit 0.
#   A start-up error: exit 1 with a message on stderr naming the role and the board file, and for a line
#   held by another process that process's consumer name; for an I2C part that does not answer, the role,
#   the part, its address and the bus.
#   With no broker every event is logged on stderr as a line "event {json}".
# The board's I2C parts sit on i2c-stub (lib.sh preloads their registers): a ranging sensor as ped.kerb,
# current monitors on lamp.sos.green and lamp.vehicle.red, a light sensor and the HT16K33 countdown
# display. The (f) checks use them: a sensor that vanishes (before and after (b), which runs with the kerb
# sensor silent), a pedestrian waiting at the kerb with the countdown of the clearance that follows, and
# an absent part; (h) blows the sensed red lamp.
# Time limits come from the site file (T_* in ms, from env.sh) plus HIL_SLACK_MS for emulation; the
# guest runs under qemu TCG, where a process start takes a few hundred milliseconds.

CG=/hil/crossguard
BOARD=/hil/board.toml
SITE=/hil/site.toml
SLACK=$HIL_SLACK_MS

start_daemon() {  # BOARD: crossguard run in the background, CG_PID
  rm -rf /tmp/cg.out /tmp/cg.err
  mkdir -p /tmp/state  # the daemon's state directory must exist (systemd's StateDirectory= makes it)
  "$CG" run --board "$1" --site "$SITE" --state-dir /tmp/state > /tmp/cg.out 2> /tmp/cg.err &
  CG_PID=$!
}
show_stderr() { [ -s /tmp/cg.err ] && sed 's/^/  crossguard stderr: /' /tmp/cg.err | head -20; return 0; }

# Events on the daemon's stderr. mark_events remembers how far it goes; wait_event TIMEOUT_S TYPE STATE
# ROLE polls every 100 ms for a later event of TYPE with STATE ("-" for any) and ROLE. EVENT is its line,
# WAITED how long it took (ms).
mark_events() { EV_MARK=$(wc -l < /tmp/cg.err); }
_find_event() {
  EVENT=$(awk -v m="$EV_MARK" -v t="\"type\":\"$1\"" -v s="\"state\":\"$2\"" -v r="\"role\":\"$3\"" '
    NR > m && /^event / && index($0, t) && (s ~ /"-"$/ || index($0, s)) && index($0, r) { print; exit }' /tmp/cg.err)
  [ -n "$EVENT" ]
}
wait_event() {
  to_ms "$1"; _limit=$MS; now_ms; _t0=$NOW
  while :; do
    _find_event "$2" "$3" "$4" && { now_ms; WAITED=$((NOW - _t0)); echo "  after $(fmt_s "$WAITED") s: ${EVENT#event }"; return 0; }
    now_ms; [ $((NOW - _t0)) -ge "$_limit" ] && break
    sleep 0.1
  done
  _st=" $3"; [ "$3" = - ] && _st=""
  echo "  no $2$_st event for $4 within $(fmt_s "$_limit") s; crossguard $(alive "$CG_PID" && echo runs || echo has exited); its stderr since:"
  awk -v m="$EV_MARK" 'NR > m' /tmp/cg.err | tail -15 | sed 's/^/    /'
  return 1
}
# no_event TYPE: no event of TYPE since the daemon started.
no_event() {
  _e=$(grep "^event .*\"type\":\"$1\"" /tmp/cg.err | head -3)
  [ -z "$_e" ] || { echo "  $1 events:"; echo "$_e" | sed 's/^/    /'; return 1; }
}

# The cabinet at rest: buttons up and the door closed (lib.sh's set-up), mains present, and the lamps
# behind current monitors drawing current while lit (the vehicle red's INA226 is watched by the safety
# monitor: a lamp that did not follow would be a lamp failure).
set_input mains.ok 1
check "lamp current follows the lamps behind the current monitors:$MONITORS" lamp_feedback_start

# How long the binary takes to start, load both files and exit, three times (a figure for
# docs/performance.md, printed, not checked: /proc/uptime counts in 10 ms steps).
_starts=""
for _i in 1 2 3; do
  now_ms; _t0=$NOW; "$CG" check-config --board "$BOARD" --site "$SITE" > /dev/null 2>&1; now_ms; _starts="$_starts $((NOW - _t0))"
done
echo "hil: crossguard check-config start to exit:$_starts ms"

# ---------------------------------------------------------------- (a) start ----
# Start-up (kz): flashing amber, then all-red, then red+amber, then green with don't walk.
# Samples the vehicle head every 50 ms until the first green: when the first lamp lit (FIRST_LIT), what
# was seen before the green, and when it came (GREEN_AT), in ms from the start.
watch_startup() {  # LIMIT_MS
  _deadline=$1; now_ms; _t0=$NOW
  SEEN_AMBER_ALONE=""; SEEN_RED=""; SEEN_RED_AMBER=""; FIRST_LIT=""; GREEN_AT=""
  while [ $((NOW - _t0)) -le "$_deadline" ]; do
    _lamp vehicle.red; _r=$LAMP; _lamp vehicle.amber; _a=$LAMP; _lamp vehicle.green; _g=$LAMP
    if [ -z "$FIRST_LIT" ] && [ "$_r$_a" != 00 ]; then FIRST_LIT=$((NOW - _t0)); fi
    [ "$_a$_r$_g" = 100 ] && [ -z "$SEEN_RED" ] && SEEN_AMBER_ALONE=1
    [ "$_r" = 1 ] && SEEN_RED=1
    [ "$_r$_a" = 11 ] && SEEN_RED_AMBER=1
    if [ "$_g" = 1 ]; then GREEN_AT=$((NOW - _t0)); return 0; fi
    alive "$CG_PID" || return 1
    sleep 0.05; now_ms
  done
  return 1
}
first_lit_within() {
  [ -n "$FIRST_LIT" ] && [ "$FIRST_LIT" -le "$1" ] || { echo "  no vehicle red or amber ${FIRST_LIT:+until $(fmt_s "$FIRST_LIT") s}"; show_stderr; return 1; }
  echo "  lit after $(fmt_s "$FIRST_LIT") s"
}
green_after_startup() {
  [ -n "$GREEN_AT" ] || { echo "  no vehicle green within $(fmt_s "$STARTUP_LIMIT") s"; return 1; }
  [ -n "$SEEN_AMBER_ALONE" ] && [ -n "$SEEN_RED" ] && [ -n "$SEEN_RED_AMBER" ] ||
    { echo "  before green: flashing amber ${SEEN_AMBER_ALONE:-not} seen, red ${SEEN_RED:-not} seen, red+amber ${SEEN_RED_AMBER:-not} seen"; return 1; }
  echo "  green after $(fmt_s "$GREEN_AT") s"
}

start_daemon "$BOARD"
STARTUP_LIMIT=$((5000 + T_STARTUP_FLASH + T_STARTUP_ALL_RED + T_RED_AMBER + SLACK))
watch_startup "$STARTUP_LIMIT"
check "(a) start: vehicle red or the start-up flashing amber within 5 s" first_lit_within 5000
check "(a) start: vehicle green after flashing amber, all-red and red+amber" green_after_startup
check "(a) start: ped don't walk lit with the green" lamp_is ped.dont_walk 1
check "(a) start: ped walk dark" lamp_is ped.walk 0
for _x in $XOUTPUTS; do
  check "(g) expander: $_x ($(_line "$_x"; echo "$L_NAME")) lit with the green, as the controller drives it" wait_lamp "$_x" 1 1
done
if ! alive "$CG_PID"; then
  check "(a) crossguard run keeps running" false
  show_stderr
fi

# ------------------------------------------------------ (f) I2C parts at start ----
# Every part answered (or the daemon would have exited 1): none is silent, and the display, whose RAM
# i2c-stub held at 0xFF ("8." everywhere, as undefined at power-up), was blanked.
if alive "$CG_PID"; then
  check "(f) I2C: no detector.fault after the start" no_event detector.fault
  check "(f) I2C: the countdown display blanked at start (i2c-stub held 0xFF)" wait_display ped.countdown ---- 1
fi

# ----------------------------------------------- (f) the kerb sensor vanishes ----
# A kernel driver takes the ranging sensor's address, as if unplugged: detector.fault raised for ped.kerb
# within 2 s, and the kerb stands for "nobody waiting". The pedestrian cycle (b) then runs with it silent:
# the push button still gives the walk.
KERB_GONE=""
if alive "$CG_PID"; then
  mark_events; KERB_MARK=$EV_MARK
  check "(f) kerb sensor vanishes: a kernel driver takes its address" part_vanish ped.kerb && KERB_GONE=1
  [ -n "$KERB_GONE" ] && check "(f) kerb sensor vanishes: detector.fault raised for ped.kerb within 2 s" wait_event 2 detector.fault raised ped.kerb
fi

# ------------------------------------------------------ (b) pedestrian cycle ----
# A 200 ms press during the green: the minimum green, flashing green, amber, all-red, then the walk;
# after the walk and the clearance, all-red and red+amber back to green. Every 50 ms both the vehicle
# green and the walk are sampled: never both lit. The kerb sensor is silent throughout (above). The press
# is on the far kerb's button, ped.button.2 on the MCP23017 (the SOS button below is a GPIO input), and
# the locator tone, also on the expander, is sampled half a second into the walk.
watch_cycle() {
  now_ms; _t0=$NOW; _samples=0; CONFLICTS=0
  T_AMBER_ON=""; T_RED_ON=""; T_WALK_ON=""; T_GREEN_BACK=""; LOCATOR_IN_WALK=""
  _limit=$((T_MIN_GREEN + T_FLASHING_GREEN + T_AMBER + T_ALL_RED + T_WALK + T_CLEARANCE + T_ALL_RED_AFTER_CLEARANCE + T_RED_AMBER + 2 * SLACK))
  while [ $((NOW - _t0)) -le "$_limit" ]; do
    _lamp vehicle.green; _g=$LAMP; _lamp ped.walk; _w=$LAMP
    _lamp vehicle.amber; _a=$LAMP; _lamp vehicle.red; _r=$LAMP
    _samples=$((_samples + 1)); _t=$((NOW - _t0))
    [ "$_g$_w" = 11 ] && CONFLICTS=$((CONFLICTS + 1))
    if [ -z "$T_AMBER_ON" ]; then
      [ "$_a$_g$_r" = 100 ] && T_AMBER_ON=$_t
    elif [ -z "$T_RED_ON" ]; then
      [ "$_r" = 1 ] && T_RED_ON=$_t
    elif [ -z "$T_WALK_ON" ]; then
      [ "$_w" = 1 ] && T_WALK_ON=$_t
    elif [ -z "$LOCATOR_IN_WALK" ] && [ $((_t - T_WALK_ON)) -ge 500 ]; then
      _lamp aps.locator; LOCATOR_IN_WALK=$LAMP   # half a second into the walk: the locator tone is off
    elif [ "$_g" = 1 ]; then
      T_GREEN_BACK=$_t; GREEN_AGAIN=$NOW; break
    fi
    alive "$CG_PID" || break
    sleep 0.05; now_ms
  done
  SAMPLES=$_samples
}
# between FROM TO MIN MAX: the time from FROM to TO (ms) lies within MIN..MAX.
between() {
  [ -n "$1" ] && [ -n "$2" ] || { echo "  did not happen (times: amber ${T_AMBER_ON:-never}, red ${T_RED_ON:-never}, walk ${T_WALK_ON:-never}, green ${T_GREEN_BACK:-never} ms after the press)"; return 1; }
  _d=$(($2 - $1))
  [ "$_d" -ge "$3" ] && [ "$_d" -le "$4" ] || { echo "  took $(fmt_s $_d) s, expected $(fmt_s "$3")–$(fmt_s "$4") s"; return 1; }
  echo "  took $(fmt_s $_d) s ($(fmt_s "$3")–$(fmt_s "$4") s)"
}
no_conflict() { [ "$CONFLICTS" = 0 ] && [ "$SAMPLES" -ge 20 ] || { echo "  $CONFLICTS of $SAMPLES samples had vehicle green and ped walk together"; return 1; }; }

# Sampling can only see a change up to one period late, more when the emulator stalls: lower bounds
# allow EARLY ms.
EARLY=500
if alive "$CG_PID"; then
  mark_events
  press ped.button.2; sleep 0.2; release ped.button.2
  watch_cycle
  check "(g) expander: the press on ped.button.2 (x1.GPA0) placed the demand" wait_event 0 demand.placed - ped.button
  check "(g) expander: aps.locator (x1.GPB0) dark in the walk" eq "$LOCATOR_IN_WALK" 0
  check "(b) ped: vehicle amber within min green + flashing green of the press" between 0 "$T_AMBER_ON" 0 $((T_MIN_GREEN + T_FLASHING_GREEN + SLACK))
  check "(b) ped: then vehicle red, after the amber" between "$T_AMBER_ON" "$T_RED_ON" $((T_AMBER - EARLY)) $((T_AMBER + SLACK))
  check "(b) ped: then ped walk, after the all-red" between "$T_RED_ON" "$T_WALK_ON" $((T_ALL_RED - EARLY)) $((T_ALL_RED + SLACK))
  check "(b) ped: never vehicle green with ped walk ($SAMPLES samples, every 50 ms)" no_conflict
  check "(b) ped: vehicle green again after walk, clearance, all-red and red+amber" between "$T_WALK_ON" "$T_GREEN_BACK" \
    $((T_WALK + T_CLEARANCE + T_ALL_RED_AFTER_CLEARANCE + T_RED_AMBER - EARLY)) $((T_WALK + T_CLEARANCE + T_ALL_RED_AFTER_CLEARANCE + T_RED_AMBER + SLACK))
fi

# ------------------------------------------------ (f) the kerb sensor is back ----
# The walk of (b) came from the button while the kerb sensor was silent; given its address back, the
# sensor is brought up again (the daemon retries every second): detector.fault cleared within 3 s.
if alive "$CG_PID" && [ -n "$KERB_GONE" ]; then
  EV_MARK=$KERB_MARK
  check "(f) kerb sensor silent: the button's demand was served (demand.served by ped.button)" wait_event 0 demand.served - ped.button
  mark_events
  check "(f) kerb sensor back: its address given back" part_back ped.kerb
  check "(f) kerb sensor back: detector.fault cleared for ped.kerb within 3 s" wait_event 3 detector.fault cleared ped.kerb
fi

# ------------------------------------------------ (f) presence at the kerb ----
# Someone waits 800 mm from the kerb's sensor (its band is 30-1200 mm), no button: a demand by ped.kerb
# after the site's kerb dwell, and the walk after the minimum green, the change and the all-red. While
# the crossing works towards it, the lamp monitor vanishes and comes back (detector.fault raised and
# cleared for lamp.sos.green; the crossing's safety monitor does not watch the SOS post's lamps).
# The pedestrian steps off the kerb when the walk begins.
if alive "$CG_PID"; then
  mark_events
  set_distance ped.kerb 800
  check "(f) presence: demand.placed by ped.kerb within the kerb dwell + slack" wait_event "$(secs $((T_KERB_DWELL + SLACK)))" demand.placed - ped.kerb
  mark_events
  check "(f) lamp monitor vanishes: a kernel driver takes its address" part_vanish lamp.sos.green &&
    check "(f) lamp monitor vanishes: detector.fault raised for lamp.sos.green within 2 s" wait_event 2 detector.fault raised lamp.sos.green
  mark_events
  check "(f) lamp monitor back: its address given back" part_back lamp.sos.green &&
    check "(f) lamp monitor back: detector.fault cleared for lamp.sos.green within 3 s" wait_event 3 detector.fault cleared lamp.sos.green
  now_ms; GREEN_AGAIN=${GREEN_AGAIN:-$NOW}
  _left=$((GREEN_AGAIN + T_MIN_GREEN + T_FLASHING_GREEN + T_AMBER + T_ALL_RED + SLACK - NOW)); [ "$_left" -ge 0 ] || _left=0
  walk_for_kerb() {
    wait_lamp ped.walk 1 "$(secs "$_left")" || return 1
    now_ms; _d=$((NOW - GREEN_AGAIN)); _want=$((T_MIN_GREEN + T_FLASHING_GREEN + T_AMBER + T_ALL_RED))
    echo "  $(fmt_s $_d) s after the green began (min green + change + all-red: $(fmt_s $_want) s)"
    [ "$_d" -ge $((_want - EARLY)) ] || { echo "  too early"; return 1; }
  }
  if check "(f) presence: ped walk after the minimum green, the change and the all-red" walk_for_kerb; then
    now_ms; WALK_AT=$NOW
  fi
  set_distance ped.kerb 8190
  check "(f) presence: the walk served the kerb's demand (demand.served by ped.kerb)" wait_event 1 demand.served - ped.kerb
fi

# ----------------------------------------------------------- (f) countdown ----
# The HT16K33 shows the seconds left of the clearance (a fixed clearance longer than 7 s): blank through
# the walk, counting down through the clearance, blank again when it ends (ped don't walk lit). Sampled
# every 200 ms; SHOWN lists each change as DIGITS@MS since the walk began.
watch_countdown() {
  SHOWN=""; _last=""; CLEARANCE_END=""
  while :; do
    display_digits ped.countdown || return 1
    _lamp ped.dont_walk; now_ms
    if [ "$LAMP" = 1 ]; then CLEARANCE_END=$((NOW - WALK_AT)); break; fi
    [ "$DIGITS" = "$_last" ] || { SHOWN="$SHOWN $DIGITS@$((NOW - WALK_AT))"; _last=$DIGITS; }
    [ $((NOW - WALK_AT)) -ge $((T_WALK + T_CLEARANCE + SLACK)) ] && break
    alive "$CG_PID" || break
    sleep 0.2
  done
}
# Prints SHOWN readably: "---- at 0.05 s, ---8 at 4.02 s, ...".
shown() { for _e in $SHOWN; do printf '%s at %s s, ' "${_e%@*}" "$(fmt_s "${_e#*@}")"; done; }
blank_in_walk() {
  case $SHOWN in " ----@"*) ;; *) echo "  shown from the walk on: $(shown)"; return 1 ;; esac
  for _e in $SHOWN; do
    [ "${_e%@*}" = ---- ] && continue
    [ "${_e#*@}" -ge $((T_WALK - EARLY)) ] || { echo "  a digit before $(fmt_s $((T_WALK - EARLY))) s into the $(fmt_s "$T_WALK") s walk: $(shown)"; return 1; }
    echo "  blank until $(fmt_s "${_e#*@}") s into the walk ($(fmt_s "$T_WALK") s)"; return 0
  done
  echo "  blank throughout: $(shown)"
}
counted_down() {
  _prev=""; _n=0; _max=$(((T_CLEARANCE + 999) / 1000))
  for _e in $SHOWN; do
    _d=${_e%@*}
    [ "$_d" = ---- ] && { [ "$_n" = 0 ] && continue; echo "  blank again before the clearance ended: $(shown)"; return 1; }
    _v=${_d##*-}
    case $_v in ''|*[!0-9]*) echo "  '$_d' is not a number: $(shown)"; return 1 ;; esac
    [ "$_v" -ge 1 ] && [ "$_v" -le "$_max" ] || { echo "  $_v is outside 1-$_max: $(shown)"; return 1; }
    [ -z "$_prev" ] || [ "$_v" -lt "$_prev" ] || { echo "  $_v after $_prev: $(shown)"; return 1; }
    _prev=$_v; _n=$((_n + 1))
  done
  [ -n "$CLEARANCE_END" ] || { echo "  ped don't walk not lit within $(fmt_s $((T_WALK + T_CLEARANCE + SLACK))) s of the walk: $(shown)"; return 1; }
  [ "$_n" -ge 3 ] || { echo "  $_n values in the clearance (wanted 3 or more): $(shown)"; return 1; }
  echo "  $(shown)clearance over at $(fmt_s "$CLEARANCE_END") s"
}
if alive "$CG_PID" && [ -n "${WALK_AT-}" ]; then
  watch_countdown
  check "(f) countdown: the display blank through the walk" blank_in_walk
  check "(f) countdown: $(((T_CLEARANCE + 999) / 1000)) s and down, one a second, through the clearance" counted_down
  check "(f) countdown: the display blank within 1 s of the clearance's end" wait_display ped.countdown ---- 1
fi

# ----------------------------------------------------------------- (c) SOS ----
# A 300 ms press raises the alarm (long_press 0): the yellow light within 1 s of the press, and it stays
# lit after the release (only the centre's sos.close ends an alarm). The kernel's trace times the edge to
# the lamp: a mark just before the button's line changes, and the daemon's write of the yellow lamp.
edge_to_lamp() {
  gpio_trace_since_mark sos.yellow 1 || return 1
  printf "  sos.yellow written %d.%d ms after the button's edge (kernel trace; emulated, not a Pi figure)\n" $((SINCE_US / 1000)) $((SINCE_US / 100 % 10))
}
if alive "$CG_PID"; then
  gpio_trace_start
  gpio_trace_mark "sos.button pressed"; press sos.button; now_ms; SOS_PRESSED=$NOW
  sleep 0.3; release sos.button
  now_ms; _left=$((1000 - (NOW - SOS_PRESSED))); [ "$_left" -ge 0 ] || _left=0
  check "(c) SOS: sos.yellow within 1 s of a 300 ms press" wait_lamp sos.yellow 1 "$(secs "$_left")"
  check "(c) SOS: the kernel traced the button's edge to the lamp" edge_to_lamp
  gpio_trace_stop
  sleep 0.3
  check "(c) SOS: sos.yellow stays lit after the release" lamp_is sos.yellow 1
fi

# ----------------------------------------------- (h) the sensed red lamp fails ----
# The INA226 on the vehicle red lamp's supply has read the lamp's current since the start (lib.sh's
# lamp_feedback), through every red so far: no lamp.failure. Then the lamp blows while the vehicles have
# green, and a pedestrian presses. The red is commanded at the end of the amber and reads dark, so within
# lamp_mismatch (800 ms, inside the 1 s all-red) the monitor raises lamp.failure for lamp.vehicle.red: the
# demand is cancelled and the vehicles get green again with no walk, since nobody may be sent across in
# front of traffic that sees no red. The lamp is replaced and the fault-reset key turned: the failure is
# cleared and a press is taken again. Sampled every 50 ms; WALKS counts samples with the walk lit.
watch_blown_red() {
  now_ms; _t0=$NOW; WALKS=0; BR_RED_ON=""; BR_GREEN_BACK=""
  _limit=$((T_MIN_GREEN + T_FLASHING_GREEN + T_AMBER + T_ALL_RED + T_ALL_RED_AFTER_CLEARANCE + T_RED_AMBER + 2 * SLACK))
  while [ $((NOW - _t0)) -le "$_limit" ]; do
    _lamp ped.walk; [ "$LAMP" = 1 ] && WALKS=$((WALKS + 1))
    _lamp vehicle.red; [ -z "$BR_RED_ON" ] && [ "$LAMP" = 1 ] && BR_RED_ON=$((NOW - _t0))
    _lamp vehicle.green; [ -n "$BR_RED_ON" ] && [ "$LAMP" = 1 ] && { BR_GREEN_BACK=$((NOW - _t0)); break; }
    alive "$CG_PID" || break
    sleep 0.05; now_ms
  done
}
green_without_walk() {
  [ -n "$BR_RED_ON" ] && [ -n "$BR_GREEN_BACK" ] ||
    { echo "  vehicle red ${BR_RED_ON:+at $(fmt_s "$BR_RED_ON") s}${BR_RED_ON:-never seen}, green again ${BR_GREEN_BACK:-never}"; return 1; }
  [ "$WALKS" = 0 ] || { echo "  ped walk lit in $WALKS samples"; return 1; }
  _d=$((BR_GREEN_BACK - BR_RED_ON))
  # The red only until the failure is found, then the all-red after it and the red+amber.
  _max=$((T_ALL_RED + T_ALL_RED_AFTER_CLEARANCE + T_RED_AMBER + SLACK))
  [ "$_d" -le "$_max" ] || { echo "  vehicles held $(fmt_s "$_d") s (at most $(fmt_s "$_max") s)"; return 1; }
  echo "  red $(fmt_s "$_d") s, then green; the walk never lit"
}
if alive "$CG_PID" && [ -n "$MONITORS" ]; then
  check "(h) sensed red: no lamp.failure since the start, the INA226 following vehicle.red" no_event lamp.failure
fi
# Blown only while the vehicles have green: blown while the red is lit for a walk, the lamp fails under
# the walk, which is the fail-safe (the monitor's other rule), not what these checks expect.
if alive "$CG_PID" && [ -n "$MONITORS" ] &&
  check "(h) sensed red: vehicles have green" wait_lamp vehicle.green 1 "$(secs $((T_ALL_RED_AFTER_CLEARANCE + T_RED_AMBER + SLACK)))"; then
  mark_events
  lamp_blow vehicle.red
  press ped.button; sleep 0.2; release ped.button
  watch_blown_red
  check "(h) blown red: lamp.failure raised for lamp.vehicle.red" wait_event 0 lamp.failure raised lamp.vehicle.red
  check "(h) blown red: the press's demand cancelled" wait_event 0 demand.cancelled - ped.button
  check "(h) blown red: vehicles green again, the walk never lit" green_without_walk
  check "(h) blown red: no fail-safe (one red lamp down inhibits the walk only)" no_event safety.failsafe
  lamp_mend vehicle.red
  mark_events
  press fault.reset; sleep 0.3; release fault.reset
  check "(h) lamp replaced, fault-reset key: lamp.failure cleared for lamp.vehicle.red" wait_event 2 lamp.failure cleared lamp.vehicle.red
  mark_events
  press ped.button; sleep 0.2; release ped.button
  check "(h) lamp replaced: a press places a demand again" wait_event 2 demand.placed - ped.button
fi

# ------------------------------------------------------------- (d) SIGTERM ----
# Every output off within 2 s and exit 0. gpio-sim returns a released line to its pull (down), so the
# lines read 0 after any exit: the kernel's trace of the values written says whether the daemon drove
# each lamp off itself before it let go (on a real board a released line may keep its last level).
outputs_off_within() {  # MS since KILLED_AT
  while :; do
    _on=""
    for _o in $OUTPUTS; do _lamp "$_o"; [ "$LAMP" = 1 ] && _on="$_on $_o"; done
    now_ms
    [ -z "$_on" ] && return 0
    [ $((NOW - KILLED_AT)) -ge "$1" ] && { echo "  still lit $(fmt_s $((NOW - KILLED_AT))) s after SIGTERM:$_on"; return 1; }
    sleep 0.05
  done
}
last_driven_off() {
  _bad=""
  for _o in $OUTPUTS; do
    gpio_trace_last "$_o" || return 1
    _key "$_o"; eval "_before=\$_before_$_k"
    [ "${TRACED:-$_before}" = 0 ] || _bad="$_bad $_o(${TRACED:+last written }${TRACED:-lit at SIGTERM, never written})"
  done
  [ -z "$_bad" ] || { echo "  not driven off before the exit:$_bad"; return 1; }
}
if alive "$CG_PID"; then
  check "(d) SIGTERM: kernel gpio_value tracing on" gpio_trace_start
  for _o in $OUTPUTS; do _lamp "$_o"; _key "$_o"; eval "_before_$_k=$LAMP"; done
  kill -TERM "$CG_PID"; now_ms; KILLED_AT=$NOW
  check "(d) SIGTERM: every output reads 0 within 2 s" outputs_off_within 2000
  wait_exit "$CG_PID" 5
  check "(d) SIGTERM: exit status 0" eq "$EXIT" 0
  check "(d) SIGTERM: every output was driven to 0 before the exit" last_driven_off
  for _x in $XOUTPUTS; do check "(d) SIGTERM: $_x on the expander latched inactive before the exit" lamp_is "$_x" 0; done
  gpio_trace_stop
  [ "$EXIT" = 0 ] || show_stderr
  # What the daemon said besides its events (start, warnings, ticks, overruns and hardware errors).
  grep -v '^event ' /tmp/cg.err | tail -8 | sed 's/^/  crossguard stderr: /'
else
  wait_exit "$CG_PID" 1
fi

# ------------------------------------------------------- (e) start-up errors ----
# A board naming a chip label that does not exist (here for vehicle.red alone, so the role is known):
# exit 1, and stderr names the role and the board file.
ABSENT=/tmp/hil-absent-chip.toml
awk '{ print } /^[[:space:]]*role[[:space:]]*=[[:space:]]*"vehicle\.red"/ { print "chip = \"crossguard-absent\"" }' "$BOARD" > "$ABSENT"
start_daemon "$ABSENT"
wait_exit "$CG_PID" 10
ERR=$(cat /tmp/cg.err)
check "(e) absent chip: exit status 1" eq "$EXIT" 1
check "(e) absent chip: stderr names the role" has "$ERR" vehicle.red
check "(e) absent chip: stderr names the board file" has "$ERR" "$ABSENT"

# A line name the chip does not have (vehicle.green's, misspelt as on a miswired board): exit 1, and
# stderr names the role, the line and the board file.
MISSING=/tmp/hil-missing-line.toml
sed 's/"LAMP_VEHICLE_GREEN"/"LAMP_VEHICLE_GREN"/' "$BOARD" > "$MISSING"
if check "(e) missing line: the board names LAMP_VEHICLE_GREN" grep -q LAMP_VEHICLE_GREN "$MISSING"; then
  start_daemon "$MISSING"
  wait_exit "$CG_PID" 10
  ERR=$(cat /tmp/cg.err)
  check "(e) missing line: exit status 1" eq "$EXIT" 1
  check "(e) missing line: stderr names the role" has "$ERR" vehicle.green
  check "(e) missing line: stderr names the line" has "$ERR" LAMP_VEHICLE_GREN
  check "(e) missing line: stderr names the board file" has "$ERR" "$MISSING"
fi

# An output line held by another process (gpioset of the guest's libgpiod major, consumer "gpioset"):
# exit 1, and stderr names the role, the board file and the holder.
if check "(e) busy line: gpioset holds vehicle.amber" hold_line vehicle.amber 0; then
  start_daemon "$BOARD"
  wait_exit "$CG_PID" 10
  ERR=$(cat /tmp/cg.err)
  check "(e) busy line: exit status 1" eq "$EXIT" 1
  check "(e) busy line: stderr names the holder" has "$ERR" gpioset
  check "(e) busy line: stderr names the role" has "$ERR" vehicle.amber
  check "(e) busy line: stderr names the board file" has "$ERR" "$BOARD"
fi
kill "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null

# ----------------------------------------------- (f) an absent I2C part at start ----
# The board with its ranging sensor at an address i2c-stub does not emulate (nothing acknowledges 0x31):
# exit 1 within 5 s, and stderr names the role, the part, the address and the bus (and the board file).
ABSENT_I2C=/tmp/hil-absent-i2c.toml
# Each table is held until the next one starts; the vl53l0x's loses its address and gets 0x31.
awk '
  function flush(  i) {
    for (i = 1; i <= n; i++) {
      if (vl && line[i] ~ /^[[:space:]]*address[[:space:]]*=/) continue
      print line[i]
      if (vl && line[i] ~ /^[[:space:]]*part[[:space:]]*=/) print "address = 0x31"
    }
    n = 0; vl = 0
  }
  /^[[:space:]]*\[/ { flush() }
  { line[++n] = $0 }
  /^[[:space:]]*part[[:space:]]*=[[:space:]]*"vl53l0x"/ { vl = 1 }
  END { flush() }' "$BOARD" > "$ABSENT_I2C"
_key ped.kerb; eval "KERB_BUS=\$_i2c_bus_$_k"
nothing_at() { ! i2cget -y "$BUS" "$1" 0xc0 > /tmp/.i2cget 2>&1 || { echo "  $1 answers: $(cat /tmp/.i2cget)"; return 1; }; }
if check "(f) absent I2C part: nothing answers at 0x31 on /dev/i2c-$BUS" nothing_at 0x31; then
  now_ms; _t0=$NOW
  start_daemon "$ABSENT_I2C"
  wait_exit "$CG_PID" 5
  now_ms; ERR=$(cat /tmp/cg.err)
  check "(f) absent I2C part: exit status 1 within 5 s" eq "$EXIT" 1
  echo "  after $(fmt_s $((NOW - _t0))) s: $ERR"
  check "(f) absent I2C part: stderr names the role" has "$ERR" ped.kerb
  check "(f) absent I2C part: stderr names the part" has "$ERR" vl53l0x
  check "(f) absent I2C part: stderr names the address" has "$ERR" 0x31
  check "(f) absent I2C part: stderr names the bus" has "$ERR" "$KERB_BUS"
  check "(f) absent I2C part: stderr names the board file" has "$ERR" "$ABSENT_I2C"
fi

# ------------------------------------------------------------------- (j) diag ----
# `crossguard diag` on the kernel's own lines and bus: each failure the VM can produce, with its remedy.
# One line per check: STATUS  id  detail, and "-> remedy" on the line under a warning or a failure.
run_diag() {  # BOARD [runner...]: DIAG (stdout) and DIAG_EXIT
  _b=$1; shift
  DIAG=$("$@" "$CG" diag --board "$_b" --site "$SITE" --state-dir /tmp --duration 100ms 2>&1); DIAG_EXIT=$?
}
# The line of check ID and the remedy under it, as one string.
diag_line() { printf '%s\n' "$DIAG" | awk -v id="$1" '$2 == id { print; getline; if ($1 == "->") print; exit }'; }
diag_has() {  # ID STATUS TEXT
  _l=$(diag_line "$1")
  case $_l in "$2  "*"$3"*) return 0 ;; esac
  echo "  expected $2 $1 with '$3', got: ${_l:-no such check}"; printf '%s\n' "$DIAG" | sed 's/^/    /' | head -60; return 1
}
no_fail() { ! printf '%s\n' "$DIAG" | grep -q '^FAIL' || { printf '%s\n' "$DIAG" | grep -A1 '^FAIL' | sed 's/^/  /'; return 1; }; }

mkdir -p /tmp/state
run_diag "$BOARD"
check "(j) diag: the HIL board has no failure (exit $DIAG_EXIT: 0, or 2 for warnings)" no_fail
check "(j) diag: the chip is found with its lines" diag_has "gpio.chip.$HIL_CHIP_LABEL" PASS "/dev/$CHIP: $HIL_CHIP_LABEL"
check "(j) diag: the vehicle red line is requested and released" diag_has gpio.line.vehicle.red PASS "output, requested at its inactive level"
check "(j) diag: the kerb sensor is read on i2c-stub" diag_has "i2c.i2c-$BUS.0x29" PASS "vl53l0x at 0x29"

if check "(j) diag, busy line: gpioset holds vehicle.amber" hold_line vehicle.amber 0; then
  run_diag "$BOARD"
  printf '%s\n' "$DIAG" | sed 's/^/  diag| /'  # a whole report from a real kernel, for docs/field-guide.md
  check "(j) diag, busy line: exit status 1" eq "$DIAG_EXIT" 1
  check "(j) diag, busy line: the holder and its pid" diag_has gpio.line.vehicle.amber FAIL "is held by \"gpioset\" (pid $HOLD_PID)"
  check "(j) diag, busy line: the remedy stops it" diag_has gpio.line.vehicle.amber FAIL "-> line $HIL_CHIP_LABEL/LAMP_VEHICLE_AMBER is held by \"gpioset\" (pid $HOLD_PID): stop that program (sudo kill $HOLD_PID)"
fi
kill "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null

run_diag "$ABSENT"
check "(j) diag, absent chip: exit status 1" eq "$DIAG_EXIT" 1
check "(j) diag, absent chip: one failure naming the label and the chips present" diag_has gpio.chip.crossguard-absent FAIL "no GPIO chip labelled \"crossguard-absent\"; present: /dev/$CHIP ($HIL_CHIP_LABEL)"
check "(j) diag, absent chip: the remedy names the labels to choose from" diag_has gpio.chip.crossguard-absent FAIL "set chip = to one of: $HIL_CHIP_LABEL"
check "(j) diag, absent chip: its line is skipped, not failed again" diag_has gpio.line.vehicle.red SKIP "its chip \"crossguard-absent\" is missing or unreadable"

run_diag "$ABSENT_I2C"
check "(j) diag, absent I2C part: exit status 1" eq "$DIAG_EXIT" 1
check "(j) diag, absent I2C part: the remedy says nothing answers there" diag_has "i2c.i2c-$BUS.0x31" FAIL "-> nothing answers at 0x31 on /dev/i2c-$BUS: check the part's power, wiring and address (sudo i2cdetect -y $BUS)"

# A part taken by a kernel driver: i2c-core's built-in "dummy" driver bound to the kerb sensor's address
# (as a dtoverlay's driver would be). i2c-dev refuses the address (EBUSY); the remedy's unbind frees it.
_dev=$BUS-0029
if check "(j) diag, part taken by a driver: new_device dummy 0x29" sh -c "echo dummy 0x29 > /sys/bus/i2c/devices/i2c-$BUS/new_device"; then
  run_diag "$BOARD"
  check "(j) diag, part taken by a driver: exit status 1" eq "$DIAG_EXIT" 1
  check "(j) diag, part taken by a driver: named as a kernel driver's" diag_has "i2c.i2c-$BUS.0x29" FAIL "a kernel driver owns this address"
  check "(j) diag, part taken by a driver: the remedy unbinds it" diag_has "i2c.i2c-$BUS.0x29" FAIL "-> a kernel driver owns the part: remove its dtoverlay from /boot/firmware/config.txt, or unbind it (echo $_dev | sudo tee /sys/bus/i2c/devices/$_dev/driver/unbind)"
  # The remedy as a technician would type it (without sudo: the guest runs as root).
  check "(j) diag, part taken by a driver: the remedy's command runs" sh -c "echo $_dev > /sys/bus/i2c/devices/$_dev/driver/unbind"
  run_diag "$BOARD"
  check "(j) diag, part taken by a driver: after the unbind the part answers" diag_has "i2c.i2c-$BUS.0x29" PASS "vl53l0x at 0x29"
  echo 0x29 > "/sys/bus/i2c/devices/i2c-$BUS/delete_device"
fi

# Run as an unprivileged user (nobody): the chip's device file is root's alone before the udev rules.
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > /etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > /etc/group
printf 'passwd: files\ngroup: files\n' > /etc/nsswitch.conf
diag_as_nobody() {  # DIAG and DIAG_EXIT of diag run as nobody (uid and gid 65534, no other group)
  run_diag "$BOARD" /hil/runas 65534 65534
}
diag_as_nobody
check "(j) diag, unprivileged: exit status 1" eq "$DIAG_EXIT" 1
check "(j) diag, unprivileged: the chip's device file is refused with the fix" diag_has "access.$CHIP" FAIL "-> install the udev rules"
check "(j) diag, unprivileged: the chip check says it cannot open it" diag_has "gpio.chip.$HIL_CHIP_LABEL" FAIL "cannot open /dev/$CHIP (permission-denied)"
check "(j) diag, unprivileged: the I2C bus too" diag_has "access.i2c-$BUS" FAIL "/dev/i2c-$BUS: Permission denied"

# While the daemon runs, the line and part checks are skipped, never failed.
start_daemon "$BOARD"
held_by_daemon() { chip_info | grep -q crossguard; }
_i=0; while [ $_i -lt 100 ] && ! held_by_daemon; do sleep 0.05; _i=$((_i + 1)); done
run_diag "$BOARD"
check "(j) diag, daemon running: the lines are skipped" diag_has gpio.lines SKIP "the daemon is running (pid $CG_PID)"
check "(j) diag, daemon running: the I2C parts are skipped" diag_has i2c.parts SKIP "the daemon is running"
check "(j) diag, daemon running: no failure" no_fail
run_lamp_test() { DIAG=$("$CG" diag --board "$BOARD" --site "$SITE" --state-dir /tmp --duration 10ms --lamp-test --lamp-step 300ms 2>&1); DIAG_EXIT=$?; }
run_lamp_test
check "(j) lamp test, daemon running: refused" diag_has lamp.test FAIL "-> stop the daemon first: sudo systemctl stop crossguard"
kill -TERM "$CG_PID"; wait_exit "$CG_PID" 10

# --lamp-test on the kernel's lines: every lamp in turn, the current monitors (fed by the lamp feedback)
# reading theirs back; then with the sensed red blown.
run_lamp_test
printf '%s\n' "$DIAG" | grep '^[A-Z]*  lamp\.' | sed 's/^/  lamp-test| /'
check "(j) lamp test: the INA226-sensed red lit and dark as commanded" diag_has lamp.vehicle.red PASS "lit and dark as commanded"
check "(j) lamp test: no failure" no_fail
for _x in $XOUTPUTS; do check "(j) lamp test: $_x on the expander is tested, not skipped" diag_has "lamp.$_x" SKIP "nothing reads it back"; done
# The expander's outputs are driven too: seen lit on the chip while the test runs, inactive after it.
"$CG" diag --board "$BOARD" --site "$SITE" --state-dir /tmp --duration 10ms --lamp-test --lamp-step 600ms >/tmp/lamp-test.out 2>&1 &
LT_PID=$!
for _x in $XOUTPUTS; do check "(j) lamp test: $_x lit on the expander during the test" wait_lamp "$_x" 1 30; done
wait "$LT_PID"
for _x in $XOUTPUTS; do check "(j) lamp test: $_x on the expander inactive after the test" lamp_is "$_x" 0; done
lamp_blow vehicle.red
run_lamp_test
printf '%s\n' "$DIAG" | grep -A1 '^FAIL  lamp\.' | sed 's/^/  lamp-test blown| /'
check "(j) lamp test, blown red: exit status 1" eq "$DIAG_EXIT" 1
check "(j) lamp test, blown red: it stays dark when lit" diag_has lamp.vehicle.red FAIL "stays dark when lit"
check "(j) lamp test, blown red: the remedy replaces the lamp" diag_has lamp.vehicle.red FAIL "-> replace the lamp, then run the lamp test again"
lamp_mend vehicle.red

# ------------------------------------------------------------- (i) udev rules ----
# udev/99-crossguard.rules under Debian 12's own udevadm, against the gpio-sim chip and i2c-stub's bus:
# `udevadm test` runs the rules for one device as udev would when it appears and applies the owner, mode
# and links they give. Without the Raspberry Pi OS groups gpio and i2c the devices go to the group
# crossguard; with them, to gpio and i2c. The chip gets its link by label; the header link matches the
# driver of the chip's parent device, which for gpio-sim is gpio-sim, not a Pi's pinctrl driver, so
# that rule is run here with gpio-sim added to its list of drivers.
UDEV_RULES=/etc/udev/rules.d/99-crossguard.rules
GPIO_DEV=/sys/bus/gpio/devices/$CHIP
I2C_DEV_SYS=/sys/class/i2c-dev/i2c-$BUS
udev_install() {
  mkdir -p /etc/udev/rules.d /run/udev || return 1
  sed 's/DRIVERS=="pinctrl-bcm2835|pinctrl-rp1"/DRIVERS=="pinctrl-bcm2835|pinctrl-rp1|gpio-sim"/' /hil/99-crossguard.rules > "$UDEV_RULES"
  grep -q 'pinctrl-rp1|gpio-sim"' "$UDEV_RULES" || { echo "  the header rule's DRIVERS list is not where this check expects it"; return 1; }
}
udev_run() {  # SYSPATH...: the rules for each device, as udev runs them when it appears
  for _d in "$@"; do
    udevadm test --action=add "$_d" > /tmp/udev.log 2>&1 || { echo "  udevadm test $_d failed:"; tail -8 /tmp/udev.log | sed 's/^/    /'; return 1; }
  done
}
owned() {  # DEV GROUP MODE: owned by root (uid 0) and GROUP, with MODE (devtmpfs made it root:root 0600)
  _got=$(stat -L -c '%u:%G %a' "$1") || return 1
  [ "$_got" = "0:$2 $3" ] || { echo "  $1 is $_got (uid:group mode), wanted 0:$2 $3"; grep -iE 'group|mode|crossguard' /tmp/udev.log | tail -6 | sed 's/^/    udevadm: /'; return 1; }
}
links_to() {  # LINK DEV
  [ -L "$1" ] && [ "$(readlink -f "$1")" = "$2" ] ||
    { echo "  $1 -> $(readlink -f "$1" 2>/dev/null || echo nothing) (wanted $2); /dev/crossguard: $(find /dev/crossguard 2>/dev/null | tr '\n' ' ')"; return 1; }
}
if check "(i) udev: the rules installed, gpio-sim added to the header rule's drivers" udev_install; then
  printf 'root:x:0:\ncrossguard:x:990:\n' > /etc/group
  if check "(i) udev: udevadm test on $CHIP and i2c-$BUS, no groups gpio and i2c" udev_run "$GPIO_DEV" "$I2C_DEV_SYS"; then
    check "(i) udev: /dev/$CHIP root:crossguard 0660" owned "/dev/$CHIP" crossguard 660
    check "(i) udev: /dev/i2c-$BUS root:crossguard 0660" owned "/dev/i2c-$BUS" crossguard 660
    check "(i) udev: /dev/crossguard/by-label/$HIL_CHIP_LABEL -> /dev/$CHIP" links_to "/dev/crossguard/by-label/$HIL_CHIP_LABEL" "/dev/$CHIP"
    check "(i) udev: /dev/crossguard/header -> /dev/$CHIP" links_to /dev/crossguard/header "/dev/$CHIP"
    # Now the device belongs to group crossguard: diag, as a user outside it, names the usermod to type.
    diag_as_nobody
    check "(i) udev: diag as nobody names the group to join" diag_has "access.$CHIP" FAIL "-> sudo usermod -aG crossguard "
  fi
  printf 'root:x:0:\ngpio:x:997:\ni2c:x:998:\ncrossguard:x:990:\n' > /etc/group
  if check "(i) udev: udevadm test again with the Raspberry Pi OS groups gpio and i2c" udev_run "$GPIO_DEV" "$I2C_DEV_SYS"; then
    check "(i) udev: /dev/$CHIP root:gpio 0660" owned "/dev/$CHIP" gpio 660
    check "(i) udev: /dev/i2c-$BUS root:i2c 0660" owned "/dev/i2c-$BUS" i2c 660
  fi
fi
