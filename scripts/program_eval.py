"""Program messages on a trained world model: train the program encoder and decoders, measure them, play the rows.

Loads a trained world model (a run folder or a model file), draws `--views` training views (and their senders'
positions) from the run's collected data (`<run>/data/train`; collected afresh when the run has none) and
`--heldout` views from its evaluation data (`<run>/data/eval`), then
1. trains the program encoder and the teacher-forced decoder together (`comm_wm.programs.train_teacher`, (a)),
   and a second decoder end to end through straight-through Gumbel-softmax with the encoder frozen
   (`train_gumbel`, (b): LAMBDA_Z times the encoder's error on the sender's latent, LAMBDA_R times the share of
   false statements), and with `--decodings ... finetune` a copy of the teacher-forced decoder trained on the
   same way ((a) then (b));
2. measures both decoders on the held-out views for each program length (`comm_wm.program_eval.decoder_metrics`:
   truth rate and exact match with describe, greedy and beam; topographic similarity), and the encoder's error;
3. plays the `program` rows (the planner in `imagined` mode hearing a `ProgramMessage` of each length, from
   `describe` and from each decoder's beam search) and the grid rows of `comm_wm.evaluate.evaluate`, with the
   config's evaluation planner (`--configs`, `evaluation.planner`), on the same held-out episodes;
4. writes `rows.json`, `metrics.json`, `table.md` and `success_vs_bits.png` to `--out` and prints the figures.

usage: python scripts/program_eval.py --run /work/runs/paper_hg --out results/programs [--configs paper]
           [--data RUN] [--views 20000] [--heldout 2000] [--teacher-steps 3000] [--gumbel-steps 2000] [--lr 1e-3]
           [--episodes 200] [--seeds 0 1 2] [--lengths 1 2 3 4 5] [--decodings describe teacher gumbel finetune]
           [--grid none first imagined full] [--rows grid:imagined describe:4 ...] [--acceptance describe:4 ...]
           [--acceptance-seeds 0 1 2] [--grid-rows results/paper_hidden_goal/results.json] [--skip-play]
"""
import argparse, copy, dataclasses, json, sys, time
from pathlib import Path

import torch
import torch.nn.functional as F
from einops import rearrange

from comm_wm.checkpoints import load_checkpoint, load_models
from comm_wm.train import ExperimentConfig
from comm_wm.data import collect, load_trajectories, state_digest
from comm_wm.evaluate import evaluate
from comm_wm.messages import GridMessage
from comm_wm.cli import PipelineConfig, resolve_config
from comm_wm.programs import (ProgramEncoder, ProgramDecoder, ProgramMessage, program_data, programs_to_slots,
                              slots_to_programs, train_teacher, train_gumbel, LAMBDA_Z, LAMBDA_R)
from comm_wm.dsl import Program
from comm_wm.program_eval import decoder_metrics, program_rows, write_program_report, program_table, imagined_episode


def sample_views(traj, num, seed):
    "`num` (view, position) pairs drawn from the valid steps of episode-major trajectories."
    valid = traj['valid']                                                          # (N, T+1)
    cells = valid.nonzero()                                                        # (M, 2): episode, step
    g = torch.Generator().manual_seed(seed)
    pick = cells[torch.randint(0, len(cells), (num,), generator=g)]
    agent = torch.randint(0, traj['view'].shape[2], (num,), generator=g)
    return traj['view'][pick[:, 0], pick[:, 1], agent].long(), traj['position'][pick[:, 0], pick[:, 1], agent].long()


def trajectories(folder, split, run_cfg, episodes):
    path = Path(folder) / 'data' / split
    if (path / 'manifest.json').exists(): return load_trajectories(path)
    seed = run_cfg.env.seed if split == 'train' else run_cfg.data.eval_seed
    print(f'no data in {path}: collecting {episodes} episodes (seed {seed})', flush=True)
    return collect(dataclasses.replace(run_cfg.env, rgb=False), episodes, policy=run_cfg.data.policy,
                   epsilons=tuple(run_cfg.data.epsilons), seed=seed, progress=False)


