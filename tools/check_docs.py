"""Check the built docs site in headless Chromium, served from 127.0.0.1 with every other host unreachable.

For the index, every notebook page and the contributing page, after the page's scripts have run:
- the page loads, its body has text, and the sidebar lists every page;
- every internal link (page and `#anchor`) resolves;
- it loads nothing from another host (scripts, styles, fonts, images): the site works offline;
- math is rendered: no raw `\\(`, `\\[` or `$$` is left in the visible text (code and `<pre>` aside, as KaTeX's
  auto-render leaves them), every `span.math` holds KaTeX's output, KaTeX reports no error and its fonts load;
- no code block, table or figure is cut off: whatever is wider than its column must be in a box that scrolls
  sideways, and highlighted source code wraps (`nbs/styles.css`) so that it needs no sideways scroll.
The index must link to the contributing page. The measurements come from a small script that this server (not
the site) adds to each page; it writes its findings into the page, which Chromium's `--dump-dom` returns.
Screenshots of the index, of one module page and of one page with math go under `_docs/` (look at them).

Prints one line per failed check and ends with `docs: N passed, M failed`; exits 1 on any failure.

usage: python tools/check_docs.py [--docs _docs] [--screenshot-page core.html] [--width 1280]
"""
import argparse, functools, http.server, json, re, shutil, subprocess, sys, tempfile, threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse, unquote

CHROME_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
                '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',   # offline: only our server answers
                '--virtual-time-budget=5000']
CHECK_SCRIPT = '/__check_docs__.js'
REPORT_ATTR = 'data-check-docs'

# What the injected script measures, once the page, its deferred scripts (KaTeX's auto-render) and fonts are done.
CHECK_JS = r"""
(() => {
  const IGNORED = 'script, noscript, style, textarea, pre, code, option, .katex';   // as KaTeX's auto-render
  const RAW = /\\\(|\\\[|\$\$/;
  const scrolls = o => o === 'auto' || o === 'scroll';
  const innerRight = a => a.getBoundingClientRect().left + a.clientLeft + a.clientWidth;
  const name = e => e.tagName.toLowerCase() + (e.classList.length ? '.' + e.classList[0] : '');
  const describe = e => name(e) + ' "'
    + (e.textContent || e.getAttribute('alt') || '').trim().split('\n')[0].slice(0, 60) + '"';
  function overflow(el) {   // why el's content cannot all be seen, or null
    const cs = getComputedStyle(el), box = el.getBoundingClientRect();
    if (!box.width && !box.height) return null;                                   // not displayed
    let right;
    if (scrolls(cs.overflowX)) right = box.right;
    else if (el.scrollWidth > el.clientWidth + 1 && cs.overflowX !== 'visible')
      return `cut off by its own overflow-x: ${cs.overflowX}`;
    else right = box.left + Math.max(el.scrollWidth, box.width);
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === 'visible') continue;
      if (right > innerRight(a) + 1 && !scrolls(o))
        return `${Math.round(right - innerRight(a))}px cut off by ${name(a)} (overflow-x: ${o})`;
      if (scrolls(o)) right = a.getBoundingClientRect().right;                     // the rest is reached by scrolling a
    }
    const edge = document.documentElement.clientWidth;
    return right > edge + 1 ? `${Math.round(right - edge)}px past the window's edge` : null;
  }
  function report() {
    const r = {rawMath: [], katexErrors: [], math: 0, unrendered: 0, fontErrors: [], katexFonts: 0,
               external: [], cutOff: [], sourceScrolls: []};
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n; (n = walker.nextNode());) {
      const p = n.parentElement, m = n.data.match(RAW);
      if (!m || !p || p.closest(IGNORED)) continue;
      r.rawMath.push(n.data.slice(Math.max(0, m.index - 30), m.index + 50).replace(/\s+/g, ' '));
    }
    document.querySelectorAll('.katex-error')
      .forEach(e => r.katexErrors.push((e.title || 'error') + ' in ' + e.textContent.slice(0, 60)));
    document.querySelectorAll('span.math').forEach(e => { r.math++; if (!e.querySelector('.katex')) r.unrendered++; });
    document.fonts.forEach(f => {
      if (f.status === 'error') r.fontErrors.push(f.family);
      if (f.status === 'loaded' && f.family.replace(/"/g, '').startsWith('KaTeX')) r.katexFonts++;
    });
    performance.getEntriesByType('resource')
      .forEach(e => { if (!e.name.startsWith(location.origin)) r.external.push(e.name); });
    const boxes = ['pre', 'table', 'img', 'svg', '.katex-display', '.cell-output-display', 'iframe'];
    document.querySelectorAll(boxes.map(b => 'main ' + b).join(', '))
      .forEach(e => { const why = overflow(e); if (why) r.cutOff.push(describe(e) + ': ' + why); });
    document.querySelectorAll('main pre.sourceCode').forEach(e => {
      if (e.getBoundingClientRect().width && e.scrollWidth > e.clientWidth + 1)
        r.sourceScrolls.push(describe(e) + `: ${e.scrollWidth}px of code in ${e.clientWidth}px`);
    });
    document.body.setAttribute('REPORT_ATTR', JSON.stringify(r));
  }
  window.addEventListener('load', () => document.fonts.ready.then(() => setTimeout(report, 50)));
})();
""".replace('REPORT_ATTR', REPORT_ATTR)

