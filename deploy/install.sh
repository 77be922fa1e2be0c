#!/bin/sh
# Install or upgrade the parcel-locker kiosk on a cabinet: Raspberry Pi OS bookworm (aarch64) or Debian 12
# x86-64, Python 3.11. Run from a checkout or an unpacked release:   sudo sh deploy/install.sh [--pi]
#
# Why a plain sh script: a technician runs it once per cabinet, often offline over a serial console, and must
# be able to read what it does; --dry-run prints every action without changing anything, and --root DIR
# writes the files into a staging tree (an image being built, or a test) without touching the running system:
# apt, useradd, chown, systemctl and the venv build are then printed, not run.
#
# Layout (README "Install on a cabinet"):
#   /opt/parcel-kiosk          root 0755   code (src/) and the Python venv (venv/)
#   /etc/parcel-kiosk          root:kiosk 0750, kiosk.toml and env 0640
#   /etc/parcel-kiosk/secrets  kiosk 0700, cabinet.key (and command.key) 0600
#   /var/lib/parcel-kiosk      kiosk 0750   database, clips (video/), backups/
#   /var/log/parcel-kiosk      kiosk 0750   kiosk.log, 5 x 2 MB
set -eu
umask 022

usage() {
    cat <<'EOF'
usage: install.sh [--root DIR] [--dry-run] [--pi] [--cage] [--upgrade] [--wheelhouse DIR]
  --root DIR        install into DIR as if it were / (files only; system commands are printed, not run)
  --dry-run         print every action, change nothing
  --pi              Raspberry Pi extras: python3-lgpio, the gpio group, GPIOZERO_PIN_FACTORY=lgpio
  --cage            run the kiosk inside the cage Wayland compositor instead of Qt's eglfs
  --upgrade         stop the kiosk, install the new version, back up and migrate the database, start it
  --wheelhouse DIR  install Python packages from DIR only (an offline cabinet)
EOF
}

ROOT=/
DRY=0
PI=0
CAGE=0
UPGRADE=0
WHEELHOUSE=
SRC=$(cd "$(dirname "$0")/.." && pwd)

while [ $# -gt 0 ]; do
    case $1 in
        --root) [ $# -ge 2 ] || { usage >&2; exit 2; }; ROOT=$2; shift ;;
        --root=*) ROOT=${1#--root=} ;;
        --dry-run) DRY=1 ;;
        --pi) PI=1 ;;
        --cage) CAGE=1 ;;
        --upgrade) UPGRADE=1 ;;
        --wheelhouse) [ $# -ge 2 ] || { usage >&2; exit 2; }; WHEELHOUSE=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

case $ROOT in /*) ;; *) ROOT=$(pwd)/$ROOT ;; esac
R=${ROOT%/}                      # prefix for every path written; empty for the real /
STAGED=0
[ -n "$R" ] && STAGED=1

APP=/opt/parcel-kiosk
ETC=/etc/parcel-kiosk
DATA=/var/lib/parcel-kiosk
LOGS=/var/log/parcel-kiosk
UNIT=parcel-kiosk.service
USER_NAME=kiosk
TEST_ONLY="xvfb mosquitto"       # in .ci/apt-packages.txt for the tests only

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

# do_: a change to files under the install root. --dry-run prints it.
do_() {
    if [ $DRY = 1 ]; then say "would: $*"; else say "+ $*"; "$@"; fi
}

# sys_: a command that acts on the running system (packages, users, ownership, services). --dry-run and
# --root print it; only a real install runs it.
sys_() {
    if [ $DRY = 1 ] || [ $STAGED = 1 ]; then say "would (system): $*"; else say "+ $*"; "$@"; fi
}

# dir PATH MODE OWNER:GROUP
dir() {
    do_ install -d -m "$2" "$R$1"
    sys_ chown "$3" "$R$1"
}

# file SOURCE PATH MODE OWNER:GROUP [keep]: "keep" leaves an existing (edited) file alone and puts the new
# version beside it as PATH.dist, for the technician to compare.
file() {
    dest=$R$2
    if [ "${5:-}" = keep ] && [ -e "$dest" ]; then
        say "keeping $2 (the new version goes to $2.dist)"
        dest=$dest.dist
    fi
    do_ install -m "$3" "$1" "$dest"
    sys_ chown "$4" "$dest"
}

[ -f "$SRC/pyproject.toml" ] && [ -d "$SRC/kiosk" ] || die "run me from the kiosk source tree (no $SRC/pyproject.toml)"
if [ $DRY = 0 ] && [ $STAGED = 0 ] && [ "$(id -u)" != 0 ]; then
    die "run as root (sudo), or use --root DIR / --dry-run"
fi
say "parcel-kiosk: installing from $SRC into ${R:-/}$([ $DRY = 1 ] && echo ' (dry run: nothing changes)')"

# ---- 1. stop the running kiosk before its files change ------------------------------------------------
if [ $UPGRADE = 1 ]; then
    sys_ systemctl stop "$UNIT"
fi

# ---- 2. Debian packages -------------------------------------------------------------------------------
PKGS=
EXTRA="python3-venv espeak-ng sqlite3 cage"
[ $PI = 1 ] && EXTRA="$EXTRA python3-lgpio"
for p in $(sed -e 's/#.*//' "$SRC/.ci/apt-packages.txt") $EXTRA; do
    case " $TEST_ONLY $PKGS " in *" $p "*) continue ;; esac   # test-only, or listed already
    PKGS="$PKGS $p"
