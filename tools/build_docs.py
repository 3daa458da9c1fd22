"""Build the docs site into `_docs/` and `README.md` from the notebooks, offline, with nbdev's public API only.

The steps are those of `nbdev_docs`, less the two that need Quarto (which cannot be installed offline: its
Python package downloads a binary):

1. `nbdev_export` (CLI): the library and `comm_wm/_modidx.py`, which the doc links read;
2. `refresh_quarto_yml()` and `nbdev_sidebar` (CLI): `nbs/nbdev.yml` and `nbs/sidebar.yml`;
3. `nbdev.serve.proc_nbs`: nbdev's processors (frontmatter, `show_doc` signatures, doc links, hidden cells)
   write the processed notebooks into `_proc/`. nbdev runs the exported cells, the import cells and the
   `show_doc` cells to do this; `tools/check_cells.py` makes sure that no other cell is among them;
4. render `_proc/` with the pure-Python `smalldocs` from the same `_quarto.yml` (`--quarto`: with Quarto);
5. make the site self-contained (`npm ci` installs what `package-lock.json` pins into `node_modules/`):
   KaTeX is copied into `_docs/site_libs/katex/` and every page points at that copy instead of a CDN; the web
   fonts that the theme's CSS `@import`s from a font service come from their `@fontsource/` packages instead
   (`_docs/site_libs/fonts/`); any other remote `@import` stops the build. `CONTRIBUTING.md` becomes the
   page `contributing.html`;
6. `README.md` from the processed `nbs/index.ipynb` (see `write_readme` for why this is ours).

usage: npm ci && python tools/build_docs.py [--quarto]
"""
import argparse, base64, json, os, re, shutil, subprocess, sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import yaml
from nbdev.config import get_config
from nbdev.quarto import refresh_quarto_yml
from nbdev.serve import proc_nbs

from check_cells import notebook_problems   # tools/check_cells.py, beside this file

KATEX_DIST = Path('node_modules/katex/dist')
KATEX_FILES = ['katex.min.css', 'katex.min.js', 'contrib/auto-render.min.js', 'fonts']
# smalldocs writes `<link href="https://<cdn>/npm/katex@<version>/dist/katex.min.css">` and two such scripts
KATEX_CDN = re.compile(r'https?://[^"\'\s]+/katex@[^/"\'\s]+/dist/')
SITE_KATEX = 'site_libs/katex/'
REMOTE_IMPORT = re.compile(r'@import\s+url\(([\'"]?)(https?://[^)\'"]+)\1\)\s*;')
FONTSOURCE = Path('node_modules/@fontsource')
SITE_FONTS = 'site_libs/fonts/'

def run(*cmd):
    "Run one of nbdev's or smalldocs' commands; stop the build with its output if it fails."
    print('$', ' '.join(cmd), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr)
        sys.exit(f'build_docs: `{" ".join(cmd)}` failed (exit {r.returncode})')
    return r.stdout

def process_notebooks(cfg) -> Path:
    "Steps 1-3: the library, nbdev's yml files and `_proc/`, as `nbdev_proc_nbs` makes them (without Quarto)."
    run('nbdev_export')
    refresh_quarto_yml()
    run('nbdev_sidebar')
    mixed = [f'  {nb.relative_to(cfg.config_path)} cell {i} (id {cell_id})'
             for nb in sorted(cfg.nbs_path.glob('*.ipynb'))
             for i, cell_id, what in notebook_problems(nb) if what.startswith('mixes')]
    if mixed: print('build_docs: nbdev will run these cells, which mix imports with other code '
                    '(split them: python tools/check_cells.py --split <notebook>):', *mixed, sep='\n', flush=True)
    shutil.rmtree(cfg.config_path / '_proc', ignore_errors=True)   # proc_nbs keeps stale files otherwise
    return Path(proc_nbs(n_workers=0))

def frontmatter(nb: dict) -> dict:
    "The YAML of a processed notebook's first (raw) cell."
    cell = nb['cells'][0] if nb['cells'] else None
    if not cell or cell['cell_type'] != 'raw': return {}
    return yaml.safe_load(''.join(cell['source']).strip().strip('-')) or {}

