"""Re-run the held-out diagnostics of shipped (or trained) models with today's code and compare with their files.

For each model folder given (a `comm_wm ship` folder such as `results/paper_rgb/hidden_goal/models/hidden_goal/seed0`,
or a run folder), loads the model (weights only) and its run's `config.yaml`, collects the run's held-out episodes
again into `--data` (the same episodes: collection is seeded by the config), runs `comm_wm.diagnostics.diagnose`
as training does at its end (on `comm_wm.train.diagnosis_windows`: for a model that reads pictures, they are drawn
from the views), and compares the report with the folder's `diagnostics.json` value by value
(`scripts/compare_runs.py`'s rules, `--tolerance`, default 1e-5). Ends with `rediagnose: N values differ`; exits 1
when any differs.

usage: python scripts/rediagnose.py results/paper_rgb/hidden_goal/models/hidden_goal/seed0 \\
           results/paper_patrol_goal/models/patrol_goal/seed0 [--data /tmp/rediagnose] [--tolerance 1e-5]
"""
import argparse, dataclasses, json, sys, tempfile
from pathlib import Path
import torch
from comm_wm.checkpoints import load_checkpoint
from comm_wm.diagnostics import diagnose
from comm_wm.messages import GridMessage
from comm_wm.train import ExperimentConfig, diagnosis_windows, load_or_collect

sys.path.insert(0, str(Path(__file__).parent))
from compare_runs import compare_values, flatten   # noqa: E402  (the same comparison as for whole runs)


def rediagnose(folder: Path, data_root: Path) -> dict:
    "Today's `diagnose` report of the model in `folder`, on its run's held-out episodes collected into `data_root`."
    model, cfg = load_checkpoint(folder, ExperimentConfig)
    cfg = dataclasses.replace(cfg, run_dir=str(data_root / cfg.env.task))
    held_out = diagnosis_windows(load_or_collect(cfg, 'eval', progress=False), cfg)   # pictures drawn as in training
    return diagnose(model, held_out, window=cfg.train.window, message_kind=GridMessage.from_env(cfg.env))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('folders', nargs='+', type=Path)
    ap.add_argument('--data', type=Path, default=None,
                    help='where the held-out episodes are collected (default: a temp dir)')
    ap.add_argument('--tolerance', type=float, default=1e-5)
    a = ap.parse_args()
    torch.set_num_threads(1)
    data_root = a.data or Path(tempfile.mkdtemp())
    differ = 0
    for folder in a.folders:
        stored = json.loads((folder / 'diagnostics.json').read_text())
        now = rediagnose(folder, data_root)
        differ += compare_values(str(folder / 'diagnostics.json'), flatten(stored), flatten(now), a.tolerance)
    print(f'rediagnose: {differ} values differ')
    sys.exit(1 if differ else 0)


if __name__ == '__main__':
    main()
