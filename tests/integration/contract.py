"""Helpers shared by the API tests: replies checked against api/openapi.yaml
with jsonschema's own Draft 2020-12 validator, a study factory, and a
fingerprint of the tables so a test can prove a request changed nothing.
Only the glue that finds a reply's schema in the spec lives here."""

import functools
import os

import yaml
from jsonschema import Draft202012Validator

from conftest import ROOT, sql

SPEC_PATH = os.path.join(ROOT, "api", "openapi.yaml")

with open(SPEC_PATH) as f:
    SPEC = yaml.safe_load(f)


def _escape(segment):
    """One JSON Pointer token (RFC 6901)."""
    return segment.replace("~", "~0").replace("/", "~1")


@functools.lru_cache(maxsize=None)
def validator(pointer):
    """A validator for the schema at pointer ("#/..."). The whole spec is the
    root document, so "#/components/schemas/..." references resolve in it;
    the spec's other top-level keys are not schema keywords and are ignored."""
    return Draft202012Validator({**SPEC, "$ref": pointer})


def _deref(obj):
    while "$ref" in obj:
        node = SPEC
        for token in obj["$ref"].lstrip("#/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        obj = node
    return obj


def response_pointer(method, template, status, content_type="application/json"):
    """Pointer to the schema of this reply, or an AssertionError naming
    what the spec lacks."""
    op = SPEC["paths"].get(template, {}).get(method.lower())
    assert op, f"{method} {template} is not in the spec"
    responses = op["responses"]
    assert str(status) in responses, f"{method} {template} does not document {status}"
    ref = f"#/paths/{_escape(template)}/{method.lower()}/responses/{status}"
    resp = responses[str(status)]
    if "$ref" in resp:
        ref = resp["$ref"]
        resp = _deref(resp)
    assert content_type in resp["content"], \
        f"{method} {template} {status} has no {content_type} body in the spec"
    return f"{ref}/content/{_escape(content_type)}/schema"


def check(resp, method, template, status=None):
    """Assert resp has the expected status (if given), a status the spec
    documents for the route, and a body valid against its schema. Returns
    the parsed JSON body (or the text for non-JSON replies)."""
    if status is not None:
        assert resp.status_code == status, (resp.status_code, resp.text[:500])
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip()
    pointer = response_pointer(method, template, resp.status_code, ctype)
    body = resp.json() if ctype == "application/json" else resp.text
    validator(pointer).validate(body)
    assert resp.headers.get("X-Request-Id")
    return body


def check_error(resp, method, template, status, code, field=None, names_field=True):
    """Assert an error reply: status, code and field; the message is
    non-empty and, unless names_field is False, names the field."""
    body = check(resp, method, template, status)
    err = body["error"]
    assert err["code"] == code, err
    assert err["field"] == field, err
    assert err["message"]
    if field and names_field:
        assert field in err["message"], err
    return err


def validate(obj, schema_name):
    """Validate obj against components/schemas/<schema_name>."""
    validator(f"#/components/schemas/{schema_name}").validate(obj)


def study_body(name, **over):
    """A small valid study definition using the random searcher."""
    body = {
        "name": name,
        "objectives": [{"name": "loss", "goal": "minimize"}],
        "space": {
            "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
            "layers": {"type": "int", "low": 1, "high": 4},
            "opt": {"type": "categorical", "choices": ["adam", "sgd"]},
        },
        "searcher": {"name": "random", "seed": 7},
        "budget": {"max_trials": 100, "parallel": 4, "lease_s": 30},
    }
    body.update(over)
    return body


def create_study(server, name="s", **over):
    r = server.post("/api/v1/studies", study_body(name, **over))
    return check(r, "POST", "/api/v1/studies", 201)


TABLES = ("studies", "trials", "intermediate_values")


def fingerprint(dsn):
    """Row count and an md5 of every row of each table, in key order."""
    out = {}
    keys = {"studies": "id", "trials": "id", "intermediate_values": "trial_id, step"}
    for t in TABLES:
        out[t] = sql(dsn, f"SELECT count(*), md5(coalesce(string_agg(x::text, '|'"
                          f" ORDER BY {keys[t]}), '')) FROM {t} x")[0]
    return out
