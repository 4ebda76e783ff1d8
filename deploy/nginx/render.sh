#!/usr/bin/env bash
# Renders the front-door config into a prefix dir so Debian's nginx can run it unprivileged:
#   deploy/nginx/render.sh <prefix> <listen> <tls-cert> <tls-key> <gateway host:port> <gateway-ca>
# then: nginx -p <prefix> -c <prefix>/nginx.conf
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 6 ] || { echo "usage: $0 <prefix> <listen> <tls-cert> <tls-key> <gateway> <gateway-ca>" >&2; exit 2; }
export PREFIX=$1 LISTEN=$2 TLS_CERT=$3 TLS_KEY=$4 GATEWAY=$5 GATEWAY_CA=$6
export MODSEC_DIR="$PREFIX/modsecurity"
mkdir -p "$PREFIX" "$MODSEC_DIR"
[ -f /etc/nginx/modsecurity.conf ] || { echo "install libnginx-mod-http-modsecurity modsecurity-crs first" >&2; exit 1; }
cp /etc/nginx/modsecurity.conf /etc/nginx/unicode.mapping "$MODSEC_DIR/" 2>/dev/null || cp /etc/modsecurity/modsecurity.conf-recommended "$MODSEC_DIR/modsecurity.conf"
vars='${PREFIX} ${LISTEN} ${TLS_CERT} ${TLS_KEY} ${GATEWAY} ${GATEWAY_CA} ${MODSEC_DIR}'
envsubst "$vars" < "$here/nginx.conf.template" > "$PREFIX/nginx.conf"
envsubst "$vars" < "$here/main.conf.template" > "$MODSEC_DIR/main.conf"
echo "$PREFIX/nginx.conf"
