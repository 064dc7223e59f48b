"""Bad requests as a table: each row is one request and the status, error
code and field it must get. Every reply is checked against
api/openapi.yaml, its message must be non-empty and name the field, and
the database must be exactly as it was before the request."""

import copy
import os

import pytest
import requests

from conftest import Server
from contract import SPEC, check_error, fingerprint, study_body, validate

MULTI = [{"name": "loss", "goal": "minimize"}, {"name": "acc", "goal": "maximize"}]
SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
    "layers": {"type": "int", "low": 1, "high": 4},
    "opt": {"type": "categorical", "choices": ["adam", "sgd"]},
    "momentum": {"type": "float", "low": 0, "high": 0.99, "when": {"opt": "sgd"}},
}
GOOD_PARAMS = {"lr": 0.01, "layers": 2, "opt": "adam"}


def study(**change):
    """A valid new study definition with top-level keys replaced."""
    body = study_body("fresh", space=copy.deepcopy(SPACE))
    body.update(change)
    return body


def with_param(name, definition):
    """A valid definition whose space has one parameter replaced or added."""
    body = study()
    body["space"][name] = definition
    return body


def without(key):
    body = study()
    del body[key]
    return body


def params(**change):
    p = dict(GOOD_PARAMS, **change)
    return {k: v for k, v in p.items() if v is not ...}


S = "/api/v1/studies"
ONE = "/api/v1/studies/{id}"
T = "/api/v1/studies/{id}/trials"
ASK = T + "/ask"
TR = T + "/{number}"
NOT_FOUND_404 = None  # a route the spec cannot name: checked against Error only

