"""Execute notebooks in place so that their saved outputs (tables, plots, shapes) appear on the docs site.

The docs renderer runs no code: what a page shows is what the notebook saved. Run this after editing a
notebook, then `nbdev_clean`. Cells flagged `#| slow` (and nbdev's `notest`) are skipped unless
`--flags slow` is given, exactly as `nbdev_test` skips them.

usage: python tools/execute_nbs.py nbs/00_core.ipynb [nbs/02_config.ipynb ...] [--flags slow]
"""
import argparse, os, sys, time
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from nbdev.process import extract_directives

def _directives(cell):
    return extract_directives(cell, remove=False) if cell.cell_type == 'code' else {}

def execute(path: Path, flags: set) -> bool:
    nb = read_nb(path)
    skip = {'notest', 'slow'} - flags
    def preproc(cell):
        if cell.cell_type != 'code': return True
        if 'nbdev_export' + '(' in cell.source: return True
        d = _directives(cell)
        if d.get('eval:', [''])[0].lower() == 'false': return True
        return bool(skip & d.keys())
    shell = CaptureShell(path)
    start, cwd = time.time(), os.getcwd()
    os.chdir(path.parent)
    try: shell.run_all(nb, exc_stop=True, preproc=preproc)
    except Exception:
        sys.stderr.write(shell.prettytb(fname=path) + '\n'); return False
    finally: os.chdir(cwd)
    write_nb(nb, path)
    print(f'{path}: executed in {time.time() - start:.1f}s')
    return True

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('paths', nargs='+')
    p.add_argument('--flags', nargs='*', default=[])
    a = p.parse_args()
    os.environ.setdefault('IN_TEST', '1')
    ok = all([execute(Path(f), set(a.flags)) for f in a.paths])
    sys.exit(0 if ok else 1)