def chrome() -> str:
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        if shutil.which(name): return shutil.which(name)
    sys.exit('check_docs: no chromium on PATH (Debian: apt-get install chromium)')

def run_chrome(*args) -> str:
    with tempfile.TemporaryDirectory() as profile:
        r = subprocess.run([chrome(), *CHROME_FLAGS, f'--user-data-dir={profile}', *args],
                           capture_output=True, text=True, timeout=120)
    return r.stdout

LOADED_LINKS = {'stylesheet', 'preload', 'modulepreload', 'icon'}   # <link rel=...> that the browser fetches
RESOURCE_ATTRS = {'script': 'src', 'img': 'src', 'iframe': 'src', 'source': 'src', 'video': 'src', 'audio': 'src',
                  'embed': 'src'}

class PageParser(HTMLParser):
    "Collect link targets, element ids, resources, the visible text of the page and the injected script's report."
    def __init__(self):
        super().__init__()
        self.links, self.ids, self.text, self.resources, self.report, self._skip = [], set(), [], [], None, 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        if tag == 'a' and a.get('href'): self.links.append(a['href'])
        if tag == 'body' and a.get(REPORT_ATTR): self.report = json.loads(a[REPORT_ATTR])
        if a.get(RESOURCE_ATTRS.get(tag, '')): self.resources.append(a[RESOURCE_ATTRS[tag]])
        if tag == 'link' and a.get('href') and set((a.get('rel') or '').split()) & LOADED_LINKS:
            self.resources.append(a['href'])
        if tag in ('script', 'style'): self._skip += 1
    def handle_endtag(self, tag):
        if tag in ('script', 'style') and self._skip: self._skip -= 1
    def handle_data(self, data):
        if not self._skip and data.strip(): self.text.append(data.strip())

def page_name(nb: Path) -> str:
    "The page nbdev names after a notebook: its module (`#| default_exp`), else the file less its number."
    src = ''.join(''.join(c['source']) for c in json.loads(nb.read_text(encoding='utf-8'))['cells'][:3])
    m = re.search(r'^#\|\s*default_exp\s+(\S+)', src, re.M)
    return (m.group(1).split('.')[-1] if m else re.sub(r'^\d+[a-zA-Z0-9]*_', '', nb.stem.lower())) + '.html'   # as nbdev

def expected_pages() -> list:
    "index.html, one page per notebook, and contributing.html when CONTRIBUTING.md exists."
    pages = ['index.html'] + [page_name(nb) for nb in sorted(Path('nbs').glob('*.ipynb')) if nb.name != 'index.ipynb']
    return pages + (['contributing.html'] if Path('CONTRIBUTING.md').exists() else [])

def serve(docs: Path):
    "Serve `docs` on 127.0.0.1, adding the check script to every HTML page."
    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
        def do_GET(self):
            path = unquote(urlparse(self.path).path)
            if path == CHECK_SCRIPT: return self.reply(CHECK_JS.encode(), 'text/javascript')
            f = docs / (path.lstrip('/') or 'index.html')
            if f.is_dir(): f = f / 'index.html'
            if f.suffix != '.html' or not f.is_file(): return super().do_GET()
            html = f.read_text(encoding='utf-8', errors='replace')
            tag = f'<script src="{CHECK_SCRIPT}"></script>'
            html = html.replace('</body>', tag + '</body>') if '</body>' in html else html + tag
            self.reply(html.encode(), 'text/html; charset=utf-8')
        def reply(self, body: bytes, kind: str):
            self.send_response(200)
            self.send_header('Content-Type', kind)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    handler = functools.partial(Handler, directory=str(docs))
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f'http://127.0.0.1:{httpd.server_address[1]}/'

