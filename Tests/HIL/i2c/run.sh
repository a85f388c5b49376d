# Tests/HIL/i2c/run.sh: LinuxI2CBus against the kernel's i2c-dev and i2c-stub, sourced by the HIL guest's
# /init (Tests/HIL/i2c/vm.sh, or any runner with the HIL_EXTRA convention) with this directory at
# /hil/extra (i2c-check, modules/). busybox ash. The runner provides `check NAME CMD...`, `eq GOT WANT`,
# `has TEXT NEEDLE` and BUS (the i2c-stub's bus number), with i2c-stub emulating at least 0x29 and 0x40
# and nothing at 0x50, and the real i2c-tools wrapped in functions (busybox has applets of the same names).
#
# What a "sensor" can do in the guest, and what the main HIL stage can use:
#   vanish:  echo dummy 0x40 > /sys/bus/i2c/devices/i2c-$BUS/new_device   (i2c-core's built-in driver)
#            or echo ina219 0x40 > ... with industrialio, kfifo_buf and ina2xx-adc loaded (a real driver)
#   return:  echo 0x40 > /sys/bus/i2c/devices/i2c-$BUS/delete_device
# i2c-dev then refuses the address with EBUSY (kind busy), but only when a bus selects it: a bus that
# keeps 0x40 selected does not notice until it has talked to another address.

X=/hil/extra/i2c-check
D=/dev/i2c-$BUS
S=/sys/bus/i2c/devices/i2c-$BUS
DEV40=/sys/bus/i2c/devices/$BUS-0040
i2cx() { "$X" "$D" "$@" 2>&1; }
# Every line of a multi-step run, joined with " | ".
steps() { i2cx "$@" | awk 'NR > 1 { printf " | " } { printf "%s", $0 } END { print "" }'; }
now_s() { cut -d" " -f1 /proc/uptime; }
I2C_T0=$(now_s)
echo "i2c: bus $D ($(cat "$S/name")), I2C_FUNCS: $(i2cdetect -F "$BUS" | awk '/yes$/ { n++ } END { print n }') capabilities, i2c-stub chips at $(cat /sys/module/i2c_stub/parameters/chip_addr)"

# ------------------------------------------------------------- round trips ----
# Written with i2cset, read with LinuxI2CBus.
i2cset -y "$BUS" 0x29 0x10 0xab
i2cset -y "$BUS" 0x40 0x02 0x1234 w
i2cset -y "$BUS" 0x29 0x20 0x01 0x02 0x03 0x04 i
check "i2c: read byte written by i2cset" eq "$(i2cx rb 0x29 0x10)" 0xab
check "i2c: read word in wire order (i2cset 0x1234 w: low byte first)" eq "$(i2cx rw 0x40 0x02)" "0x34 0x12"
check "i2c: readBigEndianWord of the same register" eq "$(i2cx rwbe 0x40 0x02)" 0x3412
check "i2c: read block of 4 written by i2cset" eq "$(i2cx rk 0x29 0x20 4)" "0x01 0x02 0x03 0x04"
# Written with LinuxI2CBus, read with i2cget.
check "i2c: write byte" eq "$(i2cx wb 0x29 0x11 0x5a)" ok
check "i2c: ... i2cget reads it" eq "$(i2cget -y "$BUS" 0x29 0x11)" 0x5a
check "i2c: write word 0xbeef (SMBus order)" eq "$(i2cx ww 0x40 0x04 0xbeef)" ok
check "i2c: ... i2cget w reads 0xbeef" eq "$(i2cget -y "$BUS" 0x40 0x04 w)" 0xbeef
check "i2c: writeBigEndianWord 0x399f" eq "$(i2cx wwbe 0x40 0x06 0x399f)" ok
check "i2c: ... i2cget w reads 0x9f39 (0x39 went first)" eq "$(i2cget -y "$BUS" 0x40 0x06 w)" 0x9f39
check "i2c: ... readBigEndianWord reads 0x399f" eq "$(i2cx rwbe 0x40 0x06)" 0x399f
check "i2c: write block of 4" eq "$(i2cx wk 0x29 0x30 0xde,0xad,0xbe,0xef)" ok
check "i2c: ... i2cget i reads it" eq "$(i2cget -y "$BUS" 0x29 0x30 i 4)" "0xde 0xad 0xbe 0xef"
B32=$(i=0; while [ $i -lt 32 ]; do printf '0x%02x' $((0xa0 + i)); [ $i -lt 31 ] && printf ,; i=$((i + 1)); done)
check "i2c: block of 32 (the SMBus maximum) round trip" eq "$(steps wk 0x29 0x40 "$B32" rk 0x29 0x40 32)" "ok | $(echo "$B32" | tr , ' ')"
# i2c-stub: "send byte" sets the register pointer that a plain "receive byte" (i2cget without a register) reads.
i2cset -y "$BUS" 0x29 0x42 0x77
check "i2c: send byte 0x42, then i2cget receive byte reads register 0x42" eq "$(i2cx sb 0x29 0x42; i2cget -y "$BUS" 0x29)" "ok
0x77"
check "i2c: two addresses in turn on one bus (I2C_SLAVE on each change)" eq "$(steps rb 0x29 0x10 rw 0x40 0x02 rb 0x29 0x11 rwbe 0x40 0x06)" "0xab | 0x34 0x12 | 0x5a | 0x399f"

