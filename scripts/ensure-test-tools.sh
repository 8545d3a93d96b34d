#!/usr/bin/env bash
# The test suites and `pnpm cluster` drive real binaries: HAProxy (the load balancer), docker-compose
# (`config` validates docker-compose.yml), redis-server/redis-cli (throw-away
# Redis Clusters), openssl (throw-away certificates for the TLS configs) and chromium (the web client's
# end-to-end tests drive Debian's Chromium with playwright-core). Installs what is missing from Debian's packages when this
# user may, otherwise says exactly what to install. MariaDB and Redis themselves
# are expected to be running already (see README).
set -euo pipefail

# With arguments, only those tools (`haproxy` for `pnpm cluster`); without, all of them.
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(haproxy docker-compose redis openssl chromium)
missing=()
for tool in "${wanted[@]}"; do
  case "$tool" in
    haproxy) command -v haproxy >/dev/null || missing+=(haproxy) ;;
    docker-compose) command -v docker-compose >/dev/null || missing+=(docker-compose) ;;
    redis) { command -v redis-server >/dev/null && command -v redis-cli >/dev/null; } || missing+=(redis-server redis-tools) ;;
    openssl) command -v openssl >/dev/null || missing+=(openssl) ;;
    chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
    *) echo "unknown tool: $tool" >&2; exit 2 ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "test tools missing: ${missing[*]}; installing with apt-get" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "cannot install as $(id -un): run 'sudo apt-get install -y ${missing[*]}' and try again" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
