#!/usr/bin/env bash
# Refresh the locks that setup.sh installs from (exact versions and hashes of every package,
# direct and transitive):
#   requirements/test.txt  what the tests need: bsrcorr's dependencies, the test set, setuptools
#   requirements/run.txt   what running bsrcorr needs (the same versions, a subset)
# Ranges stay in pyproject.toml; these files pin what CI and setup.sh install.
#   ./requirements/lock.sh            re-resolve, keeping every pin that still fits pyproject.toml
#   ./requirements/lock.sh --upgrade  take the newest releases that fit (then run the tests)
# uv resolves; it is installed into a throw-away environment at a fixed version.
set -euo pipefail
cd "$(dirname "$0")/.."
upgrade=()
[ "${1:-}" = "--upgrade" ] && upgrade=(--upgrade)
UV_VERSION=0.13.9
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
compile() {
  "$tmp/venv/bin/uv" pip compile --quiet --generate-hashes --universal --python-version 3.11 \
    --index-url https://pypi.org/simple --custom-compile-command ./requirements/lock.sh \
    "${upgrade[@]}" "$@"
}
compile pyproject.toml requirements/build.in --extra test -o requirements/test.txt
# The run set is resolved inside the test set, so both install the same versions.
compile pyproject.toml requirements/build.in -c requirements/test.txt -o requirements/run.txt
echo "lock: $(grep -c '==' requirements/test.txt) pins in requirements/test.txt," \
  "$(grep -c '==' requirements/run.txt) in requirements/run.txt" >&2
