// leaderboard: the trials as a table, best first by the chosen objective,
// re-sortable by any objective or parameter (click a heading), with check
// boxes for the states shown (complete by default; pruned, failed and
// running on demand). With several objectives the Pareto front, as the
// server computes it, comes first. Rows link to the trial page.
// SPDX-License-Identifier: MIT
import { el, clear, fmtNum, fmtParam, fmtDuration, isMinimize } from './dom.js';

const PAGE = 20;
const STATES = ['complete', 'pruned', 'failed', 'running', 'queued'];

// Compare with missing values always last, whatever the direction.
function compareMissingLast(a, b, dir) {
  const aMissing = a === null || a === undefined || Number.isNaN(a);
  const bMissing = b === null || b === undefined || Number.isNaN(b);
  if (aMissing || bMissing) return aMissing - bMissing;
  if (typeof a === 'number' && typeof b === 'number') return dir * (a - b);
  return dir * String(a).localeCompare(String(b));
}

function keyValue(t, key) {
  if (key.kind === 'objective') return t.values ? t.values[key.index] : null;
  if (key.kind === 'param') return t.params[key.name];
  if (key.kind === 'duration') return t.duration_s;
  return t.number;
}

export function createLeaderboard(section, studyId) {
  const shown = new Set(['complete']);
  let sort = null; // {kind, index|name, dir}
  let limit = PAGE;
  let model = null;
  const filters = el('div', { class: 'filters' }, 'Show: ', STATES.map((s) => el('label', {},
    el('input', {
      type: 'checkbox', name: s, checked: shown.has(s),
      onchange: (ev) => {
        if (ev.target.checked) shown.add(s);
        else shown.delete(s);
        limit = PAGE;
        render();
      },
    }), ` ${s}`)));
  const front = el('div', { class: 'pareto' });
  const body = el('div', { class: 'table-wrap' });
  const more = el('p', {});
  section.append(front, filters, body, more);

  function link(t) {
    return `#/study/${encodeURIComponent(studyId)}/trial/${t.number}`;
  }

  function columns() {
    const d = model.study.definition;
    return [
      { label: '#', key: { kind: 'number' }, cell: (t) => el('a', { href: link(t) }, t.number) },
      { label: 'state', cell: (t) => el('span', { class: `badge ${t.state}` }, t.state) },
      ...d.objectives.map((o, index) => ({
        label: `${o.name} ${o.goal === 'maximize' ? '↑' : '↓'}`,
        key: { kind: 'objective', index },
        cls: 'num',
        cell: (t) => (t.values ? fmtNum(t.values[index]) : '–'),
      })),
      ...Object.keys(d.space).map((name) => ({
        label: name,
        key: { kind: 'param', name },
        cls: 'num',
        cell: (t) => fmtParam(t.params[name]),
      })),
      { label: 'duration', key: { kind: 'duration' }, cls: 'num', cell: (t) => fmtDuration(t.duration_s) },
    ];
  }

  function sameKey(a, b) {
    return a && b && a.kind === b.kind && a.index === b.index && a.name === b.name;
  }

  function onHeading(key) {
    if (sameKey(sort, key)) sort = { ...sort, dir: -sort.dir };
    else {
      const best = key.kind === 'objective' && !isMinimize(model.study, key.index) ? -1 : 1;
      sort = { ...key, dir: best };
    }
    render();
  }

  function table(cols, rows, isSortable) {
    const head = el('tr', {}, cols.map((c) => {
      if (!isSortable || !c.key) return el('th', {}, c.label);
      const isOn = sameKey(sort, c.key);
      return el('th', { 'aria-sort': isOn ? (sort.dir > 0 ? 'ascending' : 'descending') : null },
        el('button', { type: 'button', class: 'sort', onclick: () => onHeading(c.key) },
          c.label, isOn ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''));
    }));
    return el('table', { class: 'grid trials' }, el('thead', {}, head),
      el('tbody', {}, rows.map((t) => el('tr', {
        class: t.number === model.bestNumber ? 'best' : null,
        dataset: { number: t.number },
      }, cols.map((c) => el('td', { class: c.cls || null }, c.cell(t)))))));
  }

  function render() {
    if (!model) return;
    const cols = columns();
    clear(front);
    if (model.pareto && model.pareto.length) {
      front.append(el('h3', {}, `Pareto front (${model.pareto.length} trials)`),
        table(cols, model.pareto, false));
    }
    const rows = model.trials.filter((t) => shown.has(t.state));
    const key = sort || { kind: 'objective', index: model.k,
      dir: isMinimize(model.study, model.k) ? 1 : -1 };
    rows.sort((a, b) => compareMissingLast(keyValue(a, key), keyValue(b, key), key.dir) ||
      a.number - b.number);
    clear(body).append(rows.length ? table(cols, rows.slice(0, limit), true)
      : el('p', { class: 'muted' }, 'No trial in the chosen states.'));
    clear(more);
    if (rows.length > limit) {
      more.append(`Showing ${limit} of ${rows.length}. `, el('button', {
        type: 'button',
        onclick: () => {
          limit += PAGE;
          render();
        },
      }, `Show ${PAGE} more`));
    } else if (rows.length) {
      more.append(el('span', { class: 'muted' }, `${rows.length} trials.`));
    }
  }

  // model: {study, trials, pareto (array or null), k, bestNumber}. An
  // objective chosen on the page resets a sort by another objective.
  function update(next) {
    if (model && next.k !== model.k && sort && sort.kind === 'objective') sort = null;
    model = next;
    render();
  }

  return { update };
}
