"""Run the reference library's own test file against `comm_wm.embed_readout`, through an adapter that only renames.

The reference, `discrete-continuous-embed-readout==0.2.12` (a dev extra), keeps its tests in
`tests/test_embed_readout.py` of its repository (lucidrains/discrete-continuous-embed-readout); its sdist on PyPI
does not ship them, so this check reads the file from the path given on the command line. Get it with
`git clone https://github.com/lucidrains/discrete-continuous-embed-readout` (the file at the release 0.2.12 holds
22 tests; the check prints the file's sha256 and says whether it is the version this list was written against).

At check time the script writes, in a temporary folder, a package named `discrete_continuous_embed_readout`
whose module `discrete_continuous_embed_readout.discrete_continuous_embed_readout` holds nothing but
re-exports of comm_wm's names under the reference's (`NAMES` below), puts that folder first on `PYTHONPATH`
(so the test file imports comm_wm where it asks for the reference), and runs the test file with pytest.
The file also imports `x_transformers.Decoder` as the attention layer between embed and readout; when
x-transformers is not installed (it is not a dev extra) a stand-in of the same signature is written beside
the adapter: a causal `torch.nn.TransformerEncoder` (the tests assert shapes after it, not its numbers).

Tests that fail on purpose are listed in `DELIBERATE` with the reason; the docs page of
`nbs/06_embed_readout.ipynb` shows the same list (it reads it from this file). A listed test that passes is a
failure too (the list is stale). `--against reference` runs the same file against the installed reference
instead, through the same stand-in, as a baseline: all its tests pass there.

Prints one line per test that did not pass, the deliberate differences with their reasons, and ends with
`reference tests: N passed, M failed` (deliberate differences counted apart); exits 1 when M > 0.

usage: python tools/check_reference_embed_readout.py PATH/tests/test_embed_readout.py [--against reference]
"""
import argparse, hashlib, os, subprocess, sys, tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

# the reference's names the test file imports -> the comm_wm object each stands for
NAMES = {
    'Embed': 'comm_wm.embed_readout.Embed',
    'Readout': 'comm_wm.embed_readout.Readout',
    'EmbedAndReadout': 'comm_wm.embed_readout.EmbedAndReadout',
    'ParameterlessReadout': 'comm_wm.embed_readout.ParameterlessReadout',
    'MultiCategorical': 'comm_wm.distributions.MultiCategorical',
    'segmented_softmax': 'comm_wm.distributions.segmented_softmax',
    'exists': 'comm_wm.core.exists',
    'rearrange': 'einops.rearrange',   # the reference re-exports einops' function; so do we
}

# test name (without parameters) -> why comm_wm differs on purpose
DELIBERATE = {
    'test_readout_unreduced_loss': (
        'A masked continuous loss is the mean over the values that count (sum / (positions kept x num_continuous)), '
        'so an all-true `loss_mask` gives the unmasked loss; the reference divides the masked sum by the number of '
        'positions, which makes its masked loss num_continuous times its unmasked one. The test also expects the '
        'unreduced one-head discrete loss as (..., 1); ours is (...), the shape of `log_prob` (the loss is '
        '`-log_prob` elementwise); `explicit_single_action_dim_given=True` gives (..., 1).'),
}

VALIDATED_SHA256 = '32bdcbb9e35a9b28673bba147ac93d2d48bc9713173e98d0d646031b11a3db0c'   # the file at 0.2.12, 22 tests

DECODER_STAND_IN = '''"""Stand-in for x_transformers.Decoder in the reference's tests: a causal pre-norm transformer, same call."""
import torch
from torch import nn

class Decoder(nn.Module):
    def __init__(self, dim, depth, heads=8, rotary_pos_emb=False, **kwargs):
        super().__init__()
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=4 * dim, dropout=0., batch_first=True,
                                           norm_first=True)
        self.layers = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)

    def forward(self, x):
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[-2])
        return self.layers(x, mask=mask, is_causal=True)
'''


def adapter_source() -> str:
    "The module `discrete_continuous_embed_readout.discrete_continuous_embed_readout`: re-exports, nothing else."
    lines = ['"""comm_wm under the reference\'s names (written by tools/check_reference_embed_readout.py)."""']
    for name, target in NAMES.items():
        module, attr = target.rsplit('.', 1)
        lines.append(f'from {module} import {attr}' + ('' if attr == name else f' as {name}'))
    lines.append(f'__all__ = {list(NAMES)!r}')
    return '\n'.join(lines) + '\n'


