#!/bin/sh
# Container entry point: runs the bundle (`pnpm build`) of the node kind named by
# SERVICE (api | socket). `exec` makes node PID 1 so SIGTERM reaches the app's
# drain handler.
set -eu
# In the image this file is /app/start.sh, beside dist/ and node_modules/.
cd "$(dirname "$0")"
# A 64 MB young generation: a third of the scavenges of the default at the
# same load, and a lower ack p99 (BENCHMARKS.md, light-load breakdown).
V8_FLAGS="--max-semi-space-size=64"
case "${SERVICE:-}" in
  api) exec node $V8_FLAGS dist/api/main.js ;;
  socket) exec node $V8_FLAGS dist/socket/main.js ;;
  *) echo "SERVICE must be 'api' or 'socket' (got '${SERVICE:-}')" >&2; exit 64 ;;
esac
