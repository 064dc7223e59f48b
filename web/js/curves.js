// curves: every trial's learning curve of the chosen objective on one
// chart. Complete, pruned, failed and running trials get their own colour,
// the best trial is drawn last and thick, and running curves grow as
// reports arrive (the study page appends points and calls update). The
// element carries data-curves and data-points for tests and benchmarks.
// SPDX-License-Identifier: MIT
import { el } from './dom.js';
import { makePlot, robustRange, COLORS } from './plot.js';

// Stroke order: the faint bulk first, what a reader looks for last.
const LAYERS = [
  ['complete', 1],
  ['pruned', 1],
  ['failed', 1],
  ['queued', 1],
  ['running', 2],
];

function extents(curves) {
  let xMax = 1;
  const all = [];
  for (const c of curves.values()) {
    const n = c.steps.length;
    if (n && c.steps[n - 1] > xMax) xMax = c.steps[n - 1];
    for (let i = 0; i < n; i++) all.push(c.values[i]);
  }
  // The top 2 % of values are mostly first-step losses; leaving them off
  // the scale keeps the part where trials differ readable.
  const [lo, hi] = robustRange(all, 0.02);
  return { xMin: 0, xMax, lo, hi };
}

// Curves per stroke() call. A single path of 200,000 segments costs the
// software rasteriser of a GPU-less browser several times more than the
// same segments stroked in batches of this size.
const BATCH = 256;

function strokeCurves(ctx, list, toX, toY) {
  ctx.beginPath();
  for (let j = 0; j < list.length; j++) {
    const c = list[j];
    if (j % BATCH === BATCH - 1) {
      ctx.stroke();
      ctx.beginPath();
    }
    for (let i = 0; i < c.steps.length; i++) {
      const x = toX(c.steps[i]);
      const y = toY(c.values[i]);
      if (!Number.isFinite(y)) continue;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
      if (c.steps.length === 1) ctx.lineTo(x + 2, y); // a lone point stays visible
    }
  }
  ctx.stroke();
}

export function createCurves(section) {
  const box = el('div', { class: 'chart', id: 'curves-chart', dataset: { curves: 0, points: 0 } });
  const legend = el('ul', { class: 'legend' },
    ['complete', 'pruned', 'failed', 'running', 'best'].map((s) =>
      el('li', {}, el('span', { class: `swatch ${s}` }), s)));
  const note = el('p', { class: 'muted' });
  section.append(legend, box, note);
  let plot = null;
  let shown = null;
  let model = null;

  function draw(ctx, toX, toY) {
    const { curves, bestNumber } = model;
    const groups = new Map();
    for (const [num, c] of curves) {
      if (num === bestNumber) continue;
      if (!groups.has(c.state)) groups.set(c.state, []);
      groups.get(c.state).push(c);
    }
    ctx.lineJoin = 'bevel';
    for (const [state, width] of LAYERS) {
      if (!groups.has(state)) continue;
      ctx.strokeStyle = COLORS[state] || COLORS.complete;
      ctx.lineWidth = width * devicePixelRatio;
      strokeCurves(ctx, groups.get(state), toX, toY);
    }
    const best = curves.get(bestNumber);
    if (best) {
      ctx.strokeStyle = COLORS.best;
      ctx.lineWidth = 2.5 * devicePixelRatio;
      strokeCurves(ctx, [best], toX, toY);
    }
  }

  // model: {curves: Map number -> {state, steps, values}, bestNumber,
  // objectiveName}.
  function update(next) {
    model = next;
    let points = 0;
    for (const c of model.curves.values()) points += c.steps.length;
    box.dataset.curves = model.curves.size;
    box.dataset.points = points;
    note.textContent = model.curves.size
      ? `${model.curves.size} curves, ${points} points. Drag to zoom, double-click to reset.`
      : 'No trial has reported an intermediate value yet.';
    const ext = extents(model.curves);
    const isSame = shown && ext.xMax === shown.xMax && ext.lo >= shown.lo && ext.hi <= shown.hi;
    if (plot && model.objectiveName === shown.name) {
      if (isSame) plot.redraw();
      else plot.setData([[ext.xMin, ext.xMax], [ext.lo, ext.hi]]);
    } else {
      if (plot) plot.destroy();
      plot = makePlot(box, {
        height: 320,
        x: { label: 'step', integer: true },
        y: { label: model.objectiveName },
        data: [[ext.xMin, ext.xMax], [ext.lo, ext.hi]],
        draw,
      });
    }
    if (!isSame) shown = { ...ext, name: model.objectiveName };
    shown.name = model.objectiveName;
  }

  return { update, destroy: () => plot && plot.destroy() };
}
