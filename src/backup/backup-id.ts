/** A backup id from a time: its UTC timestamp to the millisecond, `20250102T030405678Z` (sortable, path-safe). */
export function backupId(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace('.', '');
}
