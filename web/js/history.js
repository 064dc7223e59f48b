// history: the optimization history, each finished trial's value of the
// chosen objective against its number, with the best value so far as a
// stepped line. Pruned trials show their last reported value in their
// own colour; failed trials have no value and are left out.
// SPDX-License-Identifier: MIT
import { el } from './dom.js';
import { makePlot, robustRange, steppedPath, COLORS } from './plot.js';

function points(color) {
  return { show: true, size: 4, width: 0, fill: color, stroke: color };
}

// Columns for uPlot: x = trial numbers, then complete values, pruned
// values, best so far (nulls where a trial has none).
function columns(model) {
  const { trials, k, minimize } = model;
  const rows = trials.filter((t) => t.values && (t.state === 'complete' || t.state === 'pruned'))
    .sort((a, b) => a.number - b.number);
  const xs = [], done = [], pruned = [], best = [];
  let record = null;
  for (const t of rows) {
    const v = t.values[k];
    xs.push(t.number);
    done.push(t.state === 'complete' ? v : null);
    pruned.push(t.state === 'pruned' ? v : null);
    if (t.state === 'complete' && Number.isFinite(v) &&
        (record === null || (minimize ? v < record : v > record))) record = v;
    best.push(record);
  }
  return [xs, done, pruned, best];
}

export function createHistory(section) {
  const box = el('div', { class: 'chart', id: 'history-chart' });
  const note = el('p', { class: 'muted' });
  section.append(box, note);
  let plot = null;
  let name = null;
  let lo = 0;
  let hi = 1;
  // Keep one outlier from flattening the rest, as on the curves chart.
  const yRange = (u, min, max) => [Math.max(min, lo), Math.min(max, hi)];

  function update(model) {
    const data = columns(model);
    note.textContent = data[0].length ? '' : 'No trial has a value yet.';
    [lo, hi] = robustRange(data[1].concat(data[2]).filter((v) => v !== null), 0.01);
    if (plot && name === model.objectiveName) {
      plot.setData(data);
      return;
    }
    if (plot) plot.destroy();
    name = model.objectiveName;
    plot = makePlot(box, {
      height: 280,
      legend: true,
      x: { label: 'trial', integer: true },
      y: { label: model.objectiveName, range: yRange },
      data,
      series: [
        { label: 'complete', stroke: COLORS.point, paths: () => null, points: points(COLORS.point) },
        { label: 'pruned', stroke: COLORS.pruned, paths: () => null, points: points(COLORS.pruned) },
        { label: 'best so far', stroke: COLORS.best, width: 2, paths: steppedPath, spanGaps: true,
          points: { show: false } },
      ],
    });
  }

  return { update, destroy: () => plot && plot.destroy() };
}