done
sys_ apt-get update
# shellcheck disable=SC2086  # one word per package
sys_ apt-get install -y --no-install-recommends $PKGS

# ---- 3. the kiosk user ----------------------------------------------------------------------------------
if [ $STAGED = 0 ] && getent passwd "$USER_NAME" >/dev/null 2>&1; then
    say "user $USER_NAME exists"
else
    sys_ useradd --system --user-group --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin \
        --comment "parcel-locker kiosk" "$USER_NAME"
fi
# serial ports, display (KMS and render nodes), touch input, sound, and the Pi's GPIO chips
GROUPS_WANTED="dialout video render input audio"
[ $PI = 1 ] && GROUPS_WANTED="$GROUPS_WANTED gpio"
for g in $GROUPS_WANTED; do
    if [ $STAGED = 1 ] || getent group "$g" >/dev/null 2>&1; then
        sys_ usermod -a -G "$g" "$USER_NAME"
    else
        say "warning: no group $g on this machine; $USER_NAME not added to it"
    fi
done

# ---- 4. directories and permissions ------------------------------------------------------------------
dir "$APP" 0755 root:root
dir "$ETC" 0750 "root:$USER_NAME"
dir "$ETC/secrets" 0700 "$USER_NAME:$USER_NAME"
dir "$DATA" 0750 "$USER_NAME:$USER_NAME"
dir "$DATA/backups" 0750 "$USER_NAME:$USER_NAME"
dir "$LOGS" 0750 "$USER_NAME:$USER_NAME"

# ---- 5. the code and its venv --------------------------------------------------------------------------
do_ rm -rf "$R$APP/src.new"
do_ install -d -m 0755 "$R$APP/src.new"
if [ $DRY = 1 ]; then
    say "would: copy kiosk/ ui/ hardware/ assets/ deploy/ pyproject.toml README.md to $R$APP/src"
else
    say "+ copy kiosk/ ui/ hardware/ assets/ deploy/ pyproject.toml README.md to $R$APP/src"
    (cd "$SRC" && tar -cf - --exclude=__pycache__ --exclude='*.pyc' kiosk ui hardware assets deploy \
        pyproject.toml README.md) | (cd "$R$APP/src.new" && tar -xf - --no-same-owner)
fi
do_ rm -rf "$R$APP/src"
do_ mv "$R$APP/src.new" "$R$APP/src"
sys_ chown -R root:root "$R$APP/src"

VENV_OPTS=
[ $PI = 1 ] && VENV_OPTS=--system-site-packages    # Debian's python3-lgpio, seen from the venv
PIP_OPTS=
[ -n "$WHEELHOUSE" ] && PIP_OPTS="--no-index --find-links $WHEELHOUSE"
if [ ! -x "$R$APP/venv/bin/python" ]; then
    # shellcheck disable=SC2086
    sys_ python3 -m venv $VENV_OPTS "$R$APP/venv"
fi
# shellcheck disable=SC2086
sys_ "$R$APP/venv/bin/pip" install --upgrade --no-cache-dir $PIP_OPTS "$R$APP/src"