# (id, method, path template, path values, body, status, code, field)
# body: a dict or list is sent as JSON; bytes are sent raw as application/json;
# ("ct", bytes) sends bytes with another Content-Type.
CASES = [
    # -- study definitions: envelope and objectives
    ("name-wrong-type", "POST", S, {}, study(name=5), 422, "bad_type", "name"),
    ("name-bad-chars", "POST", S, {}, study(name="my study"), 422, "bad_value", "name"),
    ("name-duplicate", "POST", S, {}, study(name="base"), 409, "study_exists", "name"),
    ("objectives-missing", "POST", S, {}, without("objectives"), 422, "missing_field",
     "objectives"),
    ("objectives-not-array", "POST", S, {}, study(objectives={"name": "loss"}), 422,
     "bad_type", "objectives"),
    ("objectives-empty", "POST", S, {}, study(objectives=[]), 422, "bad_range", "objectives"),
    ("objective-goal-bad", "POST", S, {}, study(objectives=[{"name": "l", "goal": "lower"}]),
     422, "bad_value", "objectives[0].goal"),
    ("objective-unknown-key", "POST", S, {},
     study(objectives=[{"name": "l", "goal": "minimize", "weight": 1}]), 422,
     "unknown_field", "objectives[0].weight"),
    ("top-unknown-key", "POST", S, {}, study(colour="red"), 422, "unknown_field", "colour"),
    ("description-wrong-type", "POST", S, {}, study(description=["x"]), 422, "bad_type",
     "description"),
    # -- the space
    ("space-missing", "POST", S, {}, without("space"), 422, "missing_field", "space"),
    ("space-empty", "POST", S, {}, study(space={}), 422, "bad_value", "space"),
    ("space-not-object", "POST", S, {}, study(space=[1]), 422, "bad_type", "space"),
    ("param-low-gt-high", "POST", S, {}, with_param("lr", {"type": "float", "low": 1,
                                                          "high": 0.1}),
     422, "bad_range", "space.lr.high"),
    ("param-log-low-zero", "POST", S, {}, with_param("lr", {"type": "float", "low": 0,
                                                           "high": 1, "log": True}),
     422, "bad_range", "space.lr.low"),
    ("param-step-too-large", "POST", S, {}, with_param("n", {"type": "int", "low": 0,
                                                            "high": 4, "step": 5}),
     422, "bad_range", "space.n.step"),
    ("param-step-zero", "POST", S, {}, with_param("x", {"type": "float", "low": 0,
                                                       "high": 1, "step": 0}),
     422, "bad_range", "space.x.step"),
    ("param-low-string", "POST", S, {}, with_param("lr", {"type": "float", "low": "0",
                                                         "high": 1}),
     422, "bad_type", "space.lr.low"),
    ("param-high-missing", "POST", S, {}, with_param("lr", {"type": "float", "low": 0}),
     422, "missing_field", "space.lr.high"),
    ("param-int-fraction", "POST", S, {}, with_param("n", {"type": "int", "low": 0.5,
                                                          "high": 4}),
     422, "bad_value", "space.n.low"),
    ("param-unknown-type", "POST", S, {}, with_param("x", {"type": "complex"}), 422,
     "bad_value", "space.x.type"),
    ("param-unknown-key", "POST", S, {}, with_param("lr", {"type": "float", "low": 0,
                                                          "high": 1, "scale": 2}),
     422, "unknown_field", "space.lr.scale"),
    ("choices-empty", "POST", S, {}, with_param("opt", {"type": "categorical",
                                                       "choices": []}),
     422, "bad_value", "space.opt.choices"),
    ("choices-duplicate", "POST", S, {}, with_param("opt", {"type": "categorical",
                                                           "choices": ["a", "a"]}),
     422, "bad_value", "space.opt.choices[1]"),
    ("choices-not-array", "POST", S, {}, with_param("opt", {"type": "categorical",
                                                           "choices": "a,b"}),
     422, "bad_type", "space.opt.choices"),
    ("when-unknown-parent", "POST", S, {}, with_param("x", {"type": "float", "low": 0,
                                                           "high": 1, "when": {"y": "a"}}),
     422, "bad_condition", "space.x.when.y"),
    ("param-step-too-fine", "POST", S, {}, with_param("x", {"type": "float", "low": 0,
                                                           "high": 1, "step": 1e-25}),
     422, "bad_range", "space.x.step"),
    # -- searcher, pruner, budget, trainer, recovery
    ("searcher-unknown", "POST", S, {}, study(searcher={"name": "magic"}), 422, "bad_value",
     "searcher.name"),
    ("searcher-single-objective-only", "POST", S, {},
     study(objectives=MULTI, searcher={"name": "tpe"}), 422, "bad_value", "searcher.name"),
    ("grid-float-without-grid-points", "POST", S, {},
     study(space={"x": {"type": "float", "low": 0, "high": 1}}, searcher={"name": "grid"}),
     422, "missing_field", "space.x.grid_points"),
    ("grid-int-too-many-points", "POST", S, {},
     study(space={"n": {"type": "int", "low": 0, "high": 2000000}}, searcher={"name": "grid"}),
     422, "bad_value", "space.n"),
    ("grid-float-step-too-many-points", "POST", S, {},
     study(space={"x": {"type": "float", "low": 0, "high": 1, "step": 1e-6}},
           searcher={"name": "grid"}), 422, "bad_value", "space.x"),
    ("grid-product-too-many-points", "POST", S, {},
     study(space={"a": {"type": "int", "low": 0, "high": 1000},
                  "b": {"type": "int", "low": 0, "high": 1000}}, searcher={"name": "grid"}),
     422, "bad_value", "searcher.name"),
    ("searcher-unknown-option", "POST", S, {},
     study(searcher={"name": "random", "options": {"speed": 2}}), 422, "unknown_field",
     "searcher.options.speed"),
    ("searcher-unknown-key", "POST", S, {}, study(searcher={"name": "random", "sed": 1}),
     422, "unknown_field", "searcher.sed"),
    ("searcher-seed-negative", "POST", S, {}, study(searcher={"name": "random", "seed": -1}),
     422, "bad_range", "searcher.seed"),
    ("pruner-unknown", "POST", S, {}, study(pruner={"name": "oracle"}), 422, "bad_value",
     "pruner.name"),
    ("budget-unknown-key", "POST", S, {}, study(budget={"max_trial": 5}), 422,
     "unknown_field", "budget.max_trial"),
    ("budget-parallel-zero", "POST", S, {}, study(budget={"parallel": 0}), 422, "bad_range",
     "budget.parallel"),
    ("budget-max-trials-string", "POST", S, {}, study(budget={"max_trials": "10"}), 422,
     "bad_type", "budget.max_trials"),
    ("budget-lease-too-short", "POST", S, {}, study(budget={"lease_s": 0.5}), 422,
     "bad_range", "budget.lease_s"),
    ("budget-not-object", "POST", S, {}, study(budget=[]), 422, "bad_type", "budget"),
    ("trainer-kind-unknown", "POST", S, {}, study(trainer={"kind": "cloud"}), 422,
     "bad_value", "trainer.kind"),
    ("trainer-command-placeholder", "POST", S, {},
     study(trainer={"kind": "command", "argv": ["train", "--x={nope}"]}), 422, "bad_value",
     "trainer.argv[1]"),
    ("trainer-command-params-share-a-variable", "POST", S, {},
     study(space={"x": {"type": "float", "low": 0, "high": 1},
                  "X": {"type": "float", "low": 0, "high": 1}},
           trainer={"kind": "command", "argv": ["train"]}), 422, "bad_value", "space.X"),
    ("trainer-command-params-share-a-variable-by-sign", "POST", S, {},
     study(space={"a": {"type": "float", "low": 0, "high": 1},
                  "a=b": {"type": "float", "low": 0, "high": 1},
                  "a_b": {"type": "float", "low": 0, "high": 1}},
           trainer={"kind": "command", "argv": ["train"]}), 422, "bad_value", "space.a_b"),
    ("name-all-digits", "POST", S, {}, study(name="40"), 422, "bad_value", "name"),
    ("choices-too-many", "POST", S, {},
     study(space={"c": {"type": "categorical", "choices": list(range(1001))}}), 422,
     "bad_range", "space.c.choices"),
    ("trainer-env-key-with-equals", "POST", S, {},
     study(trainer={"kind": "command", "argv": ["train"], "env": {"A=B": "1"}}), 422,
     "bad_value", "trainer.env.A=B"),
    ("native-unknown-param", "POST", S, {},
     study(space={"lr": {"type": "float", "low": 0.001, "high": 0.1}, "zz": {"type": "int",
           "low": 1, "high": 2}}, trainer={"kind": "native", "fixed": {"synthetic": 64}}),
     422, "bad_value", "space.zz"),
    # Valid at the low corner (one layer), refused at the high one (two
    # layers, one width): creation tries both.
    ("native-depth-without-widths", "POST", S, {},
     study(space={"n_layers": {"type": "int", "low": 1, "high": 2},
                  "width_1": {"type": "int", "low": 8, "high": 16}},
           trainer={"kind": "native", "fixed": {"synthetic": 64}}),
     422, "bad_value", "trainer"),
    ("native-bad-fixed-value", "POST", S, {},
     study(trainer={"kind": "native", "fixed": {"momentum": "abc"}}), 422, "bad_value",
     "trainer.fixed.momentum"),
    ("native-missing-dataset", "POST", S, {},
     study(trainer={"kind": "native", "dataset": "/nonexistent/data"}), 422, "bad_value",
     "trainer.dataset"),
    ("on-lost-unknown", "POST", S, {}, study(on_lost="ignore"), 422, "bad_value", "on_lost"),
    ("max-retries-too-many", "POST", S, {}, study(max_retries=101), 422, "bad_range",
     "max_retries"),
    ("webhook-not-http", "POST", S, {}, study(webhook="ftp://x"), 422, "bad_value",
     "webhook"),
    # -- transport
    ("malformed-json", "POST", S, {}, b'{"name": ', 400, "malformed_json", None),
    ("duplicate-keys", "POST", S, {}, b'{"name": "a", "name": "b"}', 400, "malformed_json",
     None),
    ("body-array", "POST", S, {}, [1, 2], 400, "body_not_object", None),
    ("body-string", "POST", ASK, {"id": "base"}, "w1", 400, "body_not_object", None),
    ("body-empty-create", "POST", S, {}, b"", 422, "missing_field", "name"),
    ("content-type-text", "POST", S, {}, ("text/plain", b"{}"), 415,
     "unsupported_media_type", None),
    ("content-type-json-prefix", "POST", S, {}, ("application/jsonx", b"{}"), 415,
     "unsupported_media_type", None),
    ("content-type-form", "POST", ASK, {"id": "base"},
     ("application/x-www-form-urlencoded", b"worker=w"), 415, "unsupported_media_type",
     None),
    ("body-10mb", "POST", S, {}, b'{"name": "' + b"x" * (10 << 20) + b'"}', 413,
     "too_large", None),
    ("unknown-route", "GET", NOT_FOUND_404, {"path": "/api/v1/nothing"}, None, 404,
     "not_found", None),
    ("wrong-method", "DELETE", NOT_FOUND_404, {"path": "/api/v1/studies/base/trials/ask"},
     None, 405, "method_not_allowed", None),
    # -- unknown study or trial
    ("study-unknown-get", "GET", ONE, {"id": "nope"}, None, 404, "study_not_found", None),
    ("study-unknown-id", "GET", ONE, {"id": "999999"}, None, 404, "study_not_found", None),
    ("study-key-not-utf8", "GET", ONE, {"id": "%FF"}, None, 404, "study_not_found", None),
    ("study-key-not-utf8-ask", "POST", ASK, {"id": "b%C3"}, {}, 404, "study_not_found", None),
    ("study-unknown-ask", "POST", ASK, {"id": "nope"}, {}, 404, "study_not_found", None),
    ("study-unknown-enqueue", "POST", T, {"id": "nope"}, {"params": GOOD_PARAMS}, 404,
     "study_not_found", None),
    ("study-unknown-leaderboard", "GET", ONE + "/leaderboard", {"id": "nope"}, None, 404,
     "study_not_found", None),
    ("trial-unknown-get", "GET", TR, {"id": "base", "number": 999}, None, 404,
     "trial_not_found", None),
    ("trial-not-a-number", "GET", TR, {"id": "base", "number": "abc"}, None, 404,
     "trial_not_found", None),
    ("trial-plus-sign", "GET", TR, {"id": "base", "number": "+1"}, None, 404,
     "trial_not_found", None),
    ("trial-leading-zero", "GET", TR, {"id": "base", "number": "01"}, None, 404,
     "trial_not_found", None),
    ("trial-negative", "GET", TR, {"id": "base", "number": "-1"}, None, 404,
     "trial_not_found", None),
    ("trial-unknown-report", "POST", TR + "/report", {"id": "base", "number": 999},
     {"step": 0, "value": 1}, 404, "trial_not_found", None),
    ("trial-unknown-complete", "POST", TR + "/complete", {"id": "base", "number": 999},
     {"value": 1}, 404, "trial_not_found", None),
    ("trial-unknown-heartbeat", "POST", TR + "/heartbeat", {"id": "base", "number": 999},
     None, 404, "trial_not_found", None),
    # -- query strings
    ("studies-state-bad", "GET", S + "?state=paused", {}, None, 400, "bad_query", "state"),
    ("trials-state-empty", "GET", T + "?state=", {"id": "base"}, None, 400, "bad_query",
     "state"),
    ("trials-state-bad", "GET", T + "?state=complete,lost", {"id": "base"}, None, 400,
     "bad_query", "state"),
    ("trials-state-trailing-comma", "GET", T + "?state=complete,", {"id": "base"}, None, 400,
     "bad_query", "state"),
    ("trials-state-empty-item", "GET", T + "?state=complete,,failed", {"id": "base"}, None,
     400, "bad_query", "state"),
    ("trials-sort-bad", "GET", T + "?sort=random", {"id": "base"}, None, 400, "bad_query",
     "sort"),
    ("trials-objective-bad", "GET", T + "?objective=acc", {"id": "base"}, None, 400,
     "bad_query", "objective"),
    ("trials-limit-zero", "GET", T + "?limit=0", {"id": "base"}, None, 400, "bad_query",
     "limit"),
    ("trials-limit-text", "GET", T + "?limit=ten", {"id": "base"}, None, 400, "bad_query",
     "limit"),
    ("trials-offset-negative", "GET", T + "?offset=-1", {"id": "base"}, None, 400,
     "bad_query", "offset"),
    ("leaderboard-limit-big", "GET", ONE + "/leaderboard?limit=10001", {"id": "base"}, None,
     400, "bad_query", "limit"),
    ("curves-objective-bad", "GET", ONE + "/curves?objective=nope", {"id": "base"}, None,
     400, "bad_query", "objective"),
    # -- enqueue
    ("enqueue-params-missing", "POST", T, {"id": "base"}, {}, 422, "missing_field",
     "params"),
    ("enqueue-params-not-object", "POST", T, {"id": "base"}, {"params": [1]}, 422,
     "bad_type", "params"),
    ("enqueue-unknown-param", "POST", T, {"id": "base"}, {"params": params(zzz=1)}, 422,
     "unknown_field", "params.zzz"),
    ("enqueue-param-out-of-range", "POST", T, {"id": "base"}, {"params": params(lr=2.0)},
     422, "bad_range", "params.lr"),
    ("enqueue-param-not-a-choice", "POST", T, {"id": "base"}, {"params": params(opt="rms")},
     422, "bad_value", "params.opt"),
    ("enqueue-param-missing", "POST", T, {"id": "base"}, {"params": params(layers=...)},
     422, "missing_field", "params.layers"),
    ("enqueue-param-fraction", "POST", T, {"id": "base"}, {"params": params(layers=1.5)},
     422, "bad_value", "params.layers"),
    ("enqueue-param-string", "POST", T, {"id": "base"}, {"params": params(lr="0.1")},
     422, "bad_type", "params.lr"),
    ("enqueue-inactive-param", "POST", T, {"id": "base"},
     {"params": params(momentum=0.9)}, 422, "bad_condition", "params.momentum"),
    ("enqueue-unknown-key", "POST", T, {"id": "base"},
     {"params": GOOD_PARAMS, "priority": 1}, 422, "unknown_field", "priority"),
    ("enqueue-values-wrong-length", "POST", T, {"id": "base"},
     {"params": GOOD_PARAMS, "values": [1, 2]}, 422, "bad_value", "values"),
    ("enqueue-values-nan", "POST", T, {"id": "base"},
     {"params": GOOD_PARAMS, "values": ["nan"]}, 422, "bad_value", "values[0]"),
    ("enqueue-value-null", "POST", T, {"id": "base"},
     {"params": GOOD_PARAMS, "value": None}, 422, "bad_value", "value"),
    ("enqueue-value-on-multi", "POST", T, {"id": "multi"},
     {"params": GOOD_PARAMS, "value": 1}, 422, "bad_value", "value"),
    # -- ask
    ("ask-count-zero", "POST", ASK, {"id": "base"}, {"count": 0}, 422, "bad_range", "count"),
    ("ask-count-string", "POST", ASK, {"id": "base"}, {"count": "2"}, 422, "bad_type",
     "count"),
    ("ask-count-too-many", "POST", ASK, {"id": "base"}, {"count": 257}, 422, "bad_range",
     "count"),
    ("ask-worker-empty", "POST", ASK, {"id": "base"}, {"worker": ""}, 422, "bad_range",
     "worker"),
    ("ask-unknown-key", "POST", ASK, {"id": "base"}, {"worker": "w", "gpu": 1}, 422,
     "unknown_field", "gpu"),
    # -- report
    ("report-step-missing", "POST", TR + "/report", {"id": "base", "number": 0},
     {"value": 1}, 422, "missing_field", "step"),
    ("report-step-negative", "POST", TR + "/report", {"id": "base", "number": 0},
     {"step": -1, "value": 1}, 422, "bad_range", "step"),
    ("report-step-fraction", "POST", TR + "/report", {"id": "base", "number": 0},
     {"step": 4.5, "value": 1}, 422, "bad_type", "step"),
    ("report-step-repeated", "POST", TR + "/report", {"id": "base", "number": 0},
     {"step": 3, "value": 1}, 409, "step_conflict", "step"),
    ("report-step-backwards", "POST", TR + "/report", {"id": "base", "number": 0},
     {"step": 1, "value": 1}, 409, "step_conflict", "step"),
    ("report-values-missing", "POST", TR + "/report", {"id": "base", "number": 0},
     {"step": 9}, 422, "missing_field", "values"),
    ("report-values-wrong-length", "POST", TR + "/report", {"id": "multi", "number": 0},
     {"step": 9, "values": [1]}, 422, "bad_value", "values"),
    ("report-value-not-number", "POST", TR + "/report", {"id": "multi", "number": 0},
     {"step": 9, "values": [1, "high"]}, 422, "bad_type", "values[1]"),
    ("report-value-on-multi", "POST", TR + "/report", {"id": "multi", "number": 0},
     {"step": 9, "value": 1}, 422, "bad_value", "value"),
    ("report-metrics-not-object", "POST", TR + "/report", {"id": "base", "number": 0},
     {"step": 9, "value": 1, "metrics": [1]}, 422, "bad_type", "metrics"),
    ("report-metric-not-a-number", "POST", TR + "/report", {"id": "base", "number": 0},
     {"step": 9, "value": 1, "metrics": {"acc": "x"}}, 422, "bad_type", "metrics.acc"),
    ("report-metrics-lack-objective", "POST", TR + "/report", {"id": "multi", "number": 0},
     {"step": 9, "metrics": {"loss": 1}}, 422, "missing_field", "metrics.acc"),
    ("report-unknown-key", "POST", TR + "/report", {"id": "base", "number": 0},
     {"step": 9, "value": 1, "epoch": 2}, 422, "unknown_field", "epoch"),
    ("report-queued-trial", "POST", TR + "/report", {"id": "base", "number": 2},
     {"step": 0, "value": 1}, 409, "trial_not_running", None),
    # -- complete and fail
    ("complete-unknown-key", "POST", TR + "/complete", {"id": "base", "number": 0},
     {"value": 1, "valu": 2}, 422, "unknown_field", "valu"),
    ("complete-metric-not-a-number", "POST", TR + "/complete", {"id": "base", "number": 0},
     {"value": 1, "metrics": {"acc": [1]}}, 422, "bad_type", "metrics.acc"),
    ("complete-values-wrong-length", "POST", TR + "/complete", {"id": "base", "number": 0},
     {"values": [1, 2]}, 422, "bad_value", "values"),
    ("complete-values-not-array", "POST", TR + "/complete", {"id": "base", "number": 0},
     {"values": 1}, 422, "bad_value", "values"),
    ("complete-value-bool", "POST", TR + "/complete", {"id": "base", "number": 0},
     {"value": True}, 422, "bad_type", "value"),
    ("complete-other-values", "POST", TR + "/complete", {"id": "base", "number": 1},
     {"value": 0.25}, 409, "already_finished", None),
    ("complete-queued-trial", "POST", TR + "/complete", {"id": "base", "number": 2},
     {"value": 0.25}, 409, "trial_not_running", None),
    ("fail-reason-missing", "POST", TR + "/fail", {"id": "base", "number": 0},
     {"stderr_tail": "x"}, 422, "missing_field", "reason"),
    ("fail-reason-not-string", "POST", TR + "/fail", {"id": "base", "number": 0},
     {"reason": 3}, 422, "bad_type", "reason"),
    ("fail-completed-trial", "POST", TR + "/fail", {"id": "base", "number": 1},
     {"reason": "late"}, 409, "already_finished", None),
]


