#!/usr/bin/env bash
# Adds Veo Desktop (this unpacked bundle) to the desktop's application menu, or removes it.
#
#   ./install-desktop-entry.sh              # for this user (~/.local/share)
#   ./install-desktop-entry.sh --system     # for everyone (/usr/local/share; needs root)
#   ./install-desktop-entry.sh --uninstall  # remove it again (add --system if installed so)
#
# The menu entry starts the veo-desktop program beside this script, so keep the folder where
# it is (move it, then run this script again).
set -euo pipefail

app_id=io.github.veo_desktop.VeoDesktop
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
action=install
for arg in "$@"; do
    case "$arg" in
        --system) data_home=/usr/local/share ;;
        --uninstall) action=uninstall ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "install-desktop-entry.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    esac
done

desktop_file=$data_home/applications/$app_id.desktop
metainfo_file=$data_home/metainfo/$app_id.metainfo.xml
icon_sizes=(16 32 48 64 128 256 512)

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$data_home/applications" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$data_home/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t "$data_home/icons/hicolor" 2>/dev/null || true
    fi
}

if [ "$action" = uninstall ]; then
    rm -f "$desktop_file" "$metainfo_file" "$data_home/icons/hicolor/scalable/apps/$app_id.svg"
    for size in "${icon_sizes[@]}"; do
        rm -f "$data_home/icons/hicolor/${size}x${size}/apps/$app_id.png"
    done
    refresh_caches
    echo "Removed Veo Desktop from the application menu ($data_home)."
    exit 0
fi

program=$here/veo-desktop
share=$here/share
if [ ! -x "$program" ] || [ ! -d "$share" ]; then
    echo "install-desktop-entry.sh: run it from the unpacked Veo Desktop folder ($program not found)" >&2
    exit 1
fi

# Exec and TryExec point at this folder's program, quoted as the Desktop Entry spec says:
# inside double quotes, \ " ` $ are escaped with a backslash, and every backslash is then
# escaped again because the value is a string.
quoted=${program//\\/\\\\}
quoted=${quoted//\"/\\\"}
quoted=${quoted//\`/\\\`}
quoted=${quoted//\$/\\\$}
quoted=${quoted//\\/\\\\}
try_exec=${program//\\/\\\\}
mkdir -p "$(dirname "$desktop_file")" "$(dirname "$metainfo_file")"
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
        Exec=veo-desktop*) printf 'Exec="%s"%s\n' "$quoted" "${line#Exec=veo-desktop}" ;;
        TryExec=veo-desktop) printf 'TryExec=%s\n' "$try_exec" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$share/applications/$app_id.desktop" > "$desktop_file.tmp"
mv "$desktop_file.tmp" "$desktop_file"
cp "$share/metainfo/$app_id.metainfo.xml" "$metainfo_file"
for size in "${icon_sizes[@]}"; do
    install -D -m 644 "$share/icons/hicolor/${size}x${size}/apps/$app_id.png" \
        "$data_home/icons/hicolor/${size}x${size}/apps/$app_id.png"
done
install -D -m 644 "$share/icons/hicolor/scalable/apps/$app_id.svg" \
    "$data_home/icons/hicolor/scalable/apps/$app_id.svg"
refresh_caches
echo "Added Veo Desktop to the application menu ($desktop_file)."
