"""The foundation: probes, static files, the embedded database, migrations
and start-up failures, all against the real bin/hpod."""

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from conftest import HPOD, ROOT, Server, sql


def test_probes_answer_json(server):
    r = server.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    r = server.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"
    assert r.headers["X-Request-Id"]


def test_dashboard_index_is_served(server):
    r = server.get("/")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert "<title>hpod" in r.text
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_paths_outside_web_root_are_404(server, tmp_path):
    for path in ["/../README.md", "/%2e%2e/README.md", "/css/%2E%2E/%2e%2e/Makefile",
                 "/..%2fMakefile", "/css/..%5c..%5cMakefile", "/nope.html",
                 "/package.json", "/vendor.sh", "/node_modules/.package-lock.json"]:
        r = requests.get(server.url + path, timeout=5)
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"


def test_symlink_pointing_outside_web_root_is_404(make_server, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(os.path.join(ROOT, "migrations"), root / "migrations")
    shutil.copytree(os.path.join(ROOT, "web"), root / "web")
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", root / "web" / "leak.txt")
    s = make_server(args=["--root", str(root)])
    assert s.get("/leak.txt").status_code == 404
    assert s.get("/index.html").status_code == 200


def test_media_types_compare_case_insensitively(server):
    r = requests.post(server.url + "/api/v1/studies", data=b"{}", timeout=5,
                      headers={"Content-Type": "APPLICATION/JSON; charset=utf-8"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "name"


def test_unknown_api_route_and_method(server):
    r = server.get("/api/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = requests.post(server.url + "/healthz", timeout=5)
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    r = server.get("/api/v1/studies/x/trials/ask")
    assert r.status_code == 405, "ask is not trial number 'ask'"


def test_migrations_are_recorded_with_checksums(server):
    rows = sql(server.dsn, "SELECT version, name, length(checksum) FROM schema_migrations")
    assert (1, "0001_init.sql", 64) in rows


def test_edited_migration_refuses_start(make_server, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(os.path.join(ROOT, "migrations"), root / "migrations")
    shutil.copytree(os.path.join(ROOT, "web"), root / "web")
    s = make_server(args=["--root", str(root)])
    s.stop()
    with open(root / "migrations" / "0001_init.sql", "a") as f:
        f.write("\n-- edited\n")
    again = make_server(args=["--root", str(root)], db=s.db, start=False)
    again.start(expect_ready=False)
    assert again.proc.wait(10) != 0
    assert "0001_init.sql" in again.log()


def test_migrate_subcommand_applies_and_exits(cluster):
    db = cluster.new_database()
    env = dict(os.environ, HPOD_DATABASE_URL=cluster.dsn(db))
    r = subprocess.run([HPOD, "migrate"], env=env, capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert sql(cluster.dsn(db), "SELECT count(*) FROM schema_migrations")[0][0] >= 1


def test_a_port_in_use_fails_with_listen_failed_in_log_lines(server):
    """The library's own complaint comes as a log line, not bare text."""
    port = server.url.rsplit(":", 1)[1]
    r = subprocess.run([HPOD, "serve", "--port", port], cwd=tempfile.mkdtemp(),
                       env=dict(server.env, HPOD_WORKER_NAME="again"),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    out = r.stdout.decode()
    assert r.returncode == 1
    assert "code=listen_failed" in out, out
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert all(ln.startswith(("ts=", "hpod: ")) for ln in lines), out
    assert "not the first option" not in out, out


def test_unreachable_database_fails_fast_without_password():
    env = dict(os.environ,
               HPOD_DATABASE_URL="postgresql://alice:s3cretpw@db.invalid:5432/hpod")
    t0 = time.time()
    r = subprocess.run([HPOD, "serve", "--port", "0"], env=env, capture_output=True,
                       timeout=30, cwd=tempfile.mkdtemp())
    assert r.returncode != 0
    assert time.time() - t0 < 10
    err = r.stderr.decode()
    assert "db.invalid:5432" in err and "could not translate host name 'db.invalid'" in err, err
    assert "s3cretpw" not in err


@pytest.mark.parametrize("url, says", [
    ("not a url at all", "not a PostgreSQL connection string"),
    ("postgresql://u:S3CRET@[::1/hpod", "not a PostgreSQL connection string"),
    ("mysql://u:S3CRET@y/z", "not a PostgreSQL connection string"),
    ("{dsn_nodb}", "database 'no_such_db' does not exist"),
])
def test_database_that_cannot_be_used_is_named_with_the_reason(cluster, url, says):
    url = url.format(dsn_nodb=cluster.dsn("no_such_db"))
    env = dict(os.environ, HPOD_DATABASE_URL=url)
    r = subprocess.run([HPOD, "serve", "--port", "0"], env=env, capture_output=True,
                       timeout=30, cwd=tempfile.mkdtemp())
    assert r.returncode == 1
    err = r.stderr.decode()
    assert says in err and "code=db_unavailable" in err, err
    assert "S3CRET" not in err


def test_embedded_cluster_starts_stops_and_is_reused(tmp_path):
    env = dict(os.environ)
    env.pop("HPOD_DATABASE_URL", None)
    s = Server(env, cwd=str(tmp_path)).start(timeout=60)
    try:
        deadline = time.time() + 30
        while s.get("/readyz").status_code != 200 and time.time() < deadline:
            time.sleep(0.2)
        assert s.get("/readyz").status_code == 200
        assert "mode=embedded" in s.log()
        pid_file = tmp_path / "var" / "pg" / "data" / "postmaster.pid"
        assert pid_file.exists()
    finally:
        assert s.stop(signal.SIGTERM) == 0
    assert not pid_file.exists(), "SIGTERM must stop the embedded PostgreSQL"

    s2 = Server(env, cwd=str(tmp_path)).start(timeout=60)
    try:
        assert s2.get("/readyz").status_code == 200
        assert s2.log().count("event=initdb") == 1, "the cluster is created once"
        # A second server beside it, under the same name: it exits, and
        # leaves the cluster to the first.
        twin = Server(env, cwd=str(tmp_path))
        twin.log_path = str(tmp_path / "twin.log")
        twin.start(expect_ready=False, timeout=60)
        assert twin.proc.wait(30) == 1 and "code=name_in_use" in twin.log(), twin.log()
        # Under a name of its own it serves, and stopping it leaves the
        # cluster running too.
        other = Server(dict(env, HPOD_WORKER_NAME="other"), cwd=str(tmp_path))
        other.log_path = str(tmp_path / "other.log")
        other.start(timeout=60)
        assert other.get("/readyz").status_code == 200
        assert other.stop() == 0
        assert pid_file.exists() and s2.get("/readyz").status_code == 200
        # So does `hpod migrate` run beside it.
        r = subprocess.run([HPOD, "migrate"], cwd=str(tmp_path), env=env, capture_output=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        assert pid_file.exists() and s2.get("/readyz").status_code == 200
    finally:
        s2.stop()
        # var/pg may link to /var/lib/hpod/ when the cluster's user cannot
        # reach the test's folder: remove the real files too.
        shutil.rmtree(os.path.realpath(tmp_path / "var" / "pg"), ignore_errors=True)
    assert not pid_file.exists()


def test_two_servers_started_at_once_share_one_embedded_cluster(tmp_path):
    env = dict(os.environ)
    env.pop("HPOD_DATABASE_URL", None)
    first = Server(env, cwd=str(tmp_path))
    first.log_path = str(tmp_path / "first.log")
    second = Server(dict(env, HPOD_WORKER_NAME="second"), cwd=str(tmp_path))
    second.log_path = str(tmp_path / "second.log")
    try:
        # Start both at once, so that without a lock the initdb or pg_ctl
        # start of one overlaps the other's.
        threads = [threading.Thread(target=s.start, kwargs={"expect_ready": False, "timeout": 90})
                   for s in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for s in (first, second):
            assert s.url and s.get("/readyz").status_code == 200, s.log()
        logs = first.log() + second.log()
        assert logs.count("event=initdb") == 1, logs
    finally:
        rcs = [s.stop() for s in (first, second)]
        shutil.rmtree(os.path.realpath(tmp_path / "var" / "pg"), ignore_errors=True)
    assert rcs == [0, 0], first.log() + second.log()
