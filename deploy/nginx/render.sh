#!/usr/bin/env bash
# Renders the front-door config into a prefix dir so Debian's nginx can run it unprivileged:
#   deploy/nginx/render.sh <prefix> <listen> <tls-cert> <tls-key> <gateway host:port> <gateway-ca>
# then: nginx -p <prefix> -c <prefix>/nginx.conf
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 6 ] || { echo "usage: $0 <prefix> <listen> <tls-cert> <tls-key> <gateway> <gateway-ca>" >&2; exit 2; }
# nginx resolves relative paths against its prefix, not the caller's directory: make every path
# absolute here so `render.sh .stella/... ` works from anywhere.
abs() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$(pwd)" "$1" ;; esac; }
export PREFIX LISTEN=$2 TLS_CERT TLS_KEY GATEWAY=$5 GATEWAY_CA
PREFIX=$(abs "$1") TLS_CERT=$(abs "$3") TLS_KEY=$(abs "$4") GATEWAY_CA=$(abs "$6")
for f in "$TLS_CERT" "$TLS_KEY" "$GATEWAY_CA"; do
  [ -r "$f" ] || { echo "cannot read $f" >&2; exit 1; }
done
export MODSEC_DIR="$PREFIX/modsecurity"
mkdir -p "$PREFIX" "$MODSEC_DIR"
# Started as root, nginx's workers run as `nobody` and must traverse the prefix to reach the
# temp dirs the master creates (and chowns) inside it; the prefix holds no key material.
chmod 0755 "$PREFIX"
[ -f /etc/nginx/modsecurity.conf ] || { echo "install libnginx-mod-http-modsecurity modsecurity-crs first" >&2; exit 1; }
cp /etc/nginx/modsecurity.conf /etc/nginx/unicode.mapping "$MODSEC_DIR/" 2>/dev/null || cp /etc/modsecurity/modsecurity.conf-recommended "$MODSEC_DIR/modsecurity.conf"
vars='${PREFIX} ${LISTEN} ${TLS_CERT} ${TLS_KEY} ${GATEWAY} ${GATEWAY_CA} ${MODSEC_DIR}'
envsubst "$vars" < "$here/nginx.conf.template" > "$PREFIX/nginx.conf"
envsubst "$vars" < "$here/main.conf.template" > "$MODSEC_DIR/main.conf"
echo "$PREFIX/nginx.conf"
