#!/bin/sh
# Container entry point: runs the bundle (`pnpm build`) of the node kind named by
# SERVICE (api | socket). `exec` makes node PID 1 so SIGTERM reaches the app's
# drain handler.
set -eu
# The nodes' V8 flags: NODE_FLAGS in deploy/node/flags, which says why (deploy/test checks that both agree).
NODE_FLAGS="--max-semi-space-size=8"
# In the image this file is /app/start.sh, beside dist/ and node_modules/.
cd "$(dirname "$0")"
case "${SERVICE:-}" in
  api) exec node $NODE_FLAGS dist/api/main.js ;;
  socket) exec node $NODE_FLAGS dist/socket/main.js ;;
  *) echo "SERVICE must be 'api' or 'socket' (got '${SERVICE:-}')" >&2; exit 64 ;;
esac
