"""Every route of the API over HTTP against the real server, each reply
checked against api/openapi.yaml: studies, the ask/report/heartbeat/
complete/fail life of a trial, enqueued and warm-start trials, lists,
leaderboards, curves, the event stream and /metrics."""

import json
import math
import threading
import time
from datetime import datetime

import psycopg2
import pytest
import requests

from contract import check, check_error, create_study, validate

STUDIES = "/api/v1/studies"
STUDY = "/api/v1/studies/{id}"
TRIALS = "/api/v1/studies/{id}/trials"
ASK = "/api/v1/studies/{id}/trials/ask"
TRIAL = "/api/v1/studies/{id}/trials/{number}"

def url(template, **kw):
    return template.format(**kw)


def ask(server, sid, worker="w1", count=1, status=200):
    r = server.post(url(ASK, id=sid), {"worker": worker, "count": count})
    return check(r, "POST", ASK, status)


def act(server, sid, number, action, body=None, status=200):
    path = url(TRIAL, id=sid, number=number) + "/" + action
    r = server.post(path, body)
    return r, check(r, "POST", TRIAL + "/" + action, status)


def complete(server, sid, number, value, status=200):
    return act(server, sid, number, "complete", {"values": [value]}, status)[1]


def get_trial(server, sid, number):
    return check(server.get(url(TRIAL, id=sid, number=number)), "GET", TRIAL, 200)


def get_study(server, sid):
    return check(server.get(url(STUDY, id=sid)), "GET", STUDY, 200)


# ---- probes and metrics ------------------------------------------------------

def test_probes_match_the_contract(server):
    check(server.get("/healthz"), "GET", "/healthz", 200)
    check(server.get("/readyz"), "GET", "/readyz", 200)


def test_metrics_count_asks_reports_and_completes(server):
    s = create_study(server)
    for _ in range(3):
        t = ask(server, s["id"], worker="m")["trials"][0]
        act(server, s["id"], t["number"], "report", {"step": 0, "value": 1.0})
        complete(server, s["id"], t["number"], 0.5)
    r = server.get("/metrics")
    text = check(r, "GET", "/metrics", 200)
    assert r.headers["Content-Type"].startswith("text/plain")
    metrics = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            metrics[name] = float(value)
    assert metrics["hpod_asks_total"] == 3
    assert metrics["hpod_reports_total"] == 3
    assert metrics["hpod_completes_total"] == 3
    assert metrics['hpod_trials{state="complete"}'] == 3
    # Empty states read 0 rather than vanish from the series.
    assert metrics['hpod_trials{state="pruned"}'] == 0
    assert metrics['hpod_trials{state="running"}'] == 0
    assert metrics["hpod_running_trials"] == 0
    assert metrics["hpod_ask_seconds_count"] == 3
    assert metrics['hpod_ask_seconds_bucket{le="+Inf"}'] == 3
    assert "# TYPE hpod_ask_seconds histogram" in text


# ---- studies -------------------------------------------------------------------

def test_create_fills_defaults_and_get_by_id_or_name(server):
    body = {"name": "minimal", "objectives": [{"name": "acc", "goal": "maximize"}],
            "space": {"x": {"type": "float", "low": 0, "high": 1}}}
    s = check(server.post(STUDIES, body), "POST", STUDIES, 201)
    d = s["definition"]
    assert s["state"] == "running" and s["best"] is None
    assert s["counts"] == {"queued": 0, "running": 0, "complete": 0, "pruned": 0, "failed": 0}
    assert d["searcher"]["name"] == "tpe" and d["pruner"]["name"] == "none"
    assert d["budget"]["max_trials"] == 20 and d["budget"]["parallel"] == 1
    assert d["on_lost"] == "retry" and d["trainer"] == {"kind": "external"}
    assert get_study(server, s["id"]) ["id"] == s["id"]
    assert get_study(server, "minimal")["id"] == s["id"]


def test_the_default_searcher_fits_the_number_of_objectives(server):
    one = create_study(server, name="one", searcher={})
    assert one["definition"]["searcher"]["name"] == "tpe"
    two = create_study(server, name="two", searcher={},
                       objectives=[{"name": "loss", "goal": "minimize"},
                                   {"name": "cost", "goal": "minimize"}])
    assert two["definition"]["searcher"]["name"] == "nsga2"
    assert len(ask(server, two["id"])["trials"]) == 1


def test_stored_definition_can_be_posted_again(server):
    s = create_study(server, "orig")
    again = dict(s["definition"], name="copy")
    copy = check(server.post(STUDIES, again), "POST", STUDIES, 201)
    assert dict(copy["definition"], name="orig") == s["definition"]


