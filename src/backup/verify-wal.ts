import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPgTool } from './run-pg-tool.js';
import { lsnValue } from './wal-range.js';
import { findWalGap, listWalSegments, segnoOf, WAL_SEGMENT_BYTES, type WalSegmentFile } from './wal-segments.js';

export interface WalCheck {
  /** Null when the WAL is sound; else what is wrong (a restore must not use it). */
  problem: string | null;
  /** Where the received WAL ends (the first position without a valid record): a full restore must replay up to it. */
  end: string | null;
}

export function lsnText(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffff_ffffn).toString(16).toUpperCase()}`;
}

const LSN = /([0-9A-F]+\/[0-9A-F]+)/gi;

/**
 * Checks the WAL a restore from `fromLsn` would replay: no missing segment, every record of the
 * complete segments readable with a valid checksum (pg_waldump), and where it ends. The receiver's
 * segment in progress ends where its writes stopped — a torn end there is normal and is where
 * replay stops, as PostgreSQL itself would.
 */
export async function verifyWal(binDir: string, walDir: string, fromLsn: string): Promise<WalCheck> {
  const segments = listWalSegments(walDir).filter((s) => s.segno >= segnoOf(fromLsn));
  const gap = findWalGap(segments, fromLsn);
  if (gap) return { problem: gap, end: null };
  const timeline = segments[0]!.timeline;
  const complete = segments.filter((s) => !s.partial);
  if (complete.length > 0) {
    const end = (complete[complete.length - 1]!.segno + 1n) * WAL_SEGMENT_BYTES;
    try {
      await waldump(binDir, walDir, complete, ['--quiet', `--timeline=${timeline}`, '-s', fromLsn, '-e', lsnText(end)]);
    } catch (error) {
      return { problem: `WAL in ${walDir} is damaged: ${(error as Error).message}`, end: null };
    }
  }
  // Read on to the end, the segment in progress included: pg_waldump stops at the first invalid record.
  try {
    await waldump(binDir, walDir, segments, ['--quiet', `--timeline=${timeline}`, '-s', fromLsn]);
    return { problem: null, end: lsnText((segments[segments.length - 1]!.segno + 1n) * WAL_SEGMENT_BYTES) };
  } catch (error) {
    const message = (error as Error).message;
    const positions = [...message.matchAll(LSN)].map((m) => m[1]!);
    const last = positions[positions.length - 1];
    if (/could not find file|could not open file/i.test(message) || !last) {
      return { problem: null, end: lsnText((segments[segments.length - 1]!.segno + 1n) * WAL_SEGMENT_BYTES) };
    }
    return { problem: null, end: lsnValue(last) >= lsnValue(fromLsn) ? last : fromLsn };
  }
}

/** pg_waldump over some segments, the one in progress given its full name (pg_waldump reads only those). */
async function waldump(binDir: string, walDir: string, segments: WalSegmentFile[], args: string[]): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-waldump-'));
  try {
    for (const segment of segments) {
      const name = segment.partial ? segment.file.slice(0, -'.partial'.length) : segment.file;
      fs.symlinkSync(path.join(walDir, segment.file), path.join(scratch, name));
    }
    await runPgTool(binDir, 'pg_waldump', [...args, '-p', scratch]);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
