#!/usr/bin/env bash
# Builds i2c-check (Tests/HIL/i2c/main.swift: LinuxI2CBus from the shell) statically against the Swift
# runtime, and stages OUT (default /tmp/i2c/hil) for the guest: i2c-check, run.sh, and the kernel modules
# run.sh binds at an address (the IIO ina2xx-adc driver for "ina219", with industrialio and kfifo_buf),
# taken from the guest kernel's package that scripts/hil caches in ~/.cache/crossguard/hil/debs.
#
# The build is a scratch package in PKG (default /tmp/i2c/pkg) whose targets are symlinks into Sources/
# (CrossguardHAL, CI2C, CrossguardLinux/LinuxI2CBus.swift alone), so the daemon's other dependencies are
# not built. Swift builds on this machine are serialised through /tmp/swift-build.lock.
# Host needs: apt libi2c-dev (header <i2c/smbus.h>, -li2c); scripts/hil run once (the kernel package).
# Then: Tests/HIL/i2c/vm.sh boots the guest with OUT.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
PKG=${PKG:-/tmp/i2c/pkg}
OUT=${OUT:-/tmp/i2c/hil}
[ -f /usr/include/i2c/smbus.h ] || { echo "i2c build: no <i2c/smbus.h>: apt-get install libi2c-dev" >&2; exit 1; }

mkdir -p "$PKG/Sources/CrossguardLinux" "$PKG/Sources/i2c-check"
ln -sfn "$ROOT/Sources/CrossguardHAL" "$PKG/Sources/CrossguardHAL"
ln -sfn "$ROOT/Sources/CI2C" "$PKG/Sources/CI2C"
ln -sfn "$ROOT/Sources/CrossguardLinux/LinuxI2CBus.swift" "$PKG/Sources/CrossguardLinux/LinuxI2CBus.swift"
ln -sfn "$HERE/main.swift" "$PKG/Sources/i2c-check/main.swift"
cat > "$PKG/Package.swift" <<'EOF'
// swift-tools-version:6.1
// Scratch package written by Tests/HIL/i2c/build.sh: LinuxI2CBus and its HIL check, without the daemon.
import PackageDescription

let package = Package(
    name: "CrossguardI2CCheck",
    targets: [
        .target(name: "CrossguardHAL"),
        .target(name: "CI2C", linkerSettings: [.linkedLibrary("i2c", .when(platforms: [.linux]))]),
        .target(name: "CrossguardLinux", dependencies: ["CrossguardHAL", "CI2C"]),
        .executableTarget(name: "i2c-check", dependencies: ["CrossguardHAL", "CrossguardLinux"]),
    ],
    swiftLanguageModes: [.v6]
)
EOF

flags=(-c release --static-swift-stdlib --package-path "$PKG")
flock /tmp/swift-build.lock swift build "${flags[@]}" --product i2c-check
BIN=$(swift build "${flags[@]}" --show-bin-path)/i2c-check

mkdir -p "$OUT/modules"
cp "$BIN" "$HERE/run.sh" "$OUT/"
H=${CROSSGUARD_HIL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/crossguard/hil}   # scripts/hil's cache
KVER=$(cat "$H/kver" 2>/dev/null) || { echo "i2c build: run scripts/hil once (no $H/kver)" >&2; exit 1; }
DEB=$(ls -t "$H"/debs/linux-image-"$KVER"_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] || { echo "i2c build: no linux-image-$KVER .deb in $H/debs (run scripts/hil once)" >&2; exit 1; }
K=./lib/modules/$KVER/kernel/drivers/iio
MODS=("$K/industrialio.ko" "$K/buffer/kfifo_buf.ko" "$K/adc/ina2xx-adc.ko")
if [ ! -s "$OUT/modules/ina2xx-adc.ko" ] || [ "$DEB" -nt "$OUT/modules/ina2xx-adc.ko" ]; then
  tmp=$(mktemp -d)
  dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$tmp" "${MODS[@]}"
  for m in "${MODS[@]}"; do cp "$tmp/$m" "$OUT/modules/"; done
  rm -rf "$tmp"
fi
ls -l "$OUT" "$OUT/modules"
