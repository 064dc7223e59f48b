// parallel: parallel coordinates of every complete trial: one vertical
// axis per parameter and a last one for the objective, one line per
// trial, coloured from the best value (dark) to the worst (light). Drawn
// on a plain canvas: uPlot has no parallel-coordinates mode.
// SPDX-License-Identifier: MIT
import { el, fmtNum } from './dom.js';
import { paramsOf, unitValue } from './space.js';
import { COLORS } from './plot.js';

const PAD = { left: 40, right: 60, top: 34, bottom: 26 };
const HEIGHT = 320;

function axisEnds(p) {
  if (p.type === 'categorical') return [String(p.choices[0]), String(p.choices.at(-1))];
  return [fmtNum(p.low), fmtNum(p.high)];
}

// Rank-based colour: the rank keeps a long tail of bad values from
// washing out the differences among the good ones.
function colour(rank) {
  const light = 25 + 55 * rank;
  return `hsla(215, 60%, ${light}%, ${0.55 - 0.35 * rank})`;
}

export function createParallel(section) {
  const canvas = el('canvas', { class: 'parallel', height: HEIGHT });
  const box = el('div', { class: 'chart' }, canvas);
  section.append(box);
  let model = null;

  function layout() {
    const ratio = devicePixelRatio;
    const width = Math.max(300, box.clientWidth);
    canvas.width = width * ratio;
    canvas.height = HEIGHT * ratio;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${HEIGHT}px`;
    return { width, ratio };
  }

  function draw() {
    if (!model) return;
    const { width, ratio } = layout();
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, HEIGHT);
    const params = paramsOf(model.study);
    const done = model.trials.filter((t) => t.state === 'complete' && t.values &&
      Number.isFinite(t.values[model.k]));
    const n = params.length + 1;
    const xAt = (i) => PAD.left + (i * (width - PAD.left - PAD.right)) / Math.max(1, n - 1);
    const yAt = (u) => PAD.top + (1 - u) * (HEIGHT - PAD.top - PAD.bottom);

    // Worst first so the best lines end up on top.
    const sign = model.minimize ? 1 : -1;
    done.sort((a, b) => sign * (b.values[model.k] - a.values[model.k]));
    let vMin = Infinity;
    let vMax = -Infinity;
    for (const t of done) {
      vMin = Math.min(vMin, t.values[model.k]);
      vMax = Math.max(vMax, t.values[model.k]);
    }
    const objUnit = (v) => (vMax === vMin ? 0.5 : (v - vMin) / (vMax - vMin));

    ctx.lineWidth = 1;
    done.forEach((t, j) => {
      const rank = done.length > 1 ? 1 - j / (done.length - 1) : 0;
      const isBest = t.number === model.bestNumber;
      ctx.strokeStyle = isBest ? COLORS.best : colour(rank);
      ctx.lineWidth = isBest ? 2.5 : 1;
      ctx.beginPath();
      let isDrawing = false;
      params.forEach((p, i) => {
        const u = unitValue(p, t.params[p.name]);
        if (u === null) {
          isDrawing = false; // an inactive parameter breaks the line
          return;
        }
        if (isDrawing) ctx.lineTo(xAt(i), yAt(u));
        else ctx.moveTo(xAt(i), yAt(u));
        isDrawing = true;
      });
      const y = yAt(objUnit(t.values[model.k]));
      if (isDrawing) ctx.lineTo(xAt(n - 1), y);
      ctx.stroke();
    });

    ctx.strokeStyle = COLORS.axis;
    ctx.fillStyle = COLORS.axis;
    ctx.lineWidth = 1;
    ctx.font = '12px sans-serif';
    ctx.textAlign = 'center';
    const labels = params.map((p) => [p.name + (p.log ? ' (log)' : ''), ...axisEnds(p)]);
    labels.push([model.objectiveName, fmtNum(vMin), fmtNum(vMax)]);
    labels.forEach(([name, low, high], i) => {
      const x = xAt(i);
      ctx.beginPath();
      ctx.moveTo(x, yAt(0));
      ctx.lineTo(x, yAt(1));
      ctx.stroke();
      ctx.fillText(name, x, 14);
      ctx.fillText(high, x, PAD.top - 6);
      ctx.fillText(low, x, HEIGHT - 8);
    });
    canvas.dataset.lines = done.length;
  }

  const resize = new ResizeObserver(() => draw());
  resize.observe(box);

  // model: {study, trials, k, minimize, objectiveName, bestNumber}.
  function update(next) {
    model = next;
    draw();
  }

  return { update, destroy: () => resize.disconnect() };
}
