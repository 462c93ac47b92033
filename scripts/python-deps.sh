#!/usr/bin/env bash
# The Python packages snapflow's dashboards-as-code and the web UI's browser tests need that
# Debian does not package, pinned, in a virtual environment (Debian 12's pip refuses to install into the system Python, PEP 668).
# The environment sees the system site packages (python3-matplotlib, python3-yaml from
# scripts/install-deps.sh). Prints nothing when everything is already installed.
#
#   scripts/python-deps.sh          create/update the environment
#   scripts/python-deps.sh --path   print the environment's python interpreter
#
# Environment: SNAPFLOW_VENV (default /var/cache/snapflow/venv).
set -euo pipefail

venv=${SNAPFLOW_VENV:-/var/cache/snapflow/venv}
# Pinned: the generated dashboards in grafana/dashboards/ are the output of this exact version
# (tests/dashboards/ fails when generator and output drift). Grafana 11.6 schema.
# Playwright drives Debian's chromium (/usr/bin/chromium) in tests/e2e/ui_browser_test.py; its
# own browser download (`playwright install`) is never used.
requirements=(
  "grafana-foundation-sdk==1769699379!11.6.0"
  "playwright==1.65.2"
)

if [[ ${1:-} == --path ]]; then
  echo "$venv/bin/python3"
  exit 0
fi

if [[ ! -x $venv/bin/python3 ]]; then
  mkdir -p "$(dirname "$venv")"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
stamp=$venv/.snapflow-requirements
want=$(printf '%s\n' "${requirements[@]}")
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "python-deps: installing ${requirements[*]} into $venv"
  "$venv/bin/python3" -m pip install -q --disable-pip-version-check "${requirements[@]}"
  printf '%s\n' "$want" >"$stamp"
fi