def name_pages_like_quarto(proc: Path, site_url: str) -> dict:
    """Give each notebook its `output-file` name (`00_core.ipynb` -> `core.html`) and keep doc links on this site.

    Quarto reads the `output-file` that nbdev writes into the frontmatter; smalldocs names a page after its
    file, so the processed notebook is renamed (and the sidebar with it). Returns {old name: new name}."""
    renames = {}
    for nb_path in sorted(proc.glob('*.ipynb')):
        text = nb_path.read_text(encoding='utf-8').replace(site_url.rstrip('/') + '/', '')
        nb_path.write_text(text, encoding='utf-8')
        out = frontmatter(json.loads(text)).get('output-file')
        if out and Path(out).stem != nb_path.stem:
            target = nb_path.with_name(Path(out).stem + '.ipynb')
            nb_path.rename(target)
            renames[nb_path.name] = target.name
    sidebar = proc / 'sidebar.yml'
    text = sidebar.read_text(encoding='utf-8')
    for old, new in renames.items(): text = re.sub(rf'\b{re.escape(old)}\b', new, text)
    sidebar.write_text(text, encoding='utf-8')
    return renames

def add_contributing(proc: Path, root: Path):
    "`CONTRIBUTING.md` as a page of the site (`contributing.html`), last in the sidebar; the index links to it."
    src = root / 'CONTRIBUTING.md'
    if not src.exists(): return
    body = re.sub(r'\A# .*\n', '', src.read_text(encoding='utf-8'))
    (proc / 'contributing.md').write_text('---\ntitle: Contributing\n---\n\n' + body, encoding='utf-8')
    sidebar = proc / 'sidebar.yml'
    yml = yaml.safe_load(sidebar.read_text(encoding='utf-8'))
    yml['website']['sidebar']['contents'].append('contributing.md')
    sidebar.write_text(yaml.safe_dump(yml, sort_keys=False), encoding='utf-8')

def _hidden(src: str) -> bool:
    return bool(re.search(r'^#\|\s*(hide|echo:\s*false)', src, re.M))

def write_readme(proc: Path, root: Path):
    """README.md from the processed index notebook: prose, shown code, and saved outputs (images to files).

    This is ours, not `nbdev_readme`, because `nbdev_readme` is `quarto render index.ipynb -t gfm`, which needs
    Quarto. It reads only what `proc_nbs` wrote and writes what Quarto's `gfm` output holds for our index: the
    title and description, markdown cells, code that is not hidden, streams, markdown and text results, and
    PNG figures as files under `index_files/figure-commonmark/`."""
    nb = json.loads((proc / 'index.ipynb').read_text(encoding='utf-8'))
    fm = frontmatter(nb)
    fig_dir = root / 'index_files' / 'figure-commonmark'
    shutil.rmtree(fig_dir.parent, ignore_errors=True)
    parts = [f"# {fm.get('title', 'comm_wm')}\n", f"> {fm['description']}\n" if fm.get('description') else '']
    parts.append('<!-- WARNING: THIS FILE WAS AUTOGENERATED from nbs/index.ipynb by tools/build_docs.py! '
                 'DO NOT EDIT! -->\n')
    for i, cell in enumerate(nb['cells']):
        src = ''.join(cell['source'])
        if cell['cell_type'] == 'markdown':
            if 'THIS FILE WAS AUTOGENERATED' not in src: parts.append(src + '\n')
            continue
        if cell['cell_type'] != 'code' or not src.strip(): continue
        if not _hidden(src):
            shown = '\n'.join(l for l in src.splitlines() if not l.startswith('#|'))
            parts.append(f"```python\n{shown}\n```\n")
        asis = re.search(r'^#\|\s*output:\s*asis', src, re.M)
        for j, out in enumerate(cell.get('outputs', [])):
            if out['output_type'] == 'stream': parts.append('```\n' + ''.join(out['text']).rstrip() + '\n```\n')
            data = out.get('data', {})
            if 'image/png' in data:
                fig_dir.mkdir(parents=True, exist_ok=True)
                fig = fig_dir / f'cell-{i}-output-{j + 1}.png'
                fig.write_bytes(base64.b64decode(data['image/png']))
                parts.append(f'![]({fig.relative_to(root).as_posix()})\n')
            elif 'text/markdown' in data: parts.append(''.join(data['text/markdown']) + '\n')
            elif 'text/plain' in data and not asis:
                parts.append('```\n' + ''.join(data['text/plain']).rstrip() + '\n```\n')
    (root / 'README.md').write_text('\n'.join(p for p in parts if p), encoding='utf-8')