# Rows that show a known bug, with the reason (none open).
KNOWN_BUGS = {}


def rows():
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case[0]])] \
            if case[0] in KNOWN_BUGS else []
        yield pytest.param(case, id=case[0], marks=marks)


@pytest.fixture(scope="module")
def world(cluster):
    """One server for the whole table, with a study "base" (trial 0 running
    with a report at step 3, trial 1 complete, trial 2 queued) and a study
    "multi" with two objectives (trial 0 running)."""
    db = cluster.new_database()
    env = dict(os.environ, HPOD_DATABASE_URL=cluster.dsn(db))
    env.pop("HPOD_TOKEN", None)
    s = Server(env).start()
    s.dsn = cluster.dsn(db)
    base = study_body("base", space=copy.deepcopy(SPACE))
    assert s.post(S, base).status_code == 201
    assert s.post(S, study_body("multi", objectives=MULTI)).status_code == 201
    assert len(s.post(ASK.format(id="base"), {"worker": "w", "count": 2}).json()["trials"]) == 2
    assert s.post(TR.format(id="base", number=0) + "/report",
                  {"step": 3, "value": 0.5}).status_code == 200
    assert s.post(TR.format(id="base", number=1) + "/complete",
                  {"value": 0.5}).status_code == 200
    assert s.post(T.format(id="base"), {"params": GOOD_PARAMS}).status_code == 201
    assert s.post(ASK.format(id="multi"), {"worker": "w"}).status_code == 200
    yield s
    s.stop()


