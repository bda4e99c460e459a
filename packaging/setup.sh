#!/usr/bin/env bash
# Installs Veo Desktop on a Debian/Ubuntu machine: the system libraries Qt needs, then a
# virtual environment in .venv with the app (and, with --test, what the tests need).
#
#   bash packaging/setup.sh          # the app
#   bash packaging/setup.sh --test   # the app and the test tools
#
# Safe to run again: it installs only what is missing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
extras=""
with_tests=0
for arg in "$@"; do
    case "$arg" in
        --test) extras="[test]"; with_tests=1 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Qt's xcb platform plugin, QtMultimedia (PulseAudio client) and fonts (PLATFORM.md).
system_packages=(
    libpulse0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
    libxcb-randr0 libxcb-shape0 libxcb-xinerama0 libxcb-cursor0 libxkbcommon0
    libxkbcommon-x11-0 libegl1 libgl1 libgl1-mesa-dri libfontconfig1 libdbus-1-3
    fonts-dejavu-core python3-venv ca-certificates
)
if [ "$with_tests" = 1 ]; then
    # curl: the download benchmark's baseline. dbus to xauth: the real-keyring and desktop-file
    # tiers. openbox, x11-utils (xprop) and xdotool: tests of a real X window under a window manager.
    system_packages+=(curl dbus gnome-keyring desktop-file-utils appstream xvfb xauth
        openbox x11-utils xdotool)
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in "${system_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
fi
if [ "${#missing[@]}" -gt 0 ]; then
    say "Installing system packages: ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "setup.sh: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
fi

# The newest Python 3.11+ on the machine (Debian 12 ships 3.11; Ubuntu 22.04 needs python3.11).
python=""
for candidate in ${PYTHON:-} python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python=$(command -v "$candidate")
        break
    fi
done
if [ -z "$python" ]; then
    echo "setup.sh: Veo Desktop needs Python 3.11 or newer (apt-get install python3.11 python3.11-venv)" >&2
    exit 1
fi

if [ ! -x "$venv/bin/python" ]; then
    say "Creating $venv with $("$python" --version)"
    "$python" -m venv "$venv"
fi
say "Installing Veo Desktop$extras into .venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root$extras"
# An editable install leaves the app as source. Compiled once here, no start has to compile
# it (where PYTHONDONTWRITEBYTECODE is set, every start would: ~12 ms for the main window).
"$venv/bin/python" -m compileall -q -j 0 "$root/veo_desktop" >/dev/null
say "Ready: $venv/bin/veo-desktop"
