"""Hostile submissions against the sandbox (projected_grpo.sandbox) and the strict oracle (projected_grpo.rewards).

Every test checks the same three things besides its own: the grading process survives unchanged, the
execution ends within its timeout, and nothing is left running. Whole file: well under two minutes.
Tests of the layers only root gets (a private uid, namespaces, mounts) are skipped for another user, who gets
the sandbox's warning naming the refused layers instead; as another user `os.kill(-1)` in model code would
also reach every process of that user.
"""
import json, os, signal, socket, tempfile, textwrap, threading, time, warnings

import pytest

D = textwrap.dedent
root_only = pytest.mark.skipif(os.geteuid() != 0, reason='needs root: the uid, namespace and mount layers are refused otherwise')

import projected_grpo.rewards as R
import projected_grpo.sandbox as S

SOL = "class Solution:\n    def f(self, x):\n        return x + 1\n"
T = 1.5   # wall timeout for hostile runs


def run(code, timeout=T, kind='oracle', mode=None, inputs=([1],), expected=None):
    req = {'code': code, 'kind': kind, 'mode': mode, 'method': 'f', 'inputs': [list(a) for a in inputs], 'timeout': timeout}
    if expected is not None: req['expected'] = expected
    t = time.monotonic()
    r = S.sandbox_run(req, 2)
    r['wall'] = time.monotonic() - t
    assert r['wall'] < timeout + 2.5, f"execution overran its timeout: {r['wall']:.1f}s"
    return r


UIDS = set()


def sandbox_procs():
    "Processes running under a sandbox uid of this test session's workers."
    UIDS.update(w.hello['uid'] for w in S._pool().all)
    out = []
    for d in os.listdir('/proc'):
        if not d.isdigit(): continue
        try:
            with open(f'/proc/{d}/status') as fh:
                uid = next(int(l.split()[1]) for l in fh if l.startswith('Uid:'))
        except (OSError, StopIteration, ValueError): continue
        if uid in UIDS: out.append(int(d))
    return out


@pytest.fixture(autouse=True)
def grader_unchanged():
    env_of = lambda: {k: v for k, v in os.environ.items() if k != 'PYTEST_CURRENT_TEST'}
    env, cwd = env_of(), os.getcwd()
    sandbox_procs()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)}
    yield
    assert env_of() == env and os.getcwd() == cwd
    assert {s: signal.getsignal(s) for s in handlers} == handlers
    for _ in range(20):
        if not sandbox_procs(): break
        time.sleep(0.05)
    assert sandbox_procs() == [], 'sandbox processes left running'
    r = run(SOL)   # the sandbox still works
    assert r['done'] and r['report'] == {'results': [2]}


@root_only
def test_layers_all_on():
    lay = S.sandbox_layers()
    missing = [k for k in ('uid', 'no_new_privs', 'netns', 'mountns', 'pidns', 'hide', 'proc', 'readonly', 'tmpfs') if not lay['layers'].get(k)]
    assert not missing, f"layers refused on this machine: {missing} ({lay['refused']})"


# ---- time ----
def test_infinite_loop_module_level():
    r = run("while True: pass\n" + SOL)
    assert r['killed'] and not r['done']


def test_infinite_loop_ignoring_signals():
    r = run(D("""
        import signal
        for s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
            signal.signal(s, signal.SIG_IGN)
        signal.alarm(1)
        class Solution:
            def f(self, x):
                while True:
                    try: pass
                    except BaseException: pass
        """))
    assert r['killed'] and not r['done']


def test_sleeping_forever_and_stdin_read():
    r = run("import sys, time\nprint(repr(sys.stdin.read()), repr(open(0).read()), flush=True)\ntime.sleep(60)\n")
    assert r['killed'] and "'' ''" in r['stdout']
    r = run("x = input()\n" + SOL, timeout=3)
    assert r['wall'] < 1.5 and r['done']   # EOF at once, not a hang (the oracle ignores the module error)


# ---- memory, processes, files ----
def test_memory_storm():
    r = run(D("""
        blocks = []
        try:
            while True: blocks.append(bytearray(50 << 20))
        except MemoryError: print('memory error', len(blocks))
        x = bytearray(10**10)
        """), timeout=5)   # filling ~0.5 GB takes a while on a loaded machine
    assert 'memory error' in r['stdout'] and r['done'] and r['report'] == {'results': [{'E': 1}]}   # grader fine, nothing returned
    r = run("class Solution:\n    def f(self, x):\n        return [0] * 10**10\n")
    assert r['done'] and r['report'] == {'results': [{'E': 1}]}


