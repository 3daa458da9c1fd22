"""Training throughput of the world model: windows/s of today's path and of the faster options, one process and two.

Each run trains the `demo` model (it reads RGB views) on `--episodes` episodes collected from the env with the demo
config's policy (not timed; kept as integer views, as `comm_wm train` keeps them: the speed depends on the data,
since a view repeated in a batch, after a stay or a bump into a wall, is encoded once), for `--steps` steps at
global batch `--batch`, one torch thread per process unless said otherwise; the clock runs from the end of `--warmup` steps to
the end of the last step (not the files written after it). The paths, all measured in this run, in turn,
`--repeats` times (medians):

- `reference`: today's path: fp32, one process, every view of a batch encoded, its pictures drawn from the views
  (`train.encoding=plain`), run by comm_wm as it stood at `--reference_commit` (default `REFERENCE_COMMIT`, the
  code this path was first measured on, read from the git history into a temporary folder): a speed-up that
  reaches every path, such as a faster encoder layout, then counts against today's code, not against itself
  (`--reference_commit worktree`: the checked-out code). The paths built on today's (`keep_memory`,
  `2 processes`) run the same frozen code;
- `keep_memory`: the same with `train.keep_freed_memory` (the same numbers: glibc keeps freed memory, no page
  faults per step);
- `tiles`: kept memory, each distinct view of a batch encoded once and each cell's tile read instead of its pixels,
  each encoder's 3x3 convolution run once per distinct patch and SIGReg on the distinct views, weighted
  (`train.encoding=distinct`, the default: `WorldModel.encode_tiles`, `GridEncoder.from_cell_ids`,
  `lejepa_loss(rows_z=, rows_c=)`; the same numbers up to float rounding);
- `bf16`: `tiles` with `train.precision=bf16` (bfloat16 autocast);
- `2 threads`: `tiles` in one process with `train.num_threads=2` (does one process already use both cores?);
- `2 processes`: torchrun, 2 processes (gloo), today's path; `2 processes, fast`: `tiles` + `train.static_graph`.

Besides windows/s (wall clock), each run reports its rank 0's CPU time per step: on a machine other programs
share, wall time counts their time too, CPU time does not. The load average before and after is printed.
`--loss_steps N` also trains `--loss_seeds` seeds for N steps on the reference, `tiles` and `bf16` paths and prints
the final losses (means of the last 10 logged steps), to compare each path's difference from the reference with the
spread between seeds.

`--inputs` measures instead what the model reads, on the same collected episodes, one process, one thread, the demo
config's train section:

- `view`: `model.input=view`, the integer views;
- `rgb, tiles`: `model.input=rgb` on the data kept as integer views, each cell's tile read
  (`comm_wm.data.draw_rgb_tiles`, how `comm_wm train` trains a model that reads pixels);
- `rgb, drawn`: the same with every view encoded and the RGB views drawn from each batch's views
  (`comm_wm.data.draw_rgb`, `train.encoding=plain`);
- `rgb, stored`: `model.input=rgb` on pictures kept in the trajectories (`collect(store_rgb=True)`: the same
  pixels; 9408 bytes a picture at tile size 8 against 50 for its view and partner tile), to tell the cost of
  drawing from the cost of reading pixels.

Its last line: `train_rgb_tiles_over_view = X; train_rgb_tiles_over_drawn = Y` (windows/s ratios).

The last line otherwise: `train_speedup_vs_fp32_reference = X` (the fastest one-process, one-thread path over the
reference, which also runs on one core; the line above it names the fastest path of all) and
`train_windows_per_s_2proc_over_1proc = Y` (2 processes, fast, over `tiles`: one process with the same options).

`--ceiling` measures what two processes can reach on this machine with no communication at all: one process at the
global batch, one at half of it, and two independent processes at half of it started together (not torchrun: no
all-reduce, no synchronisation). Its last line: `train_2proc_ceiling_without_communication = X` = 2 x (half batch's
windows/s over the whole batch's) x (each process's windows/s side by side over alone); DDP cannot beat X.

usage: python bench/train.py [--steps 20] [--repeats 3] [--loss_steps 0]
       python bench/train.py --ceiling   (two processes without communication: the most two cores give here)
       python bench/train.py --inputs [--episodes 256]   (view against rgb drawn on the fly, and stored)
       python bench/train.py --repeats 0 --loss_steps 60   (the loss comparison alone)
"""
import argparse, io, json, os, statistics, subprocess, sys, tarfile, tempfile, time
from pathlib import Path

