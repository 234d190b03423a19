#!/bin/sh
# Starts redis-server with Latchkey's ACL users (latchkey.acl beside this script): the passwords
# come from LATCHKEY_AUTH_REDIS_PASSWORD and LATCHKEY_USERS_REDIS_PASSWORD, and only their SHA-256
# goes into the ACL file redis-server reads (LATCHKEY_REDIS_ACL_FILE, default /tmp/latchkey.acl,
# mode 0600). Every argument is passed on to redis-server (docker-compose.yml: the append-only
# file; the test: a port and a directory).
set -eu
: "${LATCHKEY_AUTH_REDIS_PASSWORD:?LATCHKEY_AUTH_REDIS_PASSWORD must be set}"
: "${LATCHKEY_USERS_REDIS_PASSWORD:?LATCHKEY_USERS_REDIS_PASSWORD must be set}"
template="$(dirname "$0")/latchkey.acl"
acl_file=${LATCHKEY_REDIS_ACL_FILE:-/tmp/latchkey.acl}
sha256 () { printf %s "$1" | sha256sum | cut -d ' ' -f 1; }
auth_hash=$(sha256 "$LATCHKEY_AUTH_REDIS_PASSWORD")
users_hash=$(sha256 "$LATCHKEY_USERS_REDIS_PASSWORD")
umask 077
sed -e "/^#/d" -e "s/{{LATCHKEY_AUTH_REDIS_PASSWORD_SHA256}}/$auth_hash/" \
    -e "s/{{LATCHKEY_USERS_REDIS_PASSWORD_SHA256}}/$users_hash/" "$template" > "$acl_file"
exec redis-server --aclfile "$acl_file" "$@"
