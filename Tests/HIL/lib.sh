# Tests/HIL/lib.sh: the guest side of the hardware-in-the-loop stage, sourced by the VM's /init
# (written by scripts/hil) before Tests/HIL/run.sh. busybox ash, no bash.
#
# What the host hands over in /hil:
#   lines    one line of the gpio-sim chip per line: "OFFSET NAME ROLE in|out ACTIVE_LOW(0|1)",
#            parsed by scripts/hil out of Tests/HIL/board.toml
#   i2c      one line per I2C part: "PART ADDRESS ROLE BUS SHUNT" (ROLE ped.countdown for the display,
#            light for the light sensor; SHUNT a current monitor's shunt in mΩ, else "-"), parsed by
#            scripts/hil out of the board's [[i2c]] tables
#   env.sh   HIL_MAJOR (libgpiod major of the tools and the binary), HIL_CHIP_LABEL, HIL_SLACK_MS,
#            and the site's timings T_* in milliseconds (from Tests/HIL/site.toml)
#
# Helpers for run.sh (a LINE is a line name from the board, LAMP_VEHICLE_RED, or its role, vehicle.red):
#   press LINE / release LINE     drive an input active / inactive (an active-low button is pressed by
#                                 pulling it down); set_input LINE 0|1 does the same by value. A line on
#                                 an MCP23017 (named by its role) is driven through the expander's GPIO
#                                 register on i2c-stub, and read from its output latch
#   lamp LINE                     prints 0 or 1: what the controller drives on an output
#   lamp_is LINE 0|1              the same as a test, without a subshell (for tight loops)
#   wait_lamp LINE VALUE TIMEOUT_S  polls every 50 ms; fails with a message on timeout
#   check NAME CMD...             runs CMD, counts and prints PASS/FAIL; hil_summary prints the total
#   eq GOT WANT, has TEXT NEEDLE  comparisons that say what they saw when they fail
#   alive PID, wait_exit PID TIMEOUT_S (sets EXIT), hold_line LINE VALUE (sets HOLD_PID)
#   gpio_trace_start, gpio_trace_last LINE: the kernel's record of what was last written to a line
#   gpio_trace_mark TEXT, gpio_trace_since_mark LINE VALUE: the time from the mark to the first write
#                                 of VALUE to LINE after it, in the trace's own clock
# and for the I2C parts on i2c-stub (a PART is its role: ped.kerb, lamp.sos.green, ped.countdown, light):
#   i2c_addr PART                 sets I2C_ADDR (0x29) and I2C_DEV (its sysfs name, 0-0029)
#   set_distance PART MM          what the ranging sensor measures next (8190: nothing in range)
#   display_digits PART           sets DIGITS, the four digits the HT16K33 shows ("---7"; "-" blank)
#   part_vanish PART, part_back PART   a kernel driver takes the address (the daemon's next selection of
#                                 it is refused, EBUSY), and gives it back (registers kept)
#   lamp_feedback_start           every current monitor (lamp.ROLE) reads what its lamp draws from now on
#   lamp_blow ROLE, lamp_mend ROLE  the lamp behind a current monitor draws nothing, and draws again
# All the helpers are busy-loop friendly: reads use the shell's `read`, so a 50 ms sample costs no fork.

PASS=0
FAIL=0
OUTPUTS=""   # the output lines' names, in board order
INPUTS=""    # the input lines' names, in board order

