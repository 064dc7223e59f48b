// dashboard: how fast the dashboard shows a big study. Makes a study of
// N_TRIALS trials with N_STEPS reported steps each (rows written straight
// into PostgreSQL, which takes seconds where the API would take minutes),
// then opens its page in headless Chromium RUNS times and reports the
// time from navigation to the first leaderboard rows and to the first
// drawn learning-curve chart (the page's performance marks), plus the
// raw API times of the requests behind them. Target: under 1 s each.
// SPDX-License-Identifier: MIT
import { startPostgres, startServer, client, launchBrowser } from '../tests/browser/harness.mjs';

const N_TRIALS = Number(process.env.N_TRIALS || 10000);
const N_STEPS = Number(process.env.N_STEPS || 20);
const RUNS = Number(process.env.RUNS || 5);

// Every 10th trial is pruned halfway, every 33rd failed, the rest complete.
const SQL_FILL = `
INSERT INTO trials (study_id, number, state, params, "values", worker, attempts, error,
                    started_at, finished_at)
SELECT $ID, g, state, jsonb_build_object('lr', lr, 'n', n, 'opt', opt),
       CASE WHEN state = 'failed' THEN NULL
            ELSE ARRAY[power(log(lr) + 3, 2) * 0.1 + 0.05 * n + random() * 0.05] END,
       'bench', 1, CASE WHEN state = 'failed' THEN 'bench: synthetic failure' END,
       now() - interval '1 hour', now()
FROM (SELECT g,
             CASE WHEN g % 33 = 0 THEN 'failed' WHEN g % 10 = 0 THEN 'pruned'
                  ELSE 'complete' END AS state,
             exp(ln(1e-5) + random() * ln(1e5)) AS lr,
             1 + floor(random() * 4)::int AS n,
             (ARRAY['adam', 'sgd'])[1 + floor(random() * 2)::int] AS opt
      FROM generate_series(0, $N - 1) g) p;
INSERT INTO intermediate_values (trial_id, step, "values")
SELECT t.id, s, ARRAY[t."values"[1] + 1.0 / s]
FROM trials t, generate_series(1, $S) s
WHERE t.study_id = $ID AND t.state <> 'failed' AND (t.state = 'complete' OR s <= $S / 2);
UPDATE studies SET next_number = $N WHERE id = $ID;
ANALYZE;`;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(fn) {
  const t0 = performance.now();
  const out = await fn();
  return [performance.now() - t0, out];
}

async function main() {
  const pg = startPostgres();
  let server = null;
  let browser = null;
  try {
    const db = pg.createDatabase();
    server = await startServer(pg, db);
    const api = client(server.url);
    const study = await api.post('/studies', {
      name: 'big',
      objectives: [{ name: 'loss', goal: 'minimize' }],
      space: {
        lr: { type: 'float', low: 1e-5, high: 1, log: true },
        n: { type: 'int', low: 1, high: 4 },
        opt: { type: 'categorical', choices: ['adam', 'sgd'] },
      },
      searcher: { name: 'random', seed: 1 },
      budget: { max_trials: N_TRIALS * 2, parallel: 8 },
    });
    const [fillMs] = await timed(async () => pg.psql(db, SQL_FILL.replaceAll('$ID', study.id)
      .replaceAll('$N', N_TRIALS).replaceAll('$S', N_STEPS)));
    console.log(`study: ${N_TRIALS} trials x ${N_STEPS} steps, inserted in ${(fillMs / 1000).toFixed(1)} s`);

    const [lbMs] = await timed(() => api.get('/studies/big/trials?state=complete&sort=best&limit=50'));
    const [curvesMs, curves] = await timed(() => api.get('/studies/big/curves'));
    const [trialsMs] = await timed(() => api.get('/studies/big/trials?limit=10000'));
    const [impMs] = await timed(() => api.get('/studies/big/importance'));
    console.log(`api: first leaderboard page ${lbMs.toFixed(0)} ms, curves ${curvesMs.toFixed(0)} ms`
      + ` (${curves.curves.length} curves), all trials ${trialsMs.toFixed(0)} ms,`
      + ` importance ${impMs.toFixed(0)} ms`);

    browser = await launchBrowser();
    const firstBoard = [];
    const firstChart = [];
    for (let i = 0; i < RUNS; i++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${server.url}/#/study/${study.id}`);
      await page.waitForFunction(() => performance.getEntriesByName('hpod:leaderboard').length &&
        performance.getEntriesByName('hpod:curves').length, null, { timeout: 60000 });
      const [board, chart, drawn] = await page.evaluate(() => [
        performance.getEntriesByName('hpod:leaderboard')[0].startTime,
        performance.getEntriesByName('hpod:curves')[0].startTime,
        document.querySelector('#curves-chart').dataset.curves]);
      if (Number(drawn) !== curves.curves.length) throw new Error(`drew ${drawn} curves`);
      firstBoard.push(board);
      firstChart.push(chart);
      await page.close();
    }
    const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(' ');
    console.log(`first leaderboard: median ${median(firstBoard).toFixed(0)} ms (runs: ${fmt(firstBoard)})`);
    console.log(`first curves chart: median ${median(firstChart).toFixed(0)} ms (runs: ${fmt(firstChart)})`);
    const isOk = median(firstBoard) < 1000 && median(firstChart) < 1000;
    console.log(`target under 1000 ms each: ${isOk ? 'met' : 'NOT met'}`);
  } finally {
    if (browser) await browser.close();
    if (server) await server.stop();
    pg.stop();
  }
}

main().catch((err) => {
  console.error(err.stack || err);
  process.exit(1);
});
