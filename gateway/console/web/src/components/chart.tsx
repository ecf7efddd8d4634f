import { useEffect, useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * A uPlot chart that fills its container's width. `options` without width (set here); `data` as
 * uPlot takes it (x values first). The chart is rebuilt when `options` changes and only given new
 * data otherwise, so a polled series updates in place.
 */
export function Chart({ options, data, height = 220, testId }: { options: Omit<Options, 'width' | 'height'>; data: AlignedData; height?: number; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const element = box.current!;
    const chart = new uPlot({ ...options, width: Math.max(200, element.clientWidth), height }, latest.current, element);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [options, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return <div className="chart" ref={box} data-testid={testId} />;
}

/** uPlot's bar renderer for a series (grouped bars: pass `size` < 1 and an `align`). */
export function bars(size = 0.6, align: 0 | 1 | -1 = 0): uPlot.Series.PathBuilder {
  return uPlot.paths.bars!({ size: [size, 100], align });
}

/** The colours of the console's series, in order. */
export const SERIES_COLOURS = ['#2f6fdf', '#e07b24', '#2e9d5b', '#9b4dca', '#c43c3c', '#5f6b7a'];
