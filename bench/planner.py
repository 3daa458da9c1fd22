"""Planner speed: batched discrete CEM in the world model vs a plain per-candidate loop.

Measures, on one torch thread, with the `comm_wm.jepa.WorldModel` of the default config (untrained weights
time the same as trained ones) and the `imagined` communication rollout:
- milliseconds per decision (one agent, population 256, horizon 8, 3 iterations), batched rollout;
- the same decision with a plain loop that rolls out each candidate sequence on its own;
- decisions per second when 64 environments x 2 agents = 128 problems are planned in one call.
Medians of repeated runs. Last line: `name = value` (speed-up of the batched decision over the loop).

usage: python bench/planner.py [--repeats 5] [--envs 64]
"""
import argparse, statistics, time
import torch
from comm_wm.planner import CEMConfig, PlannerConfig, CandidateCost, discrete_cem, make_objective


def make_model():
    from comm_wm.jepa import WorldModel, WorldModelConfig
    return WorldModel(WorldModelConfig()).eval()


def problem(model, b, g):
    "Start state of b planning problems in `imagined` mode."
    d, dm = model.cfg.latent_dim, model.cfg.message_dim
    z = torch.randn(b, d, generator=g)
    h_partner, h_self = torch.randn(b, dm, generator=g), torch.randn(b, dm, generator=g)
    return z, h_partner, model.obs_from_message(h_partner), h_self


def loop_cost(model, z0, h_j0, z_j0, h_i0, actions, cfg: PlannerConfig):
    "Reference: the same cost, one candidate at a time (batch of 1), as a plain loop."
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


def candidate_cost(model, start, cfg: PlannerConfig):
    "The planner's batched cost of one decision: the rollout of the pair, then the configured objective."
    return CandidateCost(model, make_objective(model, cfg), *start, stay_action=cfg.stay_action,
                         blocked_rule=cfg.stay_when_blocked)


def median_seconds(fn, repeats, warmup=True):
    if warmup: fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--envs', type=int, default=64)
    ap.add_argument('--loop-repeats', type=int, default=3)
    ap.add_argument('--many-repeats', type=int, default=1)
    ap.add_argument('--chunks', type=int, nargs='*', default=[512, 1024, 4096, 0], help='sequences per batched call; 0 = all')
    a = ap.parse_args()
    torch.set_num_threads(1)
    model = make_model()
    cem = CEMConfig(population=256, horizon=8, iterations=3, num_elites=32)
    cfg = PlannerConfig(mode='imagined', cem=cem)
    g = torch.Generator().manual_seed(0)
    num_actions = model.cfg.num_actions

    with torch.inference_mode():
        one = problem(model, 1, g)
        batched_one = lambda: discrete_cem(candidate_cost(model, one, cfg), 1, num_actions, cem)
        t_batched = median_seconds(batched_one, a.repeats)

        loop_one = lambda: discrete_cem(lambda acts, rows: loop_cost(model, *(x[rows] for x in one), acts, cfg), 1, num_actions, cem)
        t_loop = median_seconds(loop_one, a.loop_repeats)
        same = torch.equal(batched_one().best_actions, loop_one().best_actions)

        b = 2 * a.envs
        many = problem(model, b, g)
        rates = {}
        for chunk in a.chunks:
            chunk = chunk or b * 256
            c = CEMConfig(population=256, horizon=8, iterations=3, num_elites=32, chunk_size=chunk)
            t = median_seconds(lambda: discrete_cem(candidate_cost(model, many, cfg), b, num_actions, c), a.many_repeats, warmup=False)
            rates[chunk] = b / t

    print(f'model: WorldModel default config, {sum(p.numel() for p in model.parameters()):,} parameters; torch threads = 1')
    print(f'one decision (pop 256, H 8, 3 iters), batched rollout:      {1e3 * t_batched:8.1f} ms')
    print(f'one decision, plain per-candidate loop:                     {1e3 * t_loop:8.1f} ms')
    print(f'same best sequence from both: {same}')
    for chunk, r in rates.items():
        print(f'{a.envs} envs x 2 agents = {b} problems, chunk {chunk:6d} sequences: {r:8.1f} decisions/s ({1e3 / r:6.2f} ms per decision)')
    best_chunk = max(rates, key=rates.get)
    print(f'batched over {a.envs} envs (best chunk {best_chunk}): {rates[best_chunk] / (1 / t_batched):.2f}x the decisions/s of one problem at a time')
    print(f'per_decision_speedup_vs_candidate_loop = {t_loop / t_batched:.1f}')


if __name__ == '__main__':
    main()
