#!/bin/sh
# Runs a test inside a private D-Bus session with a fresh, unlocked gnome-keyring (Secret Service),
# so keyring tests never touch the user's own keyring. Usage: keyring-session.sh TEST [ARGS...]
set -eu
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/data" "$scratch/run"
chmod 700 "$scratch/run"
export HOME="$scratch" XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run"
exec dbus-run-session -- sh -c '
    printf "test-keyring-password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    exec "$@"' keyring-session "$@"
