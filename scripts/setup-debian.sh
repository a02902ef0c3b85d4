#!/usr/bin/env bash
# Installs, with apt, what virtswitch and its tests need on Debian 12. Idempotent: does nothing
# when everything is already there. As a user that is not root it installs through sudo.
set -euo pipefail
packages=(
  libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils   # the hypervisor stack
  linux-image-amd64 busybox-static                                      # the tiny test guest
  chromium                                                              # browser tests and benchmarks
  openssh-server openssh-client netcat-openbsd                          # qemu+ssh:// transport tests
  python3-libvirt websockify                                            # peers the benchmarks compare against
  osinfo-db ovmf swtpm swtpm-tools                                      # new guests: OS database, UEFI, TPM
  xorriso grub-pc-bin grub-common mtools                                # the rig's bootable installer ISO
  iproute2 qemu-guest-agent                                             # second host (namespaces), guest agent
  dnsmasq-base                                                          # virtual networks (DHCP, DNS)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "setup-debian: these packages are missing and need root to install: ${missing[*]}" >&2
      echo "setup-debian: there is no sudo here; run this script as root" >&2
      exit 1
    fi
    echo "setup-debian: not root, installing through sudo: ${missing[*]}" >&2
    as_root=(sudo)
  fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "setup-debian: all ${#packages[@]} packages present"
