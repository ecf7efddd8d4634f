import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPgTool } from './run-pg-tool.js';
import { findWalGap, listWalSegments, segnoOf, WAL_SEGMENT_BYTES } from './wal-segments.js';

function lsnText(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffff_ffffn).toString(16).toUpperCase()}`;
}

/**
 * Checks the WAL a restore from `fromLsn` would replay: no missing segment, and every record of the
 * complete segments readable with a valid checksum (pg_waldump). The receiver's segment in progress
 * ends where its writes stopped — a torn end there is normal and is what replay stops at, as
 * PostgreSQL itself would. Returns null when sound, else what is wrong (a restore must not use it).
 */
export async function verifyWal(binDir: string, walDir: string, fromLsn: string): Promise<string | null> {
  const segments = listWalSegments(walDir);
  const gap = findWalGap(segments, fromLsn);
  if (gap) return gap;
  const complete = segments.filter((s) => !s.partial && s.segno >= segnoOf(fromLsn));
  if (complete.length === 0) return null;
  const timeline = complete[0]!.timeline;
  const end = (complete[complete.length - 1]!.segno + 1n) * WAL_SEGMENT_BYTES;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-waldump-'));
  try {
    for (const segment of complete) fs.symlinkSync(path.join(walDir, segment.file), path.join(scratch, segment.file));
    await runPgTool(binDir, 'pg_waldump', ['--quiet', `--timeline=${timeline}`, '-p', scratch, '-s', fromLsn, '-e', lsnText(end)]);
    return null;
  } catch (error) {
    return `WAL in ${walDir} is damaged: ${(error as Error).message}`;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
