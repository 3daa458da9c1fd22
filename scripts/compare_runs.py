"""Compare two run folders written by `comm_wm demo`: do they hold the same numbers?

Reads `results.json` (the evaluation rows) at the top of each folder, when both have one, and every
`<task>/diagnostics.json` (`<task>/seed<k>/diagnostics.json` with several training seeds) the reference folder
holds. Rows are matched by (task, method) and every field is
compared exactly, except `ms_per_decision` (a timing); NaN equals NaN. Diagnostics are compared value by value,
with `--tolerance` (default 0: bit for bit). Prints one line per file and per difference, and ends with
`compare: N values differ`; exits 1 when any differs.

This is how a refactor shows it changes no number: run the demo on the new code and compare with the committed
results, e.g.

    comm_wm demo --values run_dir=/tmp/check/run
    python scripts/compare_runs.py results/demo /tmp/check/run

usage: python scripts/compare_runs.py REFERENCE_DIR NEW_DIR [--tolerance 1e-5]
"""
import argparse, json, math, sys
from pathlib import Path

TIMINGS = ('ms_per_decision',)

def flatten(value, key: str = '') -> dict:
    "Nested dicts and lists -> {'a.b[2]': leaf}."
    if isinstance(value, dict):
        return {k: v for name, item in value.items()
                for k, v in flatten(item, f'{key}.{name}' if key else name).items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in flatten(item, f'{key}[{i}]').items()}
    return {key: value}

def same(a, b, tolerance: float) -> bool:
    "Equal leaves: NaN equals NaN, numbers within `tolerance`."
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b): return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= tolerance
    return a == b

def compare_values(name: str, reference: dict, new: dict, tolerance: float) -> int:
    "Print the differing leaves of two flattened files; return how many differ."
    differ = [k for k in reference if k not in new or not same(reference[k], new[k], tolerance)]
    differ += [k for k in new if k not in reference]
    print(f'{name}: {len(reference)} values, {len(differ)} differ')
    for k in differ[:20]: print(f'  {k}: {reference.get(k, "(missing)")} -> {new.get(k, "(missing)")}')
    return len(differ)

def load_rows(path: Path) -> dict:
    "results.json -> {'task/method': row without timings}."
    data = json.loads(path.read_text())
    rows = data['rows'] if isinstance(data, dict) and 'rows' in data else data
    return {f"{r['task']}/{r['method']}": {k: v for k, v in r.items() if k not in TIMINGS} for r in rows}

def diagnostics_files(folder: Path) -> list:
    "Every <task>/diagnostics.json, and <task>/seed<k>/diagnostics.json of a run with several training seeds."
    return sorted(f for pattern in ('*/diagnostics.json', '*/seed*/diagnostics.json') for f in folder.glob(pattern))

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('reference', type=Path, help='the run folder to compare against (e.g. results/demo)')
    p.add_argument('new', type=Path, help='the run folder to check')
    p.add_argument('--tolerance', type=float, default=0.,
                   help='largest difference of a diagnostic value that counts as equal')
    a = p.parse_args(argv)
    for folder in (a.reference, a.new):
        if not folder.is_dir(): sys.exit(f'compare_runs: {folder}: not a folder (pass the run folders)')
    differ = 0
    if (a.reference / 'results.json').exists() and (a.new / 'results.json').exists():
        rows = [flatten(load_rows(folder / 'results.json')) for folder in (a.reference, a.new)]
        differ += compare_values('results.json (rows, timings left out)', *rows, 0.)
    for ref in diagnostics_files(a.reference):
        name = ref.relative_to(a.reference).as_posix()
        new = a.new / name
        if not new.exists():
            print(f'{name}: missing in {a.new}')
            differ += 1
            continue
        differ += compare_values(name, flatten(json.loads(ref.read_text())), flatten(json.loads(new.read_text())),
                                 a.tolerance)
    print(f'compare: {differ} values differ')
    return 1 if differ else 0

if __name__ == '__main__': sys.exit(main())
