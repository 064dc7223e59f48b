// run: the dashboard's browser tests. Starts PostgreSQL and bin/hpod (with
// a write token), makes a study through the API, and checks the pages in
// headless Chromium: leaderboard order and sorting, one chart curve per
// reporting trial, a running curve growing live, trial links, the token
// gate on stop/resume, and that no request leaves the server's origin.
// Screenshots go to tests/artifacts/. Ends with "N passed, N failed".
// SPDX-License-Identifier: MIT
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startPostgres, startServer, client, launchBrowser } from './harness.mjs';

const TOKEN = 'browser-test-token';
const LIVE_LIMIT_MS = 2000;
const ARTIFACTS = join(ROOT, 'tests/artifacts');

const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push([name, null]);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    results.push([name, err]);
    console.log(`FAIL ${name}: ${err.message}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

function sameList(a, b, what) {
  assert(JSON.stringify(a) === JSON.stringify(b), `${what}: got ${JSON.stringify(a)}, want ${JSON.stringify(b)}`);
}

// A study with trials in every state: 8 complete with 5 reported steps,
// 1 failed, 2 running with 3 steps, 1 running without reports.
async function makeStudy(api) {
  await api.post('/studies', {
    name: 'bt',
    objectives: [{ name: 'loss', goal: 'minimize' }],
    space: {
      lr: { type: 'float', low: 1e-5, high: 1, log: true },
      n: { type: 'int', low: 1, high: 4 },
      opt: { type: 'categorical', choices: ['adam', 'sgd'] },
    },
    searcher: { name: 'random', seed: 1 },
    budget: { max_trials: 40, parallel: 40, lease_s: 600 },
  });
  const { trials } = await api.post('/studies/bt/trials/ask', { worker: 'w', count: 12 });
  const finals = [0.9, 0.3, 0.7, 0.1, 0.5, 0.8, 0.2, 0.6];
  for (const t of trials.slice(0, 11)) {
    const steps = t.number < 9 ? 5 : 3;
    for (let s = 1; s <= steps; s++) {
      await api.post(`/studies/bt/trials/${t.number}/report`, { step: s, value: 1 / s + (finals[t.number] ?? 0.4) });
    }
  }
  for (let n = 0; n < 8; n++) await api.post(`/studies/bt/trials/${n}/complete`, { value: finals[n] });
  await api.post('/studies/bt/trials/8/fail', { reason: 'CUDA out of memory', stderr_tail: 'Traceback: boom\n' });
}

async function main() {
  mkdirSync(ARTIFACTS, { recursive: true });
  const pg = startPostgres();
  let server = null;
  let browser = null;
  try {
    const db = pg.createDatabase();
    server = await startServer(pg, db, { HPOD_TOKEN: TOKEN });
    const api = client(server.url, TOKEN);
    await makeStudy(api);
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const foreign = [];
    const pageErrors = [];
    const origin = new URL(server.url).origin;
    page.on('request', (req) => {
      const u = req.url();
      if (!u.startsWith(origin + '/') && !u.startsWith('data:')) foreign.push(u);
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });

    await check('studies page lists the study with its progress', async () => {
      await page.goto(`${server.url}/`);
      const row = page.locator('tr[data-study="bt"]');
      await row.waitFor({ timeout: 5000 });
      const text = await row.innerText();
      assert(text.includes('9 / 40'), `progress missing in "${text}"`);
      assert(text.includes('random'), 'searcher missing');
      await page.screenshot({ path: join(ARTIFACTS, 'studies.png'), fullPage: true });
      await row.locator('a').click();
      await page.waitForURL(/#\/study\/\d+$/);
    });

    await check('leaderboard rows come best first, as the API sorts them', async () => {
      await page.locator('#leaderboard tbody tr[data-number]').first().waitFor({ timeout: 5000 });
      const want = (await api.get('/studies/bt/trials?state=complete&sort=best&limit=20')).trials
        .map((t) => String(t.number));
      await page.waitForFunction((n) => document.querySelectorAll('#leaderboard tbody tr[data-number]').length === n,
        want.length, { timeout: 5000 });
      const got = await page.locator('#leaderboard tbody tr[data-number]').evaluateAll(
        (rows) => rows.map((r) => r.dataset.number));
      sameList(got, want, 'row order');
    });

    await check('clicking a parameter heading sorts by it', async () => {
      const all = (await api.get('/studies/bt/trials?state=complete&limit=100')).trials;
      const want = all.sort((a, b) => a.params.lr - b.params.lr).map((t) => String(t.number));
      await page.locator('#leaderboard button.sort', { hasText: /^lr/ }).click();
      const got = await page.locator('#leaderboard tbody tr[data-number]').evaluateAll(
        (rows) => rows.map((r) => r.dataset.number));
      sameList(got, want, 'rows by lr');
      await page.locator('#leaderboard button.sort', { hasText: /^loss/ }).click();
      const back = await page.locator('#leaderboard tbody tr[data-number]').first().getAttribute('data-number');
      assert(back === '3', `sorting by loss again puts ${back} first`);
    });

    await check('failed trials appear when their box is ticked', async () => {
      await page.locator('#leaderboard input[name="failed"]').check();
      await page.locator('#leaderboard tr[data-number="8"]').waitFor({ timeout: 2000 });
      await page.locator('#leaderboard input[name="failed"]').uncheck();
    });

    await check('the curves chart draws one curve per reporting trial', async () => {
      const want = (await api.get('/studies/bt/curves')).curves.length;
      assert(want === 11, `API has ${want} curves, expected 11`);
      await page.waitForFunction((n) => document.querySelector('#curves-chart')?.dataset.curves === String(n),
        want, { timeout: 5000 });
      const points = await page.locator('#curves-chart').getAttribute('data-points');
      assert(points === String(9 * 5 + 2 * 3), `points ${points}`);
    });

    await check('a running curve grows within two seconds of a report', async () => {
      const before = Number(await page.locator('#curves-chart').getAttribute('data-points'));
      const t0 = Date.now();
      await api.post('/studies/bt/trials/9/report', { step: 4, value: 0.45 });
      await page.waitForFunction((n) => Number(document.querySelector('#curves-chart').dataset.points) === n,
        before + 1, { timeout: LIVE_LIMIT_MS });
      console.log(`     live curve update after ${Date.now() - t0} ms`);
    });

    await check('a completed trial enters the leaderboard live', async () => {
      await api.post('/studies/bt/trials/9/complete', { value: 0.05 });
      await page.waitForFunction(() =>
        document.querySelector('#leaderboard tbody tr[data-number]')?.dataset.number === '9',
      null, { timeout: LIVE_LIMIT_MS + 1000 });
    });

    await check('importance lists every parameter', async () => {
      await page.locator('#importance tr[data-param]').first().waitFor({ timeout: 5000 });
      const params = await page.locator('#importance tr[data-param]').evaluateAll(
        (rows) => rows.map((r) => r.dataset.param).sort());
      sameList(params, ['lr', 'n', 'opt'], 'importance params');
      await page.screenshot({ path: join(ARTIFACTS, 'study.png'), fullPage: true });
    });

    await check('stop appears only with a token, and works', async () => {
      assert(await page.locator('#stop').count() === 0, 'stop shown without a token');
      await page.locator('#token input').fill(TOKEN);
      await page.locator('#token button[type="submit"]').click();
      await page.locator('#stop').click();
      await page.waitForFunction(() => document.querySelector('#study-state')?.textContent === 'stopped',
        null, { timeout: 3000 });
      await page.locator('#resume').click();
      await page.waitForFunction(() => document.querySelector('#study-state')?.textContent === 'running',
        null, { timeout: 3000 });
      await page.locator('#token button').click(); // forget
      await page.waitForFunction(() => !document.querySelector('#resume, #stop'), null, { timeout: 2000 });
    });

    await check('a leaderboard link opens the trial', async () => {
      const first = page.locator('#leaderboard tbody tr[data-number] a').first();
      const number = await first.innerText();
      await first.click();
      await page.waitForURL(new RegExp(`#/study/\\d+/trial/${number}$`));
      await page.locator('h1', { hasText: `Trial ${number} of bt` }).waitFor({ timeout: 5000 });
      assert(await page.locator('#trial-params tr').count() === 3, 'params table');
      assert(!(await page.locator('main').innerText()).includes('null'), 'a "null" leaked into the page');
      await page.locator('#trial-curve canvas').first().waitFor({ timeout: 3000 });
      await page.screenshot({ path: join(ARTIFACTS, 'trial.png'), fullPage: true });
    });

    await check('a failed trial shows its reason and stderr tail', async () => {
      const id = (await api.get('/studies/bt')).id;
      await page.goto(`${server.url}/#/study/${id}/trial/8`);
      await page.locator('#trial-error').waitFor({ timeout: 5000 });
      assert((await page.locator('#trial-error').innerText()).includes('CUDA out of memory'), 'reason');
      assert((await page.locator('#trial-stderr').innerText()).includes('Traceback: boom'), 'stderr');
    });

    await check('no request leaves the server origin, and no script error', async () => {
      assert(foreign.length === 0, `foreign requests: ${foreign.join(', ')}`);
      assert(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
    });

    // After the check above: the browser logs the 404 this one provokes.
    await check('an unknown study shows its error, not panels that never fill', async () => {
      await page.goto(`${server.url}/#/study/nosuch`);
      await page.locator('.study-head', { hasText: 'no such study' }).waitFor({ timeout: 5000 });
      assert(await page.locator('#leaderboard, #importance').count() === 0, 'empty panels shown');
      assert(!(await page.locator('main').innerText()).includes('Computing'), 'a panel still waits');
    });
  } catch (err) {
    results.push(['setup', err]);
    console.log(`FAIL setup: ${err.stack}`);
    if (server) console.log(server.log().split('\n').slice(-20).join('\n'));
  } finally {
    if (browser) await browser.close();
    if (server) await server.stop();
    pg.stop();
  }
  const failed = results.filter(([, e]) => e).length;
  console.log(`browser: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