def test_list_studies_newest_first_and_by_state(server):
    a = create_study(server, "a")
    b = create_study(server, "b")
    r = check(server.get(STUDIES), "GET", STUDIES, 200)
    assert [x["id"] for x in r["studies"]] == [b["id"], a["id"]]
    r = check(server.get(STUDIES + "?state=running"), "GET", STUDIES, 200)
    assert len(r["studies"]) == 2
    r = check(server.get(STUDIES + "?state=done"), "GET", STUDIES, 200)
    assert r["studies"] == []


def test_stop_resume_and_delete(server):
    s = create_study(server)
    sid = s["id"]
    stopped = check(server.post(url(STUDY, id=sid) + "/stop"), "POST", STUDY + "/stop", 200)
    assert stopped["state"] == "stopped"
    assert ask(server, sid) == {"trials": [], "study_state": "stopped"}
    # No field of the request is at fault, so the error names none.
    check_error(server.post(url(STUDY, id=sid) + "/stop"), "POST", STUDY + "/stop",
                409, "bad_state")
    resumed = check(server.post(url(STUDY, id=sid) + "/resume"), "POST",
                    STUDY + "/resume", 200)
    assert resumed["state"] == "running"
    check_error(server.post(url(STUDY, id=sid) + "/resume"), "POST", STUDY + "/resume",
                409, "bad_state")
    assert len(ask(server, sid)["trials"]) == 1
    gone = check(server.delete(url(STUDY, id=s["name"])), "DELETE", STUDY, 200)
    assert gone == {"id": sid, "deleted": True}
    check_error(server.get(url(STUDY, id=sid)), "GET", STUDY, 404, "study_not_found")


def test_trial_calls_on_a_deleted_study_say_the_study_is_gone(server):
    """The server keeps parsed definitions by id; after a delete, the
    worker still holding a lease must hear study_not_found, not that its
    trial vanished."""
    sid = create_study(server)["id"]
    number = ask(server, sid)["trials"][0]["number"]
    check(server.get(url(TRIAL, id=sid, number=number)), "GET", TRIAL, 200)
    check(server.delete(url(STUDY, id=sid)), "DELETE", STUDY, 200)
    for action, body in (("report", {"step": 1, "value": 0.5}), ("heartbeat", None),
                         ("complete", {"value": 0.5}), ("fail", {"reason": "x"})):
        r = server.post(url(TRIAL, id=sid, number=number) + "/" + action, body)
        check_error(r, "POST", TRIAL + "/" + action, 404, "study_not_found")
    check_error(server.get(url(TRIAL, id=sid, number=number)), "GET", TRIAL, 404,
                "study_not_found")


def test_a_stopped_study_keeps_running_leases_for_their_worker(server):
    """Asking again while stopped still returns the worker's live leases."""
    s = create_study(server)
    t = ask(server, s["id"])["trials"][0]
    check(server.post(url(STUDY, id=s["id"]) + "/stop"), "POST", STUDY + "/stop", 200)
    again = ask(server, s["id"])
    assert [x["number"] for x in again["trials"]] == [t["number"]]
    assert again["study_state"] == "stopped"


# ---- ask ----------------------------------------------------------------------

def test_ask_leases_a_trial_within_the_space(server):
    s = create_study(server)
    r = ask(server, s["id"], worker="gpu-0")
    assert r["study_state"] == "running"
    (t,) = r["trials"]
    assert t["state"] == "running" and t["worker"] == "gpu-0" and t["attempts"] == 1
    assert t["source"] == "searcher" and t["number"] == 0
    p = t["params"]
    assert 1e-4 <= p["lr"] <= 1 and p["layers"] in (1, 2, 3, 4) and p["opt"] in ("adam", "sgd")


def test_ask_without_a_body_uses_the_defaults(server):
    s = create_study(server)
    r = requests.post(f"{server.url}/api/v1/studies/{s['id']}/trials/ask", timeout=10)
    assert r.status_code == 200, r.text
    (t,) = r.json()["trials"]
    assert t["worker"] == "anonymous"


def test_asking_again_returns_the_workers_live_leases_first(server):
    s = create_study(server)
    sid = s["id"]
    first = ask(server, sid, "w1")["trials"][0]
    again = ask(server, sid, "w1")["trials"]
    assert [t["number"] for t in again] == [first["number"]]
    assert again[0]["params"] == first["params"]
    assert again[0]["lease_deadline"] >= first["lease_deadline"]
    other = ask(server, sid, "w2")["trials"]
    assert [t["number"] for t in other] == [1]
    both = ask(server, sid, "w1", count=2)["trials"]
    assert [t["number"] for t in both] == [first["number"], 2]


def test_parallel_caps_live_leases(server):
    s = create_study(server, budget={"max_trials": 10, "parallel": 2, "lease_s": 30})
    sid = s["id"]
    assert len(ask(server, sid, "a", count=5)["trials"]) == 2
    r = ask(server, sid, "b")
    assert r == {"trials": [], "study_state": "running"}
    complete(server, sid, 0, 1.0)
    assert [t["number"] for t in ask(server, sid, "b")["trials"]] == [2]


