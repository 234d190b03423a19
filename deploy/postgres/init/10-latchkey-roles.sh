#!/bin/sh
# Runs once, when the PostgreSQL data volume is first created (the postgres image runs every
# script in /docker-entrypoint-initdb.d): one login role per service in the database POSTGRES_DB.
# Each service creates its own schema at start-up (its first migration), so the schema is owned by
# that role and the other role cannot read it; nobody else may connect. Passwords come from
# LATCHKEY_AUTH_DB_PASSWORD and LATCHKEY_USERS_DB_PASSWORD (docker-compose.yml). The role names
# can be changed with LATCHKEY_AUTH_DB_USER / LATCHKEY_USERS_DB_USER (the test uses its own).
# Each role's default search_path is its service's schema (LATCHKEY_AUTH_DB_SCHEMA /
# LATCHKEY_USERS_DB_SCHEMA, default auth and users): behind PgBouncer in transaction mode, the
# services cannot set it themselves.
# Against a managed PostgreSQL, run it once by hand with PGHOST etc. set.
set -eu
: "${LATCHKEY_AUTH_DB_PASSWORD:?LATCHKEY_AUTH_DB_PASSWORD must be set}"
: "${LATCHKEY_USERS_DB_PASSWORD:?LATCHKEY_USERS_DB_PASSWORD must be set}"
database=${POSTGRES_DB:-latchkey}

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "$database" \
  -v database="$database" \
  -v auth_role="${LATCHKEY_AUTH_DB_USER:-latchkey_auth}" -v auth_password="$LATCHKEY_AUTH_DB_PASSWORD" \
  -v users_role="${LATCHKEY_USERS_DB_USER:-latchkey_users}" -v users_password="$LATCHKEY_USERS_DB_PASSWORD" \
  -v auth_schema="${LATCHKEY_AUTH_DB_SCHEMA:-auth}" -v users_schema="${LATCHKEY_USERS_DB_SCHEMA:-users}" <<'SQL'
CREATE ROLE :"auth_role" LOGIN PASSWORD :'auth_password';
CREATE ROLE :"users_role" LOGIN PASSWORD :'users_password';
ALTER ROLE :"auth_role" SET search_path TO :"auth_schema";
ALTER ROLE :"users_role" SET search_path TO :"users_schema";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
-- CREATE: each service creates its own schema (CREATE SCHEMA IF NOT EXISTS needs it even when the
-- schema exists). TEMPORARY is not granted: neither service uses temporary tables.
GRANT CONNECT, CREATE ON DATABASE :"database" TO :"auth_role", :"users_role";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SQL
