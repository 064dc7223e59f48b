// study: one study's page. Loads the study, then in parallel the first
// page of the leaderboard, every learning curve and every trial, and
// draws the panels (leaderboard, curves, history, importance, parallel
// coordinates, slices) as each arrives. The study's event stream keeps
// them current: events update the in-memory trials and curves, and each
// panel redraws at most once per throttle window.
// SPDX-License-Identifier: MIT
import * as api from './api.js';
import { el, clear, fmtNum, fmtDuration, fmtTime, errorBox, throttle, isMinimize } from './dom.js';
import { createLeaderboard } from './leaderboard.js';
import { createCurves } from './curves.js';
import { createHistory } from './history.js';
import { createParallel } from './parallel.js';
import { createSlice } from './slice.js';
import { createImportance } from './importance.js';

const FIRST_PAGE = 50;
const CURVES_MS = 300;       // curves follow reports closely
const TABLES_MS = 1000;      // tables and scatter charts
const STUDY_MS = 2000;       // header counts and the Pareto front
const IMPORTANCE_MS = 10000; // the server refits a forest per request
const ELAPSED_MS = 5000;     // header clock of a running study

function section(title, id) {
  return el('section', { class: 'panel', id }, el('h2', {}, title));
}

// The best complete trial by objective k, or null.
function bestTrial(trials, k, minimize) {
  let best = null;
  for (const t of trials.values()) {
    if (t.state !== 'complete' || !t.values || !Number.isFinite(t.values[k])) continue;
    if (!best || (minimize ? t.values[k] < best.values[k] : t.values[k] > best.values[k])) best = t;
  }
  return best;
}

