"""Every file in examples/ works as written, against a real server."""

import json
import os
import subprocess

from conftest import ROOT
from test_sched import wait_done

EX = os.path.join(ROOT, "examples")


def test_pipeline_script_runs_every_step(server):
    env = dict(os.environ, HPOD_SERVER=server.url)
    r = subprocess.run([os.path.join(EX, "pipeline.sh"), "pipe"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    s = server.get("/api/v1/studies/pipe").json()
    c = s["counts"]
    assert c["complete"] + c["pruned"] == 8 and c["running"] == 0, c
    board = json.loads(r.stdout.strip().split("\n")[-1])
    assert board["trials"][0]["number"] == s["best"]["number"]


def test_command_study_tunes_a_plain_python_script(server):
    with open(os.path.join(EX, "command-study.json")) as f:
        body = json.load(f)
    body["trainer"]["cwd"] = ROOT
    assert server.post("/api/v1/studies", body).status_code == 201
    s = wait_done(server, body["name"], timeout=120)
    assert s["counts"]["complete"] == 12
    assert s["best"]["values"][0] < 0.1


def test_demo_study_definition_is_accepted(server):
    with open(os.path.join(EX, "fashion-mnist-mlp.json")) as f:
        body = json.load(f)
    r = server.post("/api/v1/studies", body)
    assert r.status_code == 201, r.text
    assert server.post(f"/api/v1/studies/{body['name']}/stop").status_code == 200


def test_optuna_drives_the_trainer_as_a_subprocess():
    r = subprocess.run(["/usr/bin/python3", os.path.join(EX, "optuna_drives_trainer.py"),
                        "3", "1", "--limit-train", "3000"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "best val_accuracy=" in r.stdout
    assert float(r.stdout.split("val_accuracy=")[1].split()[0]) > 0.5
