"""The scheduler against real child processes: the native trainer on
generated data, shell-script command studies, crashing, hanging and NaN
trials, pruning, stop/resume, and SIGKILL of the server mid-study."""

import os
import random
import signal
import tempfile
import time

from conftest import ROOT, Server, sql

QUAD = os.path.join(ROOT, "tests", "fixtures", "quadratic.sh")
LOSS = [{"name": "loss", "goal": "minimize"}]


def process_exists(pid):
    """Whether pid runs: a zombie (dead, not yet reaped by whichever
    process adopted it) does not count."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_done(server, name, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = server.get(f"/api/v1/studies/{name}").json()
        if s["state"] == "done":
            return s
        time.sleep(0.2)
    raise AssertionError(f"study {name} not done: {s}\n" + server.log()[-3000:])


def command_study(name, argv, max_trials=4, parallel=2, **extra):
    body = {"name": name, "objectives": LOSS,
            "space": {"x": {"type": "float", "low": -3, "high": 5}},
            "searcher": {"name": "random", "seed": 1},
            "budget": {"max_trials": max_trials, "parallel": parallel},
            "trainer": {"kind": "command", "argv": argv}}
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(body.get(k), dict):
            body[k].update(v)
        else:
            body[k] = v
    return body


def test_native_study_runs_to_budget_on_generated_data(server):
    body = {"name": "native", "objectives": [{"name": "val_accuracy", "goal": "maximize"}],
            "space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True}},
            "searcher": {"name": "random", "seed": 2},
            "budget": {"max_trials": 4, "parallel": 2},
            "trainer": {"kind": "native", "model": "mlp", "epochs": 2,
                        "fixed": {"synthetic": 1200, "hidden": "32"}}}
    assert server.post("/api/v1/studies", body).status_code == 201
    s = wait_done(server, "native")
    assert s["counts"]["complete"] == 4, s
    assert 0 < s["best"]["values"][0] <= 1
    trials = server.get("/api/v1/studies/native/trials").json()["trials"]
    for t in trials:
        curve = server.get(f"/api/v1/studies/native/trials/{t['number']}").json()["curve"]
        assert len(curve) == 2
        assert "val_loss" in curve[0]["metrics"]


def test_command_study_tunes_a_shell_script(server):
    r = server.post("/api/v1/studies", command_study("quad", [QUAD, "{x}", "3"], max_trials=6))
    assert r.status_code == 201, r.text
    s = wait_done(server, "quad")
    assert s["counts"]["complete"] == 6
    t = server.get(f"/api/v1/studies/quad/trials/{s['best']['number']}").json()
    x = t["params"]["x"]
    assert abs(t["values"][0] - ((x - 2) ** 2 + 1 / 3)) < 1e-4
    assert [c["step"] for c in t["curve"]] == [1, 2, 3]


def test_parameters_reach_the_environment(server, tmp_path):
    out = tmp_path / "env.txt"
    script = f'echo "$HPOD_PARAM_X $HPOD_TRIAL" >> {out}; echo loss=1'
    r = server.post("/api/v1/studies",
                    command_study("envs", ["sh", "-c", script], max_trials=2, parallel=1))
    assert r.status_code == 201, r.text
    wait_done(server, "envs")
    lines = out.read_text().split("\n")
    trials = server.get("/api/v1/studies/envs/trials").json()["trials"]
    got = {int(line.split()[1]): float(line.split()[0]) for line in lines if line}
    assert got == {t["number"]: t["params"]["x"] for t in trials}


def test_crash_hang_and_nan_fail_with_reasons(server):
    cases = [
        ("crash", ["sh", "-c", "echo boom-on-stderr >&2; exit 7"], {}, "exit status 7"),
        # 3 means divergence for hpod-train only; another program's 3 is its own.
        ("three", ["sh", "-c", "echo loss=1; exit 3"], {}, "exit status 3"),
        ("hang", ["sh", "-c", "echo loss=1; sleep 60"], {"trial_timeout_s": 1.5}, "timeout"),
        ("nan", ["sh", "-c", "echo loss=nan"], {}, "NaN"),
        ("silent", ["sh", "-c", "echo nothing useful"], {}, "objective loss"),
        ("missing", ["/nonexistent/program"], {}, "cannot start"),
    ]
    for name, argv, budget, _ in cases:
        body = command_study(name, argv, max_trials=1, parallel=1, budget=budget)
        assert server.post("/api/v1/studies", body).status_code == 201
    for name, _, _, reason in cases:
        s = wait_done(server, name, timeout=30)
        assert s["counts"]["failed"] == 1, (name, s)
        t = server.get(f"/api/v1/studies/{name}/trials/0").json()
        assert reason in t["error"], (name, t["error"])
    t = server.get("/api/v1/studies/crash/trials/0").json()
    assert "boom-on-stderr" in t["stderr_tail"]


def test_output_lines_steps_and_environment(server):
    """A last line without a newline counts; a line without a step follows
    the last step, even an explicit one; trainer.env replaces an inherited
    variable instead of adding a second one that getenv would not see;
    a line too long to keep is skipped, and says so in the log."""
    cases = {
        "nonl": (["sh", "-c", "printf loss=0.5"], {}),
        "steps": (["sh", "-c", "echo step=5 loss=0.5; echo loss=0.4; echo loss=0.3;"
                   " echo epoch=9 loss=0.2"], {}),
        "env": (["sh", "-c", 'echo loss=$(env | grep -c "^HOME=")'],
                {"env": {"HOME": "/custom"}}),
        "long": (["sh", "-c", "printf 'loss=0.1 '; head -c 70000 /dev/zero | tr '\\0' x;"
                  " echo; echo loss=0.25"], {}),
    }
    for name, (argv, trainer) in cases.items():
        body = command_study(name, argv, max_trials=1, parallel=1)
        body["trainer"].update(trainer)
        assert server.post("/api/v1/studies", body).status_code == 201, name
    got = {}
    for name in cases:
        s = wait_done(server, name, timeout=30)
        assert s["counts"]["complete"] == 1, (name, s)
        got[name] = server.get(f"/api/v1/studies/{name}/trials/0").json()
    assert got["nonl"]["values"] == [0.5]
    assert [c["step"] for c in got["steps"]["curve"]] == [5, 6, 7, 8]
    assert got["steps"]["values"] == [0.2]
    assert got["env"]["values"] == [1.0], "HOME is set once, to the study's value"
    assert got["long"]["values"] == [0.25]
    assert [c["values"] for c in got["long"]["curve"]] == [[0.25]]
    assert "event=line_too_long" in server.log()
    # Reports of trials run here count in /metrics like those over the API.
    metrics = dict(line.rsplit(" ", 1) for line in server.get("/metrics").text.splitlines()
                   if line and not line.startswith("#"))
    assert float(metrics["hpod_reports_total"]) == 1 + 4 + 1 + 1


def test_a_trial_that_closes_its_output_still_meets_its_timeout(server):
    """The runner once waited for such a program without a deadline: the
    trial ran on past trial_timeout_s and held its slot."""
    script = "echo loss=0.5; exec >/dev/null 2>&1; exec sleep 300"
    body = command_study("quiet", ["sh", "-c", script], max_trials=1, parallel=1,
                         budget={"trial_timeout_s": 2})
    assert server.post("/api/v1/studies", body).status_code == 201
    s = wait_done(server, "quiet", timeout=20)
    t = server.get("/api/v1/studies/quiet/trials/0").json()
    assert (s["counts"]["failed"], t["attempts"]) == (1, 1), (s, t)
    assert "timeout" in t["error"]


def test_a_missing_working_folder_is_named(server):
    body = command_study("nocwd", ["sh", "-c", "echo loss=1"], max_trials=1, parallel=1)
    body["trainer"]["cwd"] = "/nonexistent-folder"
    assert server.post("/api/v1/studies", body).status_code == 201
    wait_done(server, "nocwd", timeout=30)
    t = server.get("/api/v1/studies/nocwd/trials/0").json()
    assert "cannot enter trainer.cwd /nonexistent-folder" in t["error"], t


def test_a_trial_dies_with_the_server_that_ran_it(make_server, tmp_path):
    """After SIGKILL of the server, its trial's program must not run on
    beside the copy a restart starts."""
    server = make_server()
    pidfile = tmp_path / "pid"
    body = command_study("orphan", [QUAD, "{x}", "400", "0.1", str(pidfile)], max_trials=1,
                         parallel=1)
    assert server.post("/api/v1/studies", body).status_code == 201
    deadline = time.time() + 30
    while not pidfile.exists() or not pidfile.read_text().strip():
        assert time.time() < deadline, server.log()[-2000:]
        time.sleep(0.05)
    pid = int(pidfile.read_text())
    assert process_exists(pid)
    server.kill()
    deadline = time.time() + 5
    while process_exists(pid):
        assert time.time() < deadline, "the trial's program outlived its server"
        time.sleep(0.05)


def test_a_refused_line_is_skipped_not_a_reason_to_rerun(server):
    """A repeated step once made the scheduler drop the trial while still
    holding its lease, so it was started again in a tight loop."""
    script = 'echo \'{"step":1,"loss":0.5}\'; echo \'{"step":1,"loss":0.4}\'; echo loss=0.3'
    body = command_study("dupstep", ["sh", "-c", script], max_trials=1, parallel=1)
    assert server.post("/api/v1/studies", body).status_code == 201
    s = wait_done(server, "dupstep", timeout=30)
    assert s["counts"]["complete"] == 1, s
    t = server.get("/api/v1/studies/dupstep/trials/0").json()
    # The line without a step comes after the last step given (1).
    assert [c["step"] for c in t["curve"]] == [1, 2] and t["values"] == [0.3]
    assert server.log().count("event=trial_start study=%d " % s["id"]) == 1


def test_pruned_trials_are_killed_and_keep_their_curve(server, tmp_path):
    pid_dir = tmp_path
    body = command_study("prune", [QUAD, "{x}", "8", "0.2", f"{pid_dir}/pid.{{trial}}"],
                         max_trials=10, parallel=1,
                         pruner={"name": "median",
                                 "options": {"n_warmup_steps": 1, "n_startup_trials": 2}})
    body["space"]["x"] = {"type": "float", "low": -20, "high": 20}
    r = server.post("/api/v1/studies", body)
    assert r.status_code == 201, r.text
    s = wait_done(server, "prune", timeout=120)
    assert s["counts"]["pruned"] >= 1, s
    pruned = server.get("/api/v1/studies/prune/trials?state=pruned").json()["trials"]
    for t in pruned:
        curve = server.get(f"/api/v1/studies/prune/trials/{t['number']}").json()["curve"]
        assert 1 <= len(curve) < 8
        # The pruner's verdict is stored with the report, and the runner
        # signals the process group right after, so the last pruned trial's
        # process may still be exiting when the study reads done: allow it
        # the runner's grace period (5 s) and a margin, no more.
        pid = int((pid_dir / f"pid.{t['number']}").read_text())
        deadline = time.time() + 8
        while process_exists(pid):
            assert time.time() < deadline, "a pruned trial's process must be gone"
            time.sleep(0.05)


def test_stop_and_resume(server):
    body = command_study("sr", [QUAD, "{x}", "20", "0.1"], max_trials=3, parallel=1)
    assert server.post("/api/v1/studies", body).status_code == 201
    deadline = time.time() + 20
    while server.get("/api/v1/studies/sr").json()["counts"]["running"] == 0:
        assert time.time() < deadline
        time.sleep(0.1)
    assert server.post("/api/v1/studies/sr/stop").json()["state"] == "stopped"
    # The running trial learns of the stop at its next heartbeat and is
    # then signalled and requeued; a slow machine gets a generous deadline.
    deadline = time.time() + 20
    while (s := server.get("/api/v1/studies/sr").json())["counts"]["running"]:
        assert time.time() < deadline, s
        time.sleep(0.1)
    assert s["counts"]["queued"] >= 1, s
    assert server.post("/api/v1/studies/sr/resume").json()["state"] == "running"
    s = wait_done(server, "sr", timeout=60)
    assert s["counts"]["complete"] == 3


def test_sigkill_twice_loses_nothing(make_server):
    first = make_server()
    body = command_study("crashy", [QUAD, "{x}", "3", "0.15"], max_trials=20, parallel=2)
    body["budget"]["lease_s"] = 3
    assert first.post("/api/v1/studies", body).status_code == 201
    rng = random.Random(7)
    current = first
    for _ in range(2):
        time.sleep(rng.uniform(1.0, 3.0))
        current.kill()
        # Same database and same working folder: the restarted server
        # recognises the trials it left running.
        current = make_server(db=first.db, start=False)
        current.cwd = first.cwd
        current.log_path = os.path.join(first.cwd, "hpod.log")
        current.start()
    s = wait_done(current, "crashy", timeout=120)
    rows = sql(first.dsn, "SELECT t.number, t.state FROM trials t JOIN studies s"
                          " ON s.id = t.study_id WHERE s.name = 'crashy' ORDER BY number")
    assert [r[0] for r in rows] == list(range(20))
    assert all(r[1] == "complete" for r in rows), rows
    assert s["counts"]["complete"] == 20
    n_curves = sql(first.dsn, "SELECT count(*) FROM intermediate_values iv JOIN trials t"
                              " ON t.id = iv.trial_id")[0][0]
    assert n_curves == 20 * 3


def test_a_second_server_under_the_same_worker_name_refuses_to_start(make_server):
    """The worker name (host plus folder) is how a restarted server knows
    the trials it left running. A second server started beside the first,
    same folder, same database, must not take the first's running trials
    for its own orphans and requeue them."""
    first = make_server()
    body = command_study("twin", [QUAD, "{x}", "400", "0.1"], max_trials=2, parallel=2)
    assert first.post("/api/v1/studies", body).status_code == 201
    deadline = time.time() + 30
    while first.get("/api/v1/studies/twin").json()["counts"]["running"] < 2:
        assert time.time() < deadline, first.log()[-2000:]
        time.sleep(0.1)
    before = sql(first.dsn, "SELECT number, state, worker, attempts FROM trials ORDER BY number")

    twin = Server(first.env, cwd=first.cwd)
    twin.start(expect_ready=False, timeout=30)
    assert twin.proc.wait(30) == 1
    log = twin.log()
    assert "code=name_in_use" in log and "HPOD_WORKER_NAME" in log, log[-2000:]
    assert sql(first.dsn, "SELECT number, state, worker, attempts FROM trials"
                          " ORDER BY number") == before
    assert first.get("/api/v1/studies/twin").json()["counts"]["running"] == 2

    # Under a name of its own, the same folder serves beside the first.
    other = Server(dict(first.env, HPOD_WORKER_NAME="other"), cwd=first.cwd)
    other.start()
    try:
        assert other.get("/api/v1/studies/twin").status_code == 200
    finally:
        assert other.stop() == 0
    assert sql(first.dsn, "SELECT number, state, worker, attempts FROM trials"
                          " ORDER BY number") == before


def test_a_worker_name_that_could_cover_another_is_refused(make_server):
    """A restart reclaims every lease under "<name>/", so a name holding a
    '/' could reclaim another server's trials; a name too long for the
    slot suffix would be cut."""
    for name in ("team/a", "n" * 101):
        s = make_server(env={"HPOD_WORKER_NAME": name}, start=False)
        s.start(expect_ready=False)
        assert s.proc.wait(30) == 1
        assert "code=bad_worker_name" in s.log(), s.log()[-2000:]
    ok = make_server(env={"HPOD_WORKER_NAME": "n" * 100})
    assert ok.get("/readyz").status_code == 200


def test_webhook_gets_new_best_and_study_done(server):
    import http.server
    import json
    import threading

    got = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers["Content-Length"])
            got.append(json.loads(self.rfile.read(n)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    hook = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        body = command_study("hooked", [QUAD, "{x}", "1"], max_trials=4, parallel=1,
                             webhook=f"http://127.0.0.1:{hook.server_port}/hook")
        assert server.post("/api/v1/studies", body).status_code == 201
        s = wait_done(server, "hooked")
        deadline = time.time() + 10
        while not any(g["event"] == "study_done" for g in got) and time.time() < deadline:
            time.sleep(0.1)
    finally:
        hook.shutdown()
    events = [g["event"] for g in got]
    assert events.count("study_done") == 1, got
    assert events[0] == "new_best" and got[0]["name"] == "hooked"
    done = [g for g in got if g["event"] == "study_done"][0]
    assert done["best"]["number"] == s["best"]["number"]


def test_a_slow_webhook_receiver_does_not_hold_up_shutdown(make_server):
    """A delivery waits up to 5 s a try, three tries, with pauses between:
    SIGTERM once waited all of it out (about 20 s)."""
    import http.server
    import threading

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            time.sleep(30)

        def log_message(self, *args):
            pass

    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    hook.daemon_threads = True
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    server = make_server()
    try:
        body = command_study("slowhook", ["true"], max_trials=4, parallel=1,
                             webhook=f"http://127.0.0.1:{hook.server_port}/hook")
        body["trainer"] = {"kind": "external"}
        assert server.post("/api/v1/studies", body).status_code == 201
        t = server.post("/api/v1/studies/slowhook/trials/ask", {"worker": "w"}).json()
        number = t["trials"][0]["number"]
        assert server.post(f"/api/v1/studies/slowhook/trials/{number}/complete",
                           {"value": 1.0}).status_code == 200
        time.sleep(1.0)  # the new_best delivery is under way
        t0 = time.time()
        assert server.stop() == 0
        assert time.time() - t0 < 5, "shutdown waited for the webhook receiver"
    finally:
        hook.shutdown()


def test_a_background_child_holding_stdout_does_not_hold_the_trial(server):
    script = "sleep 30 & echo loss=0.25"
    body = command_study("orphan", ["sh", "-c", script], max_trials=1, parallel=1,
                         budget={"trial_timeout_s": 20})
    assert server.post("/api/v1/studies", body).status_code == 201
    t0 = time.time()
    s = wait_done(server, "orphan", timeout=20)
    assert s["counts"]["complete"] == 1 and s["best"]["values"] == [0.25]
    assert time.time() - t0 < 10