# ------------------------------------------------------------------ results ----
# What CMD prints (why it failed, what it measured) follows its PASS/FAIL line, which ends with the guest's
# uptime when CMD returned (where a run spends its time).
check() {
  _name=$1; shift
  "$@" > /tmp/.check 2>&1; _rc=$?
  read -r _up _ < /proc/uptime
  if [ $_rc = 0 ]; then PASS=$((PASS + 1)); echo "PASS: $_name  [${_up}s]"; else FAIL=$((FAIL + 1)); echo "FAIL: $_name  [${_up}s]"; fi
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
# Sets L_OFF, L_NAME, L_ROLE, L_DIR, L_AL for a line name or role; fails for an unknown one. A line on an
# MCP23017 also sets L_XADDR (the expander's address) and L_XBIT (0-7 GPA0-7, 8-15 GPB0-7); L_OFF is "x".
_line() {
  _key "$1"
  eval "L_OFF=\${_off_$_k-}"
  [ -n "$L_OFF" ] || { echo "  hil: no line or role '$1' on the board" >&2; return 1; }
  eval "L_NAME=\$_name_$_k L_ROLE=\$_role_$_k L_DIR=\$_dir_$_k L_AL=\$_al_$_k L_XADDR=\${_xaddr_$_k-} L_XBIT=\${_xbit_$_k-}"
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

# ---------------------------------------------------------------------- I2C ----
# i2c-stub emulating the board's I2C parts (/hil/i2c) and nothing else, on /dev/i2c-N, with the registers
# each driver checks at start preloaded: what the parts hold at power-up. Sets BUS and I2C_PARTS
# (" ROLE=ADDRESS ..."). SMBus transfers only: i2c-stub refuses I2C_RDWR and plain reads and writes.
hil_i2c_setup() {
  _addrs=""; I2C_PARTS=""
  while read -r _p _a _r _b _s; do
    _a=$(printf '0x%02x' $(($_a)))
    _key "$_r"
    eval "_i2c_addr_$_k=$_a _i2c_part_$_k=$_p _i2c_bus_$_k=$_b"
    _addrs="$_addrs${_addrs:+,}$_a"; I2C_PARTS="$I2C_PARTS $_r=$_a"
    case $_p in ina219|ina226) MONITORS="$MONITORS $_r:$_a:$_p:$_s" ;; esac
  done < /hil/i2c
  insmod /lib/modules/i2c-dev.ko || return 1
  # The stub wants at least one address; a board without I2C parts gets one at 0x08 (reserved, unused).
  insmod /lib/modules/i2c-stub.ko chip_addr=${_addrs:-0x08} || return 1
  BUS=$(i2cdetect -l | awk '/SMBus stub/ { sub("i2c-", "", $1); print $1 }')
  [ -n "$BUS" ] && [ -c "/dev/i2c-$BUS" ] || { echo "  hil: no /dev/i2c-N for i2c-stub"; i2cdetect -l; return 1; }
  _xlines_setup || return 1
  while read -r _p _a _r _b _s; do
    [ "$_b" = "/dev/i2c-$BUS" ] || { echo "  hil: the board puts $_r on $_b; i2c-stub is /dev/i2c-$BUS"; return 1; }
    _a=$(printf '0x%02x' $(($_a)))
    case $_p in
      vl53l0x) preload_vl53l0x "$_a" ;;
      ina219) preload_ina2xx "$_a" ;;
      ina226) preload_ina2xx "$_a" && preload_ina226_identity "$_a" ;;
      veml7700) preload_veml7700 "$_a" ;;
      ht16k33) preload_ht16k33 "$_a" ;;
      mcp23017) preload_mcp23017 "$_a" ;;
      *) echo "  hil: no preload for a $_p"; false ;;
    esac || { echo "  hil: preloading the $_p at $_a failed"; return 1; }
  done < /hil/i2c
}

