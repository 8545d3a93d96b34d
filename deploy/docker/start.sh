#!/bin/sh
# Container entry point: runs the node kind named by SERVICE (api | socket).
# `node --import tsx` keeps a single process (the tsx CLI would add a parent),
# and `exec` makes it PID 1 so SIGTERM reaches the app's drain handler.
set -eu
case "${SERVICE:-}" in
  api) exec node --import tsx services/api/src/main.ts ;;
  socket) exec node --import tsx services/socket/src/main.ts ;;
  *) echo "SERVICE must be 'api' or 'socket' (got '${SERVICE:-}')" >&2; exit 64 ;;
esac
