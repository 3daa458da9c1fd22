"""Planner speed: ms per CEM decision in fp32 and bf16, with and without shared prefixes, against today's path.

Measures, on one torch thread, with the `comm_wm.jepa.WorldModel` of the default config (untrained weights time
the same as trained ones, but an untrained blocked head calls about half of all moves blocked, so the prefix tree
merges more of them than with a trained model: `--checkpoint runs/demo/hidden_goal` times a trained model, from
random start latents, which SIGReg makes the training latents' distribution) and the `imagined` mode with the
partner rolled inside the horizon (`imagine_in_horizon` on: the pair rollout, the planner's most expensive case),
population 256, horizon 8, 3 iterations:
- the reference: today's path, fp32 with every candidate rolled (`share_prefixes=False`) in calls of 1024 sequences
  (the default `CEMConfig.chunk_size`), timed in the same run;
- fp32 with shared prefixes (`comm_wm.jepa.PrefixTree`), calls of 4096 sequences (the shipped configs) or of 32768
  (every problem of the batched decision in one call), bf16 (`PlannerConfig.precision`), and their combinations;
for one problem at a time and for `--envs` environments x 2 agents planned in one call (as evaluation runs), each
from a uniform distribution (an episode's first decision) and, for the batched problems, warm-started from the last
decision's shifted plan (how the planner runs at every later step of an episode). For each
it prints ms per decision, the speed-up over the reference, the share of predictor rows the prefix tree saves, and
the achieved GFLOP/s (the rollout's multiply-adds, counted from the layer shapes and the rows each step computes) as
a fraction of one (256 x H) @ (H x H) matmul (H the model's hidden width) of the same precision timed in the same
run, and that matmul with a new row count at every call (as the prefix tree's steps give it: oneDNN, which runs
bf16 here, prepares a kernel for each new shape; float32's matmul does not). It checks whether
each configuration finds the reference's best sequences (shared prefixes change only float rounding; bf16 changes
the costs). What bf16 and shared prefixes cost in success on real episodes: `python scripts/planner_precision.py`.
`--loop` adds the plain per-candidate loop (slow). Medians of `--repeats` runs, the configurations timed in turn.
Last line: `planner_speedup_vs_fp32_reference = X`, the fastest configuration's speed-up over the reference for the
batched, warm-started decisions.

usage: python bench/planner.py [--repeats 3] [--envs 64] [--loop] [--checkpoint RUN_FOLDER]
"""
import argparse, statistics, time
import torch
from comm_wm.planner import (CEMConfig, PlannerConfig, CandidateCost, discrete_cem, make_objective, planning_model,
                             shift_plan)

# (precision, share_prefixes, sequences per batched call); the first is today's path, the reference
CONFIGS = (('fp32', False, 1024), ('fp32', True, 1024), ('fp32', False, 4096), ('fp32', True, 4096),
           ('fp32', True, 32768), ('bf16', False, 1024), ('bf16', True, 4096), ('bf16', True, 32768))


def make_model(checkpoint=None):
    "The default config's WorldModel, untrained, or a trained one from a run folder."
    if checkpoint:
        from comm_wm.checkpoints import load_checkpoint
        return load_checkpoint(checkpoint)[0].eval()
    from comm_wm.jepa import WorldModel, WorldModelConfig
    return WorldModel(WorldModelConfig()).eval()


def problem(model, b, g):
    "Start state of b planning problems in `imagined` mode: (z_self, h_partner, z_partner, h_self)."
    d, dm = model.cfg.latent_dim, model.cfg.message_dim
    z = torch.randn(b, d, generator=g)
    h_partner, h_self = torch.randn(b, dm, generator=g), torch.randn(b, dm, generator=g)
    return z, h_partner, model.obs_from_message(h_partner), h_self


def macs(module) -> int:
    "Multiply-adds of one row through every Linear of `module`."
    return sum(m.in_features * m.out_features for m in module.modules() if isinstance(m, torch.nn.Linear))


