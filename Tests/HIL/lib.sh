# Tests/HIL/lib.sh: the guest side of the hardware-in-the-loop stage, sourced by the VM's /init
# (written by scripts/hil) before Tests/HIL/run.sh. busybox ash, no bash.
#
# What the host hands over in /hil:
#   lines    one line of the gpio-sim chip per line: "OFFSET NAME ROLE in|out ACTIVE_LOW(0|1)",
#            parsed by scripts/hil out of Tests/HIL/board.toml
#   env.sh   HIL_MAJOR (libgpiod major of the tools and the binary), HIL_CHIP_LABEL, HIL_SLACK_MS,
#            and the site's timings T_* in milliseconds (from Tests/HIL/site.toml)
#
# Helpers for run.sh (a LINE is a line name from the board, LAMP_VEHICLE_RED, or its role, vehicle.red):
#   press LINE / release LINE     drive an input active / inactive (an active-low button is pressed by
#                                 pulling it down); set_input LINE 0|1 does the same by value
#   lamp LINE                     prints 0 or 1: what the controller drives on an output
#   lamp_is LINE 0|1              the same as a test, without a subshell (for tight loops)
#   wait_lamp LINE VALUE TIMEOUT_S  polls every 50 ms; fails with a message on timeout
#   check NAME CMD...             runs CMD, counts and prints PASS/FAIL; hil_summary prints the total
#   eq GOT WANT, has TEXT NEEDLE  comparisons that say what they saw when they fail
#   alive PID, wait_exit PID TIMEOUT_S (sets EXIT), hold_line LINE VALUE (sets HOLD_PID)
#   gpio_trace_start, gpio_trace_last LINE: the kernel's record of what was last written to a line
# All the helpers are busy-loop friendly: reads use the shell's `read`, so a 50 ms sample costs no fork.

PASS=0
FAIL=0
OUTPUTS=""   # the output lines' names, in board order
INPUTS=""    # the input lines' names, in board order

# ------------------------------------------------------------------ results ----
# What CMD prints (why it failed, what it measured) follows its PASS/FAIL line.
check() {
  _name=$1; shift
  "$@" > /tmp/.check 2>&1; _rc=$?
  if [ $_rc = 0 ]; then PASS=$((PASS + 1)); echo "PASS: $_name"; else FAIL=$((FAIL + 1)); echo "FAIL: $_name"; fi
  cat /tmp/.check
  return $_rc
}
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
has() { case $1 in *"$2"*) return 0 ;; esac; echo "  '$2' not in: $1"; return 1; }
# The closing line the host script (and CI) reads.
hil_summary() { echo "hil: $PASS passed, $FAIL failed"; }

