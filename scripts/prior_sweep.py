"""Success against milliseconds per decision: CEM populations with and without the latent proposal prior.

Trains a `comm_wm.bc.LatentPolicyPrior` for one trained world model (behaviour cloning of the oracle on its
latents), then plays the same held-out episodes with the latent planner in one mode for every population given,
without the prior and with it proposing `--prior-share` of each population (the planner settings are the
config's `evaluation.planner`: shared prefixes, imagination inside the plan; elites = population / 8). Writes a JSON
with one row per (population, prior) — success rate, its 95% Wilson interval, ms per decision — which the planner
notebook plots.

usage: python scripts/prior_sweep.py --checkpoint runs/demo/hidden_goal --out results/planner_prior/hidden_goal.json
                                     [--episodes 200] [--populations 32 64 128 256] [--prior-share 0.25]
                                     [--mode imagined] [--configs demo]
"""
import argparse, dataclasses, json, sys, time
from pathlib import Path
import torch
from comm_wm.checkpoints import load_checkpoint
from comm_wm.train import ExperimentConfig
from comm_wm.evaluate import PlannerPolicy, run_episodes, wilson_ci
from comm_wm.messages import GridMessage
from comm_wm.bc import train_latent_prior
from comm_wm.cli import PipelineConfig, resolve_config


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--checkpoint', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--configs', default='demo')
    ap.add_argument('--episodes', type=int, default=200)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--mode', default='imagined')
    ap.add_argument('--populations', type=int, nargs='+', default=[32, 64, 128, 256])
    ap.add_argument('--prior-share', type=float, default=0.25)
    ap.add_argument('--prior-episodes', type=int, default=256)
    ap.add_argument('--prior-steps', type=int, default=400)
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, run_cfg = load_checkpoint(a.checkpoint, ExperimentConfig)
    model.eval()
    env_cfg, kind = run_cfg.env, GridMessage.from_env(run_cfg.env)
    planner = PipelineConfig.parse_from_file(resolve_config(a.configs)).evaluation.planner
    start = time.time()
    prior = train_latent_prior(model, env_cfg, episodes=a.prior_episodes, steps=a.prior_steps, seed=a.seed)
    prior_seconds = time.time() - start
    rows = []
    for population in a.populations:
        for share in (0.0, a.prior_share):
            cem = dataclasses.replace(planner.cem, population=population, num_elites=max(1, population // 8))
            cfg = dataclasses.replace(planner, mode=a.mode, cem=cem, prior_share=share)
            policy = PlannerPolicy(model, model.cfg.num_actions, cfg, kind, prior=prior)
            r = run_episodes(policy, env_cfg, a.episodes, a.seed)
            k, n = int(r['success'].sum()), a.episodes
            rows.append(dict(population=population, prior_share=share, success_rate=k / n, ci95=list(wilson_ci(k, n)),
                             ms_per_decision=1e3 * r['seconds'] / max(1, r['decisions']), episodes=n))
            print(f"population {population:4d}, prior share {share:.2f}: success {k / n:.3f}, "
                  f"{rows[-1]['ms_per_decision']:.2f} ms per decision", flush=True)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(dict(task=env_cfg.task, mode=a.mode, seed=a.seed, checkpoint=a.checkpoint,
                                   configs=a.configs, prior_steps=a.prior_steps, prior_episodes=a.prior_episodes,
                                   prior_train_seconds=round(prior_seconds, 1), rows=rows,
                                   command=' '.join(['python', 'scripts/prior_sweep.py', *sys.argv[1:]])), indent=1))


if __name__ == '__main__':
    main()
