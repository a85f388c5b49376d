#!/usr/bin/env bash
# Fetch Debian 13 (trixie) libgpiod 2.x headers and library into a private directory, without
# installing anything on the host. Result: $DEST/x/usr/include/gpiod.h and
# $DEST/x/usr/lib/x86_64-linux-gnu/libgpiod.so{,.3}.  Usage: fetch-libgpiod2.sh [DEST]
set -euo pipefail
DEST=${1:-/tmp/gpiod2}
mkdir -p "$DEST"/{etc,state/lists/partial,cache/archives/partial,debs,x}
echo 'deb http://deb.debian.org/debian trixie main' > "$DEST/etc/sources.list"
touch "$DEST/state/status"
APT=(-o "Dir::Etc::SourceList=$DEST/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o "Dir::State=$DEST/state" -o "Dir::State::status=$DEST/state/status"
     -o "Dir::Cache=$DEST/cache" -o APT::Sandbox::User=root)
apt-get "${APT[@]}" update -qq
(cd "$DEST/debs" && apt-get "${APT[@]}" download libgpiod-dev libgpiod3)
for d in "$DEST"/debs/*.deb; do dpkg -x "$d" "$DEST/x"; done
ls "$DEST/x/usr/include/gpiod.h" "$DEST"/x/usr/lib/*/libgpiod.so.3
