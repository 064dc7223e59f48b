// plot: the chart helpers shared by the panels, on top of uPlot. uPlot
// draws the axes, grid, zoom and cursor; the panels that show thousands
// of separate lines or points pass a draw(ctx, toX, toY) callback that
// paints them straight onto uPlot's canvas, which stays fast at 200,000
// points where one uPlot series per trial would not.
// SPDX-License-Identifier: MIT
import uPlot from '../vendor/uPlot.esm.js';
import { fmtNum } from './dom.js';

// Canvas colours; the CSS legend classes use the same ones.
export const COLORS = {
  complete: 'rgba(45, 105, 180, 0.35)',
  pruned: 'rgba(220, 130, 30, 0.35)',
  running: 'rgba(20, 150, 70, 0.95)',
  failed: 'rgba(190, 40, 40, 0.6)',
  best: 'rgba(200, 20, 60, 1)',
  point: 'rgba(45, 105, 180, 0.55)',
  axis: '#555',
  grid: 'rgba(0, 0, 0, 0.07)',
};

// [lo, hi] covering the q..1-q quantiles of the finite values, padded by
// 5 %, so that a few huge early losses do not flatten every curve.
export function robustRange(values, q = 0) {
  // A typed array sorts numerically without a comparator callback, about
  // ten times faster on the 200,000 points of a big study.
  const v = Float64Array.from(values.filter(Number.isFinite)).sort();
  if (!v.length) return [0, 1];
  let lo = v[Math.floor(q * (v.length - 1))];
  let hi = v[Math.ceil((1 - q) * (v.length - 1))];
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.1 || 1;
    return [lo - pad, hi + pad];
  }
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  return [lo, hi];
}

const INTEGER_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];

function axis(label, values, splits) {
  const a = { label, stroke: COLORS.axis, grid: { stroke: COLORS.grid, width: 1 },
    ticks: { stroke: COLORS.grid } };
  if (values) a.values = values;
  if (splits) a.splits = splits;
  return a;
}

// Create a uPlot chart in container. opts: {height, x: {label, log,
// labels, integer}, y: {label, log, range (uPlot range function)}, data, series (uPlot series after x),
// draw(ctx, toX, toY, u)}. A chart with draw and no series gets an
// invisible series whose data, [[xlo, xhi], [ylo, yhi]], sets the
// scales, so that uPlot's own zoom and reset keep working. Returns
// {u, redraw(), setData(data), destroy()}.
export function makePlot(container, opts) {
  const xLabels = opts.x.labels;
  const scales = {
    x: { time: false, distr: opts.x.log ? 3 : 1 },
    y: { distr: opts.y.log ? 3 : 1 },
  };
  if (opts.y.range) scales.y.range = opts.y.range;
  const series = [{ label: opts.x.label }].concat(opts.series ||
    [{ label: opts.y.label, stroke: 'transparent', paths: () => null, points: { show: false } }]);
  const hooks = {};
  if (opts.draw) {
    hooks.draw = [(u) => {
      const { ctx } = u;
      const { left, top, width, height } = u.bbox;
      ctx.save();
      ctx.beginPath();
      ctx.rect(left, top, width, height);
      ctx.clip();
      opts.draw(ctx, (v) => u.valToPos(v, 'x', true), (v) => u.valToPos(v, 'y', true), u);
      ctx.restore();
    }];
  }
  // uPlot's own tick labels round small log-scale values to 0.
  const numbers = (u, splits) => splits.map(fmtNum);
  const labelsFn = xLabels
    ? (u, splits) => splits.map((s) => (Number.isInteger(s) && xLabels[s] !== undefined ? xLabels[s] : ''))
    : numbers;
  const xAxis = axis(opts.x.label, labelsFn, xLabels && (() => xLabels.map((_, i) => i)));
  // Steps and trial numbers are whole: tick only at whole numbers.
  if (opts.x.integer) xAxis.incrs = INTEGER_INCRS;
  const u = new uPlot({
    width: Math.max(200, container.clientWidth),
    height: opts.height || 300,
    scales,
    series,
    axes: [xAxis, axis(opts.y.label, numbers)],
    legend: { show: !!opts.legend },
    cursor: { points: { show: !opts.draw }, drag: { x: true, y: !!opts.draw } },
    hooks,
  }, opts.data, container);

  const resize = new ResizeObserver(() => {
    const w = Math.max(200, container.clientWidth);
    if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height: u.height });
  });
  resize.observe(container);
  return {
    u,
    redraw: () => u.redraw(false, false),
    setData: (data) => u.setData(data),
    destroy: () => {
      resize.disconnect();
      u.destroy();
    },
  };
}

// A path builder for "best so far" lines: flat until the next record.
export const steppedPath = uPlot.paths.stepped({ align: 1 });
