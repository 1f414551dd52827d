#!/bin/bash
# Install what building and testing memstop needs, from Debian's packages.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "$0: run as root (installs Debian packages)" >&2; exit 1; }
        exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
        gcc libc6-dev make meson ninja-build pkg-config \
        libcmocka-dev libcap-dev libcap2-bin scdoc \
        python3 procps util-linux bc libxml2-utils parallel clang \
        user-mode-linux kmod dbus systemd \
        debhelper dpkg-dev lintian pkgconf man-db groff-base bsdutils
