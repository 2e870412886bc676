#!/usr/bin/env bash
# Make sure the real peers the tests talk to are installed and running:
# Mosquitto on 127.0.0.1:1883, PostgreSQL on 127.0.0.1:5432 (the store and fleet tests), Debian's Chromium
# for the browser tests, dbus-daemon for desktop notifications.
set -euo pipefail

need_apt=()
command -v mosquitto >/dev/null 2>&1 || need_apt+=(mosquitto mosquitto-clients)
command -v mosquitto_sub >/dev/null 2>&1 || need_apt+=(mosquitto-clients)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v dbus-daemon >/dev/null 2>&1 || need_apt+=(dbus-daemon)
command -v pg_ctlcluster >/dev/null 2>&1 || need_apt+=(postgresql)

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
pg_up() { timeout 2 bash -c '</dev/tcp/127.0.0.1/5432' 2>/dev/null; }
if ! pg_up; then
  echo "starting PostgreSQL"
  for version in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  for _ in $(seq 1 100); do pg_up && break; sleep 0.1; done
  pg_up || { echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }
fi
# The tests connect as "postgres" with trust auth to the database "test" (as on these machines).
if command -v psql >/dev/null 2>&1 && ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
  echo "creating the PostgreSQL database the tests use"
  su postgres -c "createdb test" || true
fi
echo "test services ready: mosquitto on 127.0.0.1:1883, PostgreSQL on 127.0.0.1:5432, chromium at /usr/bin/chromium"
