#!/usr/bin/env bash
# Installs Crossguard on a Raspberry Pi (or any Linux with systemd and udev) from this repository:
# the user and group crossguard, the binary, the systemd unit, the udev rules and /etc/crossguard with the
# board file and examples; then enables the service, and starts it once /etc/crossguard/site.toml exists
# and passes check-config. Idempotent: run it again after an update; what is already in place is left
# alone, and your /etc/crossguard files are never overwritten. deploy/README.md walks through it.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: sudo deploy/install.sh [options]

  --dry-run, -n      print what would be done, change nothing (no root needed)
  --binary PATH      the crossguard binary for this board (default: deploy/crossguard, else
                     .build/release/crossguard; build it as deploy/README.md says)
  --board NAME       rpi4b, rpi5 or rpi-zero2w (default: read from /proc/device-tree/model)
  --no-start         install and enable, but do not start or restart the service
  -h, --help         this text
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

bin_path=/usr/local/bin/crossguard
unit_path=/etc/systemd/system/crossguard.service
dropin_dir=/etc/systemd/system/crossguard.service.d
dropin_path=$dropin_dir/10-groups.conf
rules_path=/etc/udev/rules.d/99-crossguard.rules
etc_dir=/etc/crossguard

dry_run=false
binary=""
board=""
start=true
while (($#)); do
  case $1 in
    -n | --dry-run) dry_run=true ;;
    --binary) binary=${2:?--binary needs a path}; shift ;;
    --binary=*) binary=${1#*=} ;;
    --board) board=${2:?--board needs a name}; shift ;;
    --board=*) board=${1#*=} ;;
    --no-start) start=false ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

say() { printf 'install: %s\n' "$*"; }
fail() { printf 'install: %s\n' "$*" >&2; exit 1; }

# Runs a command, or only prints it with --dry-run.
run() {
  if $dry_run; then
    printf '+'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}

changed=false  # set when the binary, the unit or its drop-in changed: a running service is restarted

# install_file SRC DEST MODE [GROUP]: copies SRC to DEST unless DEST already holds the same bytes.
install_file() {
  local src=$1 dest=$2 mode=$3 group=${4:-root}
  if [[ -f $dest ]] && cmp -s "$src" "$dest"; then
    say "unchanged $dest"
    return 1
  fi
  run install -D -m "$mode" -o root -g "$group" "$src" "$dest"
  $dry_run || say "installed $dest"
  return 0
}

# write_file DEST MODE TEXT: writes TEXT to DEST unless DEST already holds exactly TEXT.
write_file() {
  local dest=$1 mode=$2 text=$3
  if [[ -f $dest ]] && [[ $(cat "$dest") == "$text" ]]; then
    say "unchanged $dest"
    return 1
  fi
  if $dry_run; then
    printf '+ write %s (mode %s):\n' "$dest" "$mode"
    printf '%s\n' "$text" | sed 's/^/    /'
  else
    install -d -m 0755 "$(dirname "$dest")"
    printf '%s\n' "$text" >"$dest.tmp"
    chmod "$mode" "$dest.tmp"
    mv -f "$dest.tmp" "$dest"
    say "wrote $dest"
  fi
  return 0
}

# --- What to install ------------------------------------------------------------------------------------

if [[ -z $board ]]; then
  model=$({ tr -d '\0' </proc/device-tree/model; } 2>/dev/null || true)
  case $model in
    "Raspberry Pi 5"*) board=rpi5 ;;
    "Raspberry Pi 4 Model B"*) board=rpi4b ;;
    "Raspberry Pi Zero 2 W"*) board=rpi-zero2w ;;
    *) fail "cannot tell the board from '${model:-no /proc/device-tree/model}'; give --board rpi4b, rpi5 or rpi-zero2w" ;;
  esac
  say "board $board (${model})"
fi
case $board in
  rpi4b | rpi5 | rpi-zero2w) ;;
  *) fail "unknown board '$board'; give --board rpi4b, rpi5 or rpi-zero2w" ;;
esac
board_file=$repo/boards/$board.toml
[[ -f $board_file ]] || fail "no board file $board_file"

if [[ -z $binary ]]; then
  for candidate in "$here/crossguard" "$repo/.build/release/crossguard"; do
    if [[ -x $candidate ]]; then binary=$candidate; break; fi
  done
  [[ -n $binary ]] || fail "no crossguard binary found; build it (deploy/README.md) or give --binary PATH"
fi
[[ -x $binary ]] || fail "$binary is not an executable file"
if ! "$binary" --help >/dev/null 2>&1; then
  $dry_run || fail "$binary does not run on this machine (built for another CPU?)"
  say "warning: $binary does not run on this machine (built for another CPU?)"
elif ! "$binary" run --help 2>&1 | grep -q -- '--state-dir'; then
  say "warning: $binary has no 'run' command yet; the service will fail to start until a binary with it is installed"
fi
say "binary $binary"

if ! $dry_run && ((EUID != 0)); then
  fail "run as root (sudo deploy/install.sh), or with --dry-run to see what it would do"
fi

# --- User and groups ------------------------------------------------------------------------------------

if getent group crossguard >/dev/null; then
  say "group crossguard exists"
