"""Does the RGB `none` planner on hidden_goal lean on the goal drawn under the partner (`env.floor_under_agents`)?
Trains (or resumes) a demo hidden_goal model with model.input=rgb and env.floor_under_agents=true in RUN_DIR, then plays
method `none` on the same 200 held-out episodes three times: pictures as the env draws them; the floor under the
partner drawn as floor (what an integer view tells); the partner's triangle always facing up (no heading cue). The
altered pictures are drawn with `comm_wm.render.render_views` from each observation's view, facing and an altered
partner tile (the env's own pictures are the same pixels as `render_views` of the unaltered tile).
usage: python scripts/rgb_none.py RUN_DIR [EPISODES] [smoke|OUT.json]
"""
import json, sys, time, torch
from pathlib import Path
from omegaconf import OmegaConf
from comm_wm.train import ExperimentConfig, train
from comm_wm.env import GridWorld, NUM_ACTIONS
from comm_wm.render import render_views
from comm_wm.evaluate import run_episodes, make_policy
from comm_wm.planner import PlannerConfig

run_dir, episodes = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200
demo = OmegaConf.to_container(OmegaConf.load('configs/demo.yaml'))
out = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] != 'smoke' else None
if len(sys.argv) > 3 and sys.argv[3] == 'smoke':   # a check of the script itself: a few steps, a few episodes
    demo['train'].update(steps=3, warmup_steps=1)
    demo['data'].update(num_episodes=40, eval_episodes=8)
cfg = ExperimentConfig.parse_from_dict(dict(
    env=dict(demo['env'], task='hidden_goal', floor_under_agents=True), data=demo['data'],
    model=dict(demo['model'], input='rgb'), train=dict(demo['train'], progress=False, tensorboard=False),
    run_dir=run_dir, resume=True))
resumed = (Path(run_dir) / 'checkpoint.pt').exists()   # trained by an earlier run of this command
t0 = time.time()
model, run = train(cfg)
train_seconds = time.time() - t0
print(f'trained in {train_seconds:.0f} s: {run}', flush=True)
rows = {}
planner_cfg = PlannerConfig.parse_from_dict(demo['evaluation']['planner'])
observe = GridWorld.observe

def redrawn(alter):
    "`GridWorld.observe` whose pictures are drawn from the views with `alter(partner_tile)`."
    def observe_altered(self, state=None):
        obs = observe(self, state)
        if 'rgb' in obs:
            obs['rgb'] = render_views(obs['view'], obs['direction'], alter(obs['partner_tile']), self.cfg.view_mode,
                                      self.cfg.tile_size)
        return obs
    return observe_altered

variants = {   # partner_tile: -1 out of sight, else facing 0..3, + 4 on a goal
    'as drawn': observe,
    'floor under the partner': redrawn(lambda tile: torch.where(tile >= 0, tile % 4, tile)),
    'partner always facing up': redrawn(lambda tile: torch.where(tile >= 0, 3 + 4 * (tile >= 4), tile)),
}
model.eval()
for name, fn in variants.items():
    GridWorld.observe = fn
    t0 = time.time()
    policy = make_policy('none', model, NUM_ACTIONS[cfg.env.view_mode], planner_cfg, seed=0)
    r = run_episodes(policy, cfg.env, episodes, seed=0)
    k = int(r['success'].sum())
    reached = r['reached'].all(-1).float().mean().item()
    print(f"none, pictures {name}: {k}/{episodes} = {100 * k / episodes:.1f}% success "
          f"(each agent on the goal at some step: {100 * reached:.1f}%; {time.time() - t0:.0f} s)", flush=True)
    rows[name] = dict(successes=k, episodes=episodes, success_rate=k / episodes,
                      each_reached=reached, seconds=time.time() - t0)
GridWorld.observe = observe
if out:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(dict(
        command='OMP_NUM_THREADS=1 nice -n 5 python scripts/rgb_none.py ' + ' '.join(sys.argv[1:]),
        what='method none on hidden_goal, demo config with model.input=rgb, evaluation seed 0, the demo planner; '
             'the same episodes with the pictures as drawn, with the floor under the partner drawn as floor, and with '
             "the partner's triangle always facing up",
        train_seconds=train_seconds, resumed=resumed, rows=rows), indent=1) + '\n')
