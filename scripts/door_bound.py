"""How well can anyone know the distance to the goal of the agent that cannot see it, at t=0, from both views?

For each held-out `hidden_goal` layout, enumerate every wall column and door row the generator could have drawn
that agrees with every cell either agent sees (items assumed known everywhere, so this is a lower bound), take
the median of the blind agent's BFS distance over those layouts (the best estimate under absolute error), and
print its mean absolute error. nbs/13_layouts.ipynb (Maps and tasks) names this command for the figures.

usage: python scripts/door_bound.py [--episodes 400] [--random-door]
"""
import argparse
import torch
from comm_wm.core import WALL, EMPTY, GOAL
from comm_wm.layouts import bfs_distance, room_bounds, UNREACHABLE
from comm_wm.env import GridWorld, EnvConfig

def bound(episodes: int, random_door: bool, seed: int = 1_000_003):
    env = GridWorld(EnvConfig(task='hidden_goal', rgb=False, random_door=random_door), batch_size=episodes)
    env.reset(seed=seed)
    st, s, r = env.state, env.cfg.size, 3
    doors = range(1, s - 1) if random_door else [s // 2]
    errors, candidates = [], []
    for b in range(episodes):
        grid, pos, blind = st.grid[b], st.position[b], 1 - st.seer[b].item()
        known = torch.zeros(s, s, dtype=torch.bool)
        for a in range(2):
            row, col = pos[a].tolist(); known[max(row - r, 0):row + r + 1, max(col - r, 0):col + r + 1] = True
        walls = (grid[1:-1] == WALL).sum(0); walls[0] = walls[-1] = -1
        wall_col = int(walls.argmax())
        base = grid.clone()
        base[1:-1, wall_col] = torch.where(grid[1:-1, wall_col] == WALL, EMPTY, grid[1:-1, wall_col])
        layouts = []
        lo, hi = room_bounds(s)
        for w in range(lo, hi + 1):
            gc, bc = st.goal[b, 1].item(), pos[blind, 1].item()
            if gc == w or bc == w or (gc < w) == (bc < w): continue        # goal and blind agent in different rooms
            for door in doors:
                g = base.clone(); g[1:-1, w] = torch.where(torch.arange(1, s - 1) == door, g[1:-1, w], WALL)
                if torch.equal(g[known], grid[known]): layouts.append(g)
        g = torch.stack(layouts)
        src = torch.zeros_like(g, dtype=torch.bool); src[:, st.goal[b, 0], st.goal[b, 1]] = True
        d = bfs_distance((g == EMPTY) | (g == GOAL), src)[:, pos[blind, 0], pos[blind, 1]].float()
        d = d[d < UNREACHABLE]
        errors.append((d.median() - st.fields[b, 0, pos[blind, 0], pos[blind, 1]].float()).abs().item())
        candidates.append(len(d))
    return torch.tensor(errors).mean().item(), torch.tensor(candidates).float().mean().item()

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--episodes', type=int, default=400); p.add_argument('--random-door', action='store_true')
    args = p.parse_args()
    torch.set_num_threads(1)
    mae, n = bound(args.episodes, args.random_door)
    print(f'random_door={args.random_door}: best t=0 distance estimate of the blind agent off by {mae:.3f} steps '
          f'on average over {args.episodes} held-out layouts ({n:.1f} consistent layouts each)')
