#!/bin/sh
# Container entry point: runs the bundle (`pnpm build`) of the node kind named by
# SERVICE (api | socket). `exec` makes node PID 1 so SIGTERM reaches the app's
# drain handler.
set -eu
# In the image this file is /app/start.sh, beside dist/ and node_modules/.
cd "$(dirname "$0")"
case "${SERVICE:-}" in
  api) exec node dist/api/main.js ;;
  socket) exec node dist/socket/main.js ;;
  *) echo "SERVICE must be 'api' or 'socket' (got '${SERVICE:-}')" >&2; exit 64 ;;
esac