TODAY = dict(encoding='plain')   # today's path: every view encoded, the pictures drawn from the views
FAST = dict(keep_freed_memory=True)   # the default encoding: distinct views once, tiles read (encode_tiles)
PATHS = {  # name: (processes, train.* values)
    'reference': (1, TODAY),
    'keep_memory': (1, dict(TODAY, keep_freed_memory=True)),
    'tiles': (1, FAST),
    'bf16': (1, dict(FAST, precision='bf16')),
    '2 threads': (1, dict(FAST, num_threads=2)),
    '2 processes': (2, TODAY),
    '2 processes, fast': (2, dict(FAST, static_graph=True)),
}
FROZEN = ('reference', 'keep_memory', '2 processes')   # today's paths: run by comm_wm at --reference_commit
REFERENCE_COMMIT = '8bfbf38a086f4eeaf020390bcccbdf64652f5659'   # today's code: the train.encoding=plain reference
ONE_PROCESS_FAST = ('keep_memory', 'tiles', 'bf16')   # the one-process paths X picks the fastest of (one thread, one core)
INPUTS = {  # name: (model.input, pictures stored in the trajectories, train.* values)   (--inputs)
    'view': ('view', False, {}),
    'rgb, tiles': ('rgb', False, {}),
    'rgb, drawn': ('rgb', False, TODAY),
    'rgb, stored': ('rgb', True, {}),
}

def in_turn(names, repeats: int, run_one):
    """({name: [run results]}, {name: median windows/s}): each path `repeats` times, the paths in turn, so that a
    change in the machine's load reaches all of them."""
    results = {name: [] for name in names}
    for _ in range(repeats):
        for name in names: results[name].append(run_one(name))
    return results, {name: statistics.median(r['windows_per_s'] for r in rs) for name, rs in results.items()}

def print_rates(results, rate, reference: str, width: int, cpu: str):
    "One line per path: windows/s, the ratio to `reference`, each run's rate and the median CPU time per step."
    for name, rs in results.items():
        runs = ', '.join(f"{r['windows_per_s']:.1f}" for r in rs)
        print(f'{name:{width}s} {rate[name]:7.1f} windows/s ({rate[name] / rate[reference]:.2f}x {reference}; '
              f"runs {runs}); {cpu} {statistics.median(r['cpu_ms_per_step'] for r in rs):.0f} ms/step")

