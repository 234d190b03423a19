#!/bin/sh
# Starts redis-server with Latchkey's ACL users (latchkey.acl beside this script): the passwords
# come from LATCHKEY_AUTH_REDIS_PASSWORD and LATCHKEY_USERS_REDIS_PASSWORD, and only their SHA-256
# goes into the ACL file redis-server reads (LATCHKEY_REDIS_ACL_FILE, default /tmp/latchkey.acl,
# mode 0600). The ha profile also sets LATCHKEY_REPLICA_REDIS_PASSWORD and
# LATCHKEY_SENTINEL_REDIS_PASSWORD: then the users latchkey-replica and latchkey-sentinel exist,
# and this server authenticates to a primary as latchkey-replica (every data node, since Sentinel
# may turn any of them into a replica); unset, those users do not exist at all. The settings go
# into latchkey-redis.conf beside the ACL file (0600 too, and writable: Sentinel's CONFIG REWRITE
# records a new role there). LATCHKEY_REDIS_EXTRA_ACL names a file of your own ACL lines appended
# as they are (a Redis Cluster's administrator: creating the cluster and resharding it need one,
# and the template has none). Every argument is passed on to redis-server (docker-compose.yml: the
# append-only file; the tests: a port and a directory; a cluster: cluster-enabled and its settings).
set -eu
: "${LATCHKEY_AUTH_REDIS_PASSWORD:?LATCHKEY_AUTH_REDIS_PASSWORD must be set}"
: "${LATCHKEY_USERS_REDIS_PASSWORD:?LATCHKEY_USERS_REDIS_PASSWORD must be set}"
replica_password=${LATCHKEY_REPLICA_REDIS_PASSWORD:-}
sentinel_password=${LATCHKEY_SENTINEL_REDIS_PASSWORD:-}
extra_acl=${LATCHKEY_REDIS_EXTRA_ACL:-}
template="$(dirname "$0")/latchkey.acl"
acl_file=${LATCHKEY_REDIS_ACL_FILE:-/tmp/latchkey.acl}
conf_file="$(dirname "$acl_file")/latchkey-redis.conf"
# masterauth is written in clear into the config file: keep it one unquoted word.
case $replica_password in
  *[!A-Za-z0-9._~+/=-]*) echo 'LATCHKEY_REPLICA_REDIS_PASSWORD: letters, digits and ._~+/=- only (openssl rand -base64 32)' >&2; exit 1 ;;
esac
sha256 () { printf %s "$1" | sha256sum | cut -d ' ' -f 1; }
# A sed command that puts the password's hash into its user's line, or drops that line if unset.
user_with () { if [ -n "$2" ]; then echo "s/{{$1}}/$(sha256 "$2")/"; else echo "/{{$1}}/d"; fi; }
umask 077
sed -e "/^#/d" \
    -e "$(user_with LATCHKEY_AUTH_REDIS_PASSWORD_SHA256 "$LATCHKEY_AUTH_REDIS_PASSWORD")" \
    -e "$(user_with LATCHKEY_USERS_REDIS_PASSWORD_SHA256 "$LATCHKEY_USERS_REDIS_PASSWORD")" \
    -e "$(user_with LATCHKEY_REPLICA_REDIS_PASSWORD_SHA256 "$replica_password")" \
    -e "$(user_with LATCHKEY_SENTINEL_REDIS_PASSWORD_SHA256 "$sentinel_password")" "$template" > "$acl_file"
if [ -n "$extra_acl" ]; then sed -e "/^#/d" "$extra_acl" >> "$acl_file"; fi
{
  # Other containers reach this server; protected mode would refuse them, because the default
  # user has no password (it may only PING: latchkey.acl).
  echo 'protected-mode no'
  if [ -n "$replica_password" ]; then
    echo 'masteruser latchkey-replica'
    echo "masterauth $replica_password"
  fi
} > "$conf_file"
exec redis-server "$conf_file" --aclfile "$acl_file" "$@"