def test_max_trials_ends_the_study(server):
    s = create_study(server, budget={"max_trials": 2, "parallel": 2, "lease_s": 30})
    sid = s["id"]
    for t in ask(server, sid, count=2)["trials"]:
        complete(server, sid, t["number"], float(t["number"]))
    assert ask(server, sid) == {"trials": [], "study_state": "done"}
    st = get_study(server, sid)
    assert st["state"] == "done" and st["end_reason"] == "max_trials"
    assert st["finished_at"] and st["best"]["number"] == 0
    check_error(server.post(url(TRIALS, id=sid), {"params": {"lr": 0.1, "layers": 1,
                                                               "opt": "sgd"}}),
                "POST", TRIALS, 409, "bad_state")


def test_an_ask_after_warm_starts_used_the_budget_says_done(server):
    s = create_study(server, budget={"max_trials": 2, "parallel": 2})
    sid = s["id"]
    for lr in (0.01, 0.02):
        check(server.post(url(TRIALS, id=sid), {"params": {"lr": lr, "layers": 1,
                                                            "opt": "sgd"}, "value": lr}),
              "POST", TRIALS, 201)
    assert ask(server, sid) == {"trials": [], "study_state": "done"}
    assert get_study(server, sid)["state"] == "done"


def test_calls_racing_to_end_a_study_end_it_once(server):
    """Completes, releases, empty asks and the sweep each end a study that
    is due. Racing ones once all ended it: several study_done events (and
    webhooks), and each added the running time to elapsed_s again. Here the
    test holds the study row while releases pile up behind it, just after
    the study's time ran out, then lets them all go at once."""
    n = 8
    sid = create_study(server, budget={"max_trials": 100, "parallel": n, "timeout_s": 1})["id"]
    resp = requests.get(server.url + url(STUDY, id=sid) + "/events", stream=True, timeout=30)
    events = []
    reader = threading.Thread(target=read_events, args=(resp, events, threading.Event()),
                              daemon=True)
    reader.start()
    trials = ask(server, sid, count=n)["trials"]
    assert len(trials) == n
    holder = psycopg2.connect(server.dsn)
    cur = holder.cursor()
    cur.execute("SELECT 1 FROM studies WHERE id = %s FOR UPDATE", (sid,))
    time.sleep(1.1)

    def release(number):
        r = requests.post(server.url + url(TRIAL, id=sid, number=number) + "/release",
                          timeout=30)
        # The study is done by the time each is answered: they are refused.
        assert r.status_code == 409 and r.json()["error"]["code"] == "bad_state", r.text

    threads = [threading.Thread(target=release, args=(t["number"],)) for t in trials]
    for t in threads:
        t.start()
    time.sleep(0.5)
    holder.commit()
    holder.close()
    for t in threads:
        t.join()
    st = get_study(server, sid)
    assert st["state"] == "done", st
    lifetime = (datetime.fromisoformat(st["finished_at"].replace("Z", "+00:00"))
                - datetime.fromisoformat(st["created_at"].replace("Z", "+00:00")))
    assert st["elapsed_s"] <= lifetime.total_seconds() + 0.01, st
    # The study ends once: a second study_done would arrive within this wait.
    time.sleep(0.3)
    assert [e["type"] for _, e in events].count("study_done") == 1
    server.delete(url(STUDY, id=sid))
    reader.join(10)
    resp.close()


def test_enqueued_trials_come_before_searcher_proposals(server):
    s = create_study(server)
    sid = s["id"]
    params = [{"lr": 0.01, "layers": 2, "opt": "sgd"}, {"lr": 0.5, "layers": 4, "opt": "adam"}]
    for i, p in enumerate(params):
        t = check(server.post(url(TRIALS, id=sid), {"params": p}), "POST", TRIALS, 201)
        assert (t["number"], t["state"], t["source"]) == (i, "queued", "enqueued")
        assert t["worker"] is None and t["attempts"] == 0
    got = ask(server, sid, count=3)["trials"]
    assert [t["number"] for t in got] == [0, 1, 2]
    assert [t["params"] for t in got[:2]] == params
    assert [t["source"] for t in got] == ["enqueued", "enqueued", "searcher"]


