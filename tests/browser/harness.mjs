// harness: what the browser tests and bench/dashboard.mjs share: a
// throwaway PostgreSQL cluster on a Unix socket (run as the postgres user
// when we are root, as initdb refuses root), bin/hpod on a free port, a
// small API client, and Debian's headless Chromium through playwright-core.
// SPDX-License-Identifier: MIT
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, chownSync, rmSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PG_BIN = process.env.HPOD_PG_BIN || '/usr/lib/postgresql/15/bin';
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run'];

function postgresUser() {
  if (process.getuid() !== 0) return null;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root but there is no postgres user');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

// A PostgreSQL cluster in a temporary folder, listening only on a socket
// there. Returns {sock, dsn(db), createDatabase(), psql(db, sql), stop()}.
export function startPostgres() {
  const dir = mkdtempSync(join(tmpdir(), 'hpod-browser-pg-'));
  chmodSync(dir, 0o755);
  const user = postgresUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const opts = { stdio: 'ignore', ...(user ? { uid: user.uid, gid: user.gid } : {}) };
  const data = join(dir, 'data');
  execFileSync(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'hpod', '--auth=trust', '-E', 'UTF8',
    '--locale=C', '--no-instructions'], opts);
  execFileSync(join(PG_BIN, 'pg_ctl'), ['start', '-w', '-D', data, '-l', join(dir, 'log'), '-o',
    `-c listen_addresses='' -k ${dir} -c max_connections=100 -c fsync=off`], opts);
  let n = 0;
  const pg = {
    sock: dir,
    dsn: (db) => `host=${dir} user=hpod dbname=${db}`,
    psql(db, sql, input) {
      return execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-U', 'hpod',
        '-d', db, '-c', sql], { input, encoding: 'utf8' });
    },
    createDatabase() {
      const name = `b_${process.pid}_${n++}`;
      pg.psql('postgres', `CREATE DATABASE ${name}`);
      return name;
    },
    stop() {
      try {
        execFileSync(join(PG_BIN, 'pg_ctl'), ['stop', '-m', 'immediate', '-D', data], opts);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return pg;
}

// bin/hpod serve --port 0 on database db; resolves once it logs
// event=listening. Returns {url, log(), stop()}.
export function startServer(pg, db, env = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'hpod-browser-srv-'));
  const logPath = join(cwd, 'hpod.log');
  const out = openSync(logPath, 'a');
  const e = { ...process.env, HPOD_DATABASE_URL: pg.dsn(db), ...env };
  if (!env.HPOD_TOKEN) delete e.HPOD_TOKEN;
  const bin = process.env.HPOD_TEST_BIN ? join(process.env.HPOD_TEST_BIN, 'hpod') : join(ROOT, 'bin/hpod');
  const proc = spawn(bin, ['serve', '--port', '0', '--root', ROOT], { cwd, env: e, stdio: ['ignore', out, out] });
  const log = () => readFileSync(logPath, 'utf8');
  return new Promise((ok, fail) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const m = log().match(/event=listening url=(\S+)/);
      if (m) {
        clearInterval(timer);
        ok({
          url: m[1].replace(/\/$/, ''),
          log,
          stop: () => new Promise((done) => {
            if (proc.exitCode !== null) return done();
            proc.once('exit', () => {
              rmSync(cwd, { recursive: true, force: true });
              done();
            });
            proc.kill('SIGTERM');
          }),
        });
      } else if (proc.exitCode !== null || Date.now() - started > 30000) {
        clearInterval(timer);
        fail(new Error(`hpod did not start:\n${log()}`));
      }
    }, 50);
  });
}

// A JSON client for the API at url; token (optional) goes on writes.
export function client(url, token) {
  async function call(method, path, body) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token && method !== 'GET') headers.Authorization = `Bearer ${token}`;
    const res = await fetch(`${url}/api/v1${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
    return data;
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body = {}) => call('POST', path, body),
  };
}

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
