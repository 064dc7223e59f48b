"""Drive hpod's trainer from Optuna as a subprocess: Optuna proposes the
learning rate and batch size, bin/hpod-train trains an MLP on
Fashion-MNIST and prints the best validation accuracy (--print), Optuna
reads that one number.
Usage: /usr/bin/python3 examples/optuna_drives_trainer.py [N_TRIALS] [EPOCHS]"""

import os
import subprocess
import sys

import optuna

TRAIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bin", "hpod-train")
N_TRIALS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
EPOCHS = sys.argv[2] if len(sys.argv) > 2 else "3"
EXTRA = sys.argv[3:]  # e.g. --limit-train 5000 for a quick run


def objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1e-2, log=True)
    batch = trial.suggest_categorical("batch_size", [64, 128, 256])
    out = subprocess.run([TRAIN, "--lr", str(lr), "--batch-size", str(batch),
                          "--epochs", EPOCHS, "--seed", str(trial.number),
                          "--print", "val_accuracy", *EXTRA],
                         capture_output=True, text=True, check=True)
    return float(out.stdout)


optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=1))
study.optimize(objective, n_trials=N_TRIALS)
print(f"best val_accuracy={study.best_value:.4f} params={study.best_params}")
