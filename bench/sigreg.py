"""SIGReg speed: the angle-addition ladder of `comm_wm.sigreg` vs K cos/sin calls, forward + backward.

Both compute the Epps-Pulley characteristic sums of N projected embeddings over S slices at K knots, at the
sizes of a demo training step (N = 64 windows x 9 steps x 2 agents = 1,152 rows, 32 dims, 256 slices, 17
knots) on one thread; the reference is the plain way (autograd through `(x t).cos()`, `(x t).sin()`), run
interleaved in the same process. Medians of repeated runs. Last line: `name = value`.

usage: python bench/sigreg.py [--repeats 15] [--rows 1152]
"""
import argparse, statistics, time
import torch
from comm_wm.sigreg import sigreg, random_directions


def plain_sigreg(x, num_slices=256, num_knots=17, t_max=3.):
    "Reference SIGReg: the same statistic with autograd through K cos/sin per projection."
    a = random_directions(x.shape[1], num_slices)
    t = torch.linspace(0, t_max, num_knots)
    xt = (x @ a)[..., None] * t                                                   # (N, S, K)
    n = x.shape[0]
    cos_mean, sin_mean = xt.cos().mean(0), xt.sin().mean(0)
    phi = torch.exp(-0.5 * t ** 2)
    err = ((cos_mean - phi) ** 2 + sin_mean ** 2) * phi
    return (2 * n * torch.trapezoid(err, t, dim=-1)).mean()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--repeats', type=int, default=15)
    ap.add_argument('--rows', type=int, default=1152)
    a = ap.parse_args()
    torch.set_num_threads(1)
    x = torch.randn(a.rows, 32, requires_grad=True)
    value_ladder, value_plain = sigreg(x).item(), plain_sigreg(x).item()
    def timed(fn):
        t = time.perf_counter()
        fn(x).backward()
        return time.perf_counter() - t
    times = {'ladder': [], 'plain': []}
    for fn in (sigreg, plain_sigreg): timed(fn)                                   # warm-up
    for _ in range(a.repeats):                                                    # interleaved: same load for both
        times['ladder'].append(timed(sigreg))
        times['plain'].append(timed(plain_sigreg))
    ms = {k: 1e3 * statistics.median(v) for k, v in times.items()}
    print(f'SIGReg forward+backward, N={a.rows}, D=32, 256 slices, 17 knots, 1 thread')
    print(f'  values: ladder {value_ladder:.6f}, plain {value_plain:.6f}')
    print(f"  angle-addition ladder (comm_wm.sigreg.sigreg): {ms['ladder']:.1f} ms")
    print(f"  K cos/sin calls through autograd (plain):     {ms['plain']:.1f} ms")
    print(f"sigreg_speedup_vs_plain = {ms['plain'] / ms['ladder']:.2f}")


if __name__ == '__main__':
    main()
