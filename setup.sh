#!/usr/bin/env bash
# Set up bsrcorr on a fresh Debian-like machine: the system packages it needs, then a virtual
# environment in .venv with every Python package at the exact version and hash of the lock
# (requirements/*.txt, refreshed by requirements/lock.sh) and bsrcorr installed (editable).
#   ./setup.sh          what running bsrcorr needs (Graphviz's dot, a Hangul font)
#   ./setup.sh --test   also what the tests need (pytest, hypothesis, ruff, Babel, Chromium)
# It checks its prerequisites first and stops with one line naming what is missing.
set -euo pipefail
cd "$(dirname "$0")"

want_test=0
case "${1:-}" in
  "") ;;
  --test) want_test=1 ;;
  *) echo "setup: unknown option '$1' (use --test, or nothing)" >&2; exit 2 ;;
esac

die() { echo "setup: $*" >&2; exit 1; }

# Python >= 3.11 with venv and ensurepip (Debian ships venv's pip bootstrap separately).
command -v python3 >/dev/null \
  || die "python3 is missing: install Python 3.11 or newer (Debian: apt-get install python3 python3-venv)"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "python3 is $(python3 -c 'import platform; print(platform.python_version())'), bsrcorr needs 3.11 or newer (Debian 12: apt-get install python3)"
python3 -c 'import venv, ensurepip' 2>/dev/null \
  || die "python3 has no working venv module: install it (Debian: apt-get install python3-venv)"

missing=()
command -v dot >/dev/null || missing+=(graphviz)
# A font with Hangul, so that Korean diagrams (--lang ko) are laid out and drawn with real
# glyphs, not boxes.
fc-list 2>/dev/null | grep -qi -e nanum -e "noto sans cjk" || missing+=(fonts-nanum)
if [ "$want_test" = 1 ]; then
  command -v chromium >/dev/null || missing+=(chromium)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null \
      || die "missing ${missing[*]} and not root without sudo: install them (apt-get install ${missing[*]}) and run setup.sh again"
    sudo="sudo"
  fi
  command -v apt-get >/dev/null \
    || die "missing ${missing[*]} and no apt-get: install Graphviz (dot), a Hangul font and, for the tests, Chromium with your system's package manager, then run setup.sh again"
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
lock=requirements/run.txt
[ "$want_test" = 1 ] && lock=requirements/test.txt
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
# Hash-checking mode: every package, transitive ones included, must be in the lock with its
# hash, so nothing the index releases later reaches this environment.
# (pip's warnings about this machine's absent local index folders are left out.)
quiet() { grep -v -e '^WARNING: Location' >&2 || true; }
"${pip[@]}" --require-hashes -r "$lock" 2> >(quiet) \
  || die "pip could not install $lock (see its messages above)"
# bsrcorr itself, built with the locked setuptools (no isolated build fetching the newest).
"${pip[@]}" --no-deps --no-build-isolation -e . 2> >(quiet) \
  || die "pip could not install bsrcorr itself (see its messages above)"
.venv/bin/python -c "import correlate, polars, click, graphviz" \
  || die "the Python packages did not install (see pip's messages above)"
echo "setup: ready (.venv/bin/bsrcorr, packages from $lock)" >&2