# The board's lines on MCP23017 expanders (/hil/xlines: "EXPANDER PIN ROLE in|out ACTIVE_LOW"), known to
# _line by their roles; XINPUTS and XOUTPUTS list the roles.
XINPUTS=""; XOUTPUTS=""
_xlines_setup() {
  [ -s /hil/xlines ] || return 0
  while read -r _x _pin _r _d _a; do
    _key "$_x"; eval "_xa=\${_i2c_addr_$_k-}"
    [ -n "$_xa" ] || { echo "  hil: $_r is on expander $_x, which no [[i2c]] table names"; return 1; }
    case $_pin in
      GPA[0-7]) _bit=${_pin#GPA} ;;
      GPB[0-7]) _bit=$((8 + ${_pin#GPB})) ;;
      *) echo "  hil: $_r: no pin $_pin on an MCP23017"; return 1 ;;
    esac
    _key "$_r"
    eval "_off_$_k=x _name_$_k=$_x.$_pin _role_$_k=$_r _dir_$_k=$_d _al_$_k=$_a _xaddr_$_k=$_xa _xbit_$_k=$_bit"
    if [ "$_d" = out ]; then XOUTPUTS="$XOUTPUTS $_r"; else XINPUTS="$XINPUTS $_r"; fi
  done < /hil/xlines
}
# XWORD: the expander's 16-bit register pair REG (GPIO 0x12, OLAT 0x14; A in the low byte), one SMBus word.
_xword() { _w=$(i2cget -y "$BUS" "$L_XADDR" "$1" w) && XWORD=$((_w)); }
# Sets bit BIT of the pair REG to V (0 or 1), the other bits as they were.
_xset() {
  _xword "$1" || return 1
  if [ "$3" = 1 ]; then _w=$((XWORD | 1 << $2)); else _w=$((XWORD & ~(1 << $2))); fi
  i2cset -y "$BUS" "$L_XADDR" "$1" "$(printf '0x%04x' "$_w")" w
}
# An MCP23017 at power-up: every line an input (IODIR 0xFFFF), latches 0, and each of the board's inputs on
# it at its idle level (an active-low button up: high).
preload_mcp23017() {
  _g=0
  for _r in $XINPUTS; do _line "$_r" && [ "$L_XADDR" = "$1" ] && [ "$L_AL" = 1 ] && _g=$((_g | 1 << L_XBIT)); done
  i2cset -y "$BUS" "$1" 0x00 0xffff w && i2cset -y "$BUS" "$1" 0x14 0x0000 w && i2cset -y "$BUS" "$1" 0x12 "$(printf '0x%04x' "$_g")" w
}

# Big-endian registers (VL53L0X, INA2xx): an SMBus word goes low byte first, so i2c-stub must hold the
# value byte-swapped for a read to put its high byte on the wire first. Prints the word for i2cset's w.
_be_word() { printf '0x%04x' $(( ($1 >> 8 & 0xff) | ($1 & 0xff) << 8 )); }

# A VL53L0X as its driver finds it (Sources/CrossguardDrivers/VL53L0X.swift): the identity
# (IDENTIFICATION_MODEL_ID 0xC0 = 0xEE, 0xC1 = 0xAA), a sample always ready (RESULT_INTERRUPT_STATUS 0x13
# bits 2:0; the reference calibrations wait for the same bits, so they end at once), RESULT_RANGE_STATUS
# 0x14 = device status 11 "range complete" in bits 6:3, and the range at 0x1E: nothing in range.
preload_vl53l0x() {
  i2cset -y "$BUS" "$1" 0xc0 0xee && i2cset -y "$BUS" "$1" 0xc1 0xaa &&
    i2cset -y "$BUS" "$1" 0x13 0x07 && i2cset -y "$BUS" "$1" 0x14 $((11 << 3)) &&
    i2cset -y "$BUS" "$1" 0x1e "$(_be_word 8190)" w
}
# An INA219/INA226: the power-on configuration (0x00 = 0x399F; the driver writes its own and reads it
# back) and no current through the shunt (0x01).
preload_ina2xx() { i2cset -y "$BUS" "$1" 0x00 "$(_be_word 0x399f)" w && i2cset -y "$BUS" "$1" 0x01 0x0000 w; }
# An INA226's identity, which its driver checks before configuring it: manufacturer 0xFE = 0x5449 ("TI"),
# die 0xFF = 0x2260 (INA226, revision 0).
preload_ina226_identity() { i2cset -y "$BUS" "$1" 0xfe "$(_be_word 0x5449)" w && i2cset -y "$BUS" "$1" 0xff "$(_be_word 0x2260)" w; }
# A VEML7700 (little-endian, SMBus order): ALS count 0x04 = 1000, about 270 lx at the driver's gain and
# integration time: daylight.
preload_veml7700() { i2cset -y "$BUS" "$1" 0x04 1000 w; }
# An HT16K33: display RAM 0x00-0x0F is undefined at power-up; 0xFF everywhere ("8." on every digit), so
# the driver's blanking at start is seen.
preload_ht16k33() {
  i2cset -y "$BUS" "$1" 0x00 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff i
}

# I2C_ADDR and I2C_DEV (the sysfs device name, 0-0029) of the part playing ROLE; fails for an unknown one.
i2c_addr() {
  _key "$1"
  eval "I2C_ADDR=\${_i2c_addr_$_k-}"
  [ -n "$I2C_ADDR" ] || { echo "  hil: no I2C part plays '$1' on the board (it has:$I2C_PARTS)" >&2; return 1; }
  I2C_DEV=$(printf '%d-%04x' "$BUS" $(($I2C_ADDR)))
}
# What a ranging sensor measures from now on, in millimetres (a new sample is always ready).
set_distance() { i2c_addr "$1" && i2cset -y "$BUS" "$I2C_ADDR" 0x1e "$(_be_word "$2")" w; }

# ------------------------------------------------------------ lamp current ----
# A lamp behind a current monitor draws LAMP_MA while its output is lit and nothing while it is dark, as a
# healthy lamp does: lamp_feedback_start runs a loop that reads each monitored lamp's line every 50 ms and
# writes the monitor's shunt register when the lamp changes (INA219 10 µV per bit, INA226 2.5 µV, through
# the board's shunt_mohm), so the daemon's sensor thread reads it within a poll. MONITORS lists them as
# "lamp.ROLE:ADDRESS:PART:SHUNT_MOHM" (hil_i2c_setup). A write refused while the part has "vanished"
# (EBUSY) is tried again on the next turn. lamp_blow ROLE: the lamp draws nothing from now on, lit or not.
MONITORS=""
LAMP_MA=200
_shunt_word() {  # PART SHUNT_MOHM MA: the shunt register for MA through the shunt, as i2cset's word
  _uv=$(($3 * $2))   # mA × mΩ = µV
  case $1 in ina226) _be_word $((_uv * 10 / 25)) ;; *) _be_word $((_uv / 10)) ;; esac
}
lamp_feedback_start() {
  for _m in $MONITORS; do
    _r=${_m%%:*}
    _lamp "${_r#lamp.}" 2>/dev/null || { echo "  hil: $_r: no output ${_r#lamp.} on the board to follow"; return 1; }
  done
  [ -n "$MONITORS" ] || return 0
  rm -f /tmp/.feedback; mkfifo /tmp/.feedback || return 1
  (
    # It waits with the shell's own `read -t` on a FIFO that never delivers: a `sleep` would fork and
    # exec 20 times a second, which under emulation takes a good part of the guest's one CPU.
    exec 9<> /tmp/.feedback
    while :; do
      for _m in $MONITORS; do
        _r=${_m%%:*}; _rest=${_m#*:}; _a=${_rest%%:*}; _rest=${_rest#*:}; _p=${_rest%%:*}; _s=${_rest#*:}
        _o=${_r#lamp.}; _key "$_o"
        _lamp "$_o"; [ -e "/tmp/blown.$_o" ] && LAMP=0
        eval "_was=\${_fed_$_k-}"
        [ "$_was" = "$LAMP" ] && continue
        _w=0; [ "$LAMP" = 1 ] && _w=$LAMP_MA
        i2cset -y "$BUS" "$_a" 0x01 "$(_shunt_word "$_p" "$_s" "$_w")" w 2>/dev/null && eval "_fed_$_k=$LAMP"
      done
      read -t 0.05 _ <&9
    done
  ) &
  FEEDBACK_PID=$!
}
lamp_blow() { : > "/tmp/blown.$1"; }
lamp_mend() { rm -f "/tmp/blown.$1"; }

# DIGITS: the four digits an HT16K33 shows (Sources/CrossguardDrivers/HT16K33.swift: RAM 0x00, 0x02, 0x06,
# 0x08, segments a-g in bits 0-6), each 0-9, "-" when blank and "?" for a pattern that is no digit;
# DISPLAY_RAM the ten bytes as read. One SMBus I2C-block read.
display_digits() {
  i2c_addr "$1" || return 1
  DISPLAY_RAM=$(i2cget -y "$BUS" "$I2C_ADDR" 0x00 i 10) || { echo "  hil: i2cget of the display RAM at $I2C_ADDR failed"; return 1; }
  DIGITS=""; _i=0
  for _b in $DISPLAY_RAM; do
    case $_i in
      0|2|6|8)
        case $_b in
          0x00) _d=- ;; 0x3f) _d=0 ;; 0x06) _d=1 ;; 0x5b) _d=2 ;; 0x4f) _d=3 ;; 0x66) _d=4 ;;
          0x6d) _d=5 ;; 0x7d) _d=6 ;; 0x07) _d=7 ;; 0x7f) _d=8 ;; 0x6f) _d=9 ;; *) _d="?" ;;
        esac
        DIGITS=$DIGITS$_d ;;
    esac
    _i=$((_i + 1))
  done
  [ $_i = 10 ] || { echo "  hil: the display RAM read gave $_i bytes: $DISPLAY_RAM"; return 1; }
}
# Polls the display every 100 ms until it shows WANT ("----" for blank), up to TIMEOUT_S.
wait_display() {
  to_ms "$3"; _limit=$MS; now_ms; _t0=$NOW
  while :; do
    display_digits "$1" || return 1
    [ "$DIGITS" = "$2" ] && return 0
    now_ms; [ $((NOW - _t0)) -ge "$_limit" ] && break
    sleep 0.1
  done
  echo "  the display shows '$DIGITS' (RAM $DISPLAY_RAM) after $(fmt_s $((NOW - _t0))) s, wanted '$2'"
  return 1
}