def test_warm_start_trials_are_complete_and_ranked(server):
    s = create_study(server)
    sid = s["id"]
    t = check(server.post(url(TRIALS, id=sid), {"params": {"lr": 0.01, "layers": 2,
                                                            "opt": "sgd"}, "values": [0.25]}),
              "POST", TRIALS, 201)
    assert (t["state"], t["source"], t["values"]) == ("complete", "warm_start", [0.25])
    assert t["finished_at"] is not None
    check(server.post(url(TRIALS, id=sid), {"params": {"lr": 0.1, "layers": 1,
                                                        "opt": "adam"}, "value": 0.125}),
          "POST", TRIALS, 201)
    st = get_study(server, sid)
    assert st["counts"]["complete"] == 2 and st["best"]["values"] == [0.125]
    assert ask(server, sid)["trials"][0]["number"] == 2, "warm starts are not handed out"


# ---- report, heartbeat, complete, fail ------------------------------------------------

def test_report_records_a_curve_and_steps_must_increase(server):
    s = create_study(server)
    sid = s["id"]
    ask(server, sid)
    for step, v in [(0, 0.9), (1, 0.5), (5, 0.3)]:
        _, r = act(server, sid, 0, "report", {"step": step, "value": v,
                                              "metrics": {"acc": 0.5, "loss": v}})
        assert r == {"should_stop": False, "state": "running"}
    for step in (5, 4, 0):
        r, _ = act(server, sid, 0, "report", {"step": step, "value": 0.1}, status=409)
        check_error(r, "POST", TRIAL + "/report", 409, "step_conflict", "step")
    t = get_trial(server, sid, 0)
    assert [p["step"] for p in t["curve"]] == [0, 1, 5]
    assert t["curve"][1] == {"step": 1, "values": [0.5], "metrics": {"acc": 0.5, "loss": 0.5}}
    assert t["last_step"] == 5
    curves = check(server.get(url(TRIALS, id=sid).replace("/trials", "/curves")), "GET",
                   "/api/v1/studies/{id}/curves", 200)
    assert curves["curves"] == [{"number": 0, "state": "running", "steps": [0, 1, 5],
                                 "values": [0.9, 0.5, 0.3]}]


def test_report_by_metrics_names_objectives(server):
    s = create_study(server, objectives=[{"name": "loss", "goal": "minimize"},
                                         {"name": "ms", "goal": "minimize"}])
    ask(server, s["id"])
    act(server, s["id"], 0, "report", {"step": 0, "metrics": {"loss": 2.0, "ms": 3.0, "x": 1}})
    assert get_trial(server, s["id"], 0)["curve"][0]["values"] == [2.0, 3.0]
    t = act(server, s["id"], 0, "complete", {"metrics": {"ms": 4.0, "loss": 1.0}})[1]
    assert t["values"] == [1.0, 4.0]


def test_heartbeat_extends_the_lease(server):
    s = create_study(server, budget={"max_trials": 10, "parallel": 2, "lease_s": 5})
    t = ask(server, s["id"])["trials"][0]
    time.sleep(0.05)
    _, hb = act(server, s["id"], 0, "heartbeat")
    assert hb["lease_deadline"] > t["lease_deadline"] and hb["state"] == "running"


def test_heartbeat_on_a_queued_or_finished_trial_is_conflict(server):
    s = create_study(server)
    sid = s["id"]
    server.post(url(TRIALS, id=sid), {"params": {"lr": 0.1, "layers": 1, "opt": "sgd"}})
    r, _ = act(server, sid, 0, "heartbeat", status=409)
    check_error(r, "POST", TRIAL + "/heartbeat", 409, "trial_not_running")
    ask(server, sid)
    complete(server, sid, 0, 1.0)
    r, _ = act(server, sid, 0, "heartbeat", status=409)
    check_error(r, "POST", TRIAL + "/heartbeat", 409, "already_finished")


def test_completing_twice_with_the_same_values_is_unchanged(server):
    s = create_study(server)
    sid = s["id"]
    ask(server, sid)
    first = complete(server, sid, 0, 0.75)
    assert first["state"] == "complete" and first["values"] == [0.75]
    assert first["lease_deadline"] is None and first["finished_at"]
    second = complete(server, sid, 0, 0.75)
    assert second == first


def test_completing_with_different_values_is_conflict(server):
    s = create_study(server)
    ask(server, s["id"])
    complete(server, s["id"], 0, 0.75)
    r, _ = act(server, s["id"], 0, "complete", {"value": 0.5}, status=409)
    check_error(r, "POST", TRIAL + "/complete", 409, "already_finished")
    assert get_trial(server, s["id"], 0)["values"] == [0.75]


def test_failing_then_completing_is_conflict_and_failing_again_is_ok(server):
    s = create_study(server)
    sid = s["id"]
    ask(server, sid)
    _, t = act(server, sid, 0, "fail", {"reason": "CUDA out of memory", "stderr_tail": "oom"})
    assert (t["state"], t["error"], t["stderr_tail"]) == ("failed", "CUDA out of memory", "oom")
    act(server, sid, 0, "fail", {"reason": "again"})
    assert get_trial(server, sid, 0)["error"] == "CUDA out of memory"
    r, _ = act(server, sid, 0, "complete", {"value": 1.0}, status=409)
    check_error(r, "POST", TRIAL + "/complete", 409, "already_finished")


