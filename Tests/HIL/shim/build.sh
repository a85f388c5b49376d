#!/usr/bin/env bash
# Build shim_test against libgpiod 1.x (host: apt-get install libgpiod-dev) and, if GPIOD2
# (default /tmp/gpiod2/x, see fetch-libgpiod2.sh) exists, against libgpiod 2.x, into OUT
# (default /tmp/shim-hil) ready for HIL_EXTRA=OUT. The 2.x binary finds libgpiod.so.3 in
# OUT/lib2 through its rpath ($ORIGIN/lib2), so host ldd (and the HIL recipe) resolve it too.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$HERE/../../../Sources/CGPIOD
OUT=${OUT:-/tmp/shim-hil}
GPIOD2=${GPIOD2:-/tmp/gpiod2/x}
CFLAGS=(-std=c11 -O2 -Wall -Wextra -Werror -Wpedantic -Wshadow -I"$SRC/include")
mkdir -p "$OUT"
gcc "${CFLAGS[@]}" -o "$OUT/shim_test_v1" "$HERE/shim_test.c" "$SRC/crossguard_gpiod.c" -lgpiod
if [ -f "$GPIOD2/usr/include/gpiod.h" ]; then
  L2=$(dirname "$(ls "$GPIOD2"/usr/lib/*/libgpiod.so.3)")
  mkdir -p "$OUT/lib2"
  cp -L "$L2/libgpiod.so.3" "$OUT/lib2/"
  gcc "${CFLAGS[@]}" -I"$GPIOD2/usr/include" -o "$OUT/shim_test_v2" "$HERE/shim_test.c" "$SRC/crossguard_gpiod.c" \
      -L"$L2" -Wl,-rpath,'$ORIGIN/lib2' -lgpiod
fi
cp "$HERE/run.sh" "$OUT/"
ls -l "$OUT"
