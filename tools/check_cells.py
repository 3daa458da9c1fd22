"""List the notebook cells that break two of the house rules the docs build depends on.

1. A cell that is not exported but mixes an import with other code. nbdev runs every cell that contains an
   import while it builds the docs (`nbdev.processors.exec_show_docs`: exported cells, imports, `show_doc`
   calls), so such a cell would run its examples, trainings or slow tests during `tools/build_docs.py`.
   Split it: the imports in a cell of their own, the rest below.
2. A line over 120 characters in an exported cell (`#| export`, `exports`, `exporti`).

Cells flagged `#| eval: false` never run and are not checked for (1). Prints one line per problem,
`notebook cell N (id ...): what`, and ends with `cells: N problems in M notebooks`; exits 1 on any problem.

`--split` fixes (1) in the notebooks given, for the cells where it can: the cell's top-level imports move into a
new cell just above it, which carries the same `#|` directives (so a `slow` cell's imports stay slow); the rest
of the cell keeps its id and its outputs. Imports nested inside a function or a `with` block are left to you.
Run `nbdev_clean --fname <notebook>` afterwards. Run `--split` only on notebooks you own.

usage: python tools/check_cells.py [nbs/24_planner.ipynb ...]   (default: every notebook under nbs/)
       python tools/check_cells.py --split nbs/24_planner.ipynb
"""
import argparse, ast, json, re, sys, uuid
from pathlib import Path

EXPORTED = {'export', 'exports', 'exporti'}
RUN_BY_DOCS = EXPORTED | {'exec_doc'}
MAX_LINE = 120

def directives(source: str) -> dict:
    "The `#| name value` lines at the top of a cell, as nbdev reads them: {name: [values]}."
    found = {}
    for line in source.splitlines():
        if not line.strip(): continue
        m = re.match(r'^\s*#\s*\|\s*([\w-]+:?)\s*(.*)$', line)
        if not m: break
        found[m.group(1)] = m.group(2).split()
    return found

def python_source(source: str) -> str:
    "The cell's source with IPython magics and shell escapes blanked (nbdev parses cells the same way)."
    return '\n'.join('' if re.match(r'^\s*[%!]', l) else l for l in source.splitlines())

def mixes_imports(tree: ast.Module) -> bool:
    "Whether a cell holds an import (anywhere, as nbdev looks) and a top-level statement that is not one."
    has_import = any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree))
    return has_import and not all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body)

def judged_by_imports(source: str, d: dict) -> bool:
    "Whether nbdev decides by its imports if the cell runs while building the docs (not exported, not eval: false)."
    return not (d.keys() & RUN_BY_DOCS or d.get('eval:', [''])[0].lower() == 'false' or 'nbdev_export' + '()' in source)

def cell_problems(cell: dict) -> list:
    "The problems of one code cell, as short sentences."
    source = ''.join(cell['source'])
    d = directives(source)
    problems = []
    if d.keys() & EXPORTED:
        long_lines = [i + 1 for i, l in enumerate(source.splitlines()) if len(l) > MAX_LINE]
        if long_lines:
            problems.append(f'exported lines over {MAX_LINE} characters: line {", ".join(map(str, long_lines))}')
    if not judged_by_imports(source, d): return problems
    try: tree = ast.parse(python_source(source))
    except SyntaxError as e:
        return problems + [f'does not parse as Python ({e.msg}, line {e.lineno})']
    if mixes_imports(tree):
        code = [l for l in source.splitlines() if l.strip() and not l.lstrip().startswith('#')]
        problems.append(f'mixes imports with other code (nbdev runs it while building the docs): {code[0][:70]!r}')
    return problems

def notebook_problems(path: Path) -> list:
    "(cell index, cell id, problem) for every problem of a notebook."
    nb = json.loads(path.read_text(encoding='utf-8'))
    return [(i, cell.get('id', '?'), p) for i, cell in enumerate(nb['cells'])
            if cell['cell_type'] == 'code' for p in cell_problems(cell)]

def split_imports(cell: dict):
    "(imports cell, rest of the cell) for a cell that mixes top-level imports with other code, else None."
    source = ''.join(cell['source'])
    d = directives(source)
    if not judged_by_imports(source, d): return None
    try: tree = ast.parse(python_source(source))
    except SyntaxError: return None
    if not mixes_imports(tree): return None
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    if not imports: return None
    lines = source.splitlines()
    moved = {i for n in imports for i in range(n.lineno - 1, n.end_lineno)}
    head = []
    for l in lines:
        if not re.match(r'^\s*#\s*\|', l): break
        head.append(l)
    rest = [l for i, l in enumerate(lines) if i not in moved and i >= len(head)]
    while rest and not rest[0].strip(): rest.pop(0)
    as_source = lambda ls: [l + '\n' for l in ls[:-1]] + ls[-1:]
    imports_cell = dict(cell_type='code', execution_count=None, id=uuid.uuid4().hex[:8], metadata={}, outputs=[],
                        source=as_source(head + [lines[i] for i in sorted(moved)]))
    return imports_cell, dict(cell, source=as_source(head + rest))

def split_notebook(path: Path) -> int:
    "Split every mixed cell of a notebook that `split_imports` can split; returns how many it split."
    nb = json.loads(path.read_text(encoding='utf-8'))
    cells, split = [], 0
    for cell in nb['cells']:
        parts = split_imports(cell) if cell['cell_type'] == 'code' else None
        cells += list(parts) if parts else [cell]
        split += bool(parts)
    if split:
        nb['cells'] = cells
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    return split

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('paths', nargs='*', help='notebooks to check (default: nbs/**/*.ipynb)')
    p.add_argument('--split', action='store_true',
                   help='move the top-level imports of mixed cells into cells of their own')
    a = p.parse_args()
    paths = [Path(f) for f in a.paths] or sorted(f for f in Path('nbs').rglob('*.ipynb')
                                                 if '.ipynb_checkpoints' not in f.parts)
    if a.split:
        if not a.paths: sys.exit('check_cells: --split needs the notebooks to change (only your own)')
        for path in paths: print(f'{path}: {split_notebook(path)} cells split')
    total, notebooks = 0, 0
    for path in paths:
        found = notebook_problems(path)
        for i, cell_id, problem in found: print(f'{path} cell {i} (id {cell_id}): {problem}')
        total += len(found)
        notebooks += bool(found)
    print(f'cells: {total} problems in {notebooks} notebooks')
    sys.exit(1 if total else 0)

if __name__ == '__main__': main()
