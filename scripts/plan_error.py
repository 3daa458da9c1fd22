"""Where latent planning goes wrong: along the sequences the planner picks, the oracle's and random ones.

Plays held-out episodes with the `full`-mode latent planner and, at each of its first decisions, follows three
8-step action sequences per agent (partner standing still) both in the true simulator and in the world model:
the planner's chosen sequence, the oracle's, and a random one. Per step it prints the true BFS distance, the
distance head on the encoded true observation, the distance head on the predicted latent (what the planner
scores), and the fraction of moves that were blocked (a wall, item or the partner). The index page quotes it.

usage: python scripts/plan_error.py --checkpoint runs/paper/hidden_goal [--episodes 50] [--steps 12] [--configs paper]
                                   [--no-blocked-head]
"""
import argparse, dataclasses
import torch
from einops import rearrange
from comm_wm.messages import GridMessage
from comm_wm.env import GridWorld
from comm_wm.checkpoints import load_checkpoint
from comm_wm.train import ExperimentConfig
from comm_wm.evaluate import eval_env
from comm_wm.planner import CommPlanner
from comm_wm.cli import PipelineConfig, resolve_config

def _copy(env, rgb=False):
    "A simulator of all of `env`'s worlds (no auto-reset; pictures only with `rgb`, for a model that reads them)."
    return GridWorld(dataclasses.replace(env.cfg, autoreset=False, rgb=rgb), env.batch_size).copy_from(env)

def oracle_sequences(env, horizon):
    "(B, 2, H): each agent's oracle actions with the partner standing still."
    seqs = torch.zeros(env.batch_size, 2, horizon, dtype=torch.long)
    for i in range(2):
        sim = _copy(env)
        for k in range(horizon):
            joint = sim.oracle_actions(); joint[:, 1 - i] = 0
            seqs[:, i, k] = joint[:, i]; sim.step(joint)
    return seqs

def profile(model, env, z, h_partner, seqs, stay_action=None):
    """Per (world, agent, step): true distance, head on encoded truth, head on predicted latent (rolled as the
    planner rolls it: `stay_action` given, moves the blocked head calls blocked become it), blocked move."""
    b, horizon = env.batch_size, seqs.shape[-1]
    out = {k: torch.zeros(b, 2, horizon) for k in ('true', 'encoded', 'predicted', 'blocked')}
    for i in range(2):
        sim, rows = _copy(env, model.cfg.input == 'rgb'), torch.arange(b) * 2 + i
        h = h_partner[rows]
        predicted = model.rollout(z[rows], seqs[:, i], h, stay_action=stay_action).latents   # (b, horizon, D)
        for k in range(horizon):
            joint = torch.zeros(b, 2, dtype=torch.long)
            joint[:, i] = seqs[:, i, k]
            before = sim.state.position[:, i].clone()
            obs = sim.step(joint)[0]
            out['true'][:, i, k] = sim.distances()[:, i].float()
            out['encoded'][:, i, k] = model.distance(model.encode(obs[model.obs_key][:, i], obs['position'][:, i]), h)
            out['predicted'][:, i, k] = model.distance(predicted[:, k], h)
            out['blocked'][:, i, k] = ((sim.state.position[:, i] == before).all(-1) & (seqs[:, i, k] > 0)).float()
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--episodes', type=int, default=50)
    p.add_argument('--steps', type=int, default=12)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--configs', default='paper',
                   help='config whose evaluation planner is used (demo and paper share it)')
    p.add_argument('--no-blocked-head', action='store_true',
                   help='plan and roll without turning predicted-blocked moves into stay')
    args = p.parse_args()
    torch.set_num_threads(1)
    model, cfg = load_checkpoint(args.checkpoint, ExperimentConfig)
    planner_cfg = PipelineConfig.parse_from_command_line(['--configs', resolve_config(args.configs)]).evaluation.planner
    if args.no_blocked_head: planner_cfg = dataclasses.replace(planner_cfg, stay_when_blocked=False)
    cem = planner_cfg.cem
    env, obs = eval_env(dataclasses.replace(cfg.env, rgb=cfg.model.input == 'rgb'), args.episodes, args.seed)
    planner = CommPlanner(model, env.num_actions, dataclasses.replace(planner_cfg, mode='full'),
                          message_kind=GridMessage.from_env(env.cfg))
    stay_action = planner_cfg.stay_action if planner_cfg.stay_when_blocked else None
    planner.reset(obs)
    gen = torch.Generator().manual_seed(args.seed)
    seen = {name: [] for name in ('chosen', 'oracle', 'random')}
    active = torch.ones(args.episodes, dtype=torch.bool)
    agents_flat = lambda x: rearrange(x, 'b a ... -> (b a) ...')
    with torch.inference_mode():
        for t in range(args.steps):
            z = model.encode(agents_flat(obs[model.obs_key]), agents_flat(obs['position']))
            live = active[:, None] & (env.distances() > 0)
            actions = planner.act(obs, active=active.clone())
            h_partner = planner.partner_message          # full mode: the partner's real message latent (B*2, Dm)
            chosen = rearrange(planner.best, '(b a) h -> b a h', a=2)
            for name, seqs in (('chosen', chosen), ('oracle', oracle_sequences(env, cem.horizon)),
                               ('random', torch.randint(0, 5, chosen.shape, generator=gen))):
                steps = profile(model, env, z, h_partner, seqs, stay_action)
                seen[name].append({k: v[live] for k, v in steps.items()})
            obs, _, terminated, truncated, _ = env.step(actions)
            active &= ~(terminated | truncated)
    torch.set_printoptions(precision=2, linewidth=200)
    for name, parts in seen.items():
        r = {k: torch.cat([part[k] for part in parts]) for k in parts[0]}
        print(f'{name} sequences ({len(r["true"])} agent-decisions), mean over steps k = 1..{cem.horizon}:')
        for k in ('true', 'encoded', 'predicted', 'blocked'): print(f'  {k:9s}', r[k].mean(0))

if __name__ == '__main__': main()