def worker(args):
    import torch.distributed as dist
    from omegaconf import OmegaConf
    from comm_wm.train import ExperimentConfig, train, maybe_init_distributed
    from comm_wm.metrics import read_metrics
    from comm_wm.data import collect
    rank, world = maybe_init_distributed()
    sections = OmegaConf.to_container(OmegaConf.load(args.config))   # the config's model and train sections
    train_values = dict(sections.get('train', {}), steps=args.steps + args.warmup, batch_size=args.batch,
                        log_every=args.log_every, checkpoint_every=10**6, progress=False, tensorboard=False,
                        num_threads=1)
    train_values.update(json.loads(args.values))
    model_values = dict(sections.get('model', {}), **json.loads(args.model_values))
    episodes = args.collect or 256
    cfg = ExperimentConfig.parse_from_dict(dict(
        env=sections.get('env', {}), model=model_values, run_dir=args.run_dir,
        data=dict(num_episodes=episodes, eval_episodes=8, synthetic=not args.collect), train=train_values))
    traj = None
    if args.collect:   # episodes of the env (not timed); pictures kept only with --store_rgb
        data = sections.get('data', {})
        traj = collect(cfg.env, episodes, policy=data.get('policy', 'noisy_oracle'),
                       epsilons=tuple(data.get('epsilons', (1.0, 0.6, 0.3, 0.1))), seed=0, progress=False,
                       store_rgb=args.store_rgb)
    marks = {}
    def cb(step, metrics):   # the clock runs from the end of the warm-up to the end of the last step
        if step == args.warmup - 1: marks['t0'], marks['cpu0'] = time.perf_counter(), time.process_time()
        if step == args.warmup + args.steps - 1: marks['t1'], marks['cpu1'] = time.perf_counter(), time.process_time()
    train(cfg, traj, callback=cb, diagnostics=False)   # (then it writes the run's files: not timed)
    wall, cpu = marks['t1'] - marks['t0'], marks['cpu1'] - marks['cpu0']
    if rank == 0:
        losses = read_metrics(args.run_dir)['loss'] if args.log_every < 10**6 else []
        import comm_wm
        print('RESULT ' + json.dumps(dict(world=world, windows_per_s=args.steps * args.batch / wall,
                                          package=str(Path(comm_wm.__file__).parent),
                                          cpu_ms_per_step=cpu / args.steps * 1e3, losses=losses)), flush=True)
    if dist.is_initialized(): dist.destroy_process_group()

def worker_command(nproc, values, args, run_dir, steps=None, warmup=None, log_every=10**6, model_values=None,
                   collect=0, store_rgb=False, batch=None):
    "The command line of one timed training (`nproc` > 1: under torchrun)."
    launcher = ['-m', 'torch.distributed.run', '--nproc_per_node', str(nproc)] if nproc > 1 else []
    cmd = [sys.executable, *launcher, __file__, '--worker', '--run_dir', run_dir, '--config', args.config,
           '--steps', str(steps or args.steps), '--warmup', str(warmup or args.warmup),
           '--batch', str(batch or args.batch), '--values', json.dumps(values), '--log_every', str(log_every),
           '--model_values', json.dumps(model_values or {}), '--collect', str(collect)]
    return cmd + (['--store_rgb'] if store_rgb else [])

def result_of(returncode, stdout, stderr) -> dict:
    "A worker's RESULT line (its rank 0's figures)."
    if returncode: raise SystemExit(stderr[-3000:])
    return json.loads([l for l in stdout.splitlines() if l.startswith('RESULT ')][-1][7:])

WORKER_ENV = dict(os.environ, OMP_NUM_THREADS='1')
ROOT = Path(__file__).resolve().parent.parent