def test_completing_a_queued_trial_is_conflict(server):
    s = create_study(server)
    server.post(url(TRIALS, id=s["id"]), {"params": {"lr": 0.1, "layers": 1, "opt": "sgd"}})
    r, _ = act(server, s["id"], 0, "complete", {"value": 1.0}, status=409)
    check_error(r, "POST", TRIAL + "/complete", 409, "trial_not_running")


def test_completing_a_pruned_trial_is_conflict(server):
    s = create_study(server, pruner={"name": "median", "options": {
        "n_startup_trials": 1, "n_warmup_steps": 0, "n_min_trials": 1}})
    sid = s["id"]
    ask(server, sid, "a")
    act(server, sid, 0, "report", {"step": 0, "value": 1.0})
    complete(server, sid, 0, 1.0)
    ask(server, sid, "b")
    _, r = act(server, sid, 1, "report", {"step": 0, "value": 100.0})
    assert r == {"should_stop": True, "state": "pruned"}
    t = get_trial(server, sid, 1)
    assert t["state"] == "pruned" and t["values"] == [100.0]
    for action, body in [("complete", {"value": 100.0}), ("report", {"step": 1, "value": 1}),
                         ("report", {"step": 0, "value": 99.0}),
                         ("report", {"step": 0, "value": 100.0, "worker": "a"}),
                         ("fail", {"reason": "x"})]:
        r, _ = act(server, sid, 1, action, body, status=409)
        check_error(r, "POST", TRIAL + "/" + action, 409, "already_finished")
    # The report that pruned it, retried (its reply lost): the same answer,
    # and nothing changes.
    before = server.get(url(TRIAL, id=sid, number=1)).json()
    for body in ({"step": 0, "value": 100.0}, {"step": 0, "value": 100.0, "worker": "b"}):
        _, r = act(server, sid, 1, "report", body)
        assert r == {"should_stop": True, "state": "pruned"}
    assert server.get(url(TRIAL, id=sid, number=1)).json() == before
    # A diverged run reports NaN, which is stored as null: its retry must
    # match, and a finite value at that step must not.
    ask(server, sid, "c")
    _, r = act(server, sid, 2, "report", {"step": 0, "value": "nan"})
    assert r == {"should_stop": True, "state": "pruned"}
    _, r = act(server, sid, 2, "report", {"step": 0, "value": "nan"})
    assert r == {"should_stop": True, "state": "pruned"}
    # It keeps that report's values, null for the NaN, as the spec allows.
    assert get_trial(server, sid, 2)["values"] == [None]
    check(server.get(url(TRIALS, id=sid) + "?state=pruned"), "GET", TRIALS, 200)
    r, _ = act(server, sid, 2, "report", {"step": 0, "value": 0.0}, status=409)
    check_error(r, "POST", TRIAL + "/report", 409, "already_finished")


def test_completing_after_the_lease_expired_is_conflict(server):
    s = create_study(server, budget={"max_trials": 10, "parallel": 2, "lease_s": 1})
    ask(server, s["id"])
    time.sleep(1.2)
    for action, body in [("complete", {"value": 1.0}), ("report", {"step": 0, "value": 1}),
                         ("heartbeat", None), ("fail", {"reason": "late"})]:
        r, _ = act(server, s["id"], 0, action, body, status=409)
        check_error(r, "POST", TRIAL + "/" + action, 409, "lease_expired")


@pytest.mark.parametrize("value", [None, "nan", "NaN", "inf", "-Infinity"])
def test_a_non_finite_objective_fails_the_trial(server, value):
    s = create_study(server)
    ask(server, s["id"])
    t = act(server, s["id"], 0, "complete", {"values": [value]})[1]
    assert t["state"] == "failed" and t["values"] is None and t["error"]
    assert get_study(server, s["id"])["counts"]["failed"] == 1
    again = act(server, s["id"], 0, "complete", {"values": [value]})[1]
    assert again == t, "repeating a non-finite complete is a safe retry"


def test_values_and_params_read_back_as_the_same_doubles(server):
    s = create_study(server)
    t = ask(server, s["id"])["trials"][0]
    x = 0.24085487861739519  # 16 digits would print another double
    done = complete(server, s["id"], t["number"], x)
    got = get_trial(server, s["id"], t["number"])
    assert done["values"] == [x] and got["values"] == [x]
    assert got["params"] == t["params"]
    assert get_study(server, s["id"])["best"]["values"] == [x]


