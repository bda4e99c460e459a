#!/usr/bin/env bash
# Builds the frozen one-folder app with PyInstaller, from a clean virtual environment:
#
#   bash packaging/build-bundle.sh                # dist/veo-desktop/ and dist/veo-desktop-*.tar.gz
#   bash packaging/build-bundle.sh --keep-venv    # reuse the build venv (faster rebuilds)
#   bash packaging/build-bundle.sh --self-test    # then run the bundle's self-test (offscreen)
#
# The venv and PyInstaller's work files live in build/bundle/ (or $VEO_BUILD_DIR), never at
# the top of the repository; the results go to dist/ (both are gitignored). It prints the
# bundle's size and the build time. Build on the oldest Linux you want to support: the bundle
# carries the system libraries it was built against (glibc is not bundled).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${VEO_BUILD_DIR:-$root/build/bundle}
dist=${VEO_DIST_DIR:-$root/dist}
venv=$build_dir/venv
keep_venv=0
self_test=0
for arg in "$@"; do
    case "$arg" in
        --keep-venv) keep_venv=1 ;;
        --self-test) self_test=1 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "build-bundle.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
started=$(date +%s)

python=""
for candidate in ${PYTHON:-} python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python=$(command -v "$candidate")
        break
    fi
done
if [ -z "$python" ]; then
    echo "build-bundle.sh: needs Python 3.11 or newer" >&2
    exit 1
fi
if ! "$python" -c 'import sysconfig, sys; sys.exit(not sysconfig.get_config_var("Py_ENABLE_SHARED") and sys.platform.startswith("linux"))'; then
    echo "build-bundle.sh: $python was built without a shared libpython, which PyInstaller needs" >&2
    exit 1
fi

mkdir -p "$build_dir" "$dist"
if [ "$keep_venv" = 0 ] || [ ! -x "$venv/bin/python" ]; then
    say "Creating a clean build venv in $venv ($("$python" --version))"
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
say "Installing Veo Desktop and PyInstaller into the build venv"
"${pip[@]}" install --quiet --upgrade pip
# A regular (not editable) install: the bundle is built from what a wheel would carry.
"${pip[@]}" install --quiet "$root[bundle]"
version=$("$venv/bin/python" -c 'import veo_desktop; print(veo_desktop.__version__)')
arch=$(uname -m)
system=$(uname -s | tr '[:upper:]' '[:lower:]')

say "Freezing with $("$venv/bin/pyinstaller" --version | sed 's/^/PyInstaller /')"
freeze_started=$(date +%s)
rm -rf "$build_dir/work" "$build_dir/dist"
# Run from the build dir so the repository's own veo_desktop/ is not on the import path:
# the bundle gets the installed copy.
(cd "$build_dir" && "$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$build_dir/dist" --workpath "$build_dir/work" "$root/packaging/veo-desktop.spec")
freeze_seconds=$(( $(date +%s) - freeze_started ))

bundle=$build_dir/dist/veo-desktop
if [ "$system" = linux ]; then
    # Desktop integration, installed by the bundle's install-desktop-entry.sh.
    app_id=io.github.veo_desktop.VeoDesktop
    install -D -m 644 "$root/packaging/linux/$app_id.desktop" "$bundle/share/applications/$app_id.desktop"
    install -D -m 644 "$root/packaging/linux/$app_id.metainfo.xml" "$bundle/share/metainfo/$app_id.metainfo.xml"
    for size in 16 32 48 64 128 256 512; do
        install -D -m 644 "$root/resources/icons/veo-desktop-$size.png" \
            "$bundle/share/icons/hicolor/${size}x${size}/apps/$app_id.png"
    done
    install -D -m 644 "$root/resources/icons/veo-desktop.svg" \
        "$bundle/share/icons/hicolor/scalable/apps/$app_id.svg"
    install -m 755 "$root/packaging/linux/install-desktop-entry.sh" "$bundle/install-desktop-entry.sh"
fi

say "Writing $dist"
rm -rf "$dist/veo-desktop"
mv "$bundle" "$dist/veo-desktop"
archive=$dist/veo-desktop-$version-$system-$arch.tar.gz
rm -f "$archive"
tar -C "$dist" -czf "$archive" veo-desktop

size=$(du -sh "$dist/veo-desktop" | cut -f1)
archive_size=$(du -h "$archive" | cut -f1)
total=$(( $(date +%s) - started ))
echo "bundle: $dist/veo-desktop ($size), archive: $archive ($archive_size)"
echo "build time: ${total} s in all, ${freeze_seconds} s in PyInstaller"

if [ "$self_test" = 1 ]; then
    say "Running the bundle's self-test"
    QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} "$dist/veo-desktop/veo-desktop" --self-test
fi