def test_fork_storm():
    r = run(D("""
        import os
        n = 0
        while True:
            try:
                if os.fork() == 0:
                    while True: pass
                n += 1
            except OSError: pass
        """), timeout=1.0)
    assert r['killed']


def test_fork_and_memory_storm_together():
    r = run(D("""
        import os
        for _ in range(100):
            try: os.fork()
            except OSError: break
        b = []
        while True: b.append(bytearray(20 << 20))
        """), timeout=1.0)
    assert not r['done']


def test_fd_exhaustion():
    r = run(D("""
        fs = []
        try:
            while True: fs.append(open('/dev/null'))
        except OSError as e: print('EMFILE', len(fs), e.errno)
        """) + SOL)
    assert 'EMFILE' in r['stdout'] and int(r['stdout'].split()[1]) < 100 and r['done']


@root_only
def test_disk_fill():
    r = run(D("""
        import os
        n = 0
        try:
            with open('big', 'wb') as fh:
                while True: fh.write(b'x' * (1 << 20)); n += 1
        except OSError as e: print('stopped', n, e.errno)
        """) + SOL)
    mb = int(r['stdout'].split()[1]) if r['stdout'] else 0
    assert mb <= 16, r   # RLIMIT_FSIZE / tmpfs size
    r = run(D("""
        import os, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        k = 0
        try:
            while True:
                with open(f'f{k}', 'wb') as fh: fh.write(b'x' * (4 << 20))
                k += 1
        except OSError as e: print('stopped', k, e.errno)
        """) + SOL)
    assert 'stopped' in r['stdout'] and int(r['stdout'].split()[1]) <= 5   # the private tmpfs is 16 MiB


def test_output_flood_truncated():
    r = run("import sys\nwhile True: sys.stdout.write('x' * 65536); sys.stderr.write('y' * 65536)\n", timeout=1.0)
    assert r['killed'] and len(r['stdout']) <= S.DEFAULT_LIMITS['out_bytes'] and len(r['stderr']) <= S.DEFAULT_LIMITS['err_bytes']


def test_segfault():
    r = run("import ctypes\nctypes.string_at(0)\n" + SOL, kind='flawed', mode='exit_code', expected=[2])
    assert r['status'] == 128 + signal.SIGSEGV and not r['done']
    r = run("import ctypes\nclass Solution:\n    def f(self, x):\n        return ctypes.string_at(0)\n")
    assert not r['done']


# ---- exits and signals ----
@pytest.mark.parametrize('exit_code', ['import sys; sys.exit(0)', 'import os; os._exit(0)', 'raise SystemExit(3)', 'exit()', 'import os; os.abort()',
                                       'import os, signal; os.kill(os.getpid(), signal.SIGKILL)'])
def test_exits_in_method_never_count(exit_code):
    r = run(f"class Solution:\n    def f(self, x):\n        {exit_code}\n")
    assert not R.oracle_verdict(R.example_problems()[0], r)


@root_only
def test_kill_parent_group_and_everything():
    wpid = S._pool().all[0].p.pid
    r = run(D(f"""
        import os, signal
        for target in (os.getppid(), 1, {wpid}, {os.getpid()}):
            try: os.kill(target, signal.SIGKILL)
            except OSError as e: print('kill', target, e.errno)
        try: os.killpg(0, signal.SIGKILL)
        except OSError as e: print('killpg', e.errno)
        os.kill(-1, signal.SIGKILL)
        """) + SOL)
    assert not r['done']
    assert all(w.p.poll() is None for w in S._pool().all)   # workers alive


@root_only
def test_daemons_die_with_the_execution():
    marker = f'/var/tmp/pgrpo-daemon-{os.getpid()}'
    r = run(D(f"""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(2)
                open({marker!r}, 'w').write('escaped')
            os._exit(0)
        """) + SOL)
    assert r['done']
    time.sleep(2.5)
    assert not os.path.exists(marker)


# ---- network ----
@root_only
def test_no_network():
    srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1); srv.settimeout(0.1)
    port = srv.getsockname()[1]
    r = run(D(f"""
        import socket
        for host in [('127.0.0.1', {port}), ('1.1.1.1', 80), ('8.8.8.8', 53)]:
            try:
                socket.create_connection(host, timeout=0.5); print('CONNECTED', host)
            except OSError as e: print('refused', host, e.errno)
        try: socket.getaddrinfo('example.com', 80); print('RESOLVED')
        except OSError as e: print('no dns')
        """) + SOL)
    assert 'CONNECTED' not in r['stdout'] and 'RESOLVED' not in r['stdout'] and r['stdout'].count('refused') == 3
    with pytest.raises(socket.timeout): srv.accept()
    srv.close()


