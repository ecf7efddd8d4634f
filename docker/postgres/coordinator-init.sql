-- Citus membership, run once by the coordinator's image entrypoint on an empty data directory
-- (mounted into /docker-entrypoint-initdb.d after the image's own 001-create-citus-extension.sql).
-- compose.yaml starts the coordinator only after worker1 and worker2 are healthy, so both accept
-- connections here. Node names are the compose service names, resolvable by every container.
-- The coordinator reaches the workers as POSTGRES_USER with PGPASSWORD from its environment.
SELECT citus_set_coordinator_host('coordinator', 5432);
SELECT citus_add_node('worker1', 5432);
SELECT citus_add_node('worker2', 5432);
