#!/usr/bin/env bash
# Create the virtual environment and install the pinned dependencies (a fresh Debian/Ubuntu
# machine needs only Python >= 3.11 with venv, and make).
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: $python not found. On Debian/Ubuntu: sudo apt-get install python3 python3-venv make" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: Unrolled needs Python >= 3.11; $python is $("$python" -V 2>&1)." >&2
  echo "       Run with PYTHON=python3.11 make ... or install python3.11." >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -m venv "$venv"; then
    rm -rf "$venv"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "python venv support is missing: installing python3-venv" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
      "$python" -m venv "$venv"
    else
      echo "error: '$python -m venv' failed. On Debian/Ubuntu: sudo apt-get install python3-venv" >&2
      exit 1
    fi
  fi
fi
"$venv/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
"$venv/bin/python" -m pip install -q -r requirements-dev.txt -c constraints.txt