# ------------------------------------------------------------------ faults ----
OUT=$(i2cx rb 0x50 0x00)
check "i2c: nothing at 0x50: no-acknowledge, naming bus, address and register" has "$OUT" "error no-acknowledge: $D device 0x50 register 0x00: read byte"
echo "  $OUT"
check "i2c: a write to 0x50: no-acknowledge" has "$(i2cx wb 0x50 0x01 0x02)" "error no-acknowledge"
check "i2c: a block of 33 is refused before the bus" has "$(i2cx rk 0x29 0x00 33)" "error other: $D device 0x29 register 0x00: read block of 33: an I2C block is 1–32 bytes"
check "i2c: 0x80 is not a 7-bit address" has "$(i2cx rb 0x80 0x00)" "is not a 7-bit address"
check "i2c: an absent bus: not-found" has "$("$X" /dev/i2c-99 rb 0x29 0 2>&1)" "error not-found: /dev/i2c-99: opening the bus: No such file or directory"

# The adapter's capabilities: i2c-stub's functionality parameter is writable at run time; without SMBus
# read word data, a word read is refused by LinuxI2CBus's I2C_FUNCS check, with no errno.
F=/sys/module/i2c_stub/parameters/functionality
if [ -w "$F" ]; then
  F0=$(cat "$F")
  echo $((F0 & ~0x00200000)) > "$F"
  OUT=$(i2cx rw 0x40 0x02)
  check "i2c: adapter without read word data: refused with a message, no errno" eq "$OUT" \
    "error other: $D device 0x40 register 0x02: read word: the adapter cannot do SMBus read word data (I2C_FUNCS 0x$(printf %x $((F0 & ~0x00200000))))"
  check "i2c: ... other transfers still work" eq "$(i2cx rb 0x29 0x10)" 0xab
  echo "$F0" > "$F"
else
  check "i2c: i2c-stub's functionality parameter is writable" false
fi

# Permissions: /dev/i2c-N is root's, mode 0600; a user without rights gets permission-denied.
mkdir -p /etc
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> /etc/passwd
grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >> /etc/group
check "i2c: as nobody: permission-denied" has "$(su -s /bin/sh nobody -c "$X $D rb 0x29 0x10" 2>&1)" "error permission-denied: $D: opening the bus: Permission denied"

# ---------------------------------------------------- busy: a kernel driver ----
# i2c-core's built-in "dummy" driver binds to any address named with new_device: no module needed.
check "i2c: new_device dummy 0x40" sh -c "echo dummy 0x40 > $S/new_device"
check "i2c: ... bound to the dummy driver" eq "$(basename "$(readlink "$DEV40/driver")")" dummy
OUT=$(i2cx rb 0x40 0x02)
check "i2c: ... a new bus gets busy, naming the sysfs device" has "$OUT" "error busy: $D device 0x40: selecting the address: Device or resource busy (a kernel driver owns this address: see $DEV40/driver) (errno 16)"
echo "  $OUT"
check "i2c: ... 0x29 still answers" eq "$(i2cx rb 0x29 0x10)" 0xab
check "i2c: delete_device 0x40" sh -c "echo 0x40 > $S/delete_device"
check "i2c: ... 0x40 answers again, registers kept" eq "$(i2cx rw 0x40 0x02)" "0x34 0x12"

# One long-lived bus, as the daemon holds it: the driver appears while 0x40 is selected (not noticed),
# then the bus talks to 0x29 and back (busy), then the driver goes (answers again).
check "i2c: one bus: vanish while selected, noticed at the next selection, back after delete_device" eq \
  "$(steps rb 0x40 0x02 put "$S/new_device" "dummy 0x40" rb 0x40 0x02 rb 0x29 0x10 rb 0x40 0x02 put "$S/delete_device" 0x40 rb 0x40 0x02 | sed 's/error busy: [^|]*(errno 16)/busy/')" \
  "0x34 | ok | 0x34 | 0xab | busy | ok | 0x34"

# A real driver for the part: the IIO ina2xx-adc driver as "ina219" (Debian's amd64 kernel has no hwmon
# ina2xx). Its probe writes the configuration and calibration registers through i2c-stub.
M=/hil/extra/modules
if [ -f "$M/ina2xx-adc.ko" ]; then
  for m in industrialio kfifo_buf ina2xx-adc; do check "i2c: insmod $m" insmod "$M/$m.ko"; done
  check "i2c: new_device ina219 0x40" sh -c "echo ina219 0x40 > $S/new_device"
  check "i2c: ... bound to ina2xx_adc" eq "$(basename "$(readlink "$DEV40/driver")")" ina2xx_adc
  check "i2c: ... an IIO device appeared" sh -c "ls -d $DEV40/iio:device*"
  check "i2c: ... LinuxI2CBus gets busy" has "$(i2cx rb 0x40 0x00)" "error busy: $D device 0x40: selecting the address"
  check "i2c: ... i2cget is refused too" has "$(i2cget -y "$BUS" 0x40 0x00 2>&1)" "busy"
  check "i2c: delete_device 0x40 (ina219)" sh -c "echo 0x40 > $S/delete_device"
  check "i2c: ... 0x40 answers again" has "$(i2cx rwbe 0x40 0x00)" 0x
  echo "  ina219 probe left config 0x00 = $(i2cx rwbe 0x40 0x00), calibration 0x05 = $(i2cx rwbe 0x40 0x05) (big-endian)"
else
  echo "i2c: no $M/ina2xx-adc.ko: the ina219 checks are skipped"
fi
echo "i2c: checks took $(awk -v a="$I2C_T0" -v b="$(now_s)" 'BEGIN { printf "%.2f", b - a }') s"