def test_a_worker_that_lost_its_lease_cannot_write_over_the_next_holder(server):
    s = create_study(server, budget={"max_trials": 1, "parallel": 1, "lease_s": 1})
    sid = s["id"]
    assert ask(server, sid, worker="a")["trials"][0]["number"] == 0
    deadline = time.time() + 10  # the lease ends, then the server reclaims the trial
    got = []
    while not got and time.time() < deadline:
        time.sleep(0.2)
        got = ask(server, sid, worker="b")["trials"]
    t = got[0]
    assert (t["number"], t["worker"], t["attempts"]) == (0, "b", 2)
    for action, body in [("report", {"step": 5, "value": 123, "worker": "a"}),
                         ("heartbeat", {"worker": "a"}),
                         ("complete", {"value": 999, "worker": "a"}),
                         ("fail", {"reason": "late", "worker": "a"})]:
        r, _ = act(server, sid, 0, action, body, status=409)
        check_error(r, "POST", TRIAL + "/" + action, 409, "lease_expired")
    r, _ = act(server, sid, 0, "release", {"worker": "a"}, status=409)
    check_error(r, "POST", TRIAL + "/release", 409, "trial_not_running")
    act(server, sid, 0, "report", {"step": 0, "value": 0.75, "worker": "b"})
    act(server, sid, 0, "heartbeat", {"worker": "b"})
    done = act(server, sid, 0, "complete", {"value": 0.5, "worker": "b"})[1]
    assert (done["state"], done["values"], done["worker"]) == ("complete", [0.5], "b")
    assert [p["step"] for p in get_trial(server, sid, 0)["curve"]] == [0]


def test_enqueue_past_max_trials_is_refused(server):
    s = create_study(server, budget={"max_trials": 2, "parallel": 2, "lease_s": 30})
    sid = s["id"]
    p = {"lr": 0.01, "layers": 2, "opt": "sgd"}
    check(server.post(url(TRIALS, id=sid), {"params": p}), "POST", TRIALS, 201)
    assert len(ask(server, sid, count=2)["trials"]) == 2
    for body in [{"params": p}, {"params": p, "value": 0.5}]:
        r = server.post(url(TRIALS, id=sid), body)
        check_error(r, "POST", TRIALS, 409, "bad_state")
    assert get_study(server, sid)["counts"]["queued"] == 0


# ---- lists, leaderboard ---------------------------------------------------------

def seed_trials(server, sid, values):
    """Warm-start one complete trial per value, then one queued and one
    running trial, so filters have something to drop."""
    for i, v in enumerate(values):
        check(server.post(url(TRIALS, id=sid), {"params": {"lr": 0.001 * (i + 1), "layers": 1,
                                                            "opt": "adam"}, "values": v}),
              "POST", TRIALS, 201)
    server.post(url(TRIALS, id=sid), {"params": {"lr": 0.5, "layers": 2, "opt": "sgd"}})
    server.post(url(TRIALS, id=sid), {"params": {"lr": 0.6, "layers": 2, "opt": "sgd"}})
    ask(server, sid)


def list_trials(server, sid, query):
    r = server.get(url(TRIALS, id=sid) + query)
    return check(r, "GET", TRIALS, 200)


def test_list_filters_sorts_and_pages(server):
    s = create_study(server)
    sid = s["id"]
    seed_trials(server, sid, [[0.5], [0.2], [0.9], [0.1], [0.7]])
    everything = list_trials(server, sid, "")
    assert everything["total"] == 7 and [t["number"] for t in everything["trials"]] == \
        list(range(7))
    assert (everything["limit"], everything["offset"]) == (100, 0)
    best = list_trials(server, sid, "?state=complete&sort=best")
    assert [t["number"] for t in best["trials"]] == [3, 1, 0, 4, 2]
    worst = list_trials(server, sid, "?state=complete&sort=worst&limit=2")
    assert [t["number"] for t in worst["trials"]] == [2, 4] and worst["total"] == 5
    page = list_trials(server, sid, "?sort=-number&limit=3&offset=2")
    assert [t["number"] for t in page["trials"]] == [4, 3, 2] and page["total"] == 7
    open_ = list_trials(server, sid, "?state=queued,running")
    assert [(t["number"], t["state"]) for t in open_["trials"]] == [(5, "running"),
                                                                   (6, "queued")]
    beyond = list_trials(server, sid, "?offset=50")
    assert beyond["trials"] == [] and beyond["total"] == 7
    mixed = list_trials(server, sid, "?sort=best&limit=7")
    assert [t["number"] for t in mixed["trials"]][-2:] == [5, 6], "no values sort last"


def test_list_sorts_by_a_named_maximised_objective(server):
    s = create_study(server, objectives=[{"name": "loss", "goal": "minimize"},
                                         {"name": "acc", "goal": "maximize"}])
    sid = s["id"]
    seed_trials(server, sid, [[0.5, 0.6], [0.2, 0.9], [0.9, 0.1]])
    best = list_trials(server, sid, "?state=complete&sort=best&objective=acc")
    assert [t["number"] for t in best["trials"]] == [1, 0, 2]


