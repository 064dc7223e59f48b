"""Fixtures for the integration tests: one real PostgreSQL cluster per test
session (run as an unprivileged user when the tests run as root), a fresh
database per server, and the real hpod server started on 127.0.0.1 on a
free port. Nothing here fakes a component: every test talks HTTP to
bin/hpod, which talks to PostgreSQL."""

import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import psycopg2
import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("HPOD_TEST_BIN", os.path.join(ROOT, "bin"))
HPOD = os.path.join(BIN, "hpod")
TRAIN = os.path.join(BIN, "hpod-train")
PG_BIN = "/usr/lib/postgresql/15/bin"


def _demote(uid, gid):
    def run():
        os.setgid(gid)
        os.setuid(uid)
    return run


class Cluster:
    """A throwaway PostgreSQL 15 cluster listening on a Unix socket."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hpod-test-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.sock = self.dir
        self.preexec = None
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.preexec = _demote(pw.pw_uid, pw.pw_gid)
        self._run([f"{PG_BIN}/initdb", "-D", self.data, "-U", "hpod", "--auth=trust",
                   "-E", "UTF8", "--locale=C", "--no-instructions"])
        opts = f"-c listen_addresses='' -k {self.sock} -c max_connections=300 -c fsync=off"
        self._run([f"{PG_BIN}/pg_ctl", "start", "-w", "-D", self.data,
                   "-l", os.path.join(self.dir, "log"), "-o", opts])

    def _run(self, argv):
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, preexec_fn=self.preexec)

    def dsn(self, db="postgres"):
        return f"host={self.sock} user=hpod dbname={db}"

    def new_database(self):
        name = "t_" + uuid.uuid4().hex[:12]
        conn = psycopg2.connect(self.dsn())
        conn.autocommit = True
        conn.cursor().execute(f"CREATE DATABASE {name}")
        conn.close()
        return name

    def stop(self):
        subprocess.run([f"{PG_BIN}/pg_ctl", "stop", "-m", "immediate", "-D", self.data],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       preexec_fn=self.preexec)
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """bin/hpod serve on 127.0.0.1 with a free port, logs kept in a file."""

    def __init__(self, env, args=(), cwd=None):
        self.cwd = cwd or tempfile.mkdtemp(prefix="hpod-test-srv-")
        self.log_path = os.path.join(self.cwd, "hpod.log")
        self.env = env
        self.args = list(args)
        self.proc = None
        self.url = None

    def start(self, expect_ready=True, timeout=30):
        log = open(self.log_path, "ab")
        offset = log.tell()
        self.proc = subprocess.Popen([HPOD, "serve", "--port", "0", *self.args],
                                     cwd=self.cwd, env=self.env, stdout=log, stderr=log)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.findall(r"event=listening url=(\S+)", self.log()[offset:])
            if m:
                self.url = m[-1].rstrip("/")
                break
            if self.proc.poll() is not None:
                if expect_ready:
                    raise RuntimeError("hpod exited:\n" + self.log())
                return self
            time.sleep(0.05)
        else:
            raise RuntimeError("hpod did not listen:\n" + self.log())
        return self

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def get(self, path, **kw):
        return requests.get(self.url + path, timeout=30, **kw)

    def post(self, path, body=None, **kw):
        return requests.post(self.url + path, json=body, timeout=60, **kw)

    def delete(self, path, **kw):
        return requests.delete(self.url + path, timeout=30, **kw)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def kill(self):
        return self.stop(signal.SIGKILL)


@pytest.fixture(scope="session")
def cluster():
    c = Cluster()
    yield c
    c.stop()


@pytest.fixture
def make_server(cluster):
    """Factory: make_server(args=..., env=..., db=...) starts a server on a
    fresh database (or on db); every server is stopped after the test."""
    started = []

    def make(args=(), env=None, db=None, start=True):
        db = db or cluster.new_database()
        e = dict(os.environ)
        e.pop("HPOD_TOKEN", None)
        e["HPOD_DATABASE_URL"] = cluster.dsn(db)
        e.update(env or {})
        s = Server(e, args)
        s.db = db
        s.dsn = cluster.dsn(db)
        started.append(s)
        return s.start() if start else s

    yield make
    for s in started:
        was_running = s.proc is not None and s.proc.poll() is None
        rc = s.stop()
        check_clean_exit(s, rc if was_running else None)


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def check_clean_exit(server, rc):
    """A server stopped with SIGTERM exits 0, and no sanitizer (in the
    instrumented build CI runs) reported anything in its log."""
    log = server.log()
    for mark in SANITIZER_MARKS:
        assert mark not in log, log[log.index(mark) - 200:][:3000]
    if rc is not None:
        assert rc == 0, f"hpod exited {rc}:\n{log[-2000:]}"


@pytest.fixture
def server(make_server):
    return make_server()


def sql(dsn, query, params=()):
    """Run one query against the test database and return all rows."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            rows = cur.fetchall() if cur.description else []
        conn.commit()
        return rows
    finally:
        conn.close()