def send(server, method, path, body):
    if isinstance(body, tuple):
        ctype, data = body
        return requests.request(method, server.url + path, data=data, timeout=60,
                                headers={"Content-Type": ctype})
    if isinstance(body, bytes):
        return requests.request(method, server.url + path, data=body, timeout=60,
                                headers={"Content-Type": "application/json"})
    kw = {} if body is None else {"json": body}
    return requests.request(method, server.url + path, timeout=60, **kw)


def test_the_table_covers_every_client_error_code():
    codes = {c["const"] for c in SPEC["components"]["schemas"]["Error"]["properties"]
             ["error"]["properties"]["code"]["oneOf"]}
    covered = {case[6] for case in CASES}
    # Not reachable by one bad request on a quiet server: a lease that ran
    # out (test_api covers it), a bearer token (needs HPOD_TOKEN), a
    # database constraint hit the codecs missed, and the 5xx family.
    elsewhere = {"lease_expired", "unauthorized", "conflict", "bad_state", "internal",
                 "db_busy", "db_retry", "db_unavailable", "not_ready"}
    assert codes - covered - elsewhere == set()
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", rows())
def test_bad_request_is_refused_and_changes_nothing(world, case):
    _, method, template, values, body, status, code, field = case
    path = values["path"] if template is None else template.format(**values)
    before = fingerprint(world.dsn)
    r = send(world, method, path, body)
    if template is None:
        assert r.status_code == status
        validate(r.json(), "Error")
        err = r.json()["error"]
        assert (err["code"], err["field"]) == (code, field) and err["message"]
    else:
        check_error(r, method, template.split("?")[0], status, code, field)
    assert fingerprint(world.dsn) == before


