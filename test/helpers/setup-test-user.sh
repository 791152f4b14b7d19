#!/bin/sh
# Creates the account the SSH integration tests use for password authentication and for `become` with a
# sudo password: user `lvsible-test`, password `lvsible-test-pw`, allowed to sudo to anyone WITH its
# password. For CI machines and throwaway test boxes only (.ci/run calls it; needs root). Idempotent.
set -eu
USER_NAME=lvsible-test
PASSWORD=lvsible-test-pw
SUDOERS=/etc/sudoers.d/lvsible-test

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-test-user.sh: must run as root" >&2
  exit 1
fi
command -v sudo >/dev/null 2>&1 || { apt-get install -y sudo >/dev/null 2>&1 || { echo "setup-test-user.sh: sudo is not installed" >&2; exit 1; }; }

if ! id "$USER_NAME" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$USER_NAME"
fi
echo "$USER_NAME:$PASSWORD" | chpasswd

tmp=$(mktemp)
cat >"$tmp" <<SUDOERS
# lvsible integration tests: sudo always asks this user for its password.
Defaults:$USER_NAME lecture=never, timestamp_timeout=0
$USER_NAME ALL=(ALL:ALL) ALL
SUDOERS
visudo -cqf "$tmp"
install -m 0440 -o root -g root "$tmp" "$SUDOERS"
rm -f "$tmp"
echo "setup-test-user.sh: $USER_NAME ready"