# ---- 6. config, secrets, site settings ---------------------------------------------------------------
file "$SRC/deploy/kiosk.toml" "$ETC/kiosk.toml" 0640 "root:$USER_NAME" keep
file "$SRC/deploy/env" "$ETC/env" 0640 "root:$USER_NAME" keep
if [ $PI = 1 ]; then
    if [ $DRY = 1 ]; then
        say "would: turn on GPIOZERO_PIN_FACTORY=lgpio in $R$ETC/env"
    elif ! grep -q '^GPIOZERO_PIN_FACTORY=' "$R$ETC/env"; then
        say "+ GPIOZERO_PIN_FACTORY=lgpio in $R$ETC/env"
        sed -i 's/^#GPIOZERO_PIN_FACTORY=lgpio/GPIOZERO_PIN_FACTORY=lgpio/' "$R$ETC/env"
    fi
fi
KEY=$ETC/secrets/cabinet.key
if [ -e "$R$KEY" ]; then
    say "keeping the cabinet secret $KEY (a new one would void every password handed out)"
elif [ $DRY = 1 ]; then
    say "would: create the cabinet secret $R$KEY (32 random bytes, hex, mode 0600)"
else
    say "+ create the cabinet secret $R$KEY"
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$R$KEY" && echo >> "$R$KEY")
fi
for k in "$KEY" "$ETC/secrets/command.key"; do    # the fleet's command key, if it was copied in already
    if [ -e "$R$k" ] || { [ $DRY = 1 ] && [ "$k" = "$KEY" ]; }; then
        do_ chmod 0600 "$R$k"
        sys_ chown "$USER_NAME:$USER_NAME" "$R$k"
    fi
done

# ---- 7. systemd unit, journald, udev ----------------------------------------------------------------
dir /etc/systemd/system 0755 root:root
file "$SRC/deploy/$UNIT" "/etc/systemd/system/$UNIT" 0644 root:root
if [ $CAGE = 1 ]; then
    dir "/etc/systemd/system/$UNIT.d" 0755 root:root
    file "$SRC/deploy/cage/cage.conf" "/etc/systemd/system/$UNIT.d/cage.conf" 0644 root:root
    dir /etc/pam.d 0755 root:root
    file "$SRC/deploy/cage/pam-parcel-kiosk" /etc/pam.d/parcel-kiosk 0644 root:root
elif [ -e "$R/etc/systemd/system/$UNIT.d/cage.conf" ]; then
    do_ rm -f "$R/etc/systemd/system/$UNIT.d/cage.conf"   # back to eglfs
fi
dir /etc/systemd/journald.conf.d 0755 root:root
file "$SRC/deploy/journald/parcel-kiosk.conf" /etc/systemd/journald.conf.d/parcel-kiosk.conf 0644 root:root
dir /etc/udev/rules.d 0755 root:root
file "$SRC/deploy/udev/99-parcel-kiosk.rules" /etc/udev/rules.d/99-parcel-kiosk.rules 0644 root:root keep

sys_ udevadm control --reload-rules
sys_ udevadm trigger --subsystem-match=tty
sys_ systemctl restart systemd-journald
sys_ systemctl daemon-reload
sys_ systemctl enable "$UNIT"

# ---- 8. upgrade: back up and migrate the database, start again ----------------------------------------
KIOSK="$APP/venv/bin/kiosk"
if [ $UPGRADE = 1 ]; then
    sys_ runuser -u "$USER_NAME" -- "$R$KIOSK" migrate --config "$R$ETC/kiosk.toml" --backup "$R$DATA/backups"
    sys_ systemctl start "$UNIT"
    say "upgraded. Check: systemctl status $UNIT; journalctl -u $UNIT -b"
else
    say ""
    say "installed. Next:"
    say "  1. edit $ETC/kiosk.toml (cabinet, boxes, hardware) and $ETC/env; the USB ports in"
    say "     /etc/udev/rules.d/99-parcel-kiosk.rules"
    say "  2. sudo -u $USER_NAME $KIOSK maintainer-pin   (put the hash into kiosk.toml)"
    say "  3. sudo -u $USER_NAME $KIOSK selftest --config $ETC/kiosk.toml"
    say "  4. systemctl start $UNIT; journalctl -u $UNIT -f"
fi
