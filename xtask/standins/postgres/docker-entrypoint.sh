#!/bin/bash
# The official postgres image's start-up: on an empty PGDATA, initialise a cluster owned by
# POSTGRES_USER with POSTGRES_PASSWORD (required), create POSTGRES_DB, accept password logins
# from anywhere (scram-sha-256), then run the server in the foreground.
set -euo pipefail
if [ "${1:-}" = postgres ]; then
    : "${PGDATA:?PGDATA must be set}"
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set for a new database}"
        pwfile=$(mktemp)
        printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
        initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
               --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
        rm -f "$pwfile"
        echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
        if [ "$db" != postgres ]; then
            postgres --single -D "$PGDATA" -j postgres <<< "CREATE DATABASE \"$db\" OWNER \"$user\";" >/dev/null
        fi
        echo "initialised a new database cluster in $PGDATA"
    fi
    set -- "$@" -c listen_addresses='*'
fi
exec "$@"
