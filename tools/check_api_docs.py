"""Check that every public method and property of every public class of comm_wm has an entry on the docs site.

nbdev documents the functions and classes of a notebook by itself, but not their methods: each public method
(or property) needs a `show_doc(Class.method)` cell in the class's notebook, which gives the site an anchor
`class.method` (lower case), and an example or test below it that calls it. For each class named in a module's
`__all__` (methods added with fastcore's `@patch` count as the class's), this reads `comm_wm/*.py` with `ast`
and the built pages in `_docs/`, and reports:
- `no entry on the site`: no page has the anchor (add `show_doc(Class.method)` to the notebook);
- `no example or test`: no code cell of the notebook that is not exported or a `show_doc` mentions `.method`
  (`forward` is exempt: a module is called, not its `forward`).

Prints one line per problem, grouped by notebook, and ends with `api docs: N problems in M classes`;
exits 1 on any problem. Build the site first (`python tools/build_docs.py`).

usage: python tools/check_api_docs.py [--docs _docs] [--classes WorldModel,CommPlanner,GridWorld,MetricsLog]
"""
import argparse, ast, json, re, sys
from html.parser import HTMLParser
from pathlib import Path

LIB = Path('comm_wm')
NOT_METHODS = {'setter', 'deleter'}
CALLED_NOT_NAMED = {'forward'}   # nn.Module's forward runs as module(x)
NOT_API = {'extra_repr'}         # torch's hooks that a module overrides and nobody calls: repr() calls extra_repr

class IdParser(HTMLParser):
    "Every element id of a page."
    def __init__(self):
        super().__init__()
        self.ids = set()
    def handle_starttag(self, tag, attrs):
        self.ids.update(v for k, v in attrs if k == 'id' and v)

def decorator_names(node) -> set:
    "The names of a function's decorators (`@property` -> property, `@x.setter` -> setter, `@patch` -> patch)."
    names = set()
    for d in node.decorator_list:
        d = d.func if isinstance(d, ast.Call) else d
        names.add(d.attr if isinstance(d, ast.Attribute) else getattr(d, 'id', ''))
    return names

def module_all(tree: ast.Module) -> list:
    "The names in a module's `__all__`."
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', '') == '__all__' for t in node.targets):
            return [ast.literal_eval(e) for e in node.value.elts]
    return []

def notebook_of(source: str):
    "The notebook a module is exported from, from the header nbdev writes."
    m = re.search(r'File to edit: (\S+\.ipynb)', source)
    return (LIB / m.group(1)).resolve().relative_to(Path.cwd().resolve()) if m else None

def public_api(path: Path) -> dict:
    "{class name: [(member, 'method' or 'property')]} for the public classes of a module."
    tree = ast.parse(path.read_text(encoding='utf-8'))
    exported = set(module_all(tree))
    api = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in exported and not node.name.startswith('_'):
            members = api.setdefault(node.name, [])
            for f in node.body:
                if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and not f.name.startswith('_') \
                        and f.name not in NOT_API:
                    decs = decorator_names(f)
                    if decs & NOT_METHODS: continue
                    members.append((f.name, 'property' if decs & {'property', 'cached_property'} else 'method'))
    for node in tree.body:   # fastcore's @patch: def name(self: Class, ...)
        if isinstance(node, ast.FunctionDef) and 'patch' in decorator_names(node) and not node.name.startswith('_'):
            args = node.args.posonlyargs + node.args.args
            cls = getattr(args[0].annotation, 'id', None) if args and args[0].annotation is not None else None
            if cls in api: api[cls].append((node.name, 'property' if 'property' in decorator_names(node) else 'method'))
    return api

def example_cells(nb_path: Path) -> str:
    "The source of the notebook's code cells that are neither exported nor `show_doc` calls."
    if not nb_path or not nb_path.exists(): return ''
    cells = json.loads(nb_path.read_text(encoding='utf-8'))['cells']
    keep = []
    for c in cells:
        src = ''.join(c['source'])
        if c['cell_type'] != 'code' or re.search(r'^\s*#\s*\|\s*export', src, re.M): continue
        keep.append(re.sub(r'show_doc\([^)]*\)', '', src))
    return '\n'.join(keep)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--docs', default='_docs')
    p.add_argument('--classes', default='', help='comma-separated class names to check (default: every public class)')
    a = p.parse_args()
    docs = Path(a.docs)
    if not any(docs.glob('*.html')): sys.exit(f'check_api_docs: no pages in {docs}: run python tools/build_docs.py')
    ids = set()
    for page in docs.glob('*.html'):
        parser = IdParser()
        parser.feed(page.read_text(encoding='utf-8', errors='replace'))
        ids |= parser.ids
    only = {c.strip() for c in a.classes.split(',') if c.strip()}
    problems, classes, seen = 0, set(), set()
    for path in sorted(LIB.glob('*.py')):
        if path.name.startswith('_'): continue
        source = path.read_text(encoding='utf-8')
        nb = notebook_of(source)
        examples = example_cells(nb)
        for cls, members in public_api(path).items():
            if only and cls not in only: continue
            seen.add(cls)
            for name, kind in members:
                where = f'{nb or path} {cls}.{name} ({kind})'
                if f'{cls}.{name}'.lower() not in ids:
                    print(f'{where}: no entry on the site: add show_doc({cls}.{name})')
                    problems += 1; classes.add(cls)
                if name not in CALLED_NOT_NAMED and not re.search(rf'\.{re.escape(name)}\b', examples):
                    print(f'{where}: no example or test in the notebook uses it')
                    problems += 1; classes.add(cls)
    for cls in sorted(only - seen):
        print(f'{cls}: no public class of that name in {LIB}/*.py')
        problems += 1
    print(f'api docs: {problems} problems in {len(classes)} classes')
    sys.exit(1 if problems else 0)

if __name__ == '__main__': main()