def test_leaderboard_single_objective_orders_best_first(server):
    for goal, expect in [("minimize", [3, 1, 0]), ("maximize", [2, 4, 0])]:
        s = create_study(server, "lb-" + goal, objectives=[{"name": "m", "goal": goal}])
        seed_trials(server, s["id"], [[0.5], [0.2], [0.9], [0.1], [0.7]])
        r = server.get(url(STUDY, id=s["id"]) + "/leaderboard?limit=3")
        lb = check(r, "GET", STUDY + "/leaderboard", 200)
        assert lb["pareto"] is False
        assert [t["number"] for t in lb["trials"]] == expect
        assert all(t["state"] == "complete" for t in lb["trials"])


def test_leaderboard_two_objectives_is_the_pareto_front(server):
    s = create_study(server, objectives=[{"name": "loss", "goal": "minimize"},
                                         {"name": "acc", "goal": "maximize"}])
    # (loss, acc): 0, 1 and 3 are non-dominated; 2 is dominated by 1, 4 by 0.
    seed_trials(server, s["id"], [[0.5, 0.8], [0.2, 0.6], [0.3, 0.5], [0.1, 0.1],
                                  [0.6, 0.7]])
    lb = check(server.get(url(STUDY, id=s["id"]) + "/leaderboard"), "GET",
               STUDY + "/leaderboard", 200)
    assert lb["pareto"] is True
    assert sorted(t["number"] for t in lb["trials"]) == [0, 1, 3]


# ---- events ------------------------------------------------------------------------

def read_events(resp, out, stop):
    """Collect the JSON of each data: line until stop is set or the
    stream is closed under us."""
    try:
        for line in resp.iter_lines(chunk_size=1, decode_unicode=True):
            if stop.is_set():
                return
            if line and line.startswith("data: "):
                out.append((time.time(), json.loads(line[6:])))
    except (requests.RequestException, AttributeError, ValueError):
        return


def test_events_stream_ends_after_its_study_is_deleted(server):
    sid = create_study(server)["id"]
    resp = requests.get(server.url + url(STUDY, id=sid) + "/events", stream=True, timeout=10)
    assert resp.status_code == 200
    events, stop = [], threading.Event()
    reader = threading.Thread(target=read_events, args=(resp, events, stop), daemon=True)
    reader.start()
    time.sleep(0.3)
    check(server.delete(url(STUDY, id=sid)), "DELETE", STUDY, 200)
    reader.join(5)
    assert not reader.is_alive(), "the stream is still open"
    assert [e["type"] for _, e in events] == ["study_deleted"]
    resp.close()


def test_events_stream_delivers_trial_completed_within_two_seconds(server):
    s = create_study(server)
    sid = s["id"]
    resp = requests.get(server.url + url(STUDY, id=sid) + "/events", stream=True, timeout=10)
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    events, stop = [], threading.Event()
    reader = threading.Thread(target=read_events, args=(resp, events, stop), daemon=True)
    reader.start()
    t = ask(server, sid)["trials"][0]
    t0 = time.time()
    complete(server, sid, t["number"], 0.5)
    deadline = t0 + 2.0
    while time.time() < deadline and not any(e["type"] == "trial_completed" for _, e in events):
        time.sleep(0.02)
    stop.set()
    resp.close()
    done = [(at, e) for at, e in events if e["type"] == "trial_completed"]
    assert done, f"no trial_completed within 2 s; got {[e['type'] for _, e in events]}"
    at, ev = done[0]
    assert at - t0 < 2.0
    validate(ev, "Event")
    assert ev["study"] == sid and ev["trial"]["number"] == t["number"]
    assert [e["type"] for _, e in events][:2] == ["trial_started", "trial_completed"]


def test_events_of_an_unknown_study_is_404(server):
    check_error(server.get("/api/v1/studies/nope/events"), "GET", STUDY + "/events", 404,
                "study_not_found")


# ---- the contract itself -----------------------------------------------------------

def test_every_route_of_routes_c_is_in_the_spec():
    import os
    import re
    from conftest import ROOT
    from contract import SPEC
    with open(os.path.join(ROOT, "server", "routes.c")) as f:
        routes = re.findall(r'\{"(GET|POST|DELETE|PUT|PATCH)", "([^"]+)", h_\w+\}', f.read())
    assert len(routes) >= 20
    for method, path in routes:
        assert method.lower() in SPEC["paths"].get(path, {}), f"{method} {path} undocumented"


