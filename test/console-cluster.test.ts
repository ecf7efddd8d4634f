import type { Page } from 'puppeteer-core';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { browserMissing, sharedBrowser, openConsole, screenshot, textOf, waitForText } from './support/browser.js';
import { graphql, tokenFor } from './support/graphql-client.js';

// The web console's Cluster panel (admins only) against the shared stack: what it shows is what
// `cluster` and `backups` answer; its Create backup and Rebalance buttons act on the server. Nodes
// are neither drained, removed nor added here: other test files use this stack.

interface ServerNode {
  name: string;
  status: string;
  shardCount: number;
}
interface ServerBackup {
  id: string;
  node: string;
  verified: boolean;
}
interface ServerCluster {
  mode: 'SINGLE' | 'CITUS';
  nodes: ServerNode[];
  rebalance: { state: string; jobId: string | null; detail: string };
}

async function ask<T>(query: string, token: string): Promise<T> {
  const response = await graphql(query, { token });
  expect(response.body.errors, query).toBeUndefined();
  return response.body.data as T;
}

const serverCluster = (token: string) => ask<{ cluster: ServerCluster }>('{ cluster { mode nodes { name status shardCount } rebalance { state jobId detail } } }', token).then((d) => d.cluster);
const serverBackups = (token: string, node?: string) =>
  ask<{ backups: ServerBackup[] }>(node ? `{ backups(node: "${node}") { id node verified } }` : '{ backups { id node verified } }', token).then((d) => d.backups);

/** The nodes table as the user sees it. */
function shownNodes(page: Page): Promise<Array<{ name: string; status: string; shardCount: number }>> {
  return page.$$eval('[data-testid^="node-row-"]', (rows) =>
    rows.map((row) => ({
      name: row.getAttribute('data-testid')!.slice('node-row-'.length),
      status: (row.querySelector('[data-testid="node-status"]') as HTMLElement).innerText.trim(),
      shardCount: Number((row.querySelector('[data-testid="node-shards"]') as HTMLElement).innerText.trim()),
    })),
  );
}

/** The backups table's rows as `<node>/<id>: <verified badge>`. */
function shownBackups(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid^="backup-row-"]', (rows) =>
    rows.map((row) => {
      const cells = [...row.querySelectorAll('td')].map((td) => (td as HTMLElement).innerText.trim());
      return `${cells[1]}/${cells[0]}: ${(row.querySelector('[data-testid="backup-verified"]') as HTMLElement).innerText.trim()}`;
    }),
  );
}

const asShown = (backups: ServerBackup[]) => backups.map((b) => `${b.node}/${b.id}: ${b.verified ? 'verified' : 'unverified'}`);

/**
 * Waits until the panel lists the backups the server lists (read again each time: the recovery
 * process may take a scheduled backup meanwhile). The panel polls every 5 s and reloads on events.
 */
