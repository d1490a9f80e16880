#!/usr/bin/env bash
# Check that Qt can load its system libraries; install them on Debian/Ubuntu when we are root,
# otherwise name the exact packages to install.
set -uo pipefail
mode=${1:-offscreen}   # offscreen (tests) or gui (a real window)
py=${2:-.venv/bin/python}
base="libegl1 libgl1 libdbus-1-3 libfontconfig1 libxkbcommon0 libglib2.0-0"
xcb="libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0"
probe() {
  QT_QPA_PLATFORM=$1 "$py" -c "from PySide6.QtWidgets import QApplication; app = QApplication([])" >/dev/null 2>&1
}
want=offscreen
pkgs=$base
if [ "$mode" = gui ] && [ -n "${DISPLAY:-}" ]; then want=xcb; pkgs="$base $xcb"; fi
probe "$want" && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Qt cannot start ($want): installing system libraries: $pkgs" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
  probe "$want" && exit 0
fi
echo "error: Qt cannot start on platform '$want'. Install: sudo apt-get install $pkgs" >&2
QT_QPA_PLATFORM=$want "$py" -c "from PySide6.QtWidgets import QApplication; app = QApplication([])" 2>&1 | tail -5 >&2
exit 1