def show(items: list, most: int = 3) -> str:
    return '; '.join(map(str, items[:most])) + (f' (and {len(items) - most} more)' if len(items) > most else '')

def check_rendered(check, page: str, parser: PageParser, base: str):
    "The checks on what the injected script measured in one page."
    r = parser.report
    check(r is not None, f'{page}: the check script did not report (page scripts failed or timed out)')
    if r is None: return
    external = sorted(set(r['external']) | {u for u in parser.resources if urlparse(urljoin(base + page, u)).netloc
                                            not in ('', urlparse(base).netloc)})
    check(not external, f'{page}: loads from another host (not offline): {show(external)}')
    check(not r['rawMath'], f'{page}: math not rendered, raw TeX in the text: {show(r["rawMath"])}')
    check(not r['katexErrors'], f'{page}: KaTeX errors: {show(r["katexErrors"])}')
    if r['math']:
        check(not r['unrendered'], f'{page}: {r["unrendered"]} of {r["math"]} math spans not rendered by KaTeX')
        check(r['katexFonts'] > 0, f'{page}: no KaTeX font loaded')
    check(not r['fontErrors'], f'{page}: fonts failed to load: {show(sorted(set(r["fontErrors"])))}')
    check(not r['cutOff'], f'{page}: cut off, not scrollable: {show(r["cutOff"])}')
    check(not r['sourceScrolls'], f'{page}: source code does not wrap: {show(r["sourceScrolls"])}')

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--docs', default='_docs')
    p.add_argument('--screenshot-page', default='core.html', help='the module page to screenshot besides the index')
    p.add_argument('--width', type=int, default=1280, help='window width in pixels')
    a = p.parse_args()
    docs = Path(a.docs)
    httpd, base = serve(docs)
    window = f'--window-size={a.width},2000'
    passed, failed, doms = 0, [], {}
    def check(ok, what):
        nonlocal passed
        if ok: passed += 1
        else: failed.append(what); print(f'FAIL {what}', flush=True)
    pages = expected_pages()
    for page in pages:
        exists = (docs / page).exists()
        check(exists, f'{page}: page missing')
        if not exists: continue
        parser = PageParser()
        parser.feed(run_chrome('--dump-dom', window, base + page))
        doms[page] = parser
        body = ' '.join(parser.text)
        check(len(body) > 200, f'{page}: empty body ({len(body)} characters of text)')
        listed = set(l.split('#')[0] for l in parser.links)
        missing = [q for q in pages if q != page and q not in listed]
        check(not missing, f'{page}: sidebar does not list {show(missing)}')
        check_rendered(check, page, parser, base)
    if 'contributing.html' in pages and 'index.html' in doms:
        check('contributing.html' in {l.split('#')[0] for l in doms['index.html'].links},
              'index.html: no link to the contributing page (CONTRIBUTING.md)')
    for page, parser in list(doms.items()):
        for href in parser.links:
            url = urljoin(base + page, href)
            u = urlparse(url)
            if not url.startswith(base) or u.scheme not in ('http', 'https'): continue
            target = unquote(u.path[len(urlparse(base).path):]) or 'index.html'
            if target.endswith('/'): target += 'index.html'
            f = docs / target
            if not f.exists(): check(False, f'{page}: broken link {href}'); continue
            if u.fragment and target.endswith('.html'):
                if target not in doms:
                    tp = PageParser(); tp.feed(f.read_text(errors='replace')); doms[target] = tp
                check(u.fragment in doms[target].ids, f'{page}: broken anchor {href}')
            else: check(True, '')
    math_pages = [q for q, d in doms.items() if d.report and d.report['math']]
    for page in dict.fromkeys(['index.html', a.screenshot_page] + math_pages[:1]):
        shot = docs / f'screenshot-{Path(page).stem}.png'
        run_chrome(f'--screenshot={shot.resolve()}', window, base + page)
        check(shot.exists() and shot.stat().st_size > 10_000, f'{page}: screenshot not written')
    httpd.shutdown()
    print(f'docs: {passed} passed, {len(failed)} failed')
    sys.exit(1 if failed else 0)

if __name__ == '__main__': main()