# A part vanishes as if unplugged: i2c-core's built-in dummy driver binds to its address, so i2c-dev
# refuses the address (EBUSY) to a bus that selects it from now on. The daemon selects an address only
# when it changes between transfers: with two or more parts polled, every poll selects again.
part_vanish() {
  i2c_addr "$1" || return 1
  echo "dummy $I2C_ADDR" > "/sys/bus/i2c/devices/i2c-$BUS/new_device" || return 1
  _drv=$(readlink "/sys/bus/i2c/devices/$I2C_DEV/driver")
  [ "${_drv##*/}" = dummy ] || { echo "  hil: $I2C_DEV is bound to '${_drv##*/}', not dummy"; return 1; }
}
# ... and comes back: the driver lets go of the address; i2c-stub kept the registers.
part_back() {
  i2c_addr "$1" || return 1
  echo "$I2C_ADDR" > "/sys/bus/i2c/devices/i2c-$BUS/delete_device" || return 1
  [ ! -e "/sys/bus/i2c/devices/$I2C_DEV" ] || { echo "  hil: $I2C_DEV is still there"; return 1; }
}

# Debian's busybox ash runs its own i2c* applets before $PATH: functions win over applets.
for _t in i2cdetect i2cget i2cset i2cdump i2ctransfer; do eval "$_t() { /usr/sbin/$_t \"\$@\"; }"; done

