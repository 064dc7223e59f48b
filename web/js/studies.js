// studies: the first page, every study as a table row with its state,
// searcher, progress against the budget, best value and times. There is
// no server-wide event stream, so the list polls every two seconds while
// any study runs.
// SPDX-License-Identifier: MIT
import { listStudies } from './api.js';
import { el, clear, fmtNum, fmtDuration, fmtTime, errorBox } from './dom.js';

const POLL_MS = 2000;

function finished(s) {
  return s.counts.complete + s.counts.pruned + s.counts.failed;
}

function bestCell(s) {
  if (!s.best || !s.best.values) return '–';
  const obj = s.definition.objectives[0];
  return el('span', { title: `${obj.name} (${obj.goal}) of trial ${s.best.number}` },
    fmtNum(s.best.values[0]));
}

function row(s) {
  const max = s.definition.budget.max_trials;
  const done = finished(s);
  const href = `#/study/${encodeURIComponent(s.id)}`;
  return el('tr', { dataset: { study: s.name } },
    el('td', {}, el('a', { href }, s.name)),
    el('td', {}, el('span', { class: `badge ${s.state}` }, s.state),
      s.end_reason ? el('span', { class: 'muted' }, ` ${s.end_reason}`) : null),
    el('td', {}, s.definition.searcher.name),
    el('td', { class: 'progress-cell' },
      el('progress', { max, value: Math.min(done, max) }),
      ` ${done} / ${max}`,
      s.counts.running ? el('span', { class: 'muted' }, ` (${s.counts.running} running)`) : null),
    el('td', { class: 'num' }, bestCell(s)),
    el('td', {}, fmtTime(s.started_at)),
    el('td', { class: 'num' }, fmtDuration(s.elapsed_s)));
}

function table(studies) {
  return el('table', { class: 'grid studies' },
    el('thead', {}, el('tr', {},
      ['Study', 'State', 'Searcher', 'Progress', 'Best', 'Started', 'Elapsed']
        .map((h) => el('th', {}, h)))),
    el('tbody', {}, studies.map(row)));
}

export function mountStudies(root) {
  const body = el('div', {}, el('p', { class: 'muted' }, 'Loading studies…'));
  root.append(el('h1', {}, 'Studies'), body);
  let timer = null;
  let isGone = false;

  async function load() {
    try {
      const { studies } = await listStudies();
      if (isGone) return;
      clear(body).append(studies.length ? table(studies)
        : el('p', { class: 'muted' }, 'No studies yet. Create one with POST /api/v1/studies.'));
      if (studies.some((s) => s.state === 'running')) timer = setTimeout(load, POLL_MS);
    } catch (err) {
      if (isGone) return;
      clear(body).append(errorBox(err));
      timer = setTimeout(load, POLL_MS * 5);
    }
  }
  load();
  return () => {
    isGone = true;
    clearTimeout(timer);
  };
}