def vendor_katex(site: Path) -> int:
    "Copy KaTeX into `site_libs/katex/` and point every page's KaTeX links there. Returns the pages changed."
    if not (KATEX_DIST / 'katex.min.js').exists():
        sys.exit(f'build_docs: {KATEX_DIST} is missing: run `npm ci` (package.json pins katex)')
    target = site / SITE_KATEX
    shutil.rmtree(target, ignore_errors=True)
    for name in KATEX_FILES:
        src, dst = KATEX_DIST / name, target / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir(): shutil.copytree(src, dst)
        else: shutil.copy2(src, dst)
    changed = 0
    for page in site.rglob('*.html'):
        html = page.read_text(encoding='utf-8')
        local = os.path.relpath(target, page.parent).replace(os.sep, '/') + '/'
        new = KATEX_CDN.sub(local, html)
        if new != html:
            page.write_text(new, encoding='utf-8')
            changed += 1
    return changed

def font_families(url: str) -> list:
    "[(family, [weights])] that a web-font stylesheet URL asks for (`?family=Source+Sans+Pro:wght@300;400;700`)."
    out = []
    for spec in parse_qs(urlparse(url).query).get('family', []):
        family, _, axes = spec.partition(':')
        weights = axes.partition('@')[2].split(';') if '@' in axes else ['400']
        out.append((family.strip(), [w.split(',')[-1] for w in weights if w]))
    return out

def local_fonts(family: str, weights: list, target: Path) -> Path:
    "Copy a family's `@fontsource` files for these weights (normal style) under `target`; returns the CSS file."
    name = family.lower().replace(' ', '-')
    pkg = FONTSOURCE / name
    if not pkg.exists():
        sys.exit(f'build_docs: the theme loads the web font {family!r}; vendor it: '
                 f'npm install --save-exact @fontsource/{name}')
    css = []
    for w in weights:
        text = (pkg / f'{w}.css').read_text(encoding='utf-8')
        for f in re.findall(r'url\(\./files/([^)]+)\)', text):
            (target / name).mkdir(parents=True, exist_ok=True)
            shutil.copy2(pkg / 'files' / f, target / name / f)
        css.append(text.replace('url(./files/', f'url({name}/'))
    out = target / f'{name}.css'
    out.write_text('\n'.join(css), encoding='utf-8')
    return out

def vendor_fonts(site: Path) -> int:
    "Replace each stylesheet's remote web-font `@import` by local copies of the fonts. Returns the imports replaced."
    replaced = 0
    for css in site.rglob('*.css'):
        text = css.read_text(encoding='utf-8')
        def local(m):
            nonlocal replaced
            families = font_families(m.group(2))
            if not families: sys.exit(f'build_docs: {css} imports {m.group(2)}, which the offline site cannot load')
            replaced += 1
            files = [local_fonts(f, w, site / SITE_FONTS) for f, w in families]
            return ''.join(f'@import url({os.path.relpath(f, css.parent)});' for f in files)
        new = REMOTE_IMPORT.sub(local, text)
        if new != text: css.write_text(new, encoding='utf-8')
    return replaced

def render_smalldocs(proc: Path) -> Path:
    "Step 4 without Quarto: `smalldocs render _proc` (it reads `_proc/_quarto.yml`) into `_proc/_docs`."
    shutil.rmtree(proc / '_docs', ignore_errors=True)
    sys.stdout.write(run('smalldocs', 'render', '--quiet', str(proc)))
    return proc / '_docs'

def render_quarto(proc: Path, root: Path) -> Path:
    "Step 4 and 6 with Quarto, as `nbdev_docs` does them: `quarto render` of `_proc/`, then `nbdev_readme`."
    run('quarto', 'render', str(proc), '--no-cache')
    run('nbdev_readme')
    return proc / '_docs'

def main():
    p = argparse.ArgumentParser(description='Build _docs/ and README.md offline')
    p.add_argument('--quarto', action='store_true', help='render with Quarto (must be on PATH) instead of smalldocs')
    a = p.parse_args()
    cfg = get_config()
    root = cfg.config_path
    os.chdir(root)
    proc = process_notebooks(cfg)
    add_contributing(proc, root)
    if a.quarto: rendered = render_quarto(proc, root)
    else:
        write_readme(proc, root)
        name_pages_like_quarto(proc, cfg.doc_host.rstrip('/') + cfg.doc_baseurl)
        rendered = render_smalldocs(proc)
    site = Path(cfg.doc_path)
    shutil.rmtree(site, ignore_errors=True)
    shutil.move(str(rendered), str(site))
    math_pages, fonts = vendor_katex(site), vendor_fonts(site)
    print(f'site: {site} ({len(list(site.glob("*.html")))} pages; KaTeX local, in {math_pages} pages with math; '
          f'{fonts} web-font imports made local); README.md written')

if __name__ == '__main__': main()
