#!/usr/bin/env bash
# Boots the HIL guest (Debian's kernel in qemu, as scripts/hil does) with only what the I2C check needs:
# busybox, i2c-dev, i2c-stub with chips at 0x10 0x20 0x29 0x40 0x70 (the light sensor, expander, ToF,
# current monitor and display addresses), the real i2c-tools, and OUT (default /tmp/i2c/hil, made by
# Tests/HIL/i2c/build.sh) at /hil/extra, whose run.sh it sources. No gpio-sim: nothing here is GPIO.
#
# Usage: Tests/HIL/i2c/build.sh && Tests/HIL/i2c/vm.sh
# Env:   OUT=/tmp/i2c/hil  VM_DIR=/tmp/i2c/vm (initramfs and serial log)  HIL_TIMEOUT=60  HIL_ACCEL=auto|kvm|tcg
# Uses scripts/hil's cache read-only (~/.cache/crossguard/hil: kernel, unpacked guest packages); if it is
# missing, run
#   scripts/hil --prepare --major 1 --binary Tests/HIL/standin/crossguard
# Exit status 0 only if the guest printed "hil: N passed, 0 failed" with N > 0.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
OUT=${OUT:-/tmp/i2c/hil}
W=${VM_DIR:-/tmp/i2c/vm}
H=${CROSSGUARD_HIL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/crossguard/hil}
t0=${EPOCHREALTIME/./}
say() { local t=${EPOCHREALTIME/./}; printf '[i2c-vm %3d.%ds] %s\n' $(((t - t0) / 1000000)) $(((t - t0) / 100000 % 10)) "$*"; }
die() { echo "i2c-vm: $*" >&2; exit 1; }

KVER=$(cat "$H/kver" 2>/dev/null) || die "no $H/kver: run scripts/hil --prepare --major 1 --binary Tests/HIL/standin/crossguard"
X=$H/guest-$KVER
[ -f "$X/.done" ] || die "no unpacked guest in $X: run scripts/hil --prepare --major 1 --binary Tests/HIL/standin/crossguard"
KERNEL=$H/vmlinux-$KVER
[ -s "$KERNEL" ] || KERNEL=$X/boot/vmlinuz-$KVER
[ -x "$OUT/i2c-check" ] || die "no $OUT/i2c-check: run Tests/HIL/i2c/build.sh"

R=$W/root
rm -rf "$R"; mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib/x86_64-linux-gnu,lib64,proc,sys,dev,tmp,etc,lib/modules,hil}
cp "$X/bin/busybox" "$R/bin/"
for a in $("$R/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
M=$X/lib/modules/$KVER/kernel/drivers/i2c
cp "$M/i2c-dev.ko" "$M/i2c-stub.ko" "$R/lib/modules/"
LIBPATH=$X/usr/lib/x86_64-linux-gnu:$X/lib/x86_64-linux-gnu
copy_libs() {  # ELF: copies the shared libraries it needs (as the host's ldd resolves them) into the root
  { LD_LIBRARY_PATH=$LIBPATH ldd "$1" 2>/dev/null || true; } | awk '/=> \// { print $3 } /^[ \t]*\/lib64\// { print $1 }' |
    while read -r lib; do
      case $lib in
        */ld-linux-x86-64.so.2) cp -L "$lib" "$R/lib64/" ;;
        *) [ -e "$R/lib/x86_64-linux-gnu/${lib##*/}" ] || cp -L "$lib" "$R/lib/x86_64-linux-gnu/" ;;
      esac
    done
}
for b in i2cdetect i2cget i2cset i2cdump i2ctransfer; do
  cp "$X/usr/sbin/$b" "$R/usr/sbin/"; copy_libs "$X/usr/sbin/$b"; rm -f "$R/bin/$b"
done
mkdir -p "$R/hil/extra"; cp -a "$OUT"/. "$R/hil/extra/"
cp "$HERE/run.sh" "$R/hil/extra/run.sh"   # the checks as they are now, without a rebuild
cp "$HERE/../lib.sh" "$R/hil/lib.sh"       # check, eq, has, hil_summary and the i2c-tools wrappers
while IFS= read -r f; do
  if head -c4 "$f" | grep -q ELF; then copy_libs "$f"; fi
done < <(find "$OUT" -type f)

cat > "$R/init" <<'GUEST'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp
echo "hil: guest up after $(cut -d" " -f1 /proc/uptime) s, kernel $(uname -r)"
. /hil/lib.sh
i2c_setup() {
  insmod /lib/modules/i2c-dev.ko && insmod /lib/modules/i2c-stub.ko chip_addr=0x10,0x20,0x29,0x40,0x70 || return 1
  BUS=$(i2cdetect -l | awk '/SMBus stub/ { sub("i2c-", "", $1); print $1 }')
  [ -n "$BUS" ] && [ -c "/dev/i2c-$BUS" ] && echo "  /dev/i2c-$BUS"
}
check "i2c-stub at 0x10 0x20 0x29 0x40 0x70, /dev/i2c-N" i2c_setup
. /hil/extra/run.sh
echo "hil: run.sh done after $(cut -d" " -f1 /proc/uptime) s"
hil_summary
poweroff -f
GUEST
chmod +x "$R/init"
(cd "$R" && find . | "$R/bin/busybox" cpio -o -H newc 2>/dev/null | gzip -1 > "$W/initramfs.cpio.gz")
say "initramfs $(du -h "$W/initramfs.cpio.gz" | cut -f1)"

ACCEL=${HIL_ACCEL:-auto}
if [ "$ACCEL" = auto ]; then
  # A /dev/kvm backed by kvm_pvm (nested software virtualisation) cannot run a stock kernel: TCG there.
  if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then ACCEL=kvm; else ACCEL=tcg; fi
fi
if [ "$ACCEL" = kvm ]; then AOPT=(-accel kvm -cpu host); else AOPT=(-accel tcg -cpu max); fi
say "booting ($ACCEL)"
set +e
timeout "${HIL_TIMEOUT:-60}" qemu-system-x86_64 -M pc "${AOPT[@]}" -m 512M -smp 1 \
  -nodefaults -no-user-config -display none -serial stdio -no-reboot \
  -kernel "$KERNEL" -initrd "$W/initramfs.cpio.gz" \
  -append "console=ttyS0 panic=-1 quiet loglevel=3" </dev/null | tr -d '\r' | tee "$W/serial.log"
rc=${PIPESTATUS[0]}
set -e
say "guest ended (qemu status $rc)"
grep -q '^hil: run.sh done' "$W/serial.log" && grep -Eq '^hil: [1-9][0-9]* passed, 0 failed$' "$W/serial.log"