def frozen_package(commit: str, into: str) -> str:
    "comm_wm as it stood at `commit`, extracted from the git history under `into`: the folder to put on PYTHONPATH."
    try:
        tar = subprocess.run(['git', '-C', str(ROOT), 'archive', commit, 'comm_wm'], capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        detail = e.stderr.decode().strip() if isinstance(e, subprocess.CalledProcessError) else e
        raise SystemExit(f'--reference_commit: cannot read comm_wm at {commit} from the git history of {ROOT} '
                         f'({detail}); run the bench in a clone with its history, or pass --reference_commit worktree')
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive: archive.extractall(into, filter='data')
    return into

def run(nproc, values, args, frozen=False, **kw):
    "One timed training in its own process (or `nproc` under torchrun): its RESULT; `frozen`: today's code."
    env = dict(WORKER_ENV, PYTHONPATH=args.frozen_path) if frozen and args.frozen_path else WORKER_ENV
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run(worker_command(nproc, values, args, d, **kw), capture_output=True, text=True,
                           env=env, timeout=600)
        result = result_of(r.returncode, r.stdout, r.stderr)
    expected = Path(args.frozen_path if frozen and args.frozen_path else ROOT) / 'comm_wm'
    if Path(result['package']) != expected:
        raise SystemExit(f'a worker imported comm_wm from {result["package"]}, expected {expected}')
    return result

def run_side_by_side(n, values, args, **kw):
    "`n` independent one-process trainings started together (no communication): their RESULTs."
    with tempfile.TemporaryDirectory() as d:
        procs = [subprocess.Popen(worker_command(1, values, args, f'{d}/{i}', **kw), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=WORKER_ENV) for i in range(n)]
        outputs = [p.communicate(timeout=600) for p in procs]
        return [result_of(p.returncode, *out) for p, out in zip(procs, outputs)]

def load() -> str: return ' '.join(f'{x:.2f}' for x in os.getloadavg())

def inputs_check(args):
    "Windows/s of a model reading views, RGB views drawn on the fly, and RGB views stored (--inputs)."
    print(f'load average before: {load()}; global batch {args.batch}, {args.steps} timed steps, '
          f'{args.repeats} repeats, {args.episodes} collected episodes, one process, one thread')
    results, rate = in_turn(INPUTS, args.repeats, lambda name: run(
        1, INPUTS[name][2], args, model_values=dict(input=INPUTS[name][0]), collect=args.episodes,
        store_rgb=INPUTS[name][1]))
    print_rates(results, rate, 'view', 12, 'CPU')
    print(f'load average after: {load()}')
    print(f'rgb tiles over view: {rate["rgb, tiles"] / rate["view"]:.2f}x; over rgb drawn: '
          f'{rate["rgb, tiles"] / rate["rgb, drawn"]:.2f}x; rgb drawn over rgb stored: '
          f'{rate["rgb, drawn"] / rate["rgb, stored"]:.2f}x')
    print(f'train_rgb_tiles_over_view = {rate["rgb, tiles"] / rate["view"]:.2f}; '
          f'train_rgb_tiles_over_drawn = {rate["rgb, tiles"] / rate["rgb, drawn"]:.2f}')

CEILING = {  # name: (independent processes, batch per process as a share of --batch)   (--ceiling)
    'one process': (1, 1),
    'one process, half batch': (1, 2),
    'two independent processes, half batch each': (2, 2),
}

def ceiling_check(args):
    """What two processes can reach on this machine with no communication at all (--ceiling): one process at the
    global batch, one at half of it, and two independent processes at half of it started together."""
    print(f'load average before: {load()}; global batch {args.batch}, {args.steps} timed steps, '
          f'{args.repeats} repeats, the fast one-process options (kept memory, tiles), one thread per process')
    def one(name):
        n, share = CEILING[name]
        rs = run_side_by_side(n, FAST, args, batch=args.batch // share, collect=args.episodes)
        return dict(windows_per_s=sum(r['windows_per_s'] for r in rs),
                    cpu_ms_per_step=statistics.median(r['cpu_ms_per_step'] for r in rs))
    results, rate = in_turn(CEILING, args.repeats, one)
    print_rates(results, rate, 'one process', 42, 'CPU')
    print(f'load average after: {load()}')
    half = rate['one process, half batch'] / rate['one process']
    side = rate['two independent processes, half batch each'] / (2 * rate['one process, half batch'])
    print(f'half a batch runs at {half:.2f}x the windows/s of the whole one (1.00: no loss from the smaller matrices)')
    print(f'side by side, each process keeps {side:.2f}x of its speed alone (shared caches and memory bandwidth)')
    print(f'train_2proc_ceiling_without_communication = {2 * half * side:.2f}')

LOSS_PATHS = ('reference', 'tiles', 'bf16')   # --loss_steps: the one-process paths whose losses are compared

def loss_check(args):
    "Final losses (mean of the last 10 logged steps) of `--loss_seeds` seeds on each of LOSS_PATHS."
    final = {}
    for name in LOSS_PATHS:
        final[name] = [statistics.mean(run(1, dict(PATHS[name][1], seed=seed), args, name in FROZEN,
                                           steps=args.loss_steps - 1, warmup=1, log_every=1,
                                           collect=args.episodes)['losses'][-10:])
                       for seed in range(args.loss_seeds)]
    print(f'final loss after {args.loss_steps} steps (mean of the last 10), seeds 0..{args.loss_seeds - 1}:')
    for name, v in final.items(): print(f'  {name}: ' + ', '.join(f'{x:.4f}' for x in v))
    for name in LOSS_PATHS[1:]:
        diffs = [b - a for a, b in zip(final['reference'], final[name])]
        print(f'  {name} - reference per seed: ' + ', '.join(f'{d:+.4f}' for d in diffs))
    print(f'  spread between seeds (std, reference): {statistics.stdev(final["reference"]):.4f}')

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--worker', action='store_true')
    p.add_argument('--run_dir', default='')
    p.add_argument('--config', default=str(Path(__file__).resolve().parent.parent / 'configs' / 'demo.yaml'))
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--warmup', type=int, default=5)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--repeats', type=int, default=3)      # 0: no timing (with --loss_steps: the losses alone)
    p.add_argument('--values', default='{}')           # train.* values of a worker (JSON)
    p.add_argument('--log_every', type=int, default=10**6)
    p.add_argument('--loss_steps', type=int, default=0)  # > 0: also compare fp32 and bf16 losses after this many steps
    p.add_argument('--loss_seeds', type=int, default=3)
    p.add_argument('--inputs', action='store_true')     # view against rgb drawn on the fly (and rgb stored)
    p.add_argument('--episodes', type=int, default=256)  # episodes collected per run (not timed)
    p.add_argument('--model_values', default='{}')     # model.* values of a worker (JSON)
    p.add_argument('--collect', type=int, default=0)     # a worker: train on this many collected episodes (0: none)
    p.add_argument('--store_rgb', action='store_true')   # a worker: keep the pictures in the collected episodes
    p.add_argument('--ceiling', action='store_true')     # what 2 processes reach here with no communication at all
    p.add_argument('--reference_commit', default=REFERENCE_COMMIT)   # today's code ('worktree': the checked-out one)
    p.add_argument('--frozen_path', default='')          # set by the bench: where today's code was extracted
    args = p.parse_args()
    if args.worker:
        worker(args)
        raise SystemExit
    frozen_dir = tempfile.TemporaryDirectory()
    if args.reference_commit != 'worktree': args.frozen_path = frozen_package(args.reference_commit, frozen_dir.name)
    if args.ceiling:
        ceiling_check(args)
        raise SystemExit
    if args.inputs:
        inputs_check(args)
        raise SystemExit
    if args.repeats < 1:   # the loss comparison alone
        if args.loss_steps: loss_check(args)
        raise SystemExit
    print(f'load average before: {load()}; global batch {args.batch}, {args.steps} timed steps, '
          f'{args.repeats} repeats; today\'s paths ({", ".join(FROZEN)}) run comm_wm at {args.reference_commit}')
    results, rate = in_turn(PATHS, args.repeats, lambda name: run(*PATHS[name], args, name in FROZEN,
                                                                  collect=args.episodes))
    print_rates(results, rate, 'reference', 18, 'rank 0 CPU')
    print(f'2 processes today over one process today: {rate["2 processes"] / rate["reference"]:.2f}x')
    print(f'load average after: {load()}')
    if args.loss_steps: loss_check(args)
    fastest, fastest_both = max(ONE_PROCESS_FAST, key=rate.get), max(rate, key=rate.get)
    print(f'fastest path on both cores: {fastest_both} ({rate[fastest_both] / rate["reference"]:.2f}x reference)')
    print(f'fastest one-process, one-thread path: {fastest}')
    print(f'train_speedup_vs_fp32_reference = {rate[fastest] / rate["reference"]:.2f}; '
          f'train_windows_per_s_2proc_over_1proc = {rate["2 processes, fast"] / rate["tiles"]:.2f}')