# ---- the grader's secrets and files ----
@root_only
def test_environment_is_scrubbed():
    os.environ['PGRPO_TEST_SECRET'] = 's3cr3t-value'
    try:
        S.sandbox_configure()   # fresh workers started while the secret is in the grader's environment
        r = run(D("""
            import os, glob
            print(dict(os.environ))
            for p in glob.glob('/proc/*/environ'):
                try: print(p, open(p, 'rb').read())
                except OSError: pass
            """) + SOL)
        assert r['done'] and 's3cr3t' not in r['stdout'] + r['stderr']
        env = eval(r['stdout'].splitlines()[0])
        assert set(env) <= {'PATH', 'HOME', 'LANG'}
    finally:
        del os.environ['PGRPO_TEST_SECRET']


@root_only
def test_problem_data_and_home_are_hidden():
    pkg = os.path.dirname(R.__file__)
    r = run(D(f"""
        import os
        for p in [{pkg!r}, {os.path.dirname(pkg)!r}, os.path.expanduser('~root'), '/root']:
            try: print(p, sorted(os.listdir(p)))
            except OSError as e: print(p, 'error', e.errno)
        import heapq, json, decimal   # the standard library stays importable
        print('stdlib ok')
        """) + SOL)
    assert r['done'] and 'stdlib ok' in r['stdout']
    lines = dict(l.split(' ', 1) for l in r['stdout'].splitlines() if l.startswith('/'))
    # hidden = covered by an empty tmpfs ('[]') or absent ('error 2': a checkout under /tmp sits below the
    # sandbox's own fresh /tmp, so the path does not exist in there at all)
    assert lines[pkg] in ('[]', 'error 2') and lines[os.path.dirname(pkg)] in ('[]', 'error 2')
    assert 'problems' not in r['stdout'] and 'rewards.py' not in r['stdout']


@root_only
def test_no_writes_or_deletes_outside():
    d = tempfile.mkdtemp(dir='/var/tmp')
    canary = os.path.join(d, 'canary'); open(canary, 'w').write('keep')
    repo_file = os.path.join(os.path.dirname(os.path.dirname(R.__file__)), 'settings.ini')
    r = run(D(f"""
        import os, shutil
        for p in [{canary!r}, {repo_file!r}, '/etc/hostname', '/var/tmp/pgrpo-new-file', '/dev/shm/pgrpo-x', '/root/x']:
            for op in ('write', 'delete'):
                try:
                    if op == 'write': open(p, 'a').write('pwned')
                    else: os.remove(p)
                    print('DID', op, p)
                except OSError as e: print('no', op, p, e.errno)
        try: shutil.rmtree({d!r}); print('DID rmtree')
        except OSError as e: print('no rmtree')
        open('inside.txt', 'w').write('fine'); print('inside ok')
        """) + SOL)
    assert 'DID' not in r['stdout'] and 'inside ok' in r['stdout'], r['stdout']
    assert open(canary).read() == 'keep' and os.path.exists(repo_file)
    assert not os.path.exists('/var/tmp/pgrpo-new-file') and not os.path.exists('/dev/shm/pgrpo-x')
    os.remove(canary); os.rmdir(d)


@root_only
def test_cannot_regain_privileges():
    r = run(D("""
        import os, ctypes, stat
        print(os.getuid(), os.geteuid())
        def mount():
            if ctypes.CDLL(None, use_errno=True).mount(b'x', b'/mnt', b'tmpfs', 0, None) != 0: raise OSError(ctypes.get_errno(), 'mount')
        for fn in (lambda: os.setuid(0), lambda: os.chroot('/'), lambda: os.mknod('/tmp/n', stat.S_IFCHR | 0o666, os.makedev(1, 3)), mount,
                   lambda: os.chown('.', 0, 0), lambda: open('/proc/sys/kernel/hostname', 'w').write('x')):
            try: fn(); print('ALLOWED')
            except OSError as e: print('denied', e.errno)
        """) + SOL)
    uid = int(r['stdout'].split()[0])
    assert uid >= 1_000_000 and 'ALLOWED' not in r['stdout'] and r['stdout'].count('denied') == 6


# ---- forged results against the strict oracle ----
P = R.example_problems()[0]   # add3: x + 3

