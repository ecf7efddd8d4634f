import path from 'node:path';

/** Where everything lives under DISTRAG_HOME. */
export function stackLayout(home: string) {
  return {
    home,
    versionFile: path.join(home, 'VERSION'),
    secretsFile: path.join(home, 'secrets.json'),
    passFile: path.join(home, 'pgpass'),
    pgDir: (node: string) => path.join(home, 'pg', node),
    /** Base backups of one PostgreSQL node (`coordinator`, `worker-1`, …), one directory per backup. */
    backupDir: (node: string) => path.join(home, 'backups', node),
    redisDir: path.join(home, 'redis'),
    chromaDir: path.join(home, 'chroma'),
    nginxDir: path.join(home, 'nginx'),
    logDir: path.join(home, 'logs'),
    runDir: path.join(home, 'run'),
    processesFile: path.join(home, 'run', 'processes.json'),
    stackFile: path.join(home, 'run', 'stack.json'),
  };
}

export type StackLayout = ReturnType<typeof stackLayout>;

/** A file in the data directory of a worker `addNode(start: true)` made: `up` starts it again with the others. */
export const ADDED_WORKER_MARK = 'distrag-added-worker';

/** Bumped when the on-disk layout changes incompatibly. */
export const LAYOUT_VERSION = 1;
