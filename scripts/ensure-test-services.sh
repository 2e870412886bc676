#!/usr/bin/env bash
# Make sure the real peers the tests talk to are installed and running:
# Mosquitto on 127.0.0.1:1883, Debian's Chromium for the browser tests, dbus-daemon for desktop notifications.
set -euo pipefail

need_apt=()
command -v mosquitto >/dev/null 2>&1 || need_apt+=(mosquitto mosquitto-clients)
command -v mosquitto_sub >/dev/null 2>&1 || need_apt+=(mosquitto-clients)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v dbus-daemon >/dev/null 2>&1 || need_apt+=(dbus-daemon)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing with apt: ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

broker_up() { timeout 2 bash -c '</dev/tcp/127.0.0.1/1883' 2>/dev/null; }
if ! broker_up; then
  echo "starting mosquitto on 127.0.0.1:1883"
  if [ -f /etc/mosquitto/mosquitto.conf ]; then
    mosquitto -d -c /etc/mosquitto/mosquitto.conf || mosquitto -d -p 1883
  else
    mosquitto -d -p 1883
  fi
  for _ in $(seq 1 50); do broker_up && break; sleep 0.1; done
  broker_up || { echo "mosquitto did not come up on 127.0.0.1:1883" >&2; exit 1; }
fi
echo "test services ready: mosquitto on 127.0.0.1:1883, chromium at /usr/bin/chromium"
