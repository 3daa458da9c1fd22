"""Training throughput of the world model: windows/s for one process and for two under torchrun (gloo on CPU).

Each run trains the `demo` model on synthetic trajectories of the contract's shapes (the speed does not
depend on the data) for `--steps` steps at global batch `--batch`, one torch thread per process; the clock
starts after `--warmup` steps. Median of `--repeats` runs. The last line prints the 2-process / 1-process ratio.

usage: python bench/train.py [--steps 30] [--repeats 3]
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path

def worker(args):
    import torch.distributed as dist
    from omegaconf import OmegaConf
    from comm_wm.train import ExperimentConfig, train, maybe_init_distributed
    rank, world = maybe_init_distributed()
    sections = OmegaConf.to_container(OmegaConf.load(args.config))   # the config's model and train sections
    cfg = ExperimentConfig.parse_from_dict(dict(
        env=dict(max_steps=40), model=sections.get('model', {}), run_dir=args.run_dir,
        data=dict(num_episodes=256, eval_episodes=8, synthetic=True),
        train=dict(sections.get('train', {}), steps=args.steps + args.warmup, batch_size=args.batch, log_every=10**6,
                   checkpoint_every=10**6, progress=False, tensorboard=False, num_threads=1)))
    marks = {}
    def cb(step, metrics):
        if step == args.warmup - 1: marks['t0'] = time.perf_counter()
    train(cfg, callback=cb, diagnostics=False)
    rate = args.steps * args.batch / (time.perf_counter() - marks['t0'])
    if rank == 0: print('RESULT ' + json.dumps(dict(world=world, windows_per_s=rate)), flush=True)
    if dist.is_initialized(): dist.destroy_process_group()

def run(nproc, args):
    with tempfile.TemporaryDirectory() as d:
        launcher = ['-m', 'torch.distributed.run', '--nproc_per_node', str(nproc)] if nproc > 1 else []
        cmd = [sys.executable, *launcher, __file__, '--worker', '--run_dir', d, '--config', args.config,
               '--steps', str(args.steps), '--warmup', str(args.warmup), '--batch', str(args.batch)]
        r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS='1'), timeout=600)
        if r.returncode: raise SystemExit(r.stderr[-3000:])
        line = [l for l in r.stdout.splitlines() if l.startswith('RESULT ')][-1]
        return json.loads(line[7:])['windows_per_s']

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--worker', action='store_true')
    p.add_argument('--run_dir', default='')
    p.add_argument('--config', default=str(Path(__file__).resolve().parent.parent / 'configs' / 'demo.yaml'))
    p.add_argument('--steps', type=int, default=30)
    p.add_argument('--warmup', type=int, default=5)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--repeats', type=int, default=3)
    args = p.parse_args()
    if args.worker:
        worker(args)
        raise SystemExit
    res = {}
    for n in (1, 2):
        rates = [run(n, args) for _ in range(args.repeats)]
        res[n] = statistics.median(rates)
        runs = ', '.join(f'{r:.1f}' for r in rates)
        print(f'{n} process(es): {res[n]:.1f} windows/s (median of {args.repeats}: {runs}), global batch {args.batch}')
    print(f'train_windows_per_s_2proc_over_1proc = {res[2] / res[1]:.2f}')
