// trial: one trial's page: state, parameters, values, times, failure
// reason and stderr tail, and its learning curve (every objective) with
// the metrics of each step. While the trial runs, its events refresh the
// page at most once a second.
// SPDX-License-Identifier: MIT
import * as api from './api.js';
import { el, clear, fmtNum, fmtParam, fmtDuration, fmtTime, errorBox, throttle } from './dom.js';
import { makePlot, COLORS } from './plot.js';

const REFRESH_MS = 1000;
const SERIES_COLORS = [COLORS.best, 'rgb(45, 105, 180)', 'rgb(20, 150, 70)', 'rgb(220, 130, 30)'];

function facts(t) {
  const rows = [
    ['State', el('span', { class: `badge ${t.state}`, id: 'trial-state' }, t.state)],
    ['Source', t.source],
    ['Worker', t.worker || '–'],
    ['Attempts', t.attempts],
    ['Created', fmtTime(t.created_at)],
    ['Started', fmtTime(t.started_at)],
    ['Finished', fmtTime(t.finished_at)],
    ['Duration', fmtDuration(t.duration_s)],
    ['Last step', t.last_step ?? '–'],
  ];
  return el('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function keyValueTable(id, entries) {
  return el('table', { class: 'grid kv', id }, el('tbody', {},
    entries.map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', { class: 'num' }, v)))));
}

function metricsTable(curve) {
  const names = [...new Set(curve.flatMap((p) => Object.keys(p.metrics || {})))];
  return el('table', { class: 'grid' },
    el('thead', {}, el('tr', {}, el('th', {}, 'step'), el('th', {}, 'values'),
      names.map((n) => el('th', {}, n)))),
    el('tbody', {}, curve.map((p) => el('tr', {},
      el('td', { class: 'num' }, p.step),
      el('td', { class: 'num' }, p.values.map(fmtNum).join(', ')),
      names.map((n) => el('td', { class: 'num' }, fmtParam((p.metrics || {})[n])))))));
}

export function mountTrial(root, studyId, number) {
  const back = el('p', {}, el('a', { href: `#/study/${encodeURIComponent(studyId)}` }, '← study'));
  const body = el('div', {}, el('p', { class: 'muted' }, 'Loading trial…'));
  root.append(back, body);
  let plot = null;
  let isGone = false;
  let close = () => {};

  function render(study, t) {
    if (plot) plot.destroy();
    plot = null;
    const objs = study.definition.objectives;
    const chart = el('div', { class: 'chart', id: 'trial-curve' });
    clear(body).append(...[
      el('h1', {}, `Trial ${t.number} of ${study.name}`),
      facts(t),
      t.error ? el('div', { class: 'failure' }, el('h2', {}, 'Failure'),
        el('p', { id: 'trial-error' }, t.error)) : null,
      t.stderr_tail ? el('div', {}, el('h2', {}, 'Standard error (tail)'),
        el('pre', { class: 'stderr', id: 'trial-stderr' }, t.stderr_tail)) : null,
      el('div', { class: 'two-col' },
        el('section', { class: 'panel' }, el('h2', {}, 'Parameters'),
          keyValueTable('trial-params', Object.entries(t.params).map(([k, v]) => [k, fmtParam(v)]))),
        el('section', { class: 'panel' }, el('h2', {}, 'Values'),
          t.values ? keyValueTable('trial-values', objs.map((o, i) => [`${o.name} (${o.goal})`, fmtNum(t.values[i])]))
            : el('p', { class: 'muted' }, 'No value yet.'))),
      el('section', { class: 'panel' }, el('h2', {}, 'Learning curve'),
        t.curve.length ? chart : el('p', { class: 'muted' }, 'No intermediate value reported.')),
      t.curve.length ? el('details', {}, el('summary', {}, `Reported steps (${t.curve.length})`),
        metricsTable(t.curve)) : null,
    ].filter(Boolean));
    if (!t.curve.length) return;
    plot = makePlot(chart, {
      height: 300,
      legend: true,
      x: { label: 'step', integer: true },
      y: { label: objs.length === 1 ? objs[0].name : 'value' },
      data: [t.curve.map((p) => p.step), ...objs.map((_, i) => t.curve.map((p) => p.values[i] ?? null))],
      series: objs.map((o, i) => ({ label: o.name, stroke: SERIES_COLORS[i % SERIES_COLORS.length], width: 2,
        points: { show: t.curve.length < 60 } })),
    });
  }

  async function load() {
    try {
      const [study, t] = await Promise.all([api.getStudy(studyId), api.getTrial(studyId, number)]);
      if (isGone) return;
      render(study, t);
      return t;
    } catch (err) {
      if (!isGone) clear(body).append(errorBox(err));
      return null;
    }
  }

  const refresh = throttle(load, REFRESH_MS);
  load().then((t) => {
    if (isGone || !t || (t.state !== 'running' && t.state !== 'queued')) return;
    close = api.subscribe(studyId, (ev) => {
      if (ev.trial && String(ev.trial.number) === String(number)) refresh();
    });
  });

  return () => {
    isGone = true;
    close();
    if (plot) plot.destroy();
  };
}