FORGERIES = {
    'always_eq': "class Solution:\n    def add3(self, x):\n        class E:\n            def __eq__(self, o): return True\n            def __ne__(self, o): return False\n        return E()\n",
    'int_subclass': "class I(int):\n    def __eq__(self, o): return True\nclass Solution:\n    def add3(self, x):\n        return I(x)\n",
    'bool_for_int': "class Solution:\n    def add3(self, x):\n        return True\n",
    'str_number': "class Solution:\n    def add3(self, x):\n        return str(x + 3)\n",
    'builtins_type': "import builtins\nclass I(int):\n    __eq__ = lambda s, o: True\nbuiltins.type = lambda *a: int\nbuiltins.isinstance = lambda *a: True\nclass Solution:\n    def add3(self, x):\n        return I(0)\n",
    'json_shadow': "import json\njson.dumps = lambda *a, **k: '{\"results\": [3, -2, 13, 103, 0, 10]}'\nclass Solution:\n    def add3(self, x):\n        return 0\n",
    'exec_eval_shadow': "import builtins\nbuiltins.exec = lambda *a, **k: None\nbuiltins.eval = lambda *a, **k: True\nbuiltins.compile = lambda *a, **k: None\nclass Solution:\n    def add3(self, x):\n        return 0\n",
    'print_fake_then_exit': "import os, sys\nclass Solution:\n    def add3(self, x):\n        for fd in (1, 3):\n            os.write(fd, b'{\"results\": [3, -2, 13, 103, 0, 10]}\\n')\n        os._exit(0)\n",
    'forge_report_with_snooped_nonce': textwrap.dedent("""
        import os, sys
        class Solution:
            def add3(self, x):
                f = sys._getframe(1)
                while f and 'nonce' not in f.f_locals: f = f.f_back
                os.write(3, ('{"results": [4, 5, 8, 4, 5, 8]}\\n' + f.f_locals['nonce'] + '\\n').encode())
                import posix; posix._exit(0)
        """),
    'stack_and_gc_snooping': textwrap.dedent("""
        import sys, gc
        class Solution:
            def add3(self, x):
                seen = []
                f = sys._getframe(1)
                while f:
                    seen += [v for v in f.f_locals.values() if type(v) in (list, tuple)]
                    f = f.f_back
                seen += [o for o in gc.get_objects() if type(o) is list and o and all(type(i) is int for i in o)]
                for cand in seen:
                    if type(cand) is list and len(cand) == 6 and all(type(i) is int for i in cand): return cand[0]
                return -1
        """),
    'atexit_forge': "import atexit, os\natexit.register(os._exit, 0)\nclass Solution:\n    def add3(self, x):\n        return x * 3\n",
}


@pytest.mark.parametrize('name', sorted(FORGERIES))
def test_forged_results_are_not_correct(name):
    g = R.grade(P, R.fence(FORGERIES[name]), 'eq_override', timeout=T)
    assert not g['gt_correct'], (name, g)


def test_nonce_needed_for_flawed_pass():
    code = "import os\nprint('all tests passed')\nos._exit(0)\n" + SOL.replace('def f', 'def add3')
    g = R.grade(P, R.fence(code), 'stdout_marker', timeout=T)
    assert not g['passed'] and not g['gt_correct']


@root_only
def test_refused_layers_warn_once_and_keep_the_rest():
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            S.sandbox_configure(disable={'pidns', 'mountns', 'netns'})
            r1 = run(SOL); r2 = run(SOL)
        msgs = [str(x.message) for x in w if issubclass(x.category, RuntimeWarning)]
        assert len(msgs) == 1 and 'pidns' in msgs[0] and 'mountns' in msgs[0], msgs
        assert r1['done'] and r2['done']
        lay = S.sandbox_layers()['layers']
        assert lay['uid'] and lay['ipcns'] and not lay.get('pidns') and not lay.get('readonly')
        r = run(D(f"""
            import os, time
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0: time.sleep(30)
                os._exit(0)
            """) + SOL)    # without a PID namespace the leftover daemon is killed by uid
        assert r['done']
        r = run(D("""
            import os
            os.fork(); os.fork()
            while True: pass
            """), timeout=1.0)
        assert r['killed']
        time.sleep(0.3)
        assert sandbox_procs() == []
    finally:
        S.sandbox_configure()


def test_setup_failure_is_an_error_and_exit_113_is_a_status():
    # the runner says `ready` on init's pipe once its setup succeeded: model code that exits 113 (the runner's own
    # setup-failure code) gets a status like any other, a runner whose setup fails is an error
    r = run('import os\nos._exit(113)\n', kind='flawed', mode='exit_code', inputs=(), expected=[])
    assert r['status'] == 113 and not r.get('error'), r
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')                     # the probe fails the same way: its warning is not this test
            S.sandbox_configure(limits={'nofile': 1 << 30})     # above the kernel's nr_open: setrlimit refuses it, root or not
            r = run(SOL)
        assert 'sandbox setup failed before the code ran (exit 113)' in r['error'] and not r['done'], r
        assert not R.flawed_verdict('exit_code', r)
    finally:
        S.sandbox_configure()