def check_grid_model(grid_rows, model, task):
    """The grid rows must be the same model's: the models shipped beside `grid_rows` (its folder's `models/`) hold
    `task`'s model with exactly the weights of `--run` (`comm_wm.data.state_digest`)."""
    shipped = Path(grid_rows).parent / 'models'
    if not shipped.is_dir():
        sys.exit(f'--grid-rows: expected the results of a run with its models shipped in {shipped} '
                 '(comm_wm ship), to check they are the models of --run; none found')
    found = load_models(shipped, ExperimentConfig).get(task, {})
    digests = {seed: state_digest(m) for seed, (m, _) in found.items()}
    if state_digest(model) not in digests.values():
        sys.exit(f"--grid-rows: {grid_rows} comes from other weights than --run's {task} model "
                 f'(shipped seeds {sorted(digests)} in {shipped}; state_digest differs)')

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--run', required=True, help='a run folder or a model file')
    ap.add_argument('--data', default=None, help="the folder with data/train and data/eval (default: --run's)")
    ap.add_argument('--out', default='results/programs')
    ap.add_argument('--configs', default='paper', help='the config whose evaluation.planner plays the rows')
    ap.add_argument('--views', type=int, default=20000)
    ap.add_argument('--heldout', type=int, default=2000)
    ap.add_argument('--teacher-steps', type=int, default=3000)
    ap.add_argument('--gumbel-steps', type=int, default=2000)
    ap.add_argument('--batch-size', type=int, default=256)
    ap.add_argument('--lr', type=float, default=1e-3, help="the seed's LEARNING_RATE is 1e-4")
    ap.add_argument('--tau', type=float, default=1.0)
    ap.add_argument('--episodes', type=int, default=200)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--lengths', type=int, nargs='+', default=[1, 2, 3, 4, 5])
    ap.add_argument('--decodings', nargs='+', default=['describe', 'teacher', 'gumbel'])
    ap.add_argument('--grid', nargs='*', default=['none', 'first', 'imagined', 'full'])
    ap.add_argument('--rows', nargs='*', default=None,
                    help="rows in the order to play, e.g. grid:imagined describe:4 teacher:5 (default: --grid, then "
                         "--decodings x --lengths)")
    ap.add_argument('--acceptance', nargs='*', default=[], help='rows played with --acceptance-seeds')
    ap.add_argument('--acceptance-seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--grid-rows', default=None,
                    help="an evaluate results.json of the same model, seeds and planner: its --grid rows are shown "
                         "beside the program rows instead of playing grid rows")
    ap.add_argument('--skip-play', action='store_true', help='train and measure only')
    ap.add_argument('--merge-only', action='store_true',
                    help="rewrite --out's report: its program rows with the grid rows of --grid-rows")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    start = time.time()
    model, run_cfg = load_checkpoint(a.run, ExperimentConfig)
    model.eval()
    env_cfg, mcfg = run_cfg.env, model.cfg
    send_position = env_cfg.send_position
    if a.grid_rows: check_grid_model(a.grid_rows, model, env_cfg.task)
    def with_grid(rows):   # the grid rows of --grid-rows, read again each time (another job may rewrite the file)
        if not a.grid_rows or not Path(a.grid_rows).exists(): return rows
        bits = GridMessage.from_env(env_cfg).bits
        grid = [dict(r, name=f"grid {r['method']}", message_bits=bits if r['method'] != 'none' else 0,
                     source=str(a.grid_rows))
                for r in json.loads(Path(a.grid_rows).read_text()) if r['method'] in a.grid]
        return grid + [r for r in rows if r.get('method') == 'program' or not a.grid_rows]
    if a.merge_only:   # the program rows already written to --out, with the grid rows of --grid-rows
        rows = [r for r in json.loads((Path(a.out) / 'rows.json').read_text()) if r.get('method') == 'program']
        saved = json.loads((Path(a.out) / 'metrics.json').read_text())
        saved['meta']['grid_rows'] = a.grid_rows
        write_program_report(with_grid(rows), saved['metrics'], a.out, saved['meta'])
        print(program_table(with_grid(rows)))
        return
    train_views, train_pos = sample_views(trajectories(a.data or a.run, 'train', run_cfg, 512), a.views, 0)
    held_views, held_pos = sample_views(trajectories(a.data or a.run, 'eval', run_cfg, 128), a.heldout, 1)
    data = program_data(model, train_views, train_pos if send_position else None)
    held = program_data(model, held_views, held_pos if send_position else None)
    print(f'data: {a.views} training views, {a.heldout} held-out views ({time.time() - start:.0f} s)', flush=True)

    encoder = ProgramEncoder(mcfg.message_dim, mcfg.grid_size)
    teacher, gumbel = ProgramDecoder(mcfg.message_dim), ProgramDecoder(mcfg.message_dim)
    t0 = time.time()
    log_a = train_teacher(encoder, teacher, data, a.teacher_steps, a.batch_size, a.lr)
    t1 = time.time()
    log_b = train_gumbel(gumbel, encoder, data, a.gumbel_steps, a.batch_size, a.lr, a.tau)
    t2 = time.time()
    decoders = dict(teacher=teacher, gumbel=gumbel)
    if 'finetune' in set(a.decodings) | {r.split(':')[0] for r in a.rows or []}:
        # (a) then (b): the teacher-forced decoder trained on through Gumbel-softmax
        decoders['finetune'] = copy.deepcopy(teacher)
        log_c = train_gumbel(decoders['finetune'], encoder, data, a.gumbel_steps, a.batch_size, a.lr, a.tau, seed=1)
    tail = lambda log, k: sum(r[k] for r in log[-50:]) / len(log[-50:]) if log else float('nan')
    first = lambda log, k: log[0][k] if log else float('nan')
    training = dict(teacher=dict(steps=a.teacher_steps, seconds=round(t1 - t0, 1), z_first=first(log_a, 'z'),
                                 z_last50=tail(log_a, 'z'), nll_first=first(log_a, 'nll'),
                                 nll_last50=tail(log_a, 'nll')),
                    gumbel=dict(steps=a.gumbel_steps, seconds=round(t2 - t1, 1), z_first=first(log_b, 'z'),
                                z_last50=tail(log_b, 'z'), r_first=first(log_b, 'r'), r_last50=tail(log_b, 'r'),
                                lambda_z=LAMBDA_Z, lambda_r=LAMBDA_R, tau=a.tau))
    if 'finetune' in decoders:
        training['finetune'] = dict(steps=a.gumbel_steps, seconds=round(time.time() - t2, 1),
                                    z_first=first(log_c, 'z'), z_last50=tail(log_c, 'z'), r_first=first(log_c, 'r'),
                                    r_last50=tail(log_c, 'r'))
    print('training:', json.dumps(training), flush=True)

    metrics = {}
    with torch.no_grad():
        variance = held.latent.var(0).sum().item()
        for L in a.lengths:
            slots = programs_to_slots([Program(p.tokens[:L]) for p in slots_to_programs(held.slots)], L)
            error = F.mse_loss(encoder(slots, held.position), held.latent, reduction='none').sum(-1).mean().item()
            metrics[f'encoder L={L}'] = dict(squared_error=error, latent_variance=variance,
                                             explained=1 - error / variance)
            for name, dec in decoders.items():
                metrics[f'{name} L={L}'] = decoder_metrics(dec, held, L)
    for k, v in metrics.items(): print(k, {n: round(x, 4) if isinstance(x, float) else x for n, x in v.items()})

    rows = []
    meta = dict(command=' '.join(['python', 'scripts/program_eval.py', *sys.argv[1:]]), run=str(a.run),
                training=training, episodes=a.episodes, seeds=a.seeds, acceptance=a.acceptance,
                acceptance_seeds=a.acceptance_seeds, views=a.views, heldout=a.heldout, lr=a.lr,
                batch_size=a.batch_size, finished=False)
    if not a.skip_play:
        planner = PipelineConfig.parse_from_file(resolve_config(a.configs)).evaluation.planner
        def kind_of(decoding, L):
            if decoding == 'describe':   # sends describe's program; the decoder shows imagined latents as programs
                shown_by = decoders.get('finetune', teacher)
                return ProgramMessage(encoder, L, shown_by, 'describe', send_position=send_position)
            return ProgramMessage(encoder, L, decoders[decoding], 'beam', send_position=send_position)
        jobs = a.rows or ([f'grid:{m}' for m in a.grid] + [f'{d}:{L}' for d in a.decodings for L in a.lengths])
        kinds = {}
        t3 = time.time()
        meta['grid_rows'] = a.grid_rows
        for job in jobs:   # in the order given; the report is rewritten after each row
            what, arg = job.split(':')
            seeds = a.acceptance_seeds if job in a.acceptance else a.seeds
            if what == 'grid':
                row = evaluate(model, env_cfg, [arg], a.episodes, seeds, planner, progress=False)[0]
                row.update(name=f'grid {arg}', message_bits=GridMessage.from_env(env_cfg).bits)
            else:
                name = f'{what} L={arg}'
                kinds[name] = kind_of(what, int(arg))
                row = program_rows(model, env_cfg, {name: kinds[name]}, a.episodes, seeds, planner)[0]
                row['decoding'] = what          # describe / teacher / gumbel / finetune (the kind's: describe / beam)
            rows.append(row)
            extra = f" ({row['program_bits_per_episode']:.0f} variable-length)" if what != 'grid' else ''
            print(f"{row['name']} ({row['episodes']} episodes): success {100 * row['success_rate']:.1f}% "
                  f"[{100 * row['ci95'][0]:.1f}, {100 * row['ci95'][1]:.1f}], "
                  f"{row['bits_per_episode']:.0f} bits / episode{extra} ({time.time() - t3:.0f} s)", flush=True)
            meta.update(play_seconds=round(time.time() - t3, 1), wall_seconds=round(time.time() - start, 1))
            write_program_report(with_grid(rows), metrics, a.out, meta)   # after every row: a cut run keeps its rows
        meta['play_seconds'] = round(time.time() - t3, 1)
    meta.update(wall_seconds=round(time.time() - start, 1), finished=True)
    if rows:
        shown = [f"{j.split(':')[0]} L={j.split(':')[1]}" for j in a.acceptance if not j.startswith('grid')]
        shown = [k for k in shown if k in kinds] or list(kinds)
        episode = imagined_episode(model, env_cfg, kinds[shown[0]], planner) if shown else None
        meta['episode_row'] = shown[0] if shown else None
        write_program_report(with_grid(rows), metrics, a.out, meta, episode)
        print(program_table(with_grid(rows)))
    else:
        Path(a.out).mkdir(parents=True, exist_ok=True)
        (Path(a.out) / 'metrics.json').write_text(json.dumps(dict(metrics=metrics, meta=meta), indent=1))
    print(f"wall time {meta['wall_seconds']:.0f} s", flush=True)


if __name__ == '__main__':
    main()
