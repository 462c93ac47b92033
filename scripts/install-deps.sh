#!/usr/bin/env bash
# Installs everything snapflow builds, tests and runs with, from Debian 12's packages.
# Idempotent and quiet when everything is already there. Needs root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libpcap-dev libsimdjson-dev rapidjson-dev zlib1g-dev libisal-dev libtbb-dev
  libxxhash-dev libssl-dev libcurl4-openssl-dev libmicrohttpd-dev libseccomp-dev libcap-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  dpdk dpdk-dev libdpdk-dev
  clang clang-format libclang-rt-14-dev
  tshark tcpreplay tcpdump iproute2 jq procps python3 openssl
  time e2fsprogs strace
  ethtool iputils-ping nftables
  default-jre-headless maven unzip
  python3-venv python3-yaml python3-matplotlib docker-compose
  nginx apache2-utils openssl
  chromium chromium-driver
)
# npm vendors the web UI's chart library at build time (capture/web/package-lock.json). Debian's
# npm only when the machine has none (a Node.js installation brings its own).
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer once, non-interactively.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The user snapflow-capture runs as once its sources and ring are open (--user, default
# snapflow; packaging/systemd/snapflow-capture.service).
if ! getent passwd snapflow >/dev/null; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: need root to create the system user snapflow" >&2
    exit 1
  fi
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin snapflow
fi

# Python packages Debian does not have (grafana-foundation-sdk for the dashboards), pinned, in
# a virtual environment.
"$(dirname "$0")/python-deps.sh"