class CountedCost:
    "The planner's batched cost of one decision, counting the multiply-adds of the rows its rollouts step."
    def __init__(self, model, start, cfg: PlannerConfig):
        self.cost = CandidateCost(model, make_objective(model, cfg), *start, stay_action=cfg.stay_action,
                                  blocked_rule=cfg.stay_when_blocked, share_prefixes=cfg.share_prefixes)
        # per row of a step: my step, msgPred of me, my distance; per row it is stepped from (the tree's parents, or
        # every row when flat): the blocked head on my latent, the partner's step and msgPred of the partner
        self.child = macs(model.predictor) + macs(model.msg_pred) + macs(model.distance_head)
        self.parent = macs(model.blocked_head) + macs(model.predictor) + macs(model.msg_pred)

    @property
    def multiply_adds(self): return self.cost.rows_rolled * self.child + self.cost.parent_rows * self.parent
    @property
    def rows(self): return self.cost.rows_rolled
    @property
    def flat_rows(self): return self.cost.rows_flat

    def __call__(self, actions, rows): return self.cost(actions, rows)


def median_seconds(fn, repeats, warmup=True):
    if warmup: fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return statistics.median(times)


def matmul_gflops(rows, width, dtype, repeats=50):
    "GFLOP/s of a (rows x width) @ (width x width) matmul in `dtype` (the planner's widest layers)."
    x, w = torch.randn(rows, width).to(dtype), torch.randn(width, width).to(dtype)
    t = median_seconds(lambda: [x @ w for _ in range(repeats)], 3) / repeats
    return 2 * rows * width * width / t / 1e9


def new_shape_gflops(rows, width, dtype, calls=200):
    "GFLOP/s of `calls` matmuls like `matmul_gflops`', each with one row more than the last (never the same shape)."
    w = torch.randn(width, width).to(dtype)
    xs = [torch.randn(rows + i, width).to(dtype) for i in range(calls)]
    start = time.perf_counter()
    for x in xs: x @ w
    return sum(2 * len(x) * width * width for x in xs) / (time.perf_counter() - start) / 1e9


