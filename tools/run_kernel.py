"""Run notebooks through a real Jupyter kernel, as JupyterLab would, to check that they run interactively.

`nbdev_test` runs notebooks in its own in-process shell; this starts the `python3` kernel (ipykernel in the
environment that runs this script, i.e. the venv) with `nbclient`, in the notebook's own folder, and runs the
cells in order. The cells `nbdev_test` skips are skipped the same way: cells flagged with a test flag from
`settings.ini` (`tst_flags`: `notest`, `slow`) unless `--flags` names it, `#| eval: false` cells, and the
`nbdev_export()` cell. Nothing is written back to the notebooks.

Prints `notebook: ok (N cells, S s)` or the failing cell and its error for each, and ends with
`kernel: N passed, M failed`; exits 1 on any failure.

usage: python tools/run_kernel.py nbs/24_planner.ipynb nbs/14_env.ipynb [--flags slow] [--timeout 600]
"""
import argparse, os, re, sys, time
from configparser import ConfigParser
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from check_cells import directives   # the `#|` directives of a cell, read as nbdev reads them (tools/)

SKIP_TAG = 'skip-execution'   # nbclient's NotebookClient.skip_cells_with_tag

def test_flags() -> set:
    "The flags that `nbdev_test` skips unless asked (`tst_flags` in settings.ini)."
    cfg = ConfigParser()
    cfg.read('settings.ini')
    return set(cfg.get('DEFAULT', 'tst_flags', fallback='notest slow').split())

def skipped(cell, skip_flags: set) -> bool:
    "Whether `nbdev_test` would skip this cell."
    if cell.cell_type != 'code': return False
    d = directives(cell.source)
    no_eval = d.get('eval:', [''])[0].lower() == 'false'
    return bool(d.keys() & skip_flags) or no_eval or 'nbdev_export' + '()' in cell.source

def run(path: Path, skip_flags: set, timeout: int, kernel: str) -> bool:
    "Run one notebook in a fresh kernel; print the result."
    nb = nbformat.read(path, as_version=4)
    to_run = 0
    for cell in nb.cells:
        if skipped(cell, skip_flags): cell.metadata.setdefault('tags', []).append(SKIP_TAG)
        elif cell.cell_type == 'code': to_run += 1
    client = NotebookClient(nb, kernel_name=kernel, timeout=timeout, skip_cells_with_tag=SKIP_TAG,
                            resources={'metadata': {'path': str(path.parent.resolve())}})
    start = time.time()
    try: client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        print(f'{path}: FAILED after {time.time() - start:.0f}s\n' + re.sub(r'\x1b\[[0-9;]*m', '', str(e)), flush=True)
        return False
    print(f'{path}: ok ({to_run} cells in a {kernel} kernel, {time.time() - start:.0f}s)', flush=True)
    return True

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('paths', nargs='+')
    p.add_argument('--flags', nargs='*', default=[], help='test flags to run anyway (e.g. slow)')
    p.add_argument('--timeout', type=int, default=600, help='seconds one cell may take')
    p.add_argument('--kernel', default='python3')
    a = p.parse_args()
    os.environ.setdefault('IN_TEST', '1')   # as nbdev_test sets it
    skip_flags = test_flags() - set(a.flags)
    results = [run(Path(f), skip_flags, a.timeout, a.kernel) for f in a.paths]
    print(f'kernel: {sum(results)} passed, {len(results) - sum(results)} failed')
    sys.exit(0 if all(results) else 1)

if __name__ == '__main__': main()