# --------------------------------------------------------------------- time ----
# NOW: milliseconds since boot (10 ms resolution, /proc/uptime), without a fork.
now_ms() {
  read -r _up _ < /proc/uptime
  _c=${_up%.*}${_up#*.}
  while [ ${#_c} -gt 1 ] && [ "${_c#0}" != "$_c" ]; do _c=${_c#0}; done   # "0.08": no octal
  NOW=$((_c * 10))
}
# MS: seconds as given ("2", "0.3", "1.25") in milliseconds.
to_ms() {
  case $1 in
    *.*) _f=${1#*.}000; _f=${_f%"${_f#???}"}; MS=$(( ${1%.*}0 / 10 * 1000 + 1$_f - 1000 )) ;;
    *) MS=$(( $1 * 1000 )) ;;
  esac
}
# Prints milliseconds as seconds with two decimals ("1.25"), for messages.
fmt_s() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }
# Prints milliseconds as seconds for a TIMEOUT_S argument ("0.700").
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# -------------------------------------------------------------------- lines ----
# Turns a line name or role into a shell-variable-safe key.
_key() { _k=$1; _k=${_k//./_}; _k=${_k//-/_}; }
# Sets L_OFF, L_NAME, L_ROLE, L_DIR, L_AL for a line name or role; fails for an unknown one.
_line() {
  _key "$1"
  eval "L_OFF=\${_off_$_k-}"
  [ -n "$L_OFF" ] || { echo "  hil: no line or role '$1' on the board" >&2; return 1; }
  eval "L_NAME=\$_name_$_k L_ROLE=\$_role_$_k L_DIR=\$_dir_$_k L_AL=\$_al_$_k"
}

# Makes the gpio-sim chip from /hil/lines: one bank labelled $HIL_CHIP_LABEL, one named line each.
# Sets CHIP (gpiochipN) and SIM (its sysfs directory with sim_gpioK/{value,pull}).
hil_gpio_setup() {
  _c=/sys/kernel/config/gpio-sim/crossguard
  mkdir "$_c" "$_c/bank0" || return 1
  _n=0
  while read -r _o _nm _r _d _a; do
    mkdir "$_c/bank0/line$_o" && echo "$_nm" > "$_c/bank0/line$_o/name" || return 1
    for _id in "$_nm" "$_r"; do
      _key "$_id"
      eval "_off_$_k=$_o _name_$_k=$_nm _role_$_k=$_r _dir_$_k=$_d _al_$_k=$_a"
    done
    if [ "$_d" = out ]; then OUTPUTS="$OUTPUTS $_nm"; else INPUTS="$INPUTS $_nm"; fi
    _n=$((_n + 1))
  done < /hil/lines
  echo "$_n" > "$_c/bank0/num_lines"
  echo "$HIL_CHIP_LABEL" > "$_c/bank0/label"
  echo 1 > "$_c/live" || return 1
  read -r CHIP < "$_c/bank0/chip_name"
  read -r _dev < "$_c/dev_name"
  SIM=/sys/devices/platform/$_dev/$CHIP
  # Every input starts inactive: buttons up, door closed. run.sh sets the cabinet's healthy state.
  for _l in $INPUTS; do release "$_l"; done
  [ -c "/dev/$CHIP" ]
}

# The SMBus stub the future sensor drivers talk to (0x29, 0x40, 0x10), and /dev/i2c-N. Sets BUS.
hil_i2c_setup() {
  insmod /lib/modules/i2c-dev.ko || return 1
  insmod /lib/modules/i2c-stub.ko chip_addr=0x29,0x40,0x10 || return 1
  BUS=$(i2cdetect -l | awk '/SMBus stub/ { sub("i2c-", "", $1); print $1 }')
  [ -n "$BUS" ] && [ -c "/dev/i2c-$BUS" ]
}
# Debian's busybox ash runs its own i2c* applets before $PATH: functions win over applets.
for _t in i2cdetect i2cget i2cset i2cdump i2ctransfer; do eval "$_t() { /usr/sbin/$_t \"\$@\"; }"; done

# Drives an input to its logical value: gpio-sim makes an input read its pull, so active (1) is pull-up
# for an active-high line and pull-down for an active-low one (a button wired to ground).
set_input() {
  _line "$1" || return 1
  [ "$L_DIR" = in ] || { echo "  hil: $1 is an output; only inputs are driven" >&2; return 1; }
  if [ "$(($2 ^ L_AL))" = 1 ]; then echo pull-up > "$SIM/sim_gpio$L_OFF/pull"; else echo pull-down > "$SIM/sim_gpio$L_OFF/pull"; fi
}
press() { set_input "$1" 1; }
release() { set_input "$1" 0; }

# LAMP: 0 or 1, what the controller drives on an output (an active-low output is inverted back).
# gpio-sim returns a released line to its pull (down): a line nobody drives reads 0.
_lamp() {
  _line "$1" || return 1
  read -r LAMP < "$SIM/sim_gpio$L_OFF/value"
  [ "$L_AL" = 1 ] && LAMP=$((1 - LAMP))
  return 0
}
lamp() { _lamp "$1" && echo "$LAMP"; }
lamp_is() { _lamp "$1" && [ "$LAMP" = "$2" ]; }

# Polls every 50 ms until LINE reads VALUE; WAITED is how long it took (ms).
wait_lamp() {
  _lamp "$1" || return 1
  to_ms "$3"; _limit=$MS; now_ms; _t0=$NOW
  while :; do
    _lamp "$1"; now_ms; WAITED=$((NOW - _t0))
    [ "$LAMP" = "$2" ] && return 0
    [ "$WAITED" -ge "$_limit" ] && break
    sleep 0.05
  done
  echo "  $1 still reads $LAMP after $(fmt_s "$WAITED") s (waited for $2)"
  return 1
}

# ---------------------------------------------------------------- processes ----
# Whether PID runs (a zombie no longer counts: ash reaps only at `wait`).
alive() {
  [ -r "/proc/$1/stat" ] || return 1
  read -r _s < "/proc/$1/stat" 2>/dev/null || return 1
  _s=${_s##*) }
  case $_s in Z*|X*) return 1 ;; esac
}
# Waits up to TIMEOUT_S for a child to end; EXIT is its status, or "running" when it did not end
# (it is then killed with SIGKILL so nothing is left holding lines).
wait_exit() {
  to_ms "$2"; _limit=$MS; now_ms; _t0=$NOW
  while alive "$1"; do
    now_ms
    if [ $((NOW - _t0)) -ge "$_limit" ]; then
      kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; EXIT=running; return 0
    fi
    sleep 0.05
  done
  wait "$1"; EXIT=$?
}

# Another process holding LINE as an output at VALUE, with the gpioset of the guest's libgpiod major
# (consumer name "gpioset"). HOLD_PID is its pid; kill it to release the line.
hold_line() {
  _line "$1" || return 1
  if [ "$HIL_MAJOR" = 1 ]; then
    gpioset --mode=signal "$CHIP" "$L_OFF=$2" > /tmp/hold.log 2>&1 & HOLD_PID=$!
  else
    gpioset --chip "$CHIP" "$L_OFF=$2" > /tmp/hold.log 2>&1 & HOLD_PID=$!
  fi
  # Held once the kernel names a consumer for it (gpioinfo's output differs between majors).
  _i=0
  while [ $_i -lt 40 ]; do
    case $(chip_info | grep "\"$L_NAME\"") in *gpioset*) return 0 ;; esac
    sleep 0.05; _i=$((_i + 1))
  done
  echo "  hil: gpioset did not take $1"; cat /tmp/hold.log
  return 1
}

# gpioinfo of the simulated chip: 1.x takes the chip as an argument, 2.x with -c (its arguments are lines).
chip_info() {
  if [ "$HIL_MAJOR" = 1 ]; then gpioinfo "$CHIP"; else gpioinfo -c "$CHIP"; fi 2>/dev/null
}

# ------------------------------------------------------------ kernel trace ----
# The kernel's gpio_value trace event records every value written to a line. gpio-sim forgets the last
# driven value when a line is released (it returns to its pull), so "the program drove every lamp off
# before it exited" can only be seen here.
TRACE=/sys/kernel/tracing
gpio_trace_start() {
  [ -d "$TRACE/events/gpio" ] || mount -t tracefs tracefs "$TRACE" 2>/dev/null
  [ -w "$TRACE/events/gpio/gpio_value/enable" ] || { echo "  hil: no gpio_value trace event" >&2; return 1; }
  echo 0 > "$TRACE/tracing_on"; echo > "$TRACE/trace"
  echo 1 > "$TRACE/events/gpio/gpio_value/enable"; echo 1 > "$TRACE/tracing_on"
}
# The global GPIO number of the chip's line 0 (what the trace events name lines by).
_gpio_base() {
  [ -n "${GPIO_BASE-}" ] && return 0
  GPIO_BASE=$(awk -v c="$CHIP:" '$1 == c { split($3, r, "-"); print r[1] }' /sys/kernel/debug/gpio)
  [ -n "$GPIO_BASE" ]
}
# TRACED: the last value written to LINE since gpio_trace_start, empty when none was.
gpio_trace_last() {
  _line "$1" && _gpio_base || return 1
  TRACED=$(awk -v g=$((GPIO_BASE + L_OFF)) '
    { for (i = 1; i < NF; i++) if ($i == "gpio_value:" && $(i + 1) == g && $(i + 2) == "set") v = $(i + 3) }
    END { print v }' "$TRACE/trace")
  [ "$L_AL" = 1 ] && [ -n "$TRACED" ] && TRACED=$((1 - TRACED))
  return 0
}
gpio_trace_stop() { echo 0 > "$TRACE/tracing_on"; echo 0 > "$TRACE/events/gpio/gpio_value/enable"; }
