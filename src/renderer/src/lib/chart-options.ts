import type uPlot from 'uplot';
import { theme } from './theme.svelte';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** Series colour 1–4 of the theme. */
  color: number;
  points?: boolean;
}

/**
 * uPlot options in the app's theme: axes and grid in the theme's colours, no legend (no
 * "step: --" values that mean nothing until hovered; ChartLegend lists the series) and no
 * title (the component prints one in the app's type).
 */
export function chartOptions(o: {
  width: number;
  height: number;
  xLabel: string;
  yLabel?: string;
  series: ChartSeries[];
  /** Both axes 0–1 (curves). */
  unit?: boolean;
  /** The y values are shares, shown as percentages. */
  percent?: boolean;
}): uPlot.Options {
  // Steps and epochs are whole numbers: no tick at 2.5.
  const wholeSteps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];
  const axis = theme.colour('chart-axis');
  const grid = theme.colour('chart-grid');
  const font = `12px ${getComputedStyle(document.documentElement).fontFamily}`;
  const common = {
    stroke: axis,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    font,
    labelFont: font,
  };
  return {
    width: o.width,
    height: o.height,
    scales: o.unit
      ? { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } }
      : { x: { time: false } },
    // ChartLegend draws the legend in the page, following the props.
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    axes: [
      { ...common, label: o.xLabel, labelSize: 20, ...(o.unit ? {} : { incrs: wholeSteps }) },
      {
        ...common,
        ...(o.yLabel ? { label: o.yLabel, labelSize: 20 } : {}),
        ...(o.percent
          ? { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${Math.round(t * 100)} %`) }
          : {}),
        size: o.percent ? 60 : 50,
      },
    ],
    series: [
      { label: o.xLabel },
      ...o.series.map((s) => ({
        label: s.label,
        stroke: theme.series(s.color),
        width: 2,
        points: { show: s.points ?? false },
      })),
    ],
  };
}
