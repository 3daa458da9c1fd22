"""What bf16 planning and shared prefixes cost in success and gain in time: paired episodes against a reference.

Plays the same held-out episodes (same layouts, same CEM seed) with the latent planner of one trained model in
each setting given (`precision:share_prefixes:chunk_size[:cem_seed]`), with the partner rolled inside the horizon
(`imagine_in_horizon` on), and prints per setting the success rate, the paired difference to the first setting
with a 95% interval (a bootstrap over episodes: the same episode under both settings is one draw), the share of
episodes whose outcome differs, ms per decision and the speed-up over the first setting. The planner settings are
the config's `evaluation.planner` (the demo's by default) with the options above overridden. CEM is chaotic: a
last-bit difference in one cost can change which elites are refit and, from there, the plan, so the reference run
again with other CEM seeds (`fp32:0:1024:1`) shows how much success moves when nothing but the random draws
changes.

usage: python scripts/planner_precision.py --checkpoint runs/demo/hidden_goal [--episodes 200] [--mode imagined]
                                           [--configs demo] [--settings fp32:0:1024 fp32:1:4096 bf16:1:4096]
                                           [--out f.json] [--values evaluation.planner.cem.population=256 ...]
"""
import argparse, dataclasses, json
import torch
from comm_wm.checkpoints import load_checkpoint
from comm_wm.train import ExperimentConfig
from comm_wm.evaluate import make_policy, run_episodes
from comm_wm.messages import GridMessage
from comm_wm.cli import PipelineConfig, resolve_config
from comm_wm.config import omegaconf_parse_files_vals


def paired_interval(a, b, draws=10_000, seed=0):
    "95% bootstrap interval of mean(b) - mean(a) over paired episodes (a, b: (E,) bool)."
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, len(a), (draws, len(a)), generator=g)
    diff = (b.float()[idx] - a.float()[idx]).mean(1)
    return diff.quantile(0.025).item(), diff.quantile(0.975).item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--checkpoint', required=True)
    ap.add_argument('--configs', default='demo')
    ap.add_argument('--episodes', type=int, default=200)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--mode', default='imagined')
    ap.add_argument('--settings', nargs='+', default=['fp32:0:1024', 'fp32:1:4096', 'bf16:1:4096'],
                    help='precision:share_prefixes:chunk_size[:cem_seed]; the first is the reference')
    ap.add_argument('--out', default='')
    ap.add_argument('--values', nargs='*', default=[],
                    help="key=value changes to the config's sections, e.g. evaluation.planner.cem.population=256")
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, run_cfg = load_checkpoint(a.checkpoint, ExperimentConfig)
    model.eval()
    pipeline = omegaconf_parse_files_vals(PipelineConfig, [resolve_config(a.configs)], a.values)
    env_cfg = run_cfg.env
    num_actions = model.cfg.num_actions
    results = {}
    for setting in a.settings:
        precision, share, chunk, *seed = setting.split(':')
        planner = pipeline.evaluation.planner
        cem = dataclasses.replace(planner.cem, chunk_size=int(chunk), seed=int(seed[0]) if seed else planner.cem.seed)
        cfg = dataclasses.replace(planner, imagine_in_horizon=True, precision=precision,
                                  share_prefixes=bool(int(share)), cem=cem)
        policy = make_policy(a.mode, model, num_actions, cfg, seed=a.seed, message_kind=GridMessage.from_env(env_cfg))
        r = run_episodes(policy, env_cfg, a.episodes, a.seed)
        results[setting] = dict(success=r['success'], ms=1e3 * r['seconds'] / max(1, r['decisions']))
    ref_name = a.settings[0]
    ref = results[ref_name]['success']
    report = {}
    print(f'{env_cfg.task}, {a.mode}, {a.episodes} held-out episodes (seed {a.seed}), reference {ref_name}')
    for name, r in results.items():
        lo, hi = paired_interval(ref, r['success'])
        row = dict(success_rate=r['success'].float().mean().item(), ms_per_decision=r['ms'],
                   paired_difference=(r['success'].float() - ref.float()).mean().item(), paired_ci95=[lo, hi],
                   outcomes_differ=(r['success'] != ref).float().mean().item(),
                   speedup=results[ref_name]['ms'] / r['ms'])
        report[name] = row
        print(f"  {name}: success {row['success_rate']:.3f}, {row['ms_per_decision']:.2f} ms per decision "
              f"({row['speedup']:.2f}x); "
              f"vs {ref_name}: {100 * row['paired_difference']:+.1f} points [{100 * lo:+.1f}, {100 * hi:+.1f}], "
              f"outcome differs in {row['outcomes_differ']:.1%} of episodes")
    if a.out:
        with open(a.out, 'w') as f:
            json.dump(dict(task=env_cfg.task, mode=a.mode, episodes=a.episodes, seed=a.seed, reference=ref_name,
                           checkpoint=a.checkpoint, configs=a.configs, values=a.values, settings=report), f, indent=1)


if __name__ == '__main__':
    main()
