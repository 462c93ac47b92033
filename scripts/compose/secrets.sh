#!/bin/sh
# One-shot (docker-compose.yml service "secrets"): creates the capture API's credentials once,
# a random password in /secrets/api.cred (mode 0600, user snapflow). Read it with
#   docker compose run --rm secrets cat /secrets/api.cred
set -eu
if [ "${1:-}" = cat ]; then exec cat /secrets/api.cred; fi
umask 077
if [ ! -s /secrets/api.cred ]; then
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  printf 'admin:%s\n' "$password" > /secrets/api.cred.tmp
  mv /secrets/api.cred.tmp /secrets/api.cred
  echo "secrets: capture API user 'admin', password generated in /secrets/api.cred"
fi
