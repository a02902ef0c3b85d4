#!/usr/bin/env bash
# Installs, with apt, what virtswitch and its tests need on Debian 12. Idempotent: does nothing
# when everything is already there. Run as root (or through sudo).
set -euo pipefail
packages=(
  libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils   # the hypervisor stack
  linux-image-amd64 busybox-static                                      # the tiny test guest
  chromium                                                              # browser tests and benchmarks
  openssh-server openssh-client netcat-openbsd                          # qemu+ssh:// transport tests
  python3-libvirt websockify                                            # peers the benchmarks compare against
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-debian: these packages are missing and need root to install: ${missing[*]}" >&2
    echo "setup-debian: run it as root: sudo $0" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "setup-debian: all ${#packages[@]} packages present"
