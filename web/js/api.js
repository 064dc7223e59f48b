// api: the only module that talks to the server. Every call returns the
// parsed JSON or throws an ApiError carrying the API's own code and
// message; subscribe() wraps the study's server-sent event stream. The
// write token lives in sessionStorage and is sent only on writes.
// SPDX-License-Identifier: MIT

const BASE = '/api/v1';
const TOKEN_KEY = 'hpod.token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  const token = getToken();
  if (method !== 'GET' && token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, 'network', `the server cannot be reached (${err.message})`);
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const e = data && data.error;
    throw new ApiError(res.status, e ? e.code : 'http_' + res.status,
      e ? e.message : `the server answered ${res.status}`);
  }
  return data;
}

const enc = encodeURIComponent;

function query(params) {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${enc(k)}=${enc(v)}`);
  return parts.length ? '?' + parts.join('&') : '';
}

export function listStudies() {
  return request('GET', '/studies');
}

export function getStudy(id) {
  return request('GET', `/studies/${enc(id)}`);
}

// One page of trials: opts = {state, sort, objective, limit, offset}.
export function listTrials(id, opts = {}) {
  return request('GET', `/studies/${enc(id)}/trials${query(opts)}`);
}

// Every trial of a study, fetched in pages of the largest size the API
// allows so that a 10,000-trial study is one request.
export async function listAllTrials(id) {
  const limit = 10000;
  const first = await listTrials(id, { limit, offset: 0 });
  const trials = first.trials;
  while (trials.length < first.total) {
    const page = await listTrials(id, { limit, offset: trials.length });
    if (!page.trials.length) break;
    trials.push(...page.trials);
  }
  return trials;
}

export function getTrial(id, number) {
  return request('GET', `/studies/${enc(id)}/trials/${enc(number)}`);
}

export function getCurves(id, objective) {
  return request('GET', `/studies/${enc(id)}/curves${query({ objective })}`);
}

export function getLeaderboard(id, limit) {
  return request('GET', `/studies/${enc(id)}/leaderboard${query({ limit })}`);
}

export function getImportance(id, objective) {
  return request('GET', `/studies/${enc(id)}/importance${query({ objective })}`);
}

export function stopStudy(id) {
  return request('POST', `/studies/${enc(id)}/stop`, {});
}

export function resumeStudy(id) {
  return request('POST', `/studies/${enc(id)}/resume`, {});
}

// Call onEvent(event) for each event of the study's stream; onState(text)
// hears 'live' or 'reconnecting'. Returns a function that closes it. The
// browser reconnects by itself after a dropped connection.
export function subscribe(id, onEvent, onState = () => {}) {
  const source = new EventSource(`${BASE}/studies/${enc(id)}/events`);
  source.onopen = () => onState('live');
  source.onerror = () => onState('reconnecting');
  source.onmessage = (msg) => {
    let ev;
    try {
      ev = JSON.parse(msg.data);
    } catch {
      return; // a cut event: the next reload of the panels repairs it
    }
    onEvent(ev);
  };
  return () => source.close();
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  window.dispatchEvent(new Event('hpod-token'));
}
