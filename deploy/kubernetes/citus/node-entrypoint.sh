# Entrypoint of every Citus node in compose.yaml, run as `sh /etc/distrag/node-entrypoint.sh postgres …`
# in front of the image's own docker-entrypoint.sh (as root, before it steps down to postgres).
# Two guards around the image's first-run initialisation:
#
# 1. PGDATA is the `pgdata` directory inside the node's volume, not the volume itself, so that the
#    recovery service can restore a node by renaming a new data directory into place (a mount point
#    cannot be renamed). A volume that held a cluster (marker written by 999-distrag-init-done.sh at
#    the end of the first initialisation) whose pgdata is gone is NOT initialised again: an empty
#    cluster would silently take the place of the lost data, and Docker's restart policy would start
#    it before the watchdog notices. The container exits instead, and the recovery service restores
#    the node from its latest base backup plus its WAL.
# 2. postgresql.conf sets synchronous_standby_names: every commit waits for the backup service's WAL
#    receiver (RPO 0), which cannot reach the image's temporary server (Unix socket only) during the
#    first initialisation. The image's setup sessions (CREATE DATABASE, CREATE EXTENSION citus)
#    therefore commit with synchronous_commit=local through
#    PGOPTIONS, which 999-distrag-init-done.sh removes before the real server starts.
set -eu
volume=$(dirname "$PGDATA")
marker="$volume/.distrag-initialized"
if [ -s "$PGDATA/PG_VERSION" ]; then
  # Also marks volumes initialised before the marker existed.
  [ -e "$marker" ] || touch "$marker"
elif [ -s "$volume/PG_VERSION" ]; then
  echo "distrag: $volume holds a data directory at its root (the layout before PGDATA=$PGDATA); move it down first:" \
    "docker compose run --rm --no-deps --entrypoint sh SERVICE -c 'cd $volume && mkdir -m 700 pgdata.new && find . -mindepth 1 -maxdepth 1 ! -name pgdata.new -exec mv {} pgdata.new/ \\; && mv pgdata.new $(basename "$PGDATA") && chown -R postgres:postgres $PGDATA'" >&2
  exit 1
elif [ -e "$marker" ]; then
  echo "distrag: the data directory $PGDATA is gone but this volume held a cluster: not initialising an empty one in its place." \
    "The recovery service restores it from its latest base backup plus its WAL (docker compose logs recovery)." \
    "To start this node empty on purpose, delete $marker." >&2
  exit 1
else
  export PGOPTIONS='-c synchronous_commit=local'
fi
if [ "$(id -u)" = 0 ]; then
  # The marker is written by the postgres user at the end of the first initialisation.
  chown postgres:postgres "$volume"
  chmod 0700 "$volume"
fi
exec docker-entrypoint.sh "$@"
