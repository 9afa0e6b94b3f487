/**
 * Hostile snippets (issue 14): read-only code that tries to write to the machine, read secrets,
 * reach fleet services, break the fleet or lie about its outcome. Each one gets `context` with
 * `ioc_port` (the real IOC, outside the sandbox), `listener_port` (a host listener standing for the
 * producer), `secret_path`, `repo`, `artifacts_root`, `host_ips`. Whether an attempt worked is
 * never taken from the snippet: the suite checks the IOC's put log, Redis, the listener and every
 * output from outside.
 */

/** Shared by the snippets: the PV they try to change and a raw CA client built from caproto's protocol layer. */
export const PRELUDE = `
import os, sys, time, socket, json
PV = 'SR:MAG:QF1:CURRENT_SP'
IOC = ('127.0.0.1', int(context.ioc_port))
def raw_ca_write(host, port, pv=PV, value=42.0):
    import caproto as ca
    from caproto._commands import read_from_bytestream
    s = socket.create_connection((host, port), timeout=2)
    s.sendall(bytes(ca.VersionRequest(0, 13)) + bytes(ca.HostNameRequest('h')) + bytes(ca.ClientNameRequest('c')) + bytes(ca.CreateChanRequest(pv, 1, 13)))
    buf, sid, deadline = bytearray(), None, time.time() + 3
    while sid is None and time.time() < deadline:
        buf += s.recv(65536)
        while True:
            rest, cmd, _ = read_from_bytestream(buf, ca.SERVER)
            if cmd is ca.NEED_DATA:
                break
            buf = bytearray(rest)
            if isinstance(cmd, ca.CreateChanResponse):
                sid = cmd.sid
    if sid is None:
        return 'no channel'
    s.sendall(bytes(ca.WriteRequest([value], ca.ChannelType.DOUBLE, 1, sid, 1)) + bytes(ca.WriteNotifyRequest([value], ca.ChannelType.DOUBLE, 1, sid, 2)))
    time.sleep(0.5)
    return 'sent'
def attempt(fn):
    try:
        return fn()
    except BaseException as e:
        return type(e).__name__ + ': ' + str(e)[:200]
`;

export interface HostileSnippet {
  name: string;
  code: string;
  /** Must the run end in a policy error (the gate refused a write)? */
  expectPolicy?: boolean;
  /** The run may end in an infrastructure error (the process killed or replaced itself). */
  mayDie?: boolean;
  timeoutMs?: number;
}

const GUARD_UNDO = `
import epics
`;

