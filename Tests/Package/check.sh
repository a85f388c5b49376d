#!/usr/bin/env bash
# Checks the Debian package end to end: builds it twice from one release binary (revisions 1 and 2),
# inspects it, runs lintian, then in a throw-away Debian root (debootstrap, minbase, under .build/) installs
# it, upgrades it to the second build, removes and purges it, and checks the unit with systemd-analyze
# verify. Every check prints "ok" or "FAIL"; the script exits 1 on any failure. Needs root (chroot, mount).
#
# Usage: Tests/Package/check.sh [--binary PATH]   (default: scripts/package builds the release binary)
# The Debian root is cached as a tarball under ~/.cache/crossguard/package (CROSSGUARD_PACKAGE_CACHE).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
binary_args=()
if [[ ${1-} == --binary ]]; then binary_args=(--binary "$2"); fi
((EUID == 0)) || { echo "package-check: needs root (debootstrap, chroot)" >&2; exit 2; }

out=$ROOT/.build/package-check
rm -rf "$out"
mkdir -p "$out"
failures=0
t0=$(date +%s)
say() { printf '[package %3ss] %s\n' "$(($(date +%s) - t0))" "$*"; }
check() {  # DESCRIPTION COMMAND...: ok when the command succeeds
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then say "ok    $what"; else say "FAIL  $what"; failures=$((failures + 1)); fi
}
check_not() {  # DESCRIPTION COMMAND...: ok when the command fails
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then say "FAIL  $what"; failures=$((failures + 1)); else say "ok    $what"; fi
}

