import { Fragment, useMemo, useState } from 'react';
import type { AlignedData, Options } from 'uplot';
import { bars, Chart, SERIES_COLOURS } from '../../components/chart';
import { defaultColumn, formatMedian, type BenchMode, type MergedTable } from './bench-types';

const MODE_COLOUR: Record<BenchMode, string> = { SINGLE: SERIES_COLOURS[0]!, CITUS: SERIES_COLOURS[1]! };

/** One table of a benchmark: a grouped bar chart of the chosen column's medians (a bar per mode), and every median as a table. */
export function BenchTableView({ table }: { table: MergedTable }) {
  const [column, setColumn] = useState(() => defaultColumn(table));
  const digits = table.columns.find((c) => c.name === column)?.digits ?? 2;
  const labels = useMemo(() => table.rows.map((r) => r.label), [table]);

  const options = useMemo<Omit<Options, 'width' | 'height'>>(() => {
    const two = table.modes.length > 1;
    return {
      scales: { x: { time: false, range: [-0.5, Math.max(0.5, labels.length - 0.5)] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        {
          splits: () => labels.map((_, i) => i),
          values: (u, splits) => {
            // As many characters as a group's width holds (the table below has the full keys).
            const room = Math.max(6, Math.floor(u.bbox.width / devicePixelRatio / Math.max(1, labels.length) / 6.5));
            return splits.map((i) => shorten(labels[i] ?? '', room));
          },
          grid: { show: false },
        },
        { label: column, size: 60, values: (_u, splits) => splits.map((v) => v.toLocaleString('en-US')) },
      ],
      series: [
        { label: 'row', value: (_u, v) => (v === null ? '' : (labels[v] ?? '')) },
        ...table.modes.map((mode, i) => ({
          label: mode,
          stroke: MODE_COLOUR[mode],
          fill: `${MODE_COLOUR[mode]}cc`,
          width: 1,
          paths: two ? bars(0.36, i === 0 ? -1 : 1) : bars(0.6, 0),
          points: { show: false },
          value: (_u: unknown, v: number | null) => (v === null ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits })),
        })),
      ],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    };
  }, [table, labels, column, digits]);

  const data = useMemo<AlignedData>(
    () => [labels.map((_, i) => i), ...table.modes.map((mode) => table.rows.map((row) => row.figures.get(mode)?.get(column)?.median ?? null))],
    [table, labels, column],
  );

  return (
    <div className="bench-table" data-testid="bench-table">
      <div className="row bench-table-head">
        <h4 className="grow">{table.title ?? 'Main results'}</h4>
        <label className="muted">
          plot{' '}
          <select value={column} onChange={(e) => setColumn(e.target.value)} data-testid="bench-column">
            {table.columns.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Chart options={options} data={data} height={200} testId="bench-chart" />
      <div className="table-box bench-medians">
        <table data-testid="bench-medians">
          <thead>
            <tr>
              {table.keyColumns.map((k) => (
                <th key={`k:${k}`}>{k}</th>
              ))}
              <th>mode</th>
              {table.columns.map((c) => (
                <th key={`c:${c.name}`} className={`num${c.name === column ? ' bench-plotted' : ''}`}>
                  {c.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row) => {
              const modes = table.modes.filter((m) => row.figures.has(m));
              return (
                <Fragment key={row.label}>
                  {modes.map((mode, m) => (
                    <tr key={mode} className={m === modes.length - 1 ? 'bench-group-end' : undefined}>
                      {m === 0 &&
                        row.key.map((k, i) => (
                          <td key={i} rowSpan={modes.length} className="bench-key">
                            {k}
                          </td>
                        ))}
                      <td>
                        <span className={`badge bench-mode bench-mode-${mode.toLowerCase()}`}>{mode}</span>
                      </td>
                      {table.columns.map((c) => {
                        const figure = row.figures.get(mode)?.get(c.name);
                        return (
                          <td key={c.name} className="num" title={figure ? `min ${formatMedian({ ...figure, median: figure.min }, c.digits)}, max ${formatMedian({ ...figure, median: figure.max }, c.digits)} over ${figure.runs.length} runs` : undefined}>
                            {formatMedian(figure, c.digits)}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function shorten(text: string, room: number): string {
  return text.length <= room ? text : `${text.slice(0, room - 1)}…`;
}
