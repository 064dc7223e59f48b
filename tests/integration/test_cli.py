"""`hpod study ...` against replies that are not hpod's (a web page, some
other JSON service) and against a server that requires a token: each
subcommand names the problem in one stderr line and exits non-zero,
rather than crashing or printing empty results as a success."""

import http.server
import json
import os
import subprocess
import threading

import pytest

from conftest import HPOD
from test_sched import QUAD, command_study

HTML = ("text/html", b"<!doctype html><html><body>It works!</body></html>")
EMPTY_OBJECT = ("application/json", b"{}")
ARRAY = ("application/json", b"[1, 2]")
SUBCOMMANDS = [["show", "x"], ["watch", "x"], ["create", "{spec}"], ["stop", "x"],
               ["resume", "x"], ["delete", "x"], ["list"], ["leaderboard", "x"]]


def clean_env(**extra):
    """The test's environment without any token it may carry, plus extra."""
    env = {k: v for k, v in os.environ.items() if k not in ("HPOD_TOKEN", "HPOD_TOKEN_FILE")}
    env.update(extra)
    return env


@pytest.fixture
def foreign_server(request):
    """A local HTTP server that answers every request with request.param:
    (status, content type, body). Yields its base URL."""
    status, (ctype, body) = request.param

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = answer

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("foreign_server", [(200, HTML), (200, EMPTY_OBJECT), (200, ARRAY),
                                            (404, HTML), (500, EMPTY_OBJECT)],
                         indirect=True, ids=["html", "empty-object", "array", "404-page",
                                             "500-object"])
@pytest.mark.parametrize("args", SUBCOMMANDS, ids=lambda a: a[0])
def test_study_commands_report_a_reply_that_is_not_hpods(foreign_server, args, tmp_path):
    spec = tmp_path / "study.json"
    spec.write_text(json.dumps({"name": "x"}))
    args = [a.format(spec=spec) for a in args]
    r = subprocess.run([HPOD, "study", *args], env=clean_env(HPOD_SERVER=foreign_server),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"hpod: {foreign_server}/"), r.stderr
    assert "not from an hpod server" in lines[0] and "(bad_reply)" in lines[0], r.stderr


def test_study_commands_send_the_token_from_hpod_token_file(make_server, tmp_path):
    server = make_server(env={"HPOD_TOKEN": "sekret"})
    spec = tmp_path / "study.json"
    spec.write_text(json.dumps(command_study("guarded", [QUAD, "{x}"], max_trials=1)))
    token_file = tmp_path / "token"
    token_file.write_text("sekret\n")
    cases = [  # (environment, exit status, what stderr holds)
        ({}, 1, "(unauthorized)"),
        ({"HPOD_TOKEN_FILE": str(tmp_path / "missing")}, 2, "cannot read HPOD_TOKEN_FILE"),
        ({"HPOD_TOKEN_FILE": str(token_file)}, 0, ""),
    ]
    for extra, status, says in cases:
        r = subprocess.run([HPOD, "study", "create", str(spec)],
                           env=clean_env(HPOD_SERVER=server.url, **extra),
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == status and says in r.stderr, (extra, r.returncode, r.stderr)
    assert server.get("/api/v1/studies/guarded").status_code == 200