# Drives an input to its logical value: gpio-sim makes an input read its pull, so active (1) is pull-up
# for an active-high line and pull-down for an active-low one (a button wired to ground).
set_input() {
  _line "$1" || return 1
  [ "$L_DIR" = in ] || { echo "  hil: $1 is an output; only inputs are driven" >&2; return 1; }
  if [ -n "$L_XADDR" ]; then _xset 0x12 "$L_XBIT" $(($2 ^ L_AL)); return; fi
  if [ "$(($2 ^ L_AL))" = 1 ]; then echo pull-up > "$SIM/sim_gpio$L_OFF/pull"; else echo pull-down > "$SIM/sim_gpio$L_OFF/pull"; fi
}
press() { set_input "$1" 1; }
release() { set_input "$1" 0; }

# LAMP: 0 or 1, what the controller drives on an output (an active-low output is inverted back).
# gpio-sim returns a released line to its pull (down): a line nobody drives reads 0.
_lamp() {
  _line "$1" || return 1
  if [ -n "$L_XADDR" ]; then
    _xword 0x14 || return 1                       # the expander's output latch, as the daemon last wrote it
    LAMP=$((XWORD >> L_XBIT & 1))
    [ "$L_AL" = 1 ] && LAMP=$((1 - LAMP))
    return 0
  fi
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
# Writes TEXT into the trace: what gpio_trace_since_mark measures from.
gpio_trace_mark() { echo "hil: $1" > "$TRACE/trace_marker"; }
# SINCE_US: microseconds from the newest mark to the first time VALUE (logical: an active-low line is
# inverted) was written to LINE after it; fails, saying so, when there is no mark or no such write.
gpio_trace_since_mark() {
  _line "$1" && _gpio_base || return 1
  _want=$2; [ "$L_AL" = 1 ] && _want=$((1 - _want))
  SINCE_US=$(awk -v g=$((GPIO_BASE + L_OFF)) -v want="$_want" '
    function usec(   i, t) { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { t = $i; sub(/:$/, "", t); split(t, p, "."); return p[1] * 1000000 + p[2] } return -1 }
    /tracing_mark_write: hil: / { mark = usec(); hit = ""; next }
    mark != "" && hit == "" { for (i = 1; i < NF; i++) if ($i == "gpio_value:" && $(i + 1) == g && $(i + 2) == "set" && $(i + 3) == want) hit = usec() - mark }
    END { print hit }' "$TRACE/trace")
  [ -n "$SINCE_US" ] || { echo "  no write of $2 to $1 after the mark in the kernel trace"; return 1; }
}
gpio_trace_stop() { echo 0 > "$TRACE/tracing_on"; echo 0 > "$TRACE/events/gpio/gpio_value/enable"; }
