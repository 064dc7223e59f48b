// importance: the parameter importance the server estimates (fANOVA on a
// small random forest, see server/importance.c), one bar per parameter.
// The page asks for it again at most every IMPORTANCE_REFRESH_MS while
// trials finish, since the server refits the forest on each request.
// SPDX-License-Identifier: MIT
import { getImportance } from './api.js';
import { el, clear, errorBox } from './dom.js';

const MIN_TRIALS = 5;

export function createImportance(section) {
  const body = el('div', { id: 'importance' }, el('p', { class: 'muted' }, 'Computing…'));
  section.append(body);
  let seq = 0;

  function render(res) {
    clear(body);
    if (res.n_trials < MIN_TRIALS) {
      body.append(el('p', { class: 'muted' },
        `Needs at least ${MIN_TRIALS} complete trials; there are ${res.n_trials}.`));
      return;
    }
    body.append(el('table', { class: 'importance' }, el('tbody', {},
      res.importance.map((r) => el('tr', { dataset: { param: r.param } },
        el('th', { scope: 'row' }, r.param),
        el('td', {}, el('progress', { max: 1, value: r.importance })),
        el('td', { class: 'num' }, `${(100 * r.importance).toFixed(1)} %`))))),
    el('p', { class: 'muted' },
      `Share of the variance of ${res.objective} explained by each parameter alone `
      + `(${res.method}, ${res.n_trials} complete trials).`));
  }

  // Fetch for study id and objective name; an answer that arrives after a
  // newer request was made is dropped.
  async function refresh(id, objective) {
    const mine = ++seq;
    try {
      const res = await getImportance(id, objective);
      if (mine === seq) render(res);
    } catch (err) {
      if (mine === seq) clear(body).append(errorBox(err));
    }
  }

  return { refresh };
}
