#!/bin/sh
# Starts one Redis Sentinel of the ha profile: it writes the sentinel's config file
# (LATCHKEY_SENTINEL_CONF_FILE, default /tmp/latchkey-sentinel.conf, mode 0600; Sentinel rewrites
# it as it learns the topology) and becomes `redis-server FILE --sentinel`. The sentinels watch
# the primary named `latchkey` (REDIS_SENTINEL_NAME) at LATCHKEY_SENTINEL_PRIMARY_HOST:
# LATCHKEY_SENTINEL_PRIMARY_PORT (default redis:6379), two of three agreeing that it is down;
# they log in to the data nodes as latchkey-sentinel (LATCHKEY_SENTINEL_REDIS_PASSWORD) and ask
# their own clients, the services included, for LATCHKEY_SENTINEL_PASSWORD (REDIS_SENTINEL_PASSWORD).
# Host names everywhere (the data nodes' replica-announce-ip, this sentinel's
# LATCHKEY_SENTINEL_ANNOUNCE_HOST), because a container's address may change when it restarts.
# Every argument is passed on to redis-server (the test: a port and an address).
set -eu
: "${LATCHKEY_SENTINEL_PASSWORD:?LATCHKEY_SENTINEL_PASSWORD must be set}"
: "${LATCHKEY_SENTINEL_REDIS_PASSWORD:?LATCHKEY_SENTINEL_REDIS_PASSWORD must be set}"
: "${LATCHKEY_SENTINEL_ANNOUNCE_HOST:?LATCHKEY_SENTINEL_ANNOUNCE_HOST must be set}"
primary_host=${LATCHKEY_SENTINEL_PRIMARY_HOST:-redis}
primary_port=${LATCHKEY_SENTINEL_PRIMARY_PORT:-6379}
down_after_ms=${LATCHKEY_SENTINEL_DOWN_AFTER_MS:-5000}
conf_file=${LATCHKEY_SENTINEL_CONF_FILE:-/tmp/latchkey-sentinel.conf}
# The passwords are written in clear into the config file: keep each one unquoted word.
for password in "$LATCHKEY_SENTINEL_PASSWORD" "$LATCHKEY_SENTINEL_REDIS_PASSWORD"; do
  case $password in
    *[!A-Za-z0-9._~+/=-]*) echo 'sentinel passwords: letters, digits and ._~+/=- only (openssl rand -base64 32)' >&2; exit 1 ;;
  esac
done
umask 077
cat > "$conf_file" <<CONF
requirepass $LATCHKEY_SENTINEL_PASSWORD
sentinel sentinel-pass $LATCHKEY_SENTINEL_PASSWORD
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $LATCHKEY_SENTINEL_ANNOUNCE_HOST
sentinel monitor latchkey $primary_host $primary_port 2
sentinel auth-user latchkey latchkey-sentinel
sentinel auth-pass latchkey $LATCHKEY_SENTINEL_REDIS_PASSWORD
sentinel down-after-milliseconds latchkey $down_after_ms
sentinel failover-timeout latchkey 30000
sentinel parallel-syncs latchkey 1
CONF
exec redis-server "$conf_file" --sentinel "$@"
