#!/bin/sh
# Runs the one DistRAG process this container is for:
#   gateway | data | rag | cache | cluster   the service (listens on DISTRAG_SERVICE_PORT)
#   feed                                     the change feed (PostgreSQL changes onto Redis)
#   distrag <args>                           the CLI, e.g. `distrag backup --watch`
#   anything else                            executed as given (e.g. `node -e ...`, `sh`)
# `exec` keeps node as PID 1, so `docker stop` (SIGTERM) reaches its clean-shutdown handler.
set -e
case "${1:-}" in
  gateway)
    shift
    exec node dist/gateway/main.js "$@"
    ;;
  data | rag | cache | cluster)
    name="$1"
    shift
    exec node "dist/subgraphs/$name/main.js" "$@"
    ;;
  feed)
    shift
    exec node dist/src/feed/main.js "$@"
    ;;
  distrag)
    shift
    exec node bin/distrag.js "$@"
    ;;
  "")
    echo "usage: gateway | data | rag | cache | cluster | feed | distrag <command> | <executable> [args]" >&2
    exit 64
    ;;
  *)
    exec "$@"
    ;;
esac
