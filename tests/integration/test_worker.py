"""Remote workers and the command-line client against a real server:
`hpod worker` processes share a study with the server's own pool, give
their trials back when stopped, stop with the server's error when it
refuses them for good, and `hpod study ...` shows what the API says."""

import json
import os
import signal
import subprocess
import time

import pytest

from conftest import HPOD, ROOT
from test_sched import QUAD, command_study, wait_done


def start_worker(server, name, slots=1, env=None):
    """bin/hpod worker for server, without a token unless env gives one."""
    e = {k: v for k, v in os.environ.items() if k not in ("HPOD_TOKEN", "HPOD_TOKEN_FILE")}
    e.update(env or {})
    return subprocess.Popen([HPOD, "worker", "--server", server.url, "--slots", str(slots),
                             "--name", name], env=e, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def test_two_workers_and_the_pool_run_each_trial_once(make_server, tmp_path):
    server = make_server(args=["--workers", "1"])
    log = tmp_path / "runs.txt"
    script = f'echo {{trial}} >> {log}; sleep 0.3; echo loss={{x}}'
    body = command_study("shared", ["sh", "-c", script], max_trials=12, parallel=4)
    assert server.post("/api/v1/studies", body).status_code == 201
    workers = [start_worker(server, f"remote{i}") for i in range(2)]
    try:
        s = wait_done(server, "shared", timeout=60)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            assert w.wait(20) == 0
    runs = [int(x) for x in log.read_text().split()]
    assert sorted(runs) == list(range(12)), runs
    assert s["counts"]["complete"] == 12
    owners = {t["worker"].split("/")[0]
              for t in server.get("/api/v1/studies/shared/trials").json()["trials"]}
    assert any(o.startswith("remote") for o in owners), owners


def test_stopped_worker_gives_its_trial_back(make_server):
    server = make_server(args=["--workers", "0"])
    body = command_study("handback", [QUAD, "{x}", "30", "0.2"], max_trials=1, parallel=1)
    assert server.post("/api/v1/studies", body).status_code == 201
    w = start_worker(server, "leaver")
    deadline = time.time() + 20
    while server.get("/api/v1/studies/handback").json()["counts"]["running"] == 0:
        assert time.time() < deadline
        time.sleep(0.1)
    w.send_signal(signal.SIGTERM)
    assert w.wait(30) == 0
    t = server.get("/api/v1/studies/handback/trials/0").json()
    assert t["state"] == "queued" and t["curve"] == [], t


def test_worker_waits_for_a_lost_server(make_server):
    server = make_server(args=["--workers", "0"])
    w = start_worker(server, "patient")
    time.sleep(0.5)
    server.kill()
    time.sleep(2.5)
    assert w.poll() is None, "a worker keeps retrying while the server is away"
    w.send_signal(signal.SIGTERM)
    assert w.wait(20) == 0
    assert b"server_unreachable" in w.stderr.read()


def test_study_commands(server, tmp_path):
    spec = tmp_path / "study.json"
    spec.write_text(json.dumps(command_study("clistudy", [QUAD, "{x}", "2"], max_trials=3)))
    env = dict(os.environ, HPOD_SERVER=server.url)

    def hpod(*args):
        return subprocess.run([HPOD, "study", *args], env=env, capture_output=True,
                              text=True, timeout=60)

    r = hpod("create", str(spec))
    assert r.returncode == 0 and "clistudy" in r.stdout, r.stderr
    r = hpod("watch", "clistudy")
    assert r.returncode == 0 and "3/3" in r.stdout
    r = hpod("list")
    assert "clistudy" in r.stdout and "done" in r.stdout
    r = hpod("leaderboard", "clistudy")
    lines = r.stdout.strip().split("\n")
    assert lines[0].split()[:3] == ["RANK", "TRIAL", "VALUES"] and len(lines) == 4
    best = server.get("/api/v1/studies/clistudy").json()["best"]["number"]
    assert lines[1].split()[1] == str(best)
    r = hpod("show", "no-such-study")
    assert r.returncode == 1 and "study_not_found" in r.stderr
    r = hpod("create", str(spec))
    assert r.returncode == 1 and "study_exists" in r.stderr


def test_study_commands_refuse_bad_arguments(server):
    env = dict(os.environ, HPOD_SERVER=server.url)
    for args in (["show", "a/../b"], ["delete", "x y"], ["leaderboard", "s", "--limit", "0"],
                 ["create", "/nonexistent/file.json"]):
        r = subprocess.run([HPOD, "study", *args], env=env, capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 2 and r.stderr.startswith("hpod: "), (args, r.stderr)


@pytest.mark.parametrize("token, name, status, code", [
    (None, "tokenless", 401, "unauthorized"),
    ("wrong", "mistaken", 401, "unauthorized"),
    ("sekret", "n" * 140, 422, "bad_range"),  # slot names "<name>/<i>" pass 128
], ids=["no-token", "wrong-token", "name-too-long"])
def test_worker_refused_for_good_exits_with_the_servers_error(make_server, token, name, status,
                                                              code):
    server = make_server(args=["--workers", "0"], env={"HPOD_TOKEN": "sekret"})
    body = command_study("refusing", [QUAD, "{x}"], max_trials=1, parallel=1)
    auth = {"Authorization": "Bearer sekret"}
    assert server.post("/api/v1/studies", body, headers=auth).status_code == 201
    w = start_worker(server, name, slots=2, env={"HPOD_TOKEN": token} if token else None)
    try:
        rc = w.wait(20)
    finally:
        w.kill()
    err = w.stderr.read().decode()
    assert rc == 1, err
    refused = [ln for ln in err.splitlines() if "event=refused" in ln]
    assert refused and f"status={status}" in refused[0] and f"code={code}" in refused[0], err
    assert "level=error" in refused[0] and 'msg="' in refused[0], err
    assert server.get("/api/v1/studies/refusing").json()["counts"]["running"] == 0


def test_worker_sends_the_token_from_hpod_token_file(make_server, tmp_path):
    server = make_server(args=["--workers", "0"], env={"HPOD_TOKEN": "sekret"})
    token_file = tmp_path / "token"
    token_file.write_text("sekret\n")
    body = command_study("guarded", [QUAD, "{x}"], max_trials=2, parallel=1)
    auth = {"Authorization": "Bearer sekret"}
    assert server.post("/api/v1/studies", body, headers=auth).status_code == 201
    w = start_worker(server, "filed", env={"HPOD_TOKEN_FILE": str(token_file)})
    try:
        s = wait_done(server, "guarded", timeout=60)
    finally:
        w.send_signal(signal.SIGTERM)
        assert w.wait(20) == 0
    assert s["counts"]["complete"] == 2


def test_worker_help_prints_usage():
    r = subprocess.run([HPOD, "worker", "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith("usage: hpod worker"), r
    assert "HPOD_TOKEN_FILE" in r.stdout and r.stderr == ""


@pytest.mark.parametrize("args", [
    ["--slots", "2x"], ["--slots", "0"], ["--slots", "257"], ["--slots", ""],
    ["--slots", "4294967298"], ["--slots", " 2"], ["--cores", "1.5"], ["--cores", "0"],
    ["--bogus"], ["extra-argument"],
], ids=lambda args: "=".join(args))
def test_worker_refuses_bad_options(args):
    # Port 9 (discard) refuses connections: a worker that wrongly started
    # would retry it until the timeout.
    r = subprocess.run([HPOD, "worker", "--server", "http://127.0.0.1:9", *args],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and args[0] in r.stderr, (args, r.stderr)
