#!/usr/bin/python3
"""searchers_report: reads the "run" and "timing" lines of bench/searchers.c
and bench/searchers_optuna.py (stdin) and prints, per problem, the median
and IQR of simple regret at 25/50/100% of the budget for every searcher,
the ratio of hpod's best to Optuna's best, and the TPE timing ratio.
SPDX-License-Identifier: MIT
"""
import statistics
import sys

OPTIMUM = {"branin": 0.397887357729739, "hartmann6": -3.32236801141551,
           "rosenbrock5": 0.0, "ackley5": 0.0, "mixed": 0.0}
ZDT1_HV = 10 + 2 / 3 + 1.1  # true front f2 = 1 - sqrt(f1), reference (1.1, 11)


def quartiles(v):
    v = sorted(v)
    if len(v) == 1:
        return v[0], v[0], v[0]
    q = statistics.quantiles(v, n=4, method="inclusive")
    return q[1], q[0], q[2]


def regret(problem, value):
    if problem == "zdt1":
        return ZDT1_HV - value  # hypervolume regret
    return value - OPTIMUM[problem]


def main():
    runs, timing = {}, {}
    for line in sys.stdin:
        f = line.split()
        if f and f[0] == "run":
            _, tool, prob, label, _seed, b25, b50, b100, ms = f
            key = (prob, tool, label)
            runs.setdefault(key, []).append(
                ([regret(prob, float(x)) for x in (b25, b50, b100)], float(ms)))
        elif f and f[0] == "timing":
            timing[f[1]] = dict(kv.split("=") for kv in f[3:])
        elif f and f[0].startswith("#"):
            print(line.rstrip())
    problems = []
    for prob, _, _ in runs:
        if prob not in problems:
            problems.append(prob)
    for prob in problems:
        what = "hypervolume regret (11.767 - HV)" if prob == "zdt1" else "simple regret"
        print("\n== %s: median [IQR] of %s at 25%% / 50%% / 100%% of budget" % (prob, what))
        finals = {}
        for (p, tool, label), rs in runs.items():
            if p != prob:
                continue
            cells = []
            for k in range(3):
                med, lo, hi = quartiles([r[0][k] for r in rs])
                cells.append("%.3g [%.3g, %.3g]" % (med, lo, hi))
            ms = statistics.mean(r[1] for r in rs)
            finals[(tool, label)] = quartiles([r[0][2] for r in rs])[0]
            print("  %-6s %-7s n=%-2d %-30s %-30s %-30s %8.3f ms/ask"
                  % (tool, label, len(rs), cells[0], cells[1], cells[2], ms))
        best = {}
        for (tool, label), v in finals.items():
            if tool not in best or v < best[tool][1]:
                best[tool] = (label, v)
        if "hpod" in best and "optuna" in best:
            h, o = best["hpod"], best["optuna"]
            ratio = h[1] / o[1] if o[1] > 0 else float("inf") if h[1] > 0 else 1.0
            verdict = "ok" if h[1] <= o[1] else "WORSE"
            print("  best: hpod %s %.3g vs optuna %s %.3g -> ratio %.3g (%s)"
                  % (h[0], h[1], o[0], o[1], ratio, verdict))
        has_gp_target = prob in ("branin", "hartmann6")
        if has_gp_target and ("hpod", "gp") in finals and ("optuna", "tpe") in finals:
            g, t = finals[("hpod", "gp")], finals[("optuna", "tpe")]
            print("  hpod gp / optuna tpe regret: %.3g (target <= 0.5: %s)"
                  % (g / t if t > 0 else 0, "ok" if g <= 0.5 * t else "MISSED"))
    if "hpod" in timing and "optuna" in timing:
        h, o = timing["hpod"], timing["optuna"]
        print("\n== TPE time per suggestion (Branin, mean over 20 asks)")
        for at in ("ms_at_100", "ms_at_1000"):
            hv, ov = float(h[at]), float(o[at])
            print("  %-10s hpod %.3f ms  optuna %.3f ms  ratio optuna/hpod %.1fx"
                  % (at, hv, ov, ov / hv if hv > 0 else float("inf")))


if __name__ == "__main__":
    main()
