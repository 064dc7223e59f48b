// slice: the objective against each parameter, one small scatter per
// parameter (log axis where the space declares it, choices by name for
// categoricals), for the complete trials. The best trial is marked.
// SPDX-License-Identifier: MIT
import { el, clear } from './dom.js';
import { makePlot, robustRange, COLORS } from './plot.js';
import { paramsOf, axisValue } from './space.js';

function xExtent(p) {
  if (p.type === 'categorical') return [-0.5, p.choices.length - 0.5];
  if (p.low === p.high) return [p.low - 1, p.high + 1];
  return [p.low, p.high];
}

export function createSlice(section) {
  const grid = el('div', { class: 'slice-grid' });
  section.append(grid);
  let plots = [];
  let key = null;
  let model = null;
  let lo = 0;
  let hi = 1;

  function drawFor(p) {
    return (ctx, toX, toY) => {
      const r = 2 * devicePixelRatio;
      ctx.fillStyle = COLORS.point;
      let best = null;
      for (const t of model.done) {
        const x = axisValue(p, t.params[p.name]);
        const y = t.values[model.k];
        if (x === null || !Number.isFinite(y)) continue;
        if (t.number === model.bestNumber) best = [x, y];
        ctx.fillRect(toX(x) - r / 2, toY(y) - r / 2, r, r);
      }
      if (best) {
        ctx.fillStyle = COLORS.best;
        ctx.beginPath();
        ctx.arc(toX(best[0]), toY(best[1]), 4 * devicePixelRatio, 0, 2 * Math.PI);
        ctx.fill();
      }
    };
  }

  function build() {
    for (const pl of plots) pl.destroy();
    plots = [];
    clear(grid);
    for (const p of paramsOf(model.study)) {
      const cell = el('div', { class: 'slice-cell' });
      grid.append(cell);
      plots.push(makePlot(cell, {
        height: 200,
        x: { label: p.name + (p.log ? ' (log)' : ''), log: p.log,
          labels: p.type === 'categorical' ? p.choices.map(String) : null },
        y: { label: model.objectiveName },
        data: [xExtent(p), [lo, hi]],
        draw: drawFor(p),
      }));
    }
  }

  // model: {study, trials, k, objectiveName, bestNumber}.
  function update(next) {
    model = { ...next, done: next.trials.filter((t) => t.state === 'complete' && t.values) };
    const [nlo, nhi] = robustRange(model.done.map((t) => t.values[model.k]), 0.01);
    const nextKey = model.objectiveName + Object.keys(model.study.definition.space).join();
    if (key !== nextKey || nlo !== lo || nhi !== hi) {
      lo = nlo;
      hi = nhi;
      if (key !== nextKey) {
        key = nextKey;
        build();
        return;
      }
      plots.forEach((pl, i) => pl.setData([xExtent(paramsOf(model.study)[i]), [lo, hi]]));
      return;
    }
    plots.forEach((pl) => pl.redraw());
  }

  return { update, destroy: () => plots.forEach((pl) => pl.destroy()) };
}
