"""Env throughput: comm_wm's batched GridWorld vs MiniGrid's RGB partial-view env, measured in one run.

Agent-steps per second (one agent acting once = one agent-step) with RGB views on (tile 8, 56x56x3),
random actions, auto-reset on; GridWorld at B = 1, 64, 1024 worlds (2 agents each), MiniGrid's
`RGBImgPartialObsWrapper` over the same two-room layout (1 agent). Medians of repeats.

usage: python bench/env.py [--repeats 5] [--seconds 1.0] [--threads 1]
"""
import argparse, os, statistics, time
import numpy as np
import torch
from comm_wm.env import EnvConfig, GridWorld
from comm_wm.interop import to_minigrid

def ours(batch_size, seconds, repeats, view_mode='centered'):
    env = GridWorld(EnvConfig(view_mode=view_mode), batch_size)
    env.reset(seed=0)
    g = torch.Generator().manual_seed(0)
    actions = torch.randint(0, env.num_actions, (64, batch_size, env.num_agents), generator=g)
    for i in range(3): env.step(actions[i])   # warm-up
    rates, i = [], 0
    for _ in range(repeats):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            env.step(actions[i % 64]); i += 1; n += 1
        rates.append(n * batch_size * env.num_agents / (time.perf_counter() - t0))
    return statistics.median(rates)

def minigrid(seconds, repeats):
    from minigrid.wrappers import RGBImgPartialObsWrapper
    env = GridWorld(EnvConfig(view_mode='minigrid'), 1); env.reset(seed=0)
    mg = RGBImgPartialObsWrapper(to_minigrid(env, 0, 0), tile_size=8)
    mg.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(10): mg.step(int(rng.integers(0, 3)))
    rates = []
    for _ in range(repeats):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            _, _, term, trunc, _ = mg.step(int(rng.integers(0, 3))); n += 1
            if term or trunc: mg.reset()
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--seconds', type=float, default=1.0)
    p.add_argument('--threads', type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    print(f'threads {a.threads}, load average {os.getloadavg()[0]:.2f} (1 min) at start')
    ref = minigrid(a.seconds, a.repeats)
    print(f'minigrid RGBImgPartialObs (1 agent): {ref:12,.0f} agent-steps/s')
    res = {}
    for b in (1, 64, 1024):
        res[b] = ours(b, a.seconds, a.repeats)
        print(f'comm_wm GridWorld centered B={b:5d}: {res[b]:12,.0f} agent-steps/s  ({res[b] / ref:7.1f}x minigrid)')
    mm = ours(1024, a.seconds, a.repeats, 'minigrid')
    print(f'comm_wm GridWorld minigrid B= 1024: {mm:12,.0f} agent-steps/s  ({mm / ref:7.1f}x minigrid)')
    ref2 = minigrid(a.seconds, a.repeats)   # again, to see drift from other load on the machine
    print(f'minigrid again: {ref2:12,.0f} agent-steps/s')
    print(f'load average {os.getloadavg()[0]:.2f} (1 min) at end')
    print(f'speedup_vs_minigrid_B1024 = {res[1024] / statistics.median([ref, ref2]):.1f}')   # the headline: last line
