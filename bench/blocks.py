"""Building-block benchmarks against the reference packages, in one run.

(a) HL-Gauss loss forward+backward on logits (4096, 64):
    `comm_wm.hl_gauss.HLGaussLoss` vs `hl_gauss_pytorch.HLGaussLoss` (target: ratio <= 0.5).
(b) Discrete readout loss forward+backward at (batch 8, seq 256, dim 512, vocab 20000):
    `comm_wm.embed_readout` vs a plain `linear + F.cross_entropy` (target: ratio <= 1.1),
    and the reference `discrete_continuous_embed_readout` default path against the same plain baseline.

Repeats are interleaved (each round times every variant once, in alternating order) and the figures are
medians, because the machine is shared. Headline ratios are ratios of medians; the median of per-round
(paired) ratios is printed beside them as a check on the noise.

usage: python bench/blocks.py [--threads 1] [--repeats 9] [--ref-repeats 3] [--hl-repeats 30]
Last line: `blocks = hl_gauss_ratio=X readout_vs_plain=Y reference_readout_vs_plain=Z`.
"""
import argparse, statistics, time

import torch
import torch.nn.functional as F

import hl_gauss_pytorch
import discrete_continuous_embed_readout as reference_readout
from comm_wm.hl_gauss import HLGaussLoss
from comm_wm.embed_readout import EmbedAndReadout


def fwd_bwd_timer(loss_fn, params):
    "time one forward + backward of loss_fn(), gradients cleared first"
    def run():
        for p in params: p.grad = None
        start = time.perf_counter()
        loss_fn().backward()
        return time.perf_counter() - start
    return run


def interleaved(timers: dict, repeats: int, warmup: int = 1, only_some: dict | None = None):
    "timers: name -> callable returning seconds; only_some: name -> how many of the rounds include it"
    only_some = only_some or {}
    for run in timers.values():
        for _ in range(warmup): run()
    times = {name: [] for name in timers}
    names = list(timers)
    for round_ in range(repeats):
        for name in (names if round_ % 2 == 0 else names[::-1]):   # alternate the order: no variant always runs first
            if round_ < only_some.get(name, repeats): times[name].append(timers[name]())
    return times


def paired_ratio(times, num, den):
    "median over rounds of num/den, using the rounds both ran in"
    return statistics.median(a / b for a, b in zip(times[num], times[den]))


def bench_hl_gauss(repeats, inner=20):
    torch.manual_seed(0)
    num_bins, lo, hi = 64, 0., 10.
    sigma = 0.75 * (hi - lo) / num_bins
    ours = HLGaussLoss(lo, hi, num_bins, sigma)
    theirs = hl_gauss_pytorch.HLGaussLoss(min_value=lo, max_value=hi, num_bins=num_bins, sigma=sigma)
    logits = torch.randn(4096, num_bins, requires_grad=True)
    target = torch.rand(4096) * (hi - lo) + lo
    torch.testing.assert_close(ours(logits, target), theirs(logits, target), rtol=1e-5, atol=1e-5)

    def block(loss):
        def run():
            start = time.perf_counter()
            for _ in range(inner):
                logits.grad = None
                loss(logits, target).backward()
            return (time.perf_counter() - start) / inner
        return run
    times = interleaved({'ours': block(ours), 'reference': block(theirs)}, repeats, warmup=2)
    return times


def bench_readout(repeats, ref_repeats, batch=8, seq=256, dim=512, vocab=20000):
    torch.manual_seed(0)
    _, ours = EmbedAndReadout(dim=dim, num_discrete=vocab)
    _, theirs = reference_readout.EmbedAndReadout(dim=dim, num_discrete=vocab)
    plain = torch.nn.Linear(dim, vocab, bias=False)
    with torch.no_grad():
        theirs.embeddings.weight.copy_(ours.weight)
        plain.weight.copy_(ours.weight)
    embeds = torch.randn(batch, seq, dim, requires_grad=True)
    targets = torch.randint(0, vocab, (batch, seq))

    plain_loss = lambda: F.cross_entropy(plain(embeds).flatten(0, 1), targets.flatten())
    ours_loss = lambda: ours(embeds, targets)
    ref_loss = lambda: theirs(embeds, targets, return_loss=True)
    torch.testing.assert_close(ours_loss(), plain_loss(), rtol=1e-5, atol=1e-5)

    timers = {'plain': fwd_bwd_timer(plain_loss, [embeds, plain.weight]),
              'ours': fwd_bwd_timer(ours_loss, [embeds, ours.weight]),
              'reference': fwd_bwd_timer(ref_loss, [embeds, theirs.embeddings.weight])}
    return interleaved(timers, repeats, only_some={'reference': ref_repeats})


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--threads', type=int, default=1, help='torch.set_num_threads (same for every variant)')
    p.add_argument('--repeats', type=int, default=9, help='rounds of the readout benchmark')
    p.add_argument('--ref-repeats', type=int, default=3, help='rounds that also time the (slow) reference readout')
    p.add_argument('--hl-repeats', type=int, default=30, help='rounds of the HL-Gauss benchmark (20 calls each)')
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f'torch {torch.__version__}, torch.set_num_threads({args.threads}); medians of interleaved repeats')

    hl = bench_hl_gauss(args.hl_repeats)
    med = {k: statistics.median(v) * 1e3 for k, v in hl.items()}
    hl_ratio, hl_paired = med['ours'] / med['reference'], paired_ratio(hl, 'ours', 'reference')
    print(f'(a) HL-Gauss fwd+bwd, logits (4096, 64), {args.hl_repeats} rounds x 20 calls: '
          f'ours {med["ours"]:.3f} ms, hl_gauss_pytorch {med["reference"]:.3f} ms, ratio {hl_ratio:.3f} (paired '
          f'{hl_paired:.3f}; target <= 0.5)')

    rd = bench_readout(args.repeats, min(args.ref_repeats, args.repeats))
    med = {k: statistics.median(v) * 1e3 for k, v in rd.items()}
    ours_ratio, ours_paired = med['ours'] / med['plain'], paired_ratio(rd, 'ours', 'plain')
    ref_ratio, ref_paired = med['reference'] / med['plain'], paired_ratio(rd, 'reference', 'plain')
    print(f'(b) discrete readout loss fwd+bwd, (8, 256) x dim 512 -> vocab 20000, {args.repeats} rounds '
          f'(reference in {min(args.ref_repeats, args.repeats)}): plain linear+cross_entropy {med["plain"]:.1f} ms, '
          f'ours {med["ours"]:.1f} ms, reference default {med["reference"]:.1f} ms')
    print(f'    ours / plain {ours_ratio:.3f} (paired {ours_paired:.3f}; target <= 1.1), '
          f'reference / plain {ref_ratio:.2f} (paired {ref_paired:.2f})')
    print(f'blocks = hl_gauss_ratio={hl_ratio:.3f} readout_vs_plain={ours_ratio:.3f} '
          f'reference_readout_vs_plain={ref_ratio:.2f}')


if __name__ == '__main__':
    main()
