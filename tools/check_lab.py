"""Check that JupyterLab starts on the notebooks and serves them, then stop it.

Starts `jupyter lab --no-browser` on 127.0.0.1 (a free port, a random token, `--allow-root` when run as root,
as CI is) with `nbs/` as its root, and checks over HTTP with the token: the server answers `/api/status`,
`/lab` serves JupyterLab's page, a notebook (`--notebook`, default `24_planner.ipynb`) is listed and readable
through `/api/contents`, and a `python3` kernel starts (`POST /api/kernels`) and is shut down again. The
server is stopped at the end, whatever happened. Running the notebooks' cells is `tools/run_kernel.py`'s job.

Prints one line per check and ends with `lab: N passed, M failed`; exits 1 on any failure.

usage: python tools/check_lab.py [--notebook 24_planner.ipynb] [--wait 120]
"""
import argparse, json, os, secrets, socket, subprocess, sys, tempfile, time
from urllib.error import URLError
from urllib.request import Request, urlopen

def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--notebook', default='24_planner.ipynb', help='a notebook under nbs/ to open')
    p.add_argument('--wait', type=int, default=120, help='seconds to wait for the server to answer')
    a = p.parse_args()
    port, token = free_port(), secrets.token_hex(16)
    base = f'http://127.0.0.1:{port}'
    cmd = [sys.executable, '-m', 'jupyter', 'lab', '--no-browser', f'--ServerApp.port={port}',
           '--ServerApp.ip=127.0.0.1', f'--IdentityProvider.token={token}', '--ServerApp.root_dir=nbs',
           '--ServerApp.port_retries=0'] + (['--allow-root'] if os.geteuid() == 0 else [])
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    passed, failed = 0, 0
    def check(ok, what):
        nonlocal passed, failed
        passed, failed = passed + bool(ok), failed + (not ok)
        print(f'{"ok  " if ok else "FAIL"} {what}', flush=True)
        return ok
    def call(path, method='GET'):
        req = Request(base + path, method=method, headers={'Authorization': f'token {token}'},
                      data=b'{"name": "python3"}' if method == 'POST' else None)
        with urlopen(req, timeout=30) as r: return r.status, r.read().decode('utf-8', 'replace')
    try:
        deadline, up = time.time() + a.wait, False
        while time.time() < deadline and server.poll() is None and not up:
            try: up = call('/api/status')[0] == 200
            except (URLError, ConnectionError, OSError): time.sleep(1)
        if check(up, f'jupyter lab answers on {base}/api/status'):
            status, page = call(f'/lab?token={token}')
            check(status == 200 and 'JupyterLab' in page, '/lab serves JupyterLab')
            status, body = call('/api/contents')
            names = [c['name'] for c in json.loads(body)['content']]
            check(a.notebook in names, f'the notebooks are listed ({len(names)} entries, {a.notebook} among them)')
            status, body = call(f'/api/contents/{a.notebook}')
            check(status == 200 and json.loads(body)['content']['cells'], f'{a.notebook} opens')
            status, body = call('/api/kernels', 'POST')
            kernel = json.loads(body)
            check(status == 201 and kernel.get('name') == 'python3', f'a python3 kernel starts ({kernel.get("id")})')
            check(call(f'/api/kernels/{kernel["id"]}', 'DELETE')[0] == 204, 'the kernel shuts down')
    except Exception as e:   # any HTTP or JSON error is a failed check, and the server still stops
        check(False, f'{type(e).__name__}: {e}')
    finally:
        server.terminate()
        try: server.wait(timeout=30)
        except subprocess.TimeoutExpired: server.kill(); server.wait()
    if failed:
        log.seek(0)
        sys.stdout.write(log.read().decode('utf-8', 'replace')[-3000:])
    print(f'lab: {passed} passed, {failed} failed')
    sys.exit(1 if failed else 0)

if __name__ == '__main__': main()
