import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultSpiderDir } from '../eval/spider/spider-dataset.js';
import { projectRoot } from '../src/paths.js';

/** Where the evals look for the Spider dev subset when no --data is given. */

const made: string[] = [];
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A directory that looks like a git checkout whose origin is `origin`. */
function checkout(origin: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-clone-'));
  made.push(dir);
  fs.mkdirSync(path.join(dir, '.git'));
  fs.writeFileSync(path.join(dir, '.git', 'config'), `[core]\n\tbare = false\n[remote "origin"]\n\turl = ${origin}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`);
  return dir;
}

describe('defaultSpiderDir', () => {
  it('finds the dataset beside the local checkout a clone came from', () => {
    const beside = defaultSpiderDir(projectRoot);
    expect(fs.existsSync(path.join(beside, 'questions.json'))).toBe(true);
    expect(defaultSpiderDir(checkout(projectRoot))).toBe(beside);
    expect(defaultSpiderDir(checkout(`file://${projectRoot}`))).toBe(beside);
  });

  it('names the place beside the project when a remote origin has none', () => {
    const clone = checkout('https://example.com/distrag.git');
    expect(defaultSpiderDir(clone)).toBe(path.join(path.dirname(clone), 'shared', 'datasets', 'spider-dev'));
  });
});
