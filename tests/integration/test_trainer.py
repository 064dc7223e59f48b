"""Integration tests of bin/hpod-train as the scheduler runs it: the
JSON-lines protocol, determinism, resume, and exit statuses for bad input
and divergence. Most tests use --limit-train or --synthetic to stay fast;
one trains the real Fashion-MNIST MLP for an epoch.
SPDX-License-Identifier: MIT"""
import gzip
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN = os.path.join(ROOT, "bin", "hpod-train")
DATA = "/usr/share/datasets/fashion-mnist"


def run(*args, timeout=120):
    return subprocess.run([TRAIN, *args], capture_output=True, text=True,
                          timeout=timeout)


def lines(proc):
    return [json.loads(l) for l in proc.stdout.splitlines() if l.strip()]


def strip_times(text):
    out = []
    for obj in map(json.loads, text.splitlines()):
        obj.pop("elapsed_s", None)
        obj.pop("epoch_s", None)
        out.append(obj)
    return out


def test_mlp_one_epoch_on_fashion_mnist_is_deterministic():
    a = run("--model", "mlp", "--epochs", "1", "--seed", "1", "--threads", "1")
    b = run("--model", "mlp", "--epochs", "1", "--seed", "1", "--threads", "1")
    assert a.returncode == 0, a.stderr
    rows = lines(a)
    assert len(rows) == 2
    epoch, final = rows
    for key in ("step", "epoch", "train_loss", "val_loss", "val_accuracy",
                "lr", "elapsed_s"):
        assert key in epoch
    assert final["final"] is True and final["best_epoch"] == 1
    assert epoch["val_accuracy"] > 0.82
    assert strip_times(a.stdout) == strip_times(b.stdout)


def test_params_json_is_overridden_by_later_flags():
    p = run("--synthetic", "600", "--params",
            '{"lr":0.01,"n_layers":2,"width_1":16,"units":8,"epochs":3}',
            "--epochs", "1", "--print", "best_epoch")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "1"


def test_resume_matches_uninterrupted_run(tmp_path):
    ck = str(tmp_path / "run.ckpt")
    common = ["--limit-train", "3000", "--seed", "3", "--hidden", "64",
              "--dropout", "0.2", "--shift", "2"]
    full = lines(run(*common, "--epochs", "3"))[-1]
    # Simulate a kill after epoch 1: rerun epoch 1 only, then resume.
    one = run(*common, "--epochs", "1", "--checkpoint", ck)
    assert one.returncode == 0
    resumed = lines(run(*common, "--epochs", "3", "--resume", ck))
    assert [r["epoch"] for r in resumed[:-1]] == [2, 3]
    assert resumed[-1]["weights_crc"] == full["weights_crc"]


def test_sigterm_ends_run_promptly():
    p = subprocess.Popen([TRAIN, "--limit-train", "20000", "--epochs", "50"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=5)
    assert p.returncode in (143, -signal.SIGTERM)


@pytest.fixture
def truncated_dir(tmp_path):
    for name in os.listdir(DATA):
        shutil.copy(os.path.join(DATA, name), tmp_path / name)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return str(tmp_path)


BAD_INPUT = [
    (["--lr", "-1"], "--lr"),
    (["--batch-size", "0"], "--batch-size"),
    (["--dropout", "1.0"], "--dropout"),
    (["--no-such-flag"], "--no-such-flag"),
    (["--optimizer", "rmsprop"], "--optimizer"),
    (["--params", "{not json"], "--params"),
    (["--data", "/nonexistent"], "/nonexistent"),
    (["--hidden", ""], "--hidden"),
    (["--hidden", "256,,128"], "--hidden"),
]


@pytest.mark.parametrize("args,named", BAD_INPUT)
def test_bad_input_exits_2_with_one_line(args, named):
    p = run(*args, "--epochs", "1", "--limit-train", "500")
    assert p.returncode == 2
    errors = [l for l in p.stderr.splitlines() if "level=error" in l]
    assert len(errors) == 1 and named in errors[0]
    assert p.stdout == ""


def test_truncated_gz_exits_2(truncated_dir):
    p = run("--data", truncated_dir, "--epochs", "1")
    assert p.returncode == 2
    assert "truncated" in p.stderr or "corrupt" in p.stderr


def test_flipped_checkpoint_byte_exits_2(tmp_path):
    ck = tmp_path / "c.ckpt"
    assert run("--synthetic", "500", "--epochs", "1", "--checkpoint",
               str(ck)).returncode == 0
    raw = bytearray(ck.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    ck.write_bytes(bytes(raw))
    p = run("--synthetic", "500", "--epochs", "2", "--resume", str(ck))
    assert p.returncode == 2
    assert "checkpoint" in p.stderr


def test_huge_lr_diverges_with_status_3():
    p = run("--lr", "1e6", "--limit-train", "2000", "--epochs", "2")
    assert p.returncode == 3, p.stderr
    final = lines(p)[-1]
    assert final["final"] is True and final["diverged"] is True
    if final["epochs_run"] == 0:
        assert final["val_accuracy"] is None, "no epoch ended: no metrics"


def test_a_lost_stdout_is_exit_1():
    with open("/dev/full", "w") as full:
        p = subprocess.run([TRAIN, "--synthetic", "200", "--epochs", "1"], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    assert p.returncode == 1 and "write_failed" in p.stderr


@pytest.mark.parametrize("model", ["cnn", "resnet"])
def test_other_models_train_on_synthetic_data(model):
    p = run("--model", model, "--synthetic", "300", "--epochs", "1",
            "--channels", "4,8", "--hidden", "16", "--width", "4",
            "--depth", "1", "--schedule", "cosine", "--warmup-epochs", "0.5",
            "--batch-norm", "--flip", "--rotate", "5")
    assert p.returncode == 0, p.stderr
    assert lines(p)[-1]["final"] is True