async function waitForServerBackups(page: Page, token: string, timeout = 30_000): Promise<ServerBackup[]> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const server = await serverBackups(token);
    const shown = await shownBackups(page);
    if (JSON.stringify(shown) === JSON.stringify(asShown(server))) return server;
    if (Date.now() > deadline) expect(shown, 'the backups the panel lists').toEqual(asShown(server));
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe.skipIf(browserMissing)('console: the Cluster panel', () => {
  const mode = inject('stack').info.mode;
  const browser = sharedBrowser();
  let token: string;

  beforeAll(async () => {
    token = await tokenFor('admin');
  });

  it('shows the mode, the nodes with their status and shards, the chart and the backups as the server answers them', async () => {
    const { page, problems } = await openConsole(browser(), { token, panel: 'cluster' });
    const server = await serverCluster(token);
    expect(server.mode).toBe(mode);
    expect(server.nodes).toHaveLength(mode === 'CITUS' ? 3 : 1);

    expect(await textOf(page, '[data-testid="cluster-mode"]')).toBe(server.mode);
    await page.waitForFunction((n: number) => document.querySelectorAll('[data-testid^="node-row-"]').length === n, { timeout: 10_000 }, server.nodes.length);
    expect(await shownNodes(page)).toEqual(server.nodes.map(({ name, status, shardCount }) => ({ name, status, shardCount })));
    expect(server.nodes.every((n) => n.status === 'UP')).toBe(true);

    // uPlot draws into a canvas inside the chart's box.
    const canvas = await page.waitForSelector('[data-testid="shard-chart"] canvas', { timeout: 10_000 });
    expect(await canvas!.evaluate((c) => (c as HTMLCanvasElement).width)).toBeGreaterThan(0);

    const backups = await waitForServerBackups(page, token);
    expect(backups.every((b) => b.verified)).toBe(true);

    if (mode === 'CITUS') {
      const tables = await ask<{ cluster: { distributedTables: Array<{ name: string }> } }>('{ cluster { distributedTables { name } } }', token);
      const shownTables = await page.$$eval('[data-testid^="table-row-"]', (rows) => rows.map((r) => r.getAttribute('data-testid')!.slice('table-row-'.length)));
      expect(shownTables).toEqual(tables.cluster.distributedTables.map((t) => t.name));
    }
    await screenshot(page, 'cluster');
    expect(problems).toEqual([]);
    await page.browserContext().close();
  });

  it('takes a backup of the coordinator from its Back up button: listed by the server and in the panel, verified', { timeout: 180_000 }, async () => {
    const { page, problems } = await openConsole(browser(), { token, panel: 'cluster' });
    const before = new Set((await waitForServerBackups(page, token)).map((b) => b.id));

    await page.click('[data-testid="backup-coordinator"]');
    // The button answers once the backup is taken and verified; the row's note names it.
    await page.waitForFunction(
      () => document.querySelector('[data-testid="node-note-coordinator"]') !== null && (document.querySelector('[data-testid="backup-coordinator"]') as HTMLButtonElement).innerText !== 'Backing up…',
      { timeout: 120_000 },
    );
    const note = await textOf(page, '[data-testid="node-note-coordinator"]');
    expect(note).toMatch(/Backup \d{8}T\d{9}Z of coordinator taken \(.+, verified\)/);
    const id = /Backup (\d{8}T\d{9}Z)/.exec(note)![1]!;
    expect(before.has(id)).toBe(false);
    expect((await serverBackups(token, 'coordinator')).find((b) => b.id === id)).toEqual({ id, node: 'coordinator', verified: true });

    await waitForServerBackups(page, token);
    expect(await textOf(page, `[data-testid="backup-row-coordinator-${id}"] [data-testid="backup-verified"]`)).toBe('verified');
    // The node's "last backup" is the new one once the cluster is read again.
    const lastBackup = await ask<{ cluster: { nodes: Array<{ name: string; lastBackup: { id: string } | null }> } }>('{ cluster { nodes { name lastBackup { id } } } }', token);
    expect(lastBackup.cluster.nodes.find((n) => n.name === 'coordinator')!.lastBackup?.id).toBe(id);
    await page.waitForFunction(
      (id: string) => document.querySelector('[data-testid="node-row-coordinator"] [data-testid="node-last-backup"] span')?.getAttribute('title')?.includes(id),
      { timeout: 15_000 },
      id,
    );
    expect(problems).toEqual([]);
    await page.browserContext().close();
  });

  it.runIf(mode === 'CITUS')('runs a rebalance from its button and shows it finished, as the server reports it', { timeout: 180_000 }, async () => {
    const { page, problems } = await openConsole(browser(), { token, panel: 'cluster' });
    await textOf(page, '[data-testid="rebalance-state"]');
    const button = await page.waitForSelector('[data-testid="rebalance-button"]:not([disabled])', { timeout: 30_000 });
    await button!.click();
    await waitForText(page, '[data-testid="rebalance-state"]', /^FINISHED$/, 150_000);
    expect(await page.$eval('[data-testid="rebalance-progress"]', (bar) => bar.getAttribute('aria-valuenow'))).toBe('100');
    expect(await page.$('[data-testid="error"]')).toBeNull();

    // Either a job moved shards (the cluster reports it FINISHED, with the same detail), or Citus had
    // nothing to move: no job, and the panel shows the mutation's answer.
    const server = await serverCluster(token);
    const detail = await textOf(page, '[data-testid="rebalance-detail"]');
    if (server.rebalance.state === 'FINISHED' && server.rebalance.jobId !== null) expect(detail).toBe(server.rebalance.detail);
    else expect(detail).toMatch(/nothing to move/);
    // The shards as the panel shows them after the rebalance are the server's.
    await page.waitForFunction(
      (want: string) => JSON.stringify([...document.querySelectorAll('[data-testid="node-shards"]')].map((c) => Number((c as HTMLElement).innerText))) === want,
      { timeout: 15_000 },
      JSON.stringify(server.nodes.map((n) => n.shardCount)),
    );
    expect(problems).toEqual([]);
    await page.browserContext().close();
  });

  it.runIf(mode === 'SINGLE')('disables the Citus-only actions in SINGLE mode with the reason, as the server refuses them', async () => {
    const { page, problems } = await openConsole(browser(), { token, panel: 'cluster' });
    await textOf(page, '[data-testid="rebalance-state"]');
    expect(await page.$eval('[data-testid="rebalance-button"]', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    expect(await textOf(page, '[data-testid="rebalance-disabled-reason"]')).toMatch(/SINGLE mode/);
    expect(await page.$eval('[data-testid="add-node-button"]', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    expect(await textOf(page, '[data-testid="add-node-disabled-reason"]')).toMatch(/SINGLE mode/);
    // No workers: nothing to drain or remove.
    expect(await page.$$('[data-testid^="drain-"], [data-testid^="remove-"]')).toHaveLength(0);

    const refused = await graphql('mutation { rebalance { state } }', { token });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.body.errors?.[0]?.message).toContain('runs in SINGLE mode');
    expect(problems).toEqual([]);
    await page.browserContext().close();
  });
});