def write_environment(folder: Path, against: str, test_file: Path) -> Path:
    "Write the adapter (for comm_wm), the Decoder stand-in (if needed) and a copy of the test file into `folder`."
    if against == 'comm_wm':
        package = folder / 'discrete_continuous_embed_readout'
        package.mkdir()
        (package / 'discrete_continuous_embed_readout.py').write_text(adapter_source())
        (package / '__init__.py').write_text('from .discrete_continuous_embed_readout import *\n')
    try:
        import x_transformers  # noqa: F401
    except ImportError:
        (folder / 'x_transformers.py').write_text(DECODER_STAND_IN)
    copy = folder / 'test_embed_readout.py'
    copy.write_text(test_file.read_text())
    return copy


def run_pytest(folder: Path, test_copy: Path) -> tuple[int, list]:
    "-> (pytest's exit code, [(test id, outcome, first line of the message)]) from its JUnit report"
    report = folder / 'report.xml'
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(folder), str(Path.cwd())] +
                                                      [p for p in [os.environ.get('PYTHONPATH')] if p]))
    cmd = [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--rootdir', str(folder),
           '--junitxml', str(report), str(test_copy)]
    proc = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True)
    if not report.exists():
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep='\n')
        return proc.returncode, []
    results = []
    for case in ET.parse(report).getroot().iter('testcase'):
        problem = next((c for c in case if c.tag in ('failure', 'error')), None)
        skipped = next((c for c in case if c.tag == 'skipped'), None)
        outcome = 'failed' if problem is not None else 'skipped' if skipped is not None else 'passed'
        message = ''
        if problem is not None:   # the assertion's message; for an error (an import failing) the traceback's last line
            first = (problem.get('message') or '').strip().splitlines()
            last = (problem.text or '').strip().splitlines()
            message = ' / '.join(dict.fromkeys(l for l in (first[:1] + last[-1:]) if l))
        results.append((case.get('name'), outcome, message))
    return proc.returncode, results


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('test_file', type=Path, help="the reference repository's tests/test_embed_readout.py")
    p.add_argument('--against', choices=('comm_wm', 'reference'), default='comm_wm',
                   help='run the tests against comm_wm through the adapter (default) or against the reference')
    args = p.parse_args()
    if not args.test_file.is_file():
        sys.exit(f'test_file: no file at {args.test_file} (get it from the reference repository, see --help)')
    digest = hashlib.sha256(args.test_file.read_bytes()).hexdigest()
    known = 'the version this check was written against' if digest == VALIDATED_SHA256 else \
        f'NOT the version this check was written against ({VALIDATED_SHA256[:12]}...): the list may not fit'
    print(f'{args.test_file}: sha256 {digest[:12]}..., {known}')

    with tempfile.TemporaryDirectory(prefix='reference_tests_') as tmp:
        folder = Path(tmp)
        code, results = run_pytest(folder, write_environment(folder, args.against, args.test_file))
    if not results:
        print(f'pytest collected nothing (exit code {code})')
        print('reference tests: 0 passed, 1 failed')
        sys.exit(1)

    deliberate = DELIBERATE if args.against == 'comm_wm' else {}
    passed = failed = 0
    seen_deliberate = {}
    for test_id, outcome, message in results:
        base = test_id.split('[')[0]
        if base in deliberate:
            seen_deliberate.setdefault(base, []).append((test_id, outcome))
            if outcome == 'passed':
                failed += 1
                print(f'FAIL {test_id}: listed as a deliberate difference but passes (remove it from DELIBERATE)')
            continue
        if outcome == 'passed': passed += 1
        else:
            failed += 1
            print(f'FAIL {test_id}: {message[:300]}')
    for base, reason in deliberate.items():
        ids = ', '.join(f'{t} ({o})' for t, o in seen_deliberate.get(base, [])) or 'not in this file'
        print(f'deliberate difference {base}: {ids}\n    {reason}')
    n_deliberate = sum(len(v) for v in seen_deliberate.values() if all(o != 'passed' for _, o in v))
    against = 'comm_wm through the adapter' if args.against == 'comm_wm' else 'the installed reference'
    print(f'against {against}; {len(results)} tests, {n_deliberate} of them deliberate differences (not counted)')
    print(f'reference tests: {passed} passed, {failed} failed')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