def loop_cost(model, z0, h_j0, z_j0, h_i0, actions, cfg: PlannerConfig):
    "Reference of the batched rollout: the same cost, one candidate at a time (batch of 1), as a plain loop."
    b, n, h = actions.shape
    out = torch.empty(b, n)
    stay = torch.full((1,), cfg.stay_action, dtype=torch.long)
    for p in range(b):
        for c in range(n):
            z, h_j, z_j, h_i, cost = z0[p:p+1], h_j0[p:p+1], z_j0[p:p+1], h_i0[p:p+1], 0.
            for k in range(h):
                a_k = actions[p, c, k:k+1]
                if cfg.stay_when_blocked: a_k = model.stay_if_blocked(z, a_k, cfg.stay_action)
                z = model.next(z, a_k, h_j)
                z_j = model.next(z_j, stay, h_i)
                h_j, h_i = model.message_from_obs(z_j), model.message_from_obs(z)
                cost += cfg.discount ** k * model.distance(z, h_j).item()
            out[p, c] = cost
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--envs', type=int, default=64)
    ap.add_argument('--checkpoint', default='', help='a trained run folder (default: the untrained default model)')
    ap.add_argument('--loop', action='store_true', help='also time the plain per-candidate loop (about 5 s a decision)')
    a = ap.parse_args()
    torch.set_num_threads(1)
    model = make_model(a.checkpoint)
    g = torch.Generator().manual_seed(0)
    num_actions = model.cfg.num_actions
    batched = f'{a.envs} envs x 2 agents'
    cases = {'one problem, first decision': (1, False), f'{batched}, first decision': (2 * a.envs, False),
             f'{batched}, warm-started decision': (2 * a.envs, True)}
    print(f"model: {a.checkpoint or 'WorldModel default config, untrained'}, "
          f'{sum(p.numel() for p in model.parameters()):,} parameters; '
          'torch threads = 1; imagined mode, partner rolled in the horizon; population 256, horizon 8, 3 iterations')
    speedups = {}
    with torch.inference_mode():
        models = {p: planning_model(model, p) for p in ('fp32', 'bf16')}
        width = model.cfg.hidden_dim
        peak = {p: matmul_gflops(256, width, dt) for p, dt in (('fp32', torch.float32), ('bf16', torch.bfloat16))}
        for case, (b, warm) in cases.items():
            start = problem(model, b, g)
            warm_start = (None, None)
            if warm:   # the way an episode plans after its first step: from the last decision's shifted plan
                first_cem = CEMConfig(population=256, horizon=8, iterations=3, num_elites=32)
                first = discrete_cem(CountedCost(model, start, PlannerConfig(mode='imagined', cem=first_cem)), b,
                                     num_actions, first_cem)
                warm_start = shift_plan(first.probs, first.best_actions)
            costs, cems = {}, {}
            for precision, share, chunk in CONFIGS:
                if b * 256 <= 1024 and chunk > 1024: continue     # one problem fits in any chunk
                cems[precision, share, chunk] = cem = CEMConfig(population=256, horizon=8, iterations=3, num_elites=32,
                                                                chunk_size=chunk)
                cfg = PlannerConfig(mode='imagined', cem=cem, precision=precision, share_prefixes=share)
                cast = tuple(x.to(torch.bfloat16) if precision == 'bf16' else x for x in start)
                costs[precision, share, chunk] = (lambda m=models[precision], cast=cast, cfg=cfg:
                                                  CountedCost(m, cast, cfg))
            times = {k: [] for k in costs}
            for _ in range(a.repeats + 1):          # the configurations take turns, so a busy moment hits them all
                for k, make_cost in costs.items():
                    start_time = time.perf_counter()
                    discrete_cem(make_cost(), b, num_actions, cems[k], *warm_start)
                    times[k].append(time.perf_counter() - start_time)
            results = {}
            for k, make_cost in costs.items():
                counted = make_cost()
                best = discrete_cem(counted, b, num_actions, cems[k], *warm_start).best_actions
                results[k] = (statistics.median(times[k][1:]), best, counted)   # the first turn warms up
            ref_s, ref_best, _ = results[CONFIGS[0]]
            print(f'\n{case} ({b} problem{"s" * (b > 1)} per call):')
            for (precision, share, chunk), (seconds, best, counted) in results.items():
                gflops = 2 * counted.multiply_adds / seconds / 1e9
                same = ('same best sequences as the reference' if torch.equal(best, ref_best) else
                        f'same first action as the reference in {(best[:, 0] == ref_best[:, 0]).float().mean():.0%} '
                        f'of problems, same sequence in {(best == ref_best).all(1).float().mean():.0%}')
                print(f'  {precision} {"shared prefixes" if share else "every candidate"}, chunks of {chunk:5d}: '
                      f'{1e3 * seconds / b:8.2f} ms per decision, {ref_s / seconds:5.2f}x the reference; '
                      f'rows saved {1 - counted.rows / counted.flat_rows:4.0%}; {gflops:6.1f} GFLOP/s = '
                      f'{gflops / peak[precision]:4.0%} of a {precision} matmul; {same}')
                speedups[case, precision, share, chunk] = ref_s / seconds
        print(f"\nmatmul (256 x {width}) @ ({width} x {width}): fp32 {peak['fp32']:.1f} GFLOP/s, "
              f"bf16 {peak['bf16']:.1f} GFLOP/s ({peak['bf16'] / peak['fp32']:.2f}x)")
        for rows in (256, 3000):
            fixed = {p: matmul_gflops(rows, width, dt) for p, dt in (('fp32', torch.float32), ('bf16', torch.bfloat16))}
            moving = {p: new_shape_gflops(rows, width, dt) for p, dt in (('fp32', torch.float32),
                                                                       ('bf16', torch.bfloat16))}
            print(f'matmul ({rows}.. x {width}) @ ({width} x {width}), a new row count at every call: '
                  + ', '.join(f'{p} {moving[p]:.1f} GFLOP/s ({moving[p] / fixed[p]:.2f}x the same shape repeated)'
                              for p in moving))
        if a.loop:
            start = problem(model, 1, g)
            cem = CEMConfig(population=256, horizon=8, iterations=3, num_elites=32)
            cfg = PlannerConfig(mode='imagined', cem=cem)
            loop = lambda: discrete_cem(lambda acts, rows: loop_cost(model, *(x[rows] for x in start), acts, cfg), 1,
                                        num_actions, cem)
            t_loop = median_seconds(loop, 1, warmup=False)
            t_ref = median_seconds(lambda: discrete_cem(CountedCost(model, start, cfg), 1, num_actions, cem), a.repeats)
            print(f'plain per-candidate loop: {1e3 * t_loop:.1f} ms per decision; the batched reference is '
                  f'{t_loop / t_ref:.1f}x faster')
    for case in list(cases)[:-1]:
        fastest = max(v for (c, *_), v in speedups.items() if c == case)
        print(f'{case}, fastest configuration: {fastest:.2f}x the reference')
    warm = list(cases)[-1]
    print(f'planner_speedup_vs_fp32_reference = {max(v for (c, *_), v in speedups.items() if c == warm):.2f}')


if __name__ == '__main__':
    main()
