#!/usr/bin/env bash
# Set up bsrcorr on a fresh Debian-like machine: system packages it needs, then a
# virtual environment in .venv with bsrcorr installed (editable).
#   ./setup.sh          what running bsrcorr needs (Graphviz's dot)
#   ./setup.sh --test   also what the tests need (pytest, hypothesis, ruff, Chromium)
set -euo pipefail
cd "$(dirname "$0")"

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo="sudo"
  echo "setup: installing Debian packages: $*" >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
command -v dot >/dev/null || missing+=(graphviz)
# A font with Hangul, so that Korean diagrams (--lang ko) are laid out and drawn with
# real glyphs, not boxes.
fc-list 2>/dev/null | grep -qi -e nanum -e "noto sans cjk" || missing+=(fonts-nanum)
if [ "$want_test" = 1 ]; then
  command -v chromium >/dev/null || missing+=(chromium)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
extras=""
[ "$want_test" = 1 ] && extras="[test]"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}" 2>&1 \
  | grep -v -e '^WARNING: Location' -e 'is ignored' >&2 || true
.venv/bin/python -c "import correlate, polars, click, graphviz" # fails loudly if install failed
echo "setup: ready (.venv/bin/bsrcorr)" >&2