export function mountStudy(root, id) {
  const st = {
    study: null,
    k: 0,
    trials: new Map(),       // number -> trial
    curves: new Map(),       // number -> {state, steps, values} of objective k
    pareto: null,
    hasAllTrials: false,
    isLoaded: false,
    queued: [],              // events that arrived before the first load
    isGone: false,
    marks: new Set(),
  };
  const head = el('div', { class: 'study-head' }, el('p', { class: 'muted' }, 'Loading study…'));
  const live = el('span', { class: 'live', id: 'live-state' }, 'connecting');
  const problems = el('div', {});
  const secBoard = section('Leaderboard', 'leaderboard');
  const secCurves = section('Learning curves', 'curves');
  const secHistory = section('Optimization history', 'history');
  const secImportance = section('Parameter importance', 'importance-panel');
  const secParallel = section('Parallel coordinates', 'parallel');
  const secSlice = section('Slice: objective against each parameter', 'slice');
  root.append(head, problems, secBoard,
    el('div', { class: 'two-col' }, secCurves, secHistory),
    el('div', { class: 'two-col' }, secImportance, secParallel), secSlice);

  const board = createLeaderboard(secBoard, id);
  const curves = createCurves(secCurves);
  const history = createHistory(secHistory);
  const importance = createImportance(secImportance);
  const parallel = createParallel(secParallel);
  const slice = createSlice(secSlice);

  function mark(name) {
    if (st.marks.has(name)) return;
    st.marks.add(name);
    performance.mark(name);
  }

  function showProblem(err) {
    if (!st.isGone) problems.replaceChildren(errorBox(err));
  }

  function minimize() {
    return isMinimize(st.study, st.k);
  }

  function chartModel() {
    const best = bestTrial(st.trials, st.k, minimize());
    return {
      study: st.study,
      k: st.k,
      minimize: minimize(),
      objectiveName: st.study.definition.objectives[st.k].name,
      trials: [...st.trials.values()],
      curves: st.curves,
      pareto: st.pareto,
      bestNumber: best ? best.number : null,
    };
  }

  function drawCurves() {
    if (st.isGone || !st.study) return;
    curves.update(chartModel());
    if (st.curves.size) mark('hpod:curves');
  }

  function drawTables() {
    if (st.isGone || !st.study) return;
    const m = chartModel();
    board.update(m);
    if (m.trials.length) mark('hpod:leaderboard');
    if (!st.hasAllTrials) return;
    history.update(m);
    parallel.update(m);
    slice.update(m);
  }

  // ---- the header ----------------------------------------------------

  async function act(fn) {
    try {
      st.study = await fn(id);
      renderHead();
    } catch (err) {
      showProblem(err);
    }
  }

  function controls() {
    const s = st.study;
    const out = [];
    const objs = s.definition.objectives;
    if (objs.length > 1) {
      out.push(el('label', {}, 'Objective ', el('select', {
        id: 'objective',
        onchange: (ev) => chooseObjective(Number(ev.target.value)),
      }, objs.map((o, i) => el('option', { value: i, selected: i === st.k }, o.name)))));
    }
    if (api.getToken()) {
      if (s.state === 'running') {
        out.push(el('button', { type: 'button', id: 'stop', onclick: () => act(api.stopStudy) }, 'Stop'));
      } else if (s.state === 'stopped') {
        out.push(el('button', { type: 'button', id: 'resume', onclick: () => act(api.resumeStudy) }, 'Resume'));
      }
    }
    return out;
  }

  function renderHead() {
    const s = st.study;
    const d = s.definition;
    const c = s.counts;
    const finished = c.complete + c.pruned + c.failed;
    const best = s.best && s.best.values
      ? el('a', { href: `#/study/${encodeURIComponent(id)}/trial/${s.best.number}` },
        `${fmtNum(s.best.values[0])} (trial ${s.best.number})`)
      : '–';
    clear(head).append(
      el('h1', {}, s.name, ' ', el('span', { class: `badge ${s.state}`, id: 'study-state' }, s.state),
        s.end_reason ? el('span', { class: 'muted small' }, ` ${s.end_reason}`) : null, ' ', live),
      el('dl', { class: 'facts' },
        el('dt', {}, 'Progress'), el('dd', {},
          el('progress', { max: d.budget.max_trials, value: Math.min(finished, d.budget.max_trials) }),
          ` ${finished} / ${d.budget.max_trials} finished`),
        el('dt', {}, 'Trials'), el('dd', {},
          `${c.complete} complete, ${c.pruned} pruned, ${c.failed} failed, ${c.running} running, ${c.queued} queued`),
        el('dt', {}, `Best ${d.objectives[0].name}`), el('dd', {}, best),
        el('dt', {}, 'Searcher'), el('dd', {}, `${d.searcher.name} (seed ${d.searcher.seed ?? '–'})`,
          d.pruner && d.pruner.name !== 'none' ? `, pruner ${d.pruner.name}` : ''),
        el('dt', {}, 'Started'), el('dd', {}, fmtTime(s.started_at)),
        el('dt', {}, 'Elapsed'), el('dd', {}, fmtDuration(s.elapsed_s))),
      el('div', { class: 'controls' }, controls()));
  }

  const refetchStudy = throttle(async () => {
    try {
      const [study, lb] = await Promise.all([api.getStudy(id),
        st.study.definition.objectives.length > 1 ? api.getLeaderboard(id, 100) : null]);
      if (st.isGone) return;
      st.study = study;
      if (lb) st.pareto = lb.trials;
      renderHead();
      redrawTables();
    } catch (err) {
      showProblem(err);
    }
  }, STUDY_MS);

  // ---- loading -------------------------------------------------------

  function setCurves(list) {
    st.curves = new Map(list.map((c) => [c.number, c]));
  }

  // Curves of the chosen objective; pending, when given, is a request
  // for the first objective made before the study itself arrived.
  async function loadCurves(pending) {
    const name = st.study.definition.objectives[st.k].name;
    const res = await (pending || api.getCurves(id, name));
    if (st.isGone || name !== st.study.definition.objectives[st.k].name) return;
    setCurves(res.curves);
    drawCurves();
  }

  async function loadFirstPage(pending) {
    const multi = st.study.definition.objectives.length > 1;
    const [page, lb] = await Promise.all([pending, multi ? api.getLeaderboard(id, 100) : null]);
    if (st.isGone || st.hasAllTrials) return;
    for (const t of page.trials) st.trials.set(t.number, t);
    if (lb) st.pareto = lb.trials;
    drawTables();
  }

  async function loadAllTrials() {
    const list = await api.listAllTrials(id);
    if (st.isGone) return;
    st.trials = new Map(list.map((t) => [t.number, t]));
    st.hasAllTrials = true;
    drawTables();
  }

  function chooseObjective(k) {
    st.k = k;
    st.curves = new Map();
    drawTables();
    loadCurves().catch(showProblem);
    importance.refresh(id, st.study.definition.objectives[k].name);
  }

  // ---- live events ---------------------------------------------------

  const redrawCurves = throttle(drawCurves, CURVES_MS);
  const redrawTables = throttle(drawTables, TABLES_MS);
  const refreshImportance = throttle(() => {
    if (!st.isGone) importance.refresh(id, st.study.definition.objectives[st.k].name);
  }, IMPORTANCE_MS);

  // A report: append (or replace) the point of that step.
  function addPoint(ev) {
    const t = ev.trial;
    if (!Array.isArray(t.values) || t.step === undefined) return;
    let c = st.curves.get(t.number);
    if (!c) {
      c = { number: t.number, state: 'running', steps: [], values: [] };
      st.curves.set(t.number, c);
    }
    const i = c.steps.indexOf(t.step);
    if (i >= 0) c.values[i] = t.values[st.k];
    else if (!c.steps.length || t.step > c.steps.at(-1)) {
      c.steps.push(t.step);
      c.values.push(t.values[st.k]);
    }
    if (t.state) c.state = t.state;
  }

  function mergeTrial(t) {
    const old = st.trials.get(t.number) || {};
    const merged = { ...old, ...t };
    if (t.step !== undefined) merged.last_step = t.step; // report events carry partial trials
    delete merged.step;
    st.trials.set(t.number, merged);
    const c = st.curves.get(t.number);
    if (c && t.state) c.state = t.state;
  }

  function apply(ev) {
    if (ev.type.startsWith('study_')) {
      refetchStudy();
      return;
    }
    const t = ev.trial;
    if (!t || t.number === undefined) return;
    if (ev.type === 'trial_reported' || ev.type === 'trial_pruned') addPoint(ev);
    if (ev.type === 'trial_lease_expired' && t.state === 'queued') st.curves.delete(t.number);
    mergeTrial(t);
    redrawCurves();
    if (ev.type !== 'trial_reported') {
      redrawTables();
      refetchStudy();
    }
    if (ev.type === 'trial_completed') refreshImportance();
  }

  function onEvent(ev) {
    if (st.isLoaded) apply(ev);
    else st.queued.push(ev);
  }

  // Subscribe before loading so nothing between the two is lost; events
  // that arrive meanwhile are applied on top of the loaded state.
  const close = api.subscribe(id, onEvent, (s) => {
    live.textContent = s;
    live.className = `live ${s}`;
  });

  let clock = null;
  async function start() {
    // The first objective is the API's default, so the two requests the
    // first view needs go out with the study's, not after it.
    const curvesFirst = api.getCurves(id);
    const pageFirst = api.listTrials(id, { state: 'complete', sort: 'best', limit: FIRST_PAGE });
    curvesFirst.catch(() => {});
    pageFirst.catch(() => {});
    try {
      st.study = await api.getStudy(id);
    } catch (err) {
      // No study to show (say, a link to one that was deleted): the error
      // alone, not empty sections waiting for data that never comes.
      clear(head).append(el('h1', {}, 'Study ', id), errorBox(err));
      clear(root).append(head);
      close();
      return;
    }
    if (st.isGone) return;
    renderHead();
    // The leaderboard's first page and the curves come first; the full
    // trial list (megabytes for a big study) and the importance fit would
    // compete with them for the server's two cores, so they wait.
    const first = await Promise.allSettled([loadFirstPage(pageFirst), loadCurves(curvesFirst)]);
    importance.refresh(id, st.study.definition.objectives[st.k].name);
    const rest = await Promise.allSettled([loadAllTrials()]);
    for (const r of first.concat(rest)) if (r.status === 'rejected') showProblem(r.reason);
    st.isLoaded = true;
    st.queued.splice(0).forEach(apply);
    clock = setInterval(() => {
      if (st.study.state === 'running') refetchStudy();
    }, ELAPSED_MS);
  }

  const onToken = () => st.study && renderHead();
  window.addEventListener('hpod-token', onToken);
  start();

  return () => {
    st.isGone = true;
    close();
    clearInterval(clock);
    window.removeEventListener('hpod-token', onToken);
    curves.destroy();
    history.destroy();
    parallel.destroy();
    slice.destroy();
  };
}
