import fs from 'node:fs';

/** An LSN (`16/B374D848`) as a number, for comparing positions. */
export function lsnValue(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/**
 * The WAL a base backup needs, read from its backup_manifest (`WAL-Ranges`, written by
 * pg_basebackup and checked by pg_verifybackup): the first range's start to the last range's end.
 */
export function readWalRange(manifestFile: string): { walStart: string; walEnd: string } {
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { 'WAL-Ranges'?: Array<{ 'Start-LSN': string; 'End-LSN': string }> };
  const ranges = manifest['WAL-Ranges'] ?? [];
  const first = ranges[0];
  const last = ranges[ranges.length - 1];
  if (!first || !last) throw new Error(`${manifestFile} names no WAL range`);
  return { walStart: first['Start-LSN'], walEnd: last['End-LSN'] };
}
