import { useMemo } from 'react';
import type { AlignedData, Options } from 'uplot';
import { bars, Chart, SERIES_COLOURS } from '../../components/chart';
import type { NodeView } from './cluster-api';
import { humanBytes } from '../../format';

/**
 * Shards (left axis) and database size (right axis) per node, as grouped bars with the node names
 * on the x axis. The options depend only on the node names, so a poll updates the bars in place.
 */
export function ShardChart({ nodes }: { nodes: NodeView[] }) {
  const names = nodes.map((n) => n.name);
  const nameKey = names.join('\n');
  const options = useMemo(() => chartOptions(nameKey.split('\n')), [nameKey]);
  const data = useMemo<AlignedData>(() => [nodes.map((_, i) => i), nodes.map((n) => n.shardCount), nodes.map((n) => n.sizeBytes ?? null)], [nodes]);
  return <Chart options={options} data={data} height={240} testId="shard-chart" />;
}

/** Axis steps for sizes: 1, 2, 5 × powers of 1024, so that the ticks read as round KiB/MiB/GiB. */
const BYTE_STEPS = [0, 1, 2, 3, 4].flatMap((power) => [1, 2, 5, 10, 20, 50, 100, 200, 500].map((m) => m * 1024 ** power));

function chartOptions(names: string[]): Omit<Options, 'width' | 'height'> {
  const [shardColour, sizeColour] = SERIES_COLOURS;
  const ticks = names.map((_, i) => i);
  return {
    scales: {
      x: { time: false, range: [-0.5, names.length - 0.5] },
      shards: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] },
      bytes: { range: (_u, _min, max) => [0, Math.max(1024, max * 1.15)] },
    },
    axes: [
      { splits: () => ticks, values: (_u, splits) => splits.map((i) => names[i] ?? ''), grid: { show: false } },
      { scale: 'shards', label: 'shards', size: 50 },
      { scale: 'bytes', label: 'size', side: 1, size: 80, grid: { show: false }, incrs: BYTE_STEPS, values: (_u, splits) => splits.map((v) => humanBytes(v)) },
    ],
    series: [
      { label: 'node', value: (_u, i) => (i === null ? '—' : (names[i] ?? '')) },
      { label: 'shards', scale: 'shards', stroke: shardColour, fill: `${shardColour}cc`, width: 1, paths: bars(0.3, -1), points: { show: false } },
      { label: 'size', scale: 'bytes', stroke: sizeColour, fill: `${sizeColour}cc`, width: 1, paths: bars(0.3, 1), points: { show: false }, value: (_u, v) => humanBytes(v) },
    ],
    cursor: { points: { show: false }, drag: { x: false, y: false } },
    legend: { show: true },
  };
}
