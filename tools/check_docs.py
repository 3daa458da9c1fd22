"""Check the built docs site in headless Chromium, served from 127.0.0.1.

For the index and every notebook page: the page loads, its body has text, and every internal link
(page and `#anchor`) resolves. Saves screenshots of the index and of one module page under `_docs/`.
Prints one line per failed check and ends with `docs: N passed, M failed`; exits 1 on any failure.

usage: python tools/check_docs.py [--docs _docs] [--screenshot-page core.html]
"""
import argparse, functools, http.server, json, re, shutil, subprocess, sys, tempfile, threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse, unquote
from urllib.request import urlopen

CHROME_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
                '--hide-scrollbars', '--virtual-time-budget=3000']

def chrome() -> str:
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        if shutil.which(name): return shutil.which(name)
    sys.exit('check_docs: no chromium on PATH (Debian: apt-get install chromium)')

def run_chrome(*args) -> str:
    with tempfile.TemporaryDirectory() as profile:
        r = subprocess.run([chrome(), *CHROME_FLAGS, f'--user-data-dir={profile}', *args],
                           capture_output=True, text=True, timeout=120)
    return r.stdout

class PageParser(HTMLParser):
    "Collect link targets, element ids and the visible text of the main content."
    def __init__(self):
        super().__init__(); self.links, self.ids, self.text, self._skip = [], set(), [], 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        if tag == 'a' and a.get('href'): self.links.append(a['href'])
        if tag in ('script', 'style'): self._skip += 1
    def handle_endtag(self, tag):
        if tag in ('script', 'style') and self._skip: self._skip -= 1
    def handle_data(self, data):
        if not self._skip and data.strip(): self.text.append(data.strip())

def expected_pages(docs: Path) -> list:
    "index.html plus one page per notebook, named as nbdev names them (`00_core.ipynb` -> `core.html`)."
    pages = ['index.html']
    for nb in sorted(Path('nbs').glob('*.ipynb')):
        if nb.name == 'index.ipynb': continue
        src = ''.join(''.join(c['source']) for c in json.loads(nb.read_text())['cells'][:3])
        m = re.search(r'^#\|\s*default_exp\s+(\S+)', src, re.M)
        pages.append((m.group(1).split('.')[-1] if m else re.sub(r'^\d+_', '', nb.stem)) + '.html')
    return pages

def serve(docs: Path):
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    handler = functools.partial(QuietHandler, directory=str(docs))
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f'http://127.0.0.1:{httpd.server_address[1]}/'

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--docs', default='_docs')
    p.add_argument('--screenshot-page', default='core.html')
    a = p.parse_args()
    docs = Path(a.docs)
    httpd, base = serve(docs)
    passed, failed, doms = 0, [], {}
    def check(ok, what):
        nonlocal passed
        if ok: passed += 1
        else: failed.append(what); print(f'FAIL {what}')
    pages = expected_pages(docs)
    for page in pages:
        exists = (docs / page).exists()
        check(exists, f'{page}: page missing')
        if not exists: continue
        parser = PageParser(); parser.feed(run_chrome('--dump-dom', base + page))
        doms[page] = parser
        body = ' '.join(parser.text)
        check(len(body) > 200, f'{page}: empty body ({len(body)} characters of text)')
        sidebar = set(l.split('#')[0] for l in parser.links)
        check(all(q in sidebar for q in pages if q != page), f'{page}: sidebar does not list every page')
    for page, parser in doms.items():
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
    for page in ('index.html', a.screenshot_page):
        shot = docs / f'screenshot-{Path(page).stem}.png'
        run_chrome(f'--screenshot={shot.resolve()}', '--window-size=1280,2000', base + page)
        check(shot.exists() and shot.stat().st_size > 10_000, f'{page}: screenshot not written')
    httpd.shutdown()
    print(f'docs: {passed} passed, {len(failed)} failed')
    sys.exit(1 if failed else 0)

if __name__ == '__main__': main()
