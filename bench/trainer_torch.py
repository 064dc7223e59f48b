"""trainer_torch: the PyTorch side of bench/trainer.sh and bench/accuracy.sh.
Trains the same MLP (784-256-128-10) or default CNN (conv5 32, pool, conv5
64, pool, fc 1024, dropout 0.5) as hpod-train with Adam 1e-3, batch 128,
on the same 50k/10k split sizes, scores validation after each epoch and
prints one JSON line per epoch with epoch_s (loop only, validation
included). With --test it then scores the test set with the weights of
the epoch of lowest validation loss, as hpod-train --test does.
Usage: trainer_torch.py mlp|cnn THREADS [--epochs N] [--seed S]
       [--limit N] [--test]
SPDX-License-Identifier: MIT"""
import argparse
import copy
import gzip
import json
import time

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"


def load(prefix, limit=0):
    with gzip.open(f"{DATA}/{prefix}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(f"{DATA}/{prefix}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    if limit:
        x, y = x[:limit], y[:limit]
    return x, y


def model_of(kind):
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                             nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 1024), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(1024, 10))


def blas_loaded():
    with open("/proc/self/maps") as f:
        libs = {l.split()[-1] for l in f if "blas" in l}
    return ",".join(sorted(libs))


def batches(x, idx):
    for i in range(0, len(idx), 128):
        b = idx[i:i + 128]
        yield torch.from_numpy(x[b].astype(np.float32) / 255.0), b


def train_epoch(model, opt, x, y, order):
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for xb, b in batches(x, order):
        opt.zero_grad()
        loss = loss_fn(model(xb), torch.from_numpy(y[b].astype(np.int64)))
        loss.backward()
        opt.step()


def score(model, x, y, idx):
    """Mean cross-entropy and accuracy of model on images idx."""
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for xb, b in batches(x, idx):
            z = model(xb)
            loss += loss_fn(z, torch.from_numpy(y[b].astype(np.int64))).item()
            correct += int((z.argmax(1).numpy() == y[b]).sum())
    return loss / len(idx), correct / len(idx)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["mlp", "cnn"])
    ap.add_argument("threads", type=int)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0,
                    help="use only the first N training images")
    ap.add_argument("--test", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x, y = load("train", a.limit)
    perm = np.random.default_rng(a.seed).permutation(len(x))
    n_val = len(x) // 6
    val, tr = perm[:n_val], perm[n_val:]
    model = model_of(a.kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(a.seed + 1)
    best = (float("inf"), None, 0)
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        train_epoch(model, opt, x, y, rng.permutation(tr))
        val_loss, val_acc = score(model, x, y, val)
        epoch_s = time.perf_counter() - t0
        if val_loss < best[0]:
            best = (val_loss, copy.deepcopy(model.state_dict()), epoch)
        print(json.dumps({"epoch": epoch, "epoch_s": epoch_s,
                          "val_loss": val_loss, "val_accuracy": val_acc,
                          "threads": torch.get_num_threads(),
                          "blas": blas_loaded()}), flush=True)
    if a.test:
        model.load_state_dict(best[1])
        xt, yt = load("t10k")
        test_loss, test_acc = score(model, xt, yt, np.arange(len(xt)))
        print(json.dumps({"final": True, "best_epoch": best[2],
                          "test_loss": test_loss,
                          "test_accuracy": test_acc}))


if __name__ == "__main__":
    main()