else
  run groupadd --system crossguard
fi
if getent passwd crossguard >/dev/null; then
  say "user crossguard exists"
else
  nologin=$(command -v nologin || echo /usr/sbin/nologin)
  run useradd --system --gid crossguard --home-dir /var/lib/crossguard --no-create-home \
    --shell "$nologin" --comment "Crossguard controller" crossguard
fi

# The unit asks for the Raspberry Pi OS groups gpio and i2c. Where one is missing, a drop-in lists only
# those that exist (systemd refuses to start a unit naming an unknown group), and the udev rules give the
# devices to the group crossguard instead.
present=()
missing=()
for g in gpio i2c; do
  if getent group "$g" >/dev/null; then present+=("$g"); else missing+=("$g"); fi
done
if ((${#missing[@]} == 0)); then
  say "groups gpio and i2c exist (Raspberry Pi OS): the unit uses them as they are"
  if [[ -e $dropin_path ]]; then
    run rm -f "$dropin_path"
    run rmdir --ignore-fail-on-non-empty "$dropin_dir"
    changed=true
  fi
else
  text="# Written by deploy/install.sh: this system has no $(IFS=/; echo "${missing[*]}") group; those devices
# belong to the group crossguard (udev/99-crossguard.rules), the service's own group.
[Service]
SupplementaryGroups="
  if ((${#present[@]})); then text+=$'\n'"SupplementaryGroups=${present[*]}"; fi
  if write_file "$dropin_path" 0644 "$text"; then changed=true; fi
fi

# --- Files ----------------------------------------------------------------------------------------------

if install_file "$binary" "$bin_path" 0755; then changed=true; fi
if install_file "$here/crossguard.service" "$unit_path" 0644; then changed=true; fi
install_file "$repo/udev/99-crossguard.rules" "$rules_path" 0644 || true

# Configuration: readable by the service (group crossguard), not by everyone (a site file may hold the
# broker's credentials). Your board.toml and site.toml are never overwritten; examples are refreshed.
run install -d -m 0750 -o root -g crossguard "$etc_dir" "$etc_dir/examples"
if [[ -e $etc_dir/board.toml ]]; then
  if cmp -s "$board_file" "$etc_dir/board.toml"; then
    say "unchanged $etc_dir/board.toml"
  else
    say "kept your $etc_dir/board.toml (it differs from boards/$board.toml)"
  fi
else
  install_file "$board_file" "$etc_dir/board.toml" 0640 crossguard || true
fi
for example in "$repo"/examples/*.toml "$repo"/boards/rpi4b.toml "$repo"/boards/rpi5.toml "$repo"/boards/rpi-zero2w.toml; do
  install_file "$example" "$etc_dir/examples/$(basename "$example")" 0640 crossguard || true
done

# --- udev -----------------------------------------------------------------------------------------------

if command -v udevadm >/dev/null; then
  # udev resolves group names when it loads the rules, so reload after creating the group.
  run udevadm control --reload-rules
  # Re-triggering can drop Raspberry Pi OS's compatibility link /dev/gpiochip4 (its rule only adds the
  # link when it is absent); a second trigger of gpiochip0 puts it back.
  had_gpiochip4_link=false
  [[ -L /dev/gpiochip4 ]] && had_gpiochip4_link=true
  run udevadm trigger --action=change --subsystem-match=gpio --subsystem-match=i2c-dev
  run udevadm trigger --action=change --sysname-match='watchdog*'
  run udevadm settle --timeout=10
  if ! $dry_run && $had_gpiochip4_link && [[ ! -e /dev/gpiochip4 ]]; then
    udevadm trigger --action=change --subsystem-match=gpio --sysname-match=gpiochip0
    udevadm settle --timeout=10
  fi
else
  say "warning: udevadm not found; the rules apply at the next boot"
fi

# --- systemd --------------------------------------------------------------------------------------------

if ! command -v systemctl >/dev/null; then
  say "warning: systemctl not found; the unit is installed but not enabled"
  exit 0
fi
run systemctl daemon-reload
run systemctl enable crossguard.service

if ! $start; then
  say "not started (--no-start)"
elif [[ ! -e $etc_dir/site.toml ]]; then
  say "not started: write $etc_dir/site.toml first (examples in $etc_dir/examples), then:"
  say "  sudo $bin_path check-config --board $etc_dir/board.toml --site $etc_dir/site.toml"
  say "  sudo systemctl start crossguard"
elif $dry_run; then
  run "$bin_path" check-config --board "$etc_dir/board.toml" --site "$etc_dir/site.toml"
  run systemctl restart crossguard.service
elif ! "$bin_path" check-config --board "$etc_dir/board.toml" --site "$etc_dir/site.toml" >/dev/null; then
  "$bin_path" check-config --board "$etc_dir/board.toml" --site "$etc_dir/site.toml" >&2 || true
  fail "not started: the configuration above has problems"
elif $changed || ! systemctl is-active --quiet crossguard.service; then
  run systemctl restart crossguard.service
  say "started; check it with: systemctl status crossguard; journalctl -u crossguard -f"
else
  say "already running, nothing changed"
fi
