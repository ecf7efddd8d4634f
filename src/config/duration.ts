/**
 * Durations as people type them in settings and flags: `3600` (seconds), `90s`, `15m`, `12h`, `1d`.
 * Used by DISTRAG_MAX_TOKEN_TTL and `distrag token --ttl`.
 */
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Whole seconds, or null when the text is not a positive duration. */
export function parseDurationSeconds(text: string): number | null {
  const match = /^\s*(\d{1,9})\s*([smhd]?)\s*$/i.exec(text);
  if (!match) return null;
  const unit = (match[2] || 's').toLowerCase() as keyof typeof UNIT_SECONDS;
  const seconds = Number(match[1]) * UNIT_SECONDS[unit];
  return seconds > 0 ? seconds : null;
}

/** The shortest exact spelling of a number of seconds: 86400 → `24h`, 90 → `90s`, 172800 → `2d`. */
export function formatDuration(seconds: number): string {
  if (seconds % 86_400 === 0 && seconds >= 2 * 86_400) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