def test_a_grid_of_exactly_the_point_limit_is_accepted(make_server):
    s = make_server()
    body = study_body("grid-limit", space={"n": {"type": "int", "low": 0, "high": 999999}},
                      searcher={"name": "grid"})
    r = s.post(S, body)
    assert r.status_code == 201, r.text
    ask = s.post(ASK.format(id="grid-limit"), {"worker": "w"})
    assert ask.status_code == 200
    assert ask.json()["trials"][0]["params"] == {"n": 0}


def test_a_write_without_the_token_is_401_when_one_is_set(make_server):
    s = make_server(env={"HPOD_TOKEN": "t0ken"})
    before = fingerprint(s.dsn)
    r = s.post(S, study_body("x"))
    assert r.status_code == 401
    validate(r.json(), "Error")
    assert r.json()["error"]["code"] == "unauthorized"
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert fingerprint(s.dsn) == before
    ok = s.post(S, study_body("x"), headers={"Authorization": "Bearer t0ken"})
    assert ok.status_code == 201
    lower = s.post(S, study_body("y"), headers={"Authorization": "bearer t0ken"})
    assert lower.status_code == 201, "the scheme name is case-insensitive"
    assert s.get("/api/v1/studies").status_code == 200, "reads need no token"


def test_the_token_can_come_from_a_file(make_server, tmp_path):
    f = tmp_path / "token"
    f.write_text("fr0m-file\n")
    s = make_server(env={"HPOD_TOKEN_FILE": str(f)})
    assert s.post(S, study_body("t")).status_code == 401
    ok = s.post(S, study_body("t"), headers={"Authorization": "Bearer fr0m-file"})
    assert ok.status_code == 201