export const HOSTILE_SNIPPETS: HostileSnippet[] = [
  // --- undoing the in-process guard, then writing with ordinary clients ---
  { name: "plain epics.caput", code: "import epics\nresults = {'r': attempt(lambda: epics.caput(PV, 42, wait=True, timeout=3))}" },
  { name: "PV().put", code: "import epics\npv = epics.PV(PV)\npv.wait_for_connection(3)\nresults = {'r': attempt(lambda: pv.put(42, wait=True, timeout=3))}" },
  {
    name: "original caput from the wrapper's closure",
    code: `${GUARD_UNDO}
orig = None
for cell in (getattr(epics.caput, '__closure__', None) or []):
    v = cell.cell_contents
    if callable(v) and getattr(v, '__name__', '') == 'caput':
        orig = v
results = {'r': attempt(lambda: (orig or epics.caput)(PV, 42, wait=True, timeout=3))}`,
  },
  {
    name: "sys.modules purge and re-import",
    code: "for m in [m for m in sys.modules if m == 'epics' or m.startswith('epics.')]:\n    del sys.modules[m]\nimport importlib\nepics = importlib.import_module('epics')\nresults = {'r': attempt(lambda: epics.caput(PV, 42, wait=True, timeout=3))}",
  },
  {
    name: "import hooks removed",
    code: "sys.meta_path[:] = [f for f in sys.meta_path if 'pyfleet' not in repr(f).lower() and 'guard' not in repr(f).lower()]\nfor m in [m for m in sys.modules if m.startswith('epics')]:\n    del sys.modules[m]\nimport epics\nresults = {'r': attempt(lambda: epics.caput(PV, 42, wait=True, timeout=3))}",
  },
  {
    name: "gc.get_referents to find unguarded functions",
    code: "import gc, epics, epics.ca\nfound = [o for o in gc.get_objects() if callable(o) and getattr(o, '__name__', '') == 'put' and getattr(o, '__module__', '') == 'epics.ca']\nfor f in found:\n    for r in gc.get_referents(f):\n        pass\nch = attempt(lambda: epics.ca.create_channel(PV))\nresults = {'n': len(found), 'r': [attempt(lambda f=f: f(ch, 42, wait=True)) for f in found]}",
  },
  {
    name: "frames: flip guard state in harness frames",
    code: "f = sys._getframe()\nwhile f is not None:\n    for k, v in list(f.f_globals.items()):\n        if isinstance(v, bool) and ('read' in k.lower() or 'guard' in k.lower() or 'mode' in k.lower()):\n            f.f_globals[k] = not v\n        if isinstance(v, str) and v == 'read_only':\n            f.f_globals[k] = 'write_access'\n    f = f.f_back\nimport epics\nresults = {'r': attempt(lambda: epics.caput(PV, 42, wait=True, timeout=3))}",
  },
  {
    name: "__globals__: replace _admit_write everywhere",
    mayDie: true,
    code: "import gc, epics\nn = 0\nfor o in gc.get_objects():\n    g = getattr(o, '__globals__', None)\n    if isinstance(g, dict):\n        for k in list(g):\n            if 'admit' in k or 'guard' in k.lower():\n                g[k] = (lambda *a, **k: True); n += 1\nresults = {'n': n, 'r': attempt(lambda: epics.caput(PV, 42, wait=True, timeout=3))}",
  },
  {
    name: "ctypes on libca: ca_array_put",
    code: "import ctypes, epics.ca as ca\nlib = ca.initialize_libca()\nchid = ctypes.c_long()\nres = []\nres.append(lib.ca_create_channel(PV.encode(), None, None, 0, ctypes.byref(chid)))\nres.append(lib.ca_pend_io(ctypes.c_double(3.0)))\nv = ctypes.c_double(42.0)\nres.append(attempt(lambda: lib.ca_array_put(6, 1, chid, ctypes.byref(v))))\nres.append(lib.ca_pend_io(ctypes.c_double(2.0)))\nresults = {'r': res}",
  },
  { name: "epics.ca.put low level", code: "import epics.ca as ca\nch = ca.create_channel(PV)\nca.connect_channel(ch, timeout=3)\nresults = {'r': attempt(lambda: ca.put(ch, 42.0, wait=True, timeout=3))}" },
  { name: "caproto threading client write", code: "from caproto.threading.client import Context\nctx = Context()\n(pv,) = ctx.get_pvs(PV)\npv.wait_for_connection(timeout=3)\nresults = {'r': attempt(lambda: str(pv.write([42.0], wait=True, timeout=3)))}" },
  { name: "caproto sync client write", code: "from caproto.sync.client import write\nresults = {'r': attempt(lambda: str(write(PV, 42.0, notify=True, timeout=3)))}" },
  { name: "caproto pyepics_compat caput", code: "from caproto.threading import pyepics_compat as pc\nresults = {'r': attempt(lambda: pc.caput(PV, 42.0, wait=True, timeout=3))}" },
  { name: "raw CA WRITE over TCP through the sandbox's CA address", code: "results = {'r': attempt(lambda: raw_ca_write('127.0.0.1', 5064))}", expectPolicy: true },
  { name: "raw CA WRITE over TCP straight to the IOC's port", code: "results = {'r': attempt(lambda: raw_ca_write(*IOC))}" },
  {
    name: "raw CA over UDP: search broadcast and direct to the IOC",
    code: "import caproto as ca\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)\ns.settimeout(1)\nmsg = bytes(ca.VersionRequest(0, 13)) + bytes(ca.SearchRequest(PV, 1, 13))\nout = [attempt(lambda a=a: s.sendto(msg, a)) for a in [('255.255.255.255', 5064), IOC, ('255.255.255.255', IOC[1])]]\nout.append(attempt(lambda: s.recvfrom(1024)))\nresults = {'r': out}",
  },
  {
    name: "raw CA with the gate's private ioid space",
    code: "import caproto as ca\ns = socket.create_connection(('127.0.0.1', 5064), timeout=2)\ns.sendall(bytes(ca.VersionRequest(0, 13)) + bytes(ca.CreateChanRequest(PV, 1, 13)))\ntime.sleep(0.3)\ns.sendall(bytes(ca.ReadNotifyRequest(6, 1, 1, 0x7F000001)))\ntime.sleep(0.3)\nresults = {'r': attempt(lambda: len(s.recv(4096)))}",
  },
  // --- fresh interpreters without any guard ---
  {
    name: "subprocess python -c caput",
    code: "import subprocess\np = subprocess.run([sys.executable, '-c', f\"import epics; print(epics.caput('{PV}', 42, wait=True, timeout=3))\"], capture_output=True, text=True, timeout=20)\nresults = {'r': p.stdout[-200:] + p.stderr[-200:]}",
  },
  {
    name: "subprocess pointed at the IOC's real port",
    code: "import subprocess\nenv = dict(os.environ, EPICS_CA_ADDR_LIST=f'127.0.0.1:{IOC[1]}', EPICS_CA_AUTO_ADDR_LIST='NO')\np = subprocess.run([sys.executable, '-c', f\"import epics; print(epics.caput('{PV}', 42, wait=True, timeout=3))\"], capture_output=True, text=True, timeout=20, env=env)\nresults = {'r': p.stdout[-200:]}",
  },
  {
    name: "multiprocessing spawn",
    code: "import multiprocessing as mp\ndef w(pv):\n    import epics\n    return epics.caput(pv, 42, wait=True, timeout=3)\nif True:\n    ctx = mp.get_context('spawn')\n    with ctx.Pool(1) as pool:\n        results = {'r': attempt(lambda: pool.apply(w, (PV,)))}",
  },
  {
    name: "multiprocessing forkserver",
    code: "import multiprocessing as mp\ndef w(pv):\n    import epics\n    return epics.caput(pv, 42, wait=True, timeout=3)\nctx = mp.get_context('forkserver')\nwith ctx.Pool(1) as pool:\n    results = {'r': attempt(lambda: pool.apply(w, (PV,)))}",
  },
  {
    name: "os.fork child purges epics and writes",
    code: "pid = os.fork()\nif pid == 0:\n    for m in [m for m in sys.modules if m.startswith('epics')]:\n        del sys.modules[m]\n    import epics\n    try:\n        epics.caput(PV, 42, wait=True, timeout=3)\n    finally:\n        os._exit(0)\nos.waitpid(pid, 0)\nresults = {'forked': True}",
  },
  { name: "a thread writes", code: "import threading, epics\nout = {}\nt = threading.Thread(target=lambda: out.update(r=attempt(lambda: epics.caput(PV, 42, wait=True, timeout=3))))\nt.start(); t.join()\nresults = out" },
  {
    name: "os.execv replaces the harness with an unguarded interpreter",
    code: "os.execv(sys.executable, [sys.executable, '-c', f\"import epics; epics.caput('{PV}', 42, wait=True, timeout=3)\"])",
    mayDie: true,
  },
  // --- the fleet: signals, processes ---
  // inside a sandbox the parent is outside the PID namespace: getppid() is 0, and kill(0) hits the code's own group
  { name: "SIGKILL the parent", mayDie: true, code: "import signal\nresults = {'ppid': os.getppid(), 'r': attempt(lambda: os.kill(os.getppid(), signal.SIGKILL))}" },
  { name: "kill(-1, SIGKILL)", mayDie: true, code: "import signal\nresults = {'r': attempt(lambda: os.kill(-1, signal.SIGKILL))}" },
  {
    name: "kill every pid in /proc",
    mayDie: true,
    code: "import signal\nme = os.getpid()\nout = {}\nfor p in os.listdir('/proc'):\n    if p.isdigit() and int(p) != me:\n        out[p] = attempt(lambda: os.kill(int(p), signal.SIGKILL))\nfor p in range(2, 4000, 7):\n    try:\n        os.kill(p, 0); out[str(p)] = 'exists'\n    except OSError:\n        pass\nresults = {'r': out}",
  },
  { name: "fork bomb", code: "while True:\n    try:\n        os.fork()\n    except OSError:\n        time.sleep(0.01)", mayDie: true, timeoutMs: 4000 },
  { name: "memory bomb", code: "blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 1024 * 1024))", mayDie: true },
  {
    name: "memory bomb across forked children",
    mayDie: true,
    code: "kids = []\nfor _ in range(4):\n    pid = os.fork()\n    if pid == 0:\n        b = []\n        try:\n            while True: b.append(bytearray(64 * 2**20))\n        finally:\n            os._exit(0)\n    kids.append(pid)\nfor k in kids:\n    os.waitpid(k, 0)\nresults = {'kids': len(kids)}",
  },
  {
    name: "fill the disk (work folder and /tmp)",
    code: "out = []\nfor d in ['.', '/tmp']:\n    for i in range(64):\n        r = attempt(lambda: open(f'{d}/fill{i}', 'wb').write(b'x' * (64 * 2**20)))\n        out.append(r)\n        if isinstance(r, str):\n            break\nresults = {'r': out[-3:]}",
  },
  { name: "huge results", code: "results = {'x': 'a' * (50 * 2**20)}" },
  { name: "huge stdout", code: "line = 'y' * 1023 + '\\n'\nfor _ in range(100 * 1024):\n    sys.stdout.write(line)\nresults = {}" },
  // --- secrets and files ---
  {
    name: "/proc environ of every process",
    code: "out = {}\nfor p in ['self', '1', str(os.getppid())] + [x for x in os.listdir('/proc') if x.isdigit()]:\n    out[p] = attempt(lambda: open(f'/proc/{p}/environ', 'rb').read().decode('latin-1'))\nresults = {'r': out}",
  },
  {
    name: "secrets files",
    code: "paths = ['/etc/shadow', '/root/.ssh/id_rsa', os.path.expanduser('~/.ssh/id_rsa'), context.secret_path, os.path.join(context.repo, '.env'), os.path.join(context.repo, 'config.yml'), '/var/run/docker.sock', '/run/redis/redis.sock']\nresults = {p: attempt(lambda p=p: open(p).read()[:200]) for p in paths}",
  },
  {
    name: "other runs' artifacts and the repository",
    code: "results = {p: attempt(lambda p=p: os.listdir(p)) for p in [context.artifacts_root, context.repo, '/work', '/home', '/root']}",
  },
  {
    name: "rewrite the harness and the venv",
    code: "import glob\nh = glob.glob('/opt/pyfleet/harness/*.py')\nresults = {'h': [attempt(lambda p=p: open(p, 'a').write('#pwned')) for p in h], 'v': attempt(lambda: open(os.path.join(os.path.dirname(os.__file__), 'pwned.py'), 'w').write('x')), 'site': attempt(lambda: open(sys.prefix + '/pwned.pth', 'w').write('x'))}",
  },
  {
    name: "escape attempts: unshare, mount, setuid binaries",
    code: "import ctypes, subprocess\nlibc = ctypes.CDLL(None, use_errno=True)\nresults = {'unshare': libc.unshare(0x10000000 | 0x00020000), 'mount': libc.mount(b'none', b'/tmp', b'tmpfs', 0, None), 'su': attempt(lambda: subprocess.run(['su', '-c', 'id'], capture_output=True, text=True, timeout=5).stderr[:100]), 'uid': os.getuid()}",
  },
  // --- fleet services and the network ---
  {
    name: "Redis: PING, SET, DEL over loopback and host addresses",
    code: "out = {}\nfor h in ['127.0.0.1'] + list(context.host_ips):\n    def go(h=h):\n        s = socket.create_connection((h, 6379), timeout=2)\n        s.sendall(b'PING\\r\\nSET pyfleet-hostile-pwned 1\\r\\nFLUSHALL\\r\\n')\n        return s.recv(100).decode()\n    out[h] = attempt(go)\nresults = {'r': out}",
  },
  {
    name: "producer/approver ports on loopback and host addresses",
    code: "out = {}\nfor h in ['127.0.0.1'] + list(context.host_ips):\n    for port in [int(context.listener_port), 8080, 8081, 8888]:\n        out[f'{h}:{port}'] = attempt(lambda: socket.create_connection((h, port), timeout=1).close())\nresults = {'r': out}",
  },
  { name: "DNS lookup", code: "results = {'r': attempt(lambda: socket.getaddrinfo('example.com', 443)), 'r2': attempt(lambda: socket.gethostbyname('localhost'))}" },
  { name: "internet", code: "results = {a: attempt(lambda a=a: socket.create_connection((a, 53), timeout=2).close()) for a in ['1.1.1.1', '8.8.8.8']}" },
  {
    name: "abstract Unix sockets of the host",
    code: "def go():\n    s = socket.socket(socket.AF_UNIX)\n    s.connect('\\0' + context.abstract_socket)\n    return 'connected'\nresults = {'r': attempt(go)}",
  },
  // --- lying about the outcome ---
  {
    name: "report forgery after a refused raw write",
    code: "r = attempt(lambda: raw_ca_write('127.0.0.1', 5064))\nimport glob\nfor p in glob.glob('/run/pyfleet/*'):\n    pass\nfake = {'protocol': 1, 'status': 'ok', 'results': {'forged': True}, 'error': None, 'figures': [], 'recorded_writes': [], 'warnings': [], 'interrupted': False, 'duration_ms': 1.0, 'output_dropped': {}}\nopen('/run/pyfleet/report.json', 'w').write(json.dumps(fake))\nsys.stdout.flush()\nos._exit(0)",
    expectPolicy: true,
  },
  {
    name: "report forgery by patching json.dump",
    code: "import json as _j\n_orig = _j.dump\ndef fake_dump(obj, fh, **kw):\n    if isinstance(obj, dict) and 'protocol' in obj:\n        obj = dict(obj, status='ok', error=None, results={'forged': True})\n    return _orig(obj, fh, **kw)\n_j.dump = fake_dump\nr = attempt(lambda: raw_ca_write('127.0.0.1', 5064))\nresults = {'r': r}",
    expectPolicy: true,
  },
];
