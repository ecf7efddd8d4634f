import fs from 'node:fs';
import path from 'node:path';
import { lsnValue } from './wal-range.js';

/** initdb's default, which DistRAG's nodes keep. */
export const WAL_SEGMENT_BYTES = 16n * 1024n * 1024n;
const SEGMENTS_PER_XLOGID = 0x1_0000_0000n / WAL_SEGMENT_BYTES;

const SEGMENT = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(\.partial)?$/;

export interface WalSegmentFile {
  file: string;
  timeline: number;
  /** The segment's number (position / segment size). */
  segno: bigint;
  /** pg_receivewal's segment in progress: complete up to what the receiver flushed, zeros after. */
  partial: boolean;
}

export function segmentName(timeline: number, segno: bigint): string {
  const hex = (n: bigint | number, width = 8) => n.toString(16).toUpperCase().padStart(width, '0');
  return `${hex(timeline)}${hex(segno / SEGMENTS_PER_XLOGID)}${hex(segno % SEGMENTS_PER_XLOGID)}`;
}

export function segnoOf(lsn: string): bigint {
  return lsnValue(lsn) / WAL_SEGMENT_BYTES;
}

/** The WAL segment files of a receiver's directory, in position order (history files and others ignored). */
export function listWalSegments(walDir: string): WalSegmentFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(walDir);
  } catch {
    return [];
  }
  const segments: WalSegmentFile[] = [];
  for (const file of names) {
    const match = SEGMENT.exec(file);
    if (!match) continue;
    segments.push({
      file,
      timeline: parseInt(match[1]!, 16),
      segno: BigInt(`0x${match[2]}`) * SEGMENTS_PER_XLOGID + BigInt(`0x${match[3]}`),
      partial: match[4] !== undefined,
    });
  }
  return segments.sort((a, b) => (a.segno === b.segno ? a.timeline - b.timeline : a.segno < b.segno ? -1 : 1));
}

/**
 * Whether the directory holds every segment from the one containing `fromLsn` to its newest,
 * without a hole: restoring past a hole would silently stop there and lose what comes after.
 */
export function findWalGap(segments: WalSegmentFile[], fromLsn: string): string | null {
  const from = segnoOf(fromLsn);
  const needed = segments.filter((s) => s.segno >= from);
  if (needed.length === 0) return `no WAL from ${fromLsn} on (segment ${segmentName(1, from).slice(8)}) has been received`;
  if (needed[0]!.segno > from) return `WAL from ${fromLsn} up to segment ${needed[0]!.file} is missing`;
  for (let i = 1; i < needed.length; i++) {
    if (needed[i]!.segno > needed[i - 1]!.segno + 1n) return `WAL segment after ${needed[i - 1]!.file} is missing (next is ${needed[i]!.file})`;
  }
  return null;
}

/** Deletes complete segments wholly before `oldestNeededLsn` (the oldest kept backup's start); returns how many. */
export function pruneWalBefore(walDir: string, oldestNeededLsn: string): number {
  const keepFrom = segnoOf(oldestNeededLsn);
  let removed = 0;
  for (const segment of listWalSegments(walDir)) {
    if (segment.partial || segment.segno >= keepFrom) continue;
    fs.rmSync(path.join(walDir, segment.file), { force: true });
    removed++;
  }
  return removed;
}
