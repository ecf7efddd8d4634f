# The last of the image's first-run initialisation scripts (/docker-entrypoint-initdb.d, run in name
# order after the image's 001-create-citus-extension.sql). Cluster membership is the init job's
# (`distrag migrate`), once every node runs.
# docker-entrypoint.sh SOURCES a script that is not executable, which is what this one needs: the
# variable it unsets must leave the entrypoint's own environment, which the real server inherits.
# Keep it non-executable (mode 644).
if ! (return 0 2>/dev/null); then
  echo "distrag: $0 must be sourced by docker-entrypoint.sh, not executed: remove its executable bit (chmod -x)" >&2
  exit 1
fi
# From here on commits wait for the backup service's WAL receiver again (RPO 0); see node-entrypoint.sh.
unset PGOPTIONS
# From here on a missing data directory in this volume means lost data, not a first start.
touch "$(dirname "$PGDATA")/.distrag-initialized"
