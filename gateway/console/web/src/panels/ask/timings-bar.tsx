import type { AskTimings } from '../../generated/rag';
import { SERIES_COLOURS } from '../../components/chart';

const STAGES = [
  ['embedMs', 'embed'],
  ['cacheMs', 'cache'],
  ['retrieveMs', 'retrieve'],
  ['generateMs', 'generate'],
  ['executeMs', 'execute'],
  ['synthesizeMs', 'synthesize'],
] as const;

/** Where an ask's time went: one segment per stage, proportional to its milliseconds. */
export function TimingsBar({ timings }: { timings: Omit<AskTimings, '__typename'> }) {
  const total = Math.max(timings.totalMs, 0.001);
  const staged = STAGES.reduce((sum, [key]) => sum + timings[key], 0);
  const other = Math.max(0, timings.totalMs - staged);
  return (
    <div data-testid="timings">
      <div className="timings" role="img" aria-label={`total ${formatMs(timings.totalMs)}`}>
        {STAGES.map(([key, label], i) =>
          timings[key] > 0 ? <span key={key} title={`${label} ${formatMs(timings[key])}`} style={{ width: `${(timings[key] / total) * 100}%`, background: SERIES_COLOURS[i] }} /> : null,
        )}
        {other > 0 && <span title={`other ${formatMs(other)}`} style={{ width: `${(other / total) * 100}%`, background: '#cfd5dd' }} />}
      </div>
      <div className="legend">
        {STAGES.map(([key, label], i) => (
          <span key={key} data-testid={`timing-${label}`}>
            <i style={{ background: SERIES_COLOURS[i] }} />
            {label} {formatMs(timings[key])}
          </span>
        ))}
        <span>
          <b>total {formatMs(timings.totalMs)}</b>
        </span>
      </div>
    </div>
  );
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}