def test_text_cut_or_taken_from_the_url_still_makes_a_json_error(world):
    """Error fields and messages quote request text. Cut to fit, or taken
    from a URL that is not UTF-8, it once made the server fail to build
    its reply and die."""
    before = fingerprint(world.dsn)
    r = send(world, "POST", S, study(**{"ü" * 100: 1}))
    err = check_error(r, "POST", S, 422, "unknown_field", r.json()["error"]["field"])
    assert err["field"].startswith("ü" * 40), err
    r = send(world, "PUT", "/api/v1/studies/%FF%FE", None)
    assert r.status_code == 405
    validate(r.json(), "Error")
    r = send(world, "GET", "/api/v1/%FF", None)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert fingerprint(world.dsn) == before
    assert world.get("/healthz").status_code == 200


def test_a_405_lists_the_allowed_methods(world):
    r = send(world, "PUT", ONE.format(id="base"), None)
    validate(r.json(), "Error")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    assert r.headers["Allow"] == "GET, DELETE"
    assert "GET, DELETE" in r.json()["error"]["message"]
    r = send(world, "GET", ASK.format(id="base"), None)
    assert (r.status_code, r.headers["Allow"]) == (405, "POST")


def test_limits_count_characters_not_bytes(world):
    """The spec's maxLength counts characters; so do the server's checks."""
    r = send(world, "POST", S, study_body("utf8-limits", description="ü" * 1500,
                                          space={"ü" * 40: {"type": "float", "low": 0,
                                                            "high": 1}}))
    assert r.status_code == 201, r.text
    worker = "ü" * 128
    got = send(world, "POST", ASK.format(id="utf8-limits"), {"worker": worker})
    assert got.status_code == 200, got.text
    trial = got.json()["trials"][0]
    assert trial["worker"] == worker
    done = send(world, "POST", TR.format(id="utf8-limits", number=trial["number"]) + "/fail",
                {"reason": "é" * 2000, "worker": worker})
    assert done.status_code == 200, done.text
    assert done.json()["error"] == "é" * 2000
    r = send(world, "POST", ASK.format(id="utf8-limits"), {"worker": "ü" * 129})
    check_error(r, "POST", ASK, 422, "bad_range", "worker")
