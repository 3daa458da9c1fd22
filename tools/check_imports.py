"""Check the house rules on how comm_wm's modules depend on each other, reading `comm_wm/*.py` with `ast`.

1. No module imports a private name (`_name`) of another comm_wm module: `from .x import _name`,
   `from comm_wm.x import _name`, or `x._name` where `x` is another comm_wm module.
2. No module reads a private attribute that another module defines: `obj._name` (obj not `self`/`cls`) where
   `_name` is a private attribute, method or function of another comm_wm module and of none of this one's
   (how `evaluate` reaching into `GridWorld._finished` shows up). The scripts in `tools/`, `bench/` and `scripts/` are
   checked for (1) and (2) as well: they are clients of the library.
3. No module imports a module downstream of it in the dependency order below (the order of notes/COMMON.md
   and DESIGN.md), at the top or inside a function; a module missing from the order is reported too.
4. No exported module is longer than `--max-lines` (default 520: the house rule is ~500).

Prints one line per problem, `file:line: what`, and ends with `imports: N problems`; exits 1 on any problem.

usage: python tools/check_imports.py [--max-lines 520]
"""
import argparse, ast, sys
from pathlib import Path

LIB = Path('comm_wm')
ORDER = ['core', 'dsl', 'config', 'gumbel', 'distributions', 'row_table', 'embed_readout', 'hl_gauss', 'hl_gauss_layer',
         'transformer_blocks', 'action_transformer', 'messages', 'render', 'layouts', 'env', 'interop', 'data',
         'sigreg', 'jepa', 'losses', 'checkpoints', 'metrics', 'diagnostics', 'train', 'programs', 'planner', 'evaluate',
         'bc', 'program_eval', 'results', 'cli']
CLIENTS = ['tools', 'bench', 'scripts']

def private(name: str) -> bool:
    return name.startswith('_') and not (name.startswith('__') and name.endswith('__'))

def imported_module(node: ast.ImportFrom, importer: str):
    "The comm_wm module an ImportFrom reads from ('' for the package itself), or None for another package."
    if node.level:   # relative: inside comm_wm, one level is the package
        return node.module or '' if node.level == 1 else None
    if node.module == 'comm_wm': return ''
    if node.module and node.module.startswith('comm_wm.'): return node.module.split('.')[1]
    return None

def private_definitions(tree: ast.Module) -> set:
    "The private names a module defines: functions, classes, methods, assigned names, `self._x = ...`."
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and private(node.name):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                for e in ast.walk(t):
                    if isinstance(e, ast.Name) and private(e.id): names.add(e.id)
                    own_attribute = isinstance(e, ast.Attribute) and getattr(e.value, 'id', '') in ('self', 'cls')
                    if own_attribute and private(e.attr): names.add(e.attr)
    return names

class ModuleVisitor(ast.NodeVisitor):
    "Collect one file's imports of comm_wm modules, their private names, and private attribute reads."
    def __init__(self, name: str):
        self.name, self.depth = name, 0
        self.imports, self.private_imports, self.aliases, self.attributes = [], [], {}, []
    def visit_FunctionDef(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1
    visit_AsyncFunctionDef = visit_FunctionDef
    def visit_Import(self, node):
        for a in node.names:
            if a.name.startswith('comm_wm.'):
                mod = a.name.split('.')[1]
                self.imports.append((node.lineno, mod, self.depth > 0))
                if a.asname: self.aliases[a.asname] = mod
    def visit_ImportFrom(self, node):
        mod = imported_module(node, self.name)
        if mod is None: return
        for a in node.names:
            target = mod or a.name   # `from comm_wm import env` imports the module env
            if not mod: self.aliases[a.asname or a.name] = a.name
            self.imports.append((node.lineno, target, self.depth > 0))
            if mod and private(a.name) and mod != self.name:
                self.private_imports.append((node.lineno, f'imports the private name {a.name} from comm_wm.{mod}'))
    def visit_Attribute(self, node):
        v = node.value
        if private(node.attr):
            if isinstance(v, ast.Name) and v.id in self.aliases and self.aliases[v.id] != self.name:
                what = f'reads the private name {self.aliases[v.id]}.{node.attr} (as {ast.unparse(node)})'
                self.private_imports.append((node.lineno, what))
            elif isinstance(v, ast.Attribute) and isinstance(v.value, ast.Name) and v.value.id == 'comm_wm' \
                    and v.attr != self.name:
                what = f'reads the private name {v.attr}.{node.attr} (as {ast.unparse(node)})'
                self.private_imports.append((node.lineno, what))
            elif not (isinstance(v, ast.Name) and v.id in ('self', 'cls')):
                self.attributes.append((node.lineno, node.attr, ast.unparse(v)))
        self.generic_visit(node)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--max-lines', type=int, default=520)
    a = p.parse_args()
    modules = sorted(f for f in LIB.glob('*.py') if not f.name.startswith('_'))
    trees = {f.stem: ast.parse(f.read_text(encoding='utf-8')) for f in modules}
    defined = {name: private_definitions(tree) for name, tree in trees.items()}
    clients = sorted(f for d in CLIENTS for f in Path(d).glob('*.py'))
    problems = []
    def problem(path, line, what): problems.append(f'{path}:{line}: {what}')
    for path in modules + clients:
        name = path.stem if path.parent == LIB else None
        tree = trees[name] if name else ast.parse(path.read_text(encoding='utf-8'))
        v = ModuleVisitor(name)
        v.visit(tree)
        for line, what in v.private_imports: problem(path, line, what)
        own = defined.get(name, set()) | (private_definitions(tree) if not name else set())
        for line, attr, obj in v.attributes:
            owners = sorted(m for m, names in defined.items() if attr in names and m != name)
            if owners and attr not in own:
                problem(path, line, f'reads {obj}.{attr}, a private name of comm_wm.{" / comm_wm.".join(owners)}')
        if name is None: continue
        if name not in ORDER:
            problem(path, 1, f'comm_wm.{name} is not in the dependency order (ORDER in tools/check_imports.py)')
        else:
            for line, mod, lazy in v.imports:
                if mod in ORDER and ORDER.index(mod) > ORDER.index(name):
                    problem(path, line, f'imports comm_wm.{mod}, which comes after comm_wm.{name} in the order'
                                        + (' (inside a function)' if lazy else ''))
        n = len(path.read_text(encoding='utf-8').splitlines())
        if n > a.max_lines: problem(path, n, f'{n} lines, over {a.max_lines}: split it by job')
    problems = list(dict.fromkeys(problems))   # `from .x import a, b` is one problem
    for line in problems: print(line)
    print(f'imports: {len(problems)} problems')
    sys.exit(1 if problems else 0)

if __name__ == '__main__': main()
