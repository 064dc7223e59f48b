"""trainer_torch: the PyTorch side of bench/trainer.sh. Trains the same
MLP (784-256-128-10) or default CNN (conv5 32, pool, conv5 64, pool, fc
1024, dropout 0.5) as hpod-train for one epoch on the same 50k/10k split
sizes with Adam 1e-3, batch 128, then scores validation, and prints one
JSON line with epoch_s (loop only, validation included) and accuracy.
Usage: trainer_torch.py mlp|cnn THREADS
SPDX-License-Identifier: MIT"""
import gzip
import json
import sys
import time

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"


def load(prefix):
    with gzip.open(f"{DATA}/{prefix}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(f"{DATA}/{prefix}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
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


def main():
    kind, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x, y = load("train")
    perm = np.random.default_rng(1).permutation(len(x))
    val, tr = perm[:10000], perm[10000:]
    model = model_of(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    t0 = time.perf_counter()
    model.train()
    order = np.random.default_rng(2).permutation(tr)
    for i in range(0, len(order), 128):
        idx = order[i:i + 128]
        xb = torch.from_numpy(x[idx].astype(np.float32) / 255.0)
        yb = torch.from_numpy(y[idx].astype(np.int64))
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(val), 128):
            idx = val[i:i + 128]
            xb = torch.from_numpy(x[idx].astype(np.float32) / 255.0)
            correct += (model(xb).argmax(1).numpy() == y[idx]).sum()
    epoch_s = time.perf_counter() - t0
    print(json.dumps({"epoch_s": epoch_s, "val_accuracy": correct / len(val),
                      "threads": torch.get_num_threads(),
                      "blas": blas_loaded()}))


if __name__ == "__main__":
    main()
