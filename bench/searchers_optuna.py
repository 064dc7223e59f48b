#!/usr/bin/python3
"""searchers_optuna: Optuna's samplers on the problems bench/searchers.c
runs, printing lines in the same format ("run optuna <problem> <sampler>
<seed> <b25> <b50> <b100> <ms per trial>") and a TPE timing line. It does
not compare; bench/searchers_report.py does. Run with /usr/bin/python3
(Debian's python3-optuna 3.1).
SPDX-License-Identifier: MIT
"""
import math
import sys
import time
import warnings

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
     [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
Q = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(p):
    x = [p["x%d" % j] for j in range(6)]
    total = 0.0
    for i in range(4):
        inner = sum(A[i][j] * (x[j] - Q[i][j] * 1e-4) ** 2 for j in range(6))
        total += ALPHA[i] * math.exp(-inner)
    return -total


def rosenbrock(p):
    x = [p["x%d" % j] for j in range(5)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(4))


def ackley(p):
    x = [p["x%d" % j] for j in range(5)]
    s2 = sum(v * v for v in x) / 5
    sc = sum(math.cos(2 * math.pi * v) for v in x) / 5
    return -20 * math.exp(-0.2 * math.sqrt(s2)) - math.exp(sc) + 20 + math.e


OFFSET = {"a": 0.6, "b": 0.0, "c": 0.3, "d": 1.0}


def mixed(p):
    return (math.log10(p["lr"]) + 2.5) ** 2 + ((p["n"] - 7) / 4) ** 2 + OFFSET[p["opt"]]


def zdt1(p):
    x = [p["x%d" % j] for j in range(5)]
    g = 1 + 9 * sum(x[1:]) / 4
    return (x[0], g * (1 - math.sqrt(x[0] / g)))


def floats(trial, n, lo, hi):
    return {"x%d" % j: trial.suggest_float("x%d" % j, lo, hi) for j in range(n)}


def suggest_mixed(trial):
    return {"lr": trial.suggest_float("lr", 1e-5, 1, log=True),
            "n": trial.suggest_int("n", 1, 20),
            "opt": trial.suggest_categorical("opt", ["a", "b", "c", "d"])}


PROBLEMS = [
    ("branin", 100, 1, lambda t: {"x1": t.suggest_float("x1", -5, 10),
                                  "x2": t.suggest_float("x2", 0, 15)}, branin),
    ("hartmann6", 200, 1, lambda t: floats(t, 6, 0, 1), hartmann6),
    ("rosenbrock5", 200, 1, lambda t: floats(t, 5, -5, 10), rosenbrock),
    ("ackley5", 200, 1, lambda t: floats(t, 5, -32.768, 32.768), ackley),
    ("mixed", 100, 1, suggest_mixed, mixed),
    ("zdt1", 200, 2, lambda t: floats(t, 5, 0, 1), zdt1),
]


def samplers(seed, multi):
    s = optuna.samplers
    out = [("random", s.RandomSampler(seed=seed))]
    if multi:
        out.append(("nsga2", s.NSGAIISampler(seed=seed)))
        return out
    out.append(("tpe", s.TPESampler(seed=seed)))
    out.append(("tpe_mv", s.TPESampler(seed=seed, multivariate=True)))
    out.append(("cmaes", s.CmaEsSampler(seed=seed, warn_independent_sampling=False)))
    return out


def hypervolume(points):
    r1, r2, hv, prev = 1.1, 11.0, 0.0, 11.0
    for f1, f2 in sorted(points):
        if f1 >= r1 or f2 >= prev:
            continue
        hv += (r1 - f1) * (prev - f2)
        prev = f2
    return hv


def run(problem, sampler, budget):
    name, n_trials, n_obj, suggest, fn = problem
    dirs = ["minimize"] * n_obj
    study = optuna.create_study(directions=dirs, sampler=sampler)
    marks = {n_trials // 4: 0, n_trials // 2: 1, n_trials: 2}
    best, cur, pts, ask_ms = [0.0] * 3, math.inf, [], []
    for i in range(budget or n_trials):
        t0 = time.perf_counter()
        trial = study.ask()
        params = suggest(trial)
        ask_ms.append((time.perf_counter() - t0) * 1e3)
        value = fn(params)
        study.tell(trial, value)
        if n_obj == 1:
            cur = min(cur, value)
        else:
            pts.append(value)
        if i + 1 in marks:
            best[marks[i + 1]] = cur if n_obj == 1 else hypervolume(pts)
    return best, ask_ms


def main():
    n_seeds, only = 20, None
    args = sys.argv[1:]
    if "--quick" in args:
        n_seeds = 5
    if "--seeds" in args:
        n_seeds = int(args[args.index("--seeds") + 1])
    if "--only" in args:
        only = args[args.index("--only") + 1]
    print("# optuna %s: %d seeds, sequential ask/tell, in-memory storage"
          % (optuna.__version__, n_seeds))
    for problem in PROBLEMS:
        if only and problem[0] not in only:
            continue
        for k in range(len(samplers(0, problem[2] > 1))):
            for seed in range(n_seeds):
                label, sampler = samplers(seed, problem[2] > 1)[k]
                best, ms = run(problem, sampler, None)
                print("run optuna %s %s %d %.10g %.10g %.10g %.4f"
                      % (problem[0], label, seed, best[0], best[1], best[2],
                         sum(ms) / len(ms)), flush=True)
    if not only or "timing" in only:
        long_branin = ("branin", 1000) + PROBLEMS[0][2:]
        _, ms = run(long_branin, optuna.samplers.TPESampler(seed=1), 1000)
        print("timing optuna tpe ms_at_100=%.3f ms_at_1000=%.3f"
              % (sum(ms[90:110]) / 20, sum(ms[980:1000]) / 20))


if __name__ == "__main__":
    main()
