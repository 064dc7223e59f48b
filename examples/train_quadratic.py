"""A training program that knows nothing of hpod: it reads its parameters
from the command line and prints one `name=value` line per epoch, which is
all a `command` study needs. See command-study.json."""

import argparse
import math

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--momentum", type=float, default=0.0)
parser.add_argument("--epochs", type=int, default=5)
args = parser.parse_args()

# Minimise f(w) = (w - 3)^2 by gradient descent with momentum.
w, v = 0.0, 0.0
for epoch in range(1, args.epochs + 1):
    for _ in range(10):
        grad = 2 * (w - 3)
        v = args.momentum * v - args.lr * grad
        w += v
    loss = (w - 3) ** 2
    if not math.isfinite(loss):
        loss = float("nan")
    print(f"epoch={epoch} loss={loss:.6g}", flush=True)