def test_importance_matches_the_contract(server):
    s = create_study(server)
    for i in range(6):
        server.post(url(TRIALS, id=s["id"]), {"params": {"lr": 0.001 * (i + 1), "layers": 1 + i % 4,
                                                         "opt": "adam"}, "values": [i]})
    r = server.get(url(STUDY, id=s["id"]) + "/importance")
    body = check(r, "GET", STUDY + "/importance", 200)
    assert {x["param"] for x in body["importance"]} == {"lr", "layers", "opt"}
    check_error(server.get(url(STUDY, id=s["id"]) + "/importance?objective=nope"), "GET",
                STUDY + "/importance", 400, "bad_query", "objective")


def test_release_requeues_a_running_trial_and_drops_its_curve(server):
    s = create_study(server)
    sid = s["id"]
    t = ask(server, sid, "w1")["trials"][0]
    act(server, sid, t["number"], "report", {"step": 0, "value": 1.0})
    r = server.post(url(TRIAL, id=sid, number=t["number"]) + "/release")
    body = check(r, "POST", TRIAL + "/release", 200)
    assert (body["state"], body["worker"], body["curve"]) == ("queued", None, [])
    again = ask(server, sid, "w2")["trials"][0]
    assert (again["number"], again["params"]) == (t["number"], t["params"])


def test_a_done_study_does_not_queue_its_running_trials_again(server):
    """A study that ended by its timeout never runs a queued trial again:
    its running trials may still finish, but neither a release nor a lost
    lease may leave one queued forever."""
    budget = {"max_trials": 100, "parallel": 4, "lease_s": 5, "timeout_s": 1}
    sid = create_study(server, budget=budget)["id"]
    assert len(ask(server, sid, "w1", count=2)["trials"]) == 2
    deadline = time.time() + 15
    # Released as soon as the time is up, before the once-a-second sweep
    # has marked the study done.
    time.sleep(1.05)
    r, _ = act(server, sid, 1, "release", {"worker": "w1"}, status=409)
    err = check_error(r, "POST", TRIAL + "/release", 409, "bad_state")
    assert "complete or fail" in err["message"]
    r, _ = act(server, sid, 0, "release", {"worker": "w2"}, status=409)
    err = check_error(r, "POST", TRIAL + "/release", 409, "trial_not_running")
    assert "another worker" in err["message"]
    assert get_trial(server, sid, 1)["state"] == "running"
    assert complete(server, sid, 0, 0.5)["state"] == "complete"
    while get_trial(server, sid, 1)["state"] == "running":
        assert time.time() < deadline + 10
        time.sleep(0.2)
    lost = get_trial(server, sid, 1)
    assert (lost["state"], lost["error"]) == ("failed", "lease expired: the worker was lost")
    assert get_study(server, sid)["counts"]["queued"] == 0


def test_a_query_parameter_given_twice_or_cut_by_a_nul_is_refused(server):
    """Only the first of two equal keys reached the handler, and a %00 cut
    the value short; either way the reply answered another question."""
    sid = create_study(server)["id"]
    base = url(TRIALS, id=sid)
    for query, field, says in (("state=complete&state=failed", "state", "more than once"),
                               ("limit=1&limit=5", "limit", "more than once"),
                               ("state=complete%00junk", "state", "NUL")):
        err = check_error(server.get(base + "?" + query), "GET", TRIALS, 400, "bad_query", field)
        assert says in err["message"], err
    many = "&".join(f"k{i}=1" for i in range(40))
    check_error(server.get(base + "?" + many), "GET", TRIALS, 400, "bad_query", "k32")
    check(server.get(base + "?state=complete,failed&limit=5"), "GET", TRIALS, 200)
    check(server.get(base + "?&&limit=3&"), "GET", TRIALS, 200)


# ---- extreme values ---------------------------------------------------------

def test_huge_and_non_finite_values_stay_readable(server):
    """1e19 once came back from jsonb as a 20-digit integer that the JSON
    parser refused, turning the trial into a 404; NaN in a curve came back
    as the string "NaN"."""
    s = create_study(server, name="extreme")
    sid = s["id"]
    t = ask(server, sid)["trials"][0]
    act(server, sid, t["number"], "report", {"step": 1, "value": 1e19})
    act(server, sid, t["number"], "report", {"step": 2, "value": "nan"})
    got = get_trial(server, sid, t["number"])
    assert [c["values"] for c in got["curve"]] == [[1e19], [None]]
    done = complete(server, sid, t["number"], 1e300)
    assert done["values"] == [1e300] and done["state"] == "complete"
    warm = server.post(f"/api/v1/studies/{sid}/trials", {"params": t["params"], "value": -1e308})
    assert warm.status_code == 201, warm.text
    curves = server.get(f"/api/v1/studies/{sid}/curves").json()["curves"]
    assert curves[0]["values"] == [1e19, None]
    board = server.get(f"/api/v1/studies/{sid}/leaderboard").json()["trials"]
    assert [b["values"][0] for b in board] == [-1e308, 1e300]