# ------------------------------------------------------------------------------------------- build ----
deb1=$("$ROOT/scripts/package" "${binary_args[@]}" --revision 1 --out "$out")
if ((${#binary_args[@]} == 0)); then binary_args=(--binary "$(cd "$ROOT" && swift build -c release --show-bin-path)/crossguard"); fi
deb2=$("$ROOT/scripts/package" "${binary_args[@]}" --revision 2 --out "$out")
say "built $(basename "$deb1") ($(stat -c %s "$deb1") bytes) and $(basename "$deb2")"

# ----------------------------------------------------------------------------------------- inspect ----
dpkg-deb --info "$deb1" >"$out/info.txt"
dpkg-deb --contents "$deb1" >"$out/contents.txt"
dpkg-deb --field "$deb1" Depends >"$out/depends.txt"
control=$(mktemp -d)
dpkg-deb --control "$deb1" "$control"
for path in ./usr/bin/crossguard ./usr/lib/systemd/system/crossguard.service ./usr/lib/udev/rules.d/99-crossguard.rules \
  ./usr/share/crossguard/boards/rpi4b.toml ./usr/share/crossguard/boards/rpi5.toml ./usr/share/crossguard/boards/rpi-zero2w.toml \
  ./usr/share/crossguard/examples/site.toml ./etc/crossguard/board.toml ./etc/crossguard/site.toml ./usr/share/doc/crossguard/copyright; do
  check "contains $path" grep -q " $path\$" "$out/contents.txt"
done
check "nothing under /usr/local or /var" bash -c "! grep -E ' \\./(usr/local|var)/' '$out/contents.txt'"
check "conffiles are exactly board.toml and site.toml" diff <(printf '/etc/crossguard/board.toml\n/etc/crossguard/site.toml\n') "$control/conffiles"
check "Depends names libgpiod2 (or libgpiod3) and libi2c0" grep -Eq 'libgpiod[23] \(>= [0-9.]+\).*libi2c0' "$out/depends.txt"
check "the binary in it links no shared Swift runtime" bash -c "dpkg-deb --fsys-tarfile '$deb1' | tar -xO ./usr/bin/crossguard > '$out/crossguard' && ! readelf -d '$out/crossguard' | grep -q libswift"
rm -rf "$control"
say "Depends: $(cat "$out/depends.txt")"

# lintian exits 0 when clean, 1 when it reports an error, higher when it could not run at all.
lintian --tag-display-limit 0 "$deb1" >"$out/lintian.txt" 2>&1 && rc=0 || rc=$?
grep -v 'running with root privileges' "$out/lintian.txt" | sed 's/^/  lintian: /' || true
check "lintian ran (exit $rc)" test "$rc" -le 1
check "lintian reports no error or warning" bash -c "! grep -E '^(E|W): ' '$out/lintian.txt'"

# ------------------------------------------------------------------------------ a throw-away root ----
# Debian 12 minbase with what the package depends on and systemd (for systemd-analyze verify), made once and
# cached; each run unpacks a fresh copy.
cache=${CROSSGUARD_PACKAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/crossguard/package}
include=libgpiod2,libi2c0,adduser,init-system-helpers,systemd,udev
tarball=$cache/bookworm-minbase-$(echo "$include" | md5sum | cut -c1-8).tgz
mkdir -p "$cache"
if [[ ! -s $tarball ]]; then
  say "debootstrap: making the Debian 12 root once ($tarball)"
  rm -rf "$cache/make" && mkdir -p "$cache/make"
  debootstrap --variant=minbase --include="$include" --make-tarball="$tarball.part" bookworm "$cache/make" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log"; echo "package-check: debootstrap failed" >&2; exit 1; }
  mv "$tarball.part" "$tarball"
  rm -rf "$cache/make"
fi
root=$out/root
say "debootstrap: unpacking the Debian 12 root into $root"
debootstrap --variant=minbase --include="$include" --unpack-tarball="$tarball" bookworm "$root" http://deb.debian.org/debian >"$out/debootstrap.log" 2>&1 ||
  { tail -20 "$out/debootstrap.log"; echo "package-check: debootstrap --unpack-tarball failed" >&2; exit 1; }
mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
cp "$deb1" "$deb2" "$root/tmp/"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
d1=/tmp/$(basename "$deb1")
d2=/tmp/$(basename "$deb2")

# ---------------------------------------------------------------------------------------- install ----
check "installs (dpkg -i, revision 1)" in_root dpkg -i "$d1"
check "the system user crossguard exists" in_root getent passwd crossguard
check "its shell is nologin" bash -c "chroot '$root' getent passwd crossguard | grep -q ':/usr/sbin/nologin\$'"
check "/etc/crossguard is root:crossguard 0750" test "$(in_root stat -c '%U:%G %a' /etc/crossguard)" = "root:crossguard 750"
check "site.toml is root:crossguard 0640" test "$(in_root stat -c '%U:%G %a' /etc/crossguard/site.toml)" = "root:crossguard 640"
check "/var/lib/crossguard is crossguard's, 0750" test "$(in_root stat -c '%U:%G %a' /var/lib/crossguard)" = "crossguard:crossguard 750"
check "the service is enabled" test -L "$root/etc/systemd/system/multi-user.target.wants/crossguard.service"
check "a drop-in drops the missing groups gpio and i2c" grep -qx 'SupplementaryGroups=' "$root/etc/systemd/system/crossguard.service.d/10-groups.conf"
check "the installed binary runs and gives its version" in_root /usr/bin/crossguard --version
# The packaged site file has no device id: check-config refuses it, so the unit's ExecCondition skips the start.
in_root /usr/bin/crossguard check-config --board /etc/crossguard/board.toml --site /etc/crossguard/site.toml >"$out/check-unedited.txt" 2>&1 && rc=0 || rc=$?
check "check-config refuses the unedited site file (exit 1)" test "$rc" = 1
check "... saying device_id is missing" grep -q 'site.toml: device_id is missing' "$out/check-unedited.txt"
check "the unit runs check-config as its ExecCondition" grep -q '^ExecCondition=/usr/bin/crossguard check-config ' "$root/usr/lib/systemd/system/crossguard.service"
in_root systemd-analyze verify /usr/lib/systemd/system/crossguard.service >"$out/verify.txt" 2>&1 && rc=0 || rc=$?
sed 's/^/  systemd-analyze: /' "$out/verify.txt"
check "systemd-analyze verify passes the unit" test "$rc" = 0 -a ! -s "$out/verify.txt"

# The technician's edit, and state the daemon wrote: the upgrade must keep both.
sed -i 's/^# device_id = .*/device_id = "pkg-test-0001"/' "$root/etc/crossguard/site.toml"
check "the edited site file passes check-config" in_root /usr/bin/crossguard check-config --board /etc/crossguard/board.toml --site /etc/crossguard/site.toml
in_root /usr/bin/timeout -s INT 3 /usr/bin/crossguard run --simulated --board /usr/share/crossguard/boards/sim.toml \
  --site /etc/crossguard/site.toml --state-dir /var/lib/crossguard >"$out/run.txt" 2>&1 || true
check "a run on the simulated board wrote its state (mark, outbox)" test -s "$root/var/lib/crossguard/state-format"
site_before=$(md5sum <"$root/etc/crossguard/site.toml")
state_before=$(cd "$root/var/lib/crossguard" && find . -type f -exec md5sum {} + | sort)

# ---------------------------------------------------------------------------------------- upgrade ----
check "upgrades to revision 2 (dpkg -i, conffiles kept)" in_root dpkg -i --force-confold "$d2"
version2=$(dpkg-deb --field "$deb2" Version)
check "version $version2 is installed" test "$(chroot "$root" dpkg-query -W -f='${Version}' crossguard)" = "$version2"
check "the edited site file is kept" test "$(md5sum <"$root/etc/crossguard/site.toml")" = "$site_before"
check "the state directory is kept as it was" test "$(cd "$root/var/lib/crossguard" && find . -type f -exec md5sum {} + | sort)" = "$state_before"
check "the service is still enabled" test -L "$root/etc/systemd/system/multi-user.target.wants/crossguard.service"

# ------------------------------------------------------------------------------- remove and purge ----
check "removes (dpkg -r)" in_root dpkg -r crossguard
check_not "the binary is gone" test -e "$root/usr/bin/crossguard"
check "remove keeps /etc/crossguard/site.toml" test -f "$root/etc/crossguard/site.toml"
check "remove keeps the state directory" test -f "$root/var/lib/crossguard/state-format"
check "purges (dpkg -P)" in_root dpkg -P crossguard
check_not "purge deletes /etc/crossguard" test -e "$root/etc/crossguard"
check_not "purge deletes /var/lib/crossguard" test -e "$root/var/lib/crossguard"
check_not "purge deletes the drop-in" test -e "$root/etc/systemd/system/crossguard.service.d"
check_not "purge leaves no enablement link" test -e "$root/etc/systemd/system/multi-user.target.wants/crossguard.service"
check "dpkg knows no crossguard after the purge" bash -c "[ \"\$(chroot '$root' dpkg-query -W -f='\${Status}' crossguard 2>/dev/null || true)\" != 'install ok installed' ] && chroot '$root' true"

umount "$root/proc"
trap - EXIT
rm -rf "$root"
if ((failures)); then say "$failures check(s) failed"; exit 1; fi
say "all package checks passed"
