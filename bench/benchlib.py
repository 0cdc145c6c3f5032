# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared by the agent benchmarks: the build, upsagent and upsmon side by
side against the project's real upsd fixture (test/fixture/nutfix.py), and
measurements taken from outside the processes (/proc, the loopback wire).

    import benchlib as B
    upsagent = B.prepare()                       # deps, a release build in build-bench/
    a = B.Upsagent(dir, config_text, env=...)    # upsagent run, stderr to a file
    m = B.Upsmon(dir, monitors, pollfreq=5, ...) # /lib/nut/upsmon in a private /run/nut
    B.cpu_ns(pids), B.peak_rss_kib(pids), B.pss_kib(pids)
    s = B.Sniffer(ports).start()                 # client->server payload packets on lo

Clocks: everything is CLOCK_MONOTONIC (time.monotonic() here, the logind
mock's PowerOff record, the FIFO reader that timestamps upsmon's
SHUTDOWNCMD), except the sniffer's kernel timestamps (CLOCK_REALTIME), which
are only ever compared with each other.
"""
import contextlib
import os
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 'test', 'fixture'))
import nutfix  # noqa: E402

NUTLIB = '/lib/nut'
BUILD = os.path.join(TOP, 'build-bench')
# What the benchmarks need beyond test/deps (which installs NUT, the build
# tools, dbus and python3-dbusmock).
EXTRA_PACKAGES = ['valgrind', 'util-linux', 'dbus-daemon', 'python3-dbusmock']


def log(msg):
    print(f'# {msg}', file=sys.stderr, flush=True)


# ---------------------------------------------------------------- setup

def _missing(packages):
    out = []
    for p in packages:
        r = subprocess.run(['dpkg-query', '-W', '-f=${Status}', p], capture_output=True,
                           text=True)
        if 'install ok installed' not in r.stdout:
            out.append(p)
    return out


def prepare(need_valgrind=False):
    """Installs what is missing (test/deps, then our extras), builds upsagent
    (release, in build-bench/) unless $UPSAGENT names one; returns its path."""
    if os.geteuid() != 0:
        sys.exit('the benchmarks run upsd, upsmon and a packet capture: run them as root')
    subprocess.run([os.path.join(TOP, 'test', 'deps')], check=True)
    missing = _missing(EXTRA_PACKAGES if need_valgrind else
                       [p for p in EXTRA_PACKAGES if p != 'valgrind'])
    if missing:
        log(f'installing: {" ".join(missing)}')
        subprocess.run(['apt-get', 'update', '-qq'], check=True)
        subprocess.run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', *missing],
                       check=True, env=dict(os.environ, DEBIAN_FRONTEND='noninteractive'),
                       stdout=subprocess.DEVNULL)
    if os.environ.get('UPSAGENT'):
        return os.environ['UPSAGENT']
    if not os.path.exists(os.path.join(BUILD, 'build.ninja')):
        subprocess.run(['meson', 'setup', BUILD, '--buildtype=release'], check=True,
                       cwd=TOP, stdout=subprocess.DEVNULL)
    subprocess.run(['ninja', '-C', BUILD, 'upsagent'], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(BUILD, 'upsagent')


def raise_nofile(n):
    """Raises RLIMIT_NOFILE for us and every child (upsd, upsagent)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, n)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))


def write(path, text, mode=0o600):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    os.chmod(path, mode)
    return path


# ---------------------------------------------------------------- /proc

def children(pid):
    """Every live descendant of pid (from /proc/*/stat ppid)."""
    kids = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/stat') as f:
                data = f.read()
        except OSError:
            continue
        ppid = int(data[data.rindex(')') + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for k in kids.get(p, []):
            out.append(k)
            todo.append(k)
    return out


def cpu_ns(pids):
    """CPU time (user+system) of the live threads of pids, in ns (schedstat:
    exact, unlike /proc/PID/stat's 10 ms ticks)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for t in os.listdir(f'/proc/{pid}/task'):
                with contextlib.suppress(OSError), open(f'/proc/{pid}/task/{t}/schedstat') as f:
                    total += int(f.read().split()[0])
    return total


def _status_kib(pid, key):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    return 0


def peak_rss_kib(pids):
    """Sum of VmHWM (peak resident set) over pids, KiB."""
    return sum(_status_kib(p, 'VmHWM') for p in pids)


def rss_kib(pids):
    return sum(_status_kib(p, 'VmRSS') for p in pids)


def pss_kib(pids):
    """Sum of Pss (shared pages divided among their users) over pids, KiB."""
    total = 0
    for p in pids:
        with contextlib.suppress(OSError), open(f'/proc/{p}/smaps_rollup') as f:
            for line in f:
                if line.startswith('Pss:'):
                    total += int(line.split()[1])
    return total


def uss_kib(pids):
    """Sum of private pages (Private_Clean + Private_Dirty: what goes away
    with the process) over pids, KiB."""
    total = 0
    for p in pids:
        with contextlib.suppress(OSError), open(f'/proc/{p}/smaps_rollup') as f:
            for line in f:
                if line.startswith(('Private_Clean:', 'Private_Dirty:')):
                    total += int(line.split()[1])
    return total


def connections(pids):
    """The TCP connections of pids' sockets: {(local port, remote port)}."""
    inodes = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f'/proc/{pid}/fd'):
                with contextlib.suppress(OSError):
                    target = os.readlink(f'/proc/{pid}/fd/{fd}')
                    if target.startswith('socket:['):
                        inodes.add(target[8:-1])
    conns = set()
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        with contextlib.suppress(OSError), open(table) as f:
            next(f)
            for line in f:
                w = line.split()
                if w[9] in inodes:
                    conns.add((int(w[1].rsplit(':', 1)[1], 16), int(w[2].rsplit(':', 1)[1], 16)))
    return conns


def established(pid, server_ports):
    """How many TCP connections pid has established to server_ports."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f'/proc/{pid}/fd'):
            with contextlib.suppress(OSError):
                target = os.readlink(f'/proc/{pid}/fd/{fd}')
                if target.startswith('socket:['):
                    inodes.add(target[8:-1])
    n = 0
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        with contextlib.suppress(OSError), open(table) as f:
            next(f)
            for line in f:
                w = line.split()
                remote = int(w[2].rsplit(':', 1)[1], 16)
                if w[3] == '01' and w[9] in inodes and remote in server_ports:   # ESTABLISHED
                    n += 1
    return n


# ---------------------------------------------------------------- upsd helpers

def numlogins(upsd, ups):
    """GET NUMLOGINS from upsd (plaintext, no login), or -1."""
    try:
        with nutfix._Session(upsd.host, upsd.port, 2.0) as s:
            w = s.cmd(f'GET NUMLOGINS {ups}').split()
        return int(w[2]) if len(w) == 3 and w[0] == 'NUMLOGINS' else -1
    except (OSError, ConnectionError, ValueError):
        return -1


def wait_until(cond, timeout, what, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise nutfix.FixtureError(f'{what}: not within {timeout} s')
        time.sleep(step)


# ---------------------------------------------------------------- notify socket

class NotifySocket:
    """A NOTIFY_SOCKET this process owns, drained by a thread (the kernel
    queues only net.unix.max_dgram_qlen datagrams, and sd_notify() blocks
    when the queue is full). messages: [(monotonic, text)]."""

    def __init__(self, dir):
        self.path = os.path.join(dir, 'notify.sock')
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(self.path)
        self.messages = []
        self.count = 0
        self._cond = threading.Condition()
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop:
            r, _, _ = select.select([self.sock], [], [], 0.2)
            if not r:
                continue
            data = self.sock.recv(65536).decode(errors='replace')
            t = time.monotonic()
            with self._cond:
                self.count += 1
                if not data.startswith('STATUS=') or len(self.messages) < 10000:
                    self.messages.append((t, data))
                self._cond.notify_all()

    def wait(self, prefix, timeout):
        """The monotonic arrival time of the first message with a line starting with prefix."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, m in self.messages:
                    if any(line.startswith(prefix) for line in m.splitlines()):
                        return t
                left = deadline - time.monotonic()
                if left <= 0:
                    raise nutfix.FixtureError(f'no {prefix} on the notify socket in {timeout} s')
                self._cond.wait(left)

    def close(self):
        self._stop = True
        self._t.join(1)
        self.sock.close()


# ---------------------------------------------------------------- upsagent

def ups_section(name, server, port, ups, ca_file=None, user=None, password_file=None,
                role='secondary', power_value=1, extra=''):
    lines = [f'ups {name} {{', f'  server = "{server}"', f'  port = {port}', f'  ups = "{ups}"']
    if ca_file:
        lines.append(f'  ca-file = "{ca_file}"')
    if user:
        lines += [f'  user = "{user}"', f'  password-file = "{password_file}"']
    lines += [f'  role = "{role}"', f'  power-value = {power_value}']
    if extra:
        lines.append('  ' + extra)
    lines.append('}')
    return '\n'.join(lines) + '\n'


def agent_globals(dir, poll, final_delay=0, host_sync=15, dead_time=15, min_supplies=1,
                  extra=''):
    return (f'poll-interval = {poll}\nfinal-delay = {final_delay}\nhost-sync = {host_sync}\n'
            f'dead-time = {dead_time}\nmin-supplies = {min_supplies}\n'
            f'powerdown-flag = "{dir}/upsagent.killpower"\n'
            f'status-socket = "{dir}/upsagent.sock"\n{extra}')


class _Daemon:
    """A process group started with its output appended to a log file: the
    part upsagent and upsmon runs share."""

    def _spawn(self, argv, logpath, env):
        self.logpath = logpath
        self._log = open(logpath, 'a')
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.pid = self.proc.pid

    def pids(self):
        return [self.pid] + children(self.pid)

    def alive(self):
        return self.proc.poll() is None

    def log(self):
        with open(self.logpath, errors='replace') as f:
            return f.read()

    def _terminate(self):
        """SIGTERM to the group, SIGKILL after 15 s."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait()

    def stop(self):
        self._terminate()
        self._log.close()


class Upsagent(_Daemon):
    """upsagent run --config FILE, stderr appended to DIR/upsagent.log."""

    def __init__(self, binary, dir, config, env=None, args=(), prefix=()):
        self.dir = dir
        self.conf = write(os.path.join(dir, 'upsagent.conf'), config)
        self._spawn([*prefix, binary, 'run', '--config', self.conf, *args],
                    os.path.join(dir, 'upsagent.log'), env)


class FifoClock:
    """A FIFO whose every line is timestamped (monotonic) on arrival: upsmon's
    SHUTDOWNCMD writes one line, we read it at once (a blocked reader wakes
    within microseconds), so its time is on the same clock as the rest."""

    def __init__(self, path):
        self.path = path
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.mkfifo(path, 0o600)
        # Opened read-write: never EOF, and a writer never blocks on open.
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        self.lines = []
        self._cond = threading.Condition()
        self._stop = False
        self._buf = b''
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop:
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if not r:
                continue
            t = time.monotonic()
            with contextlib.suppress(BlockingIOError):
                self._buf += os.read(self.fd, 4096)
            while b'\n' in self._buf:
                line, self._buf = self._buf.split(b'\n', 1)
                with self._cond:
                    self.lines.append((t, line.decode(errors='replace')))
                    self._cond.notify_all()

    def wait_after(self, index, timeout):
        """The time of line number index (0-based), waiting for it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.lines) <= index:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise nutfix.FixtureError(f'no SHUTDOWNCMD within {timeout} s')
                self._cond.wait(left)
            return self.lines[index][0]

    def close(self):
        self._stop = True
        self._t.join(1)
        os.close(self.fd)


UPSMON_EVENTS = ('ONLINE', 'ONBATT', 'LOWBATT', 'FSD', 'COMMOK', 'COMMBAD', 'SHUTDOWN',
                 'REPLBATT', 'NOCOMM', 'NOPARENT')


class Upsmon(_Daemon):
    """NUT's /lib/nut/upsmon (2.8.0), in the foreground, as root with its
    unprivileged child also running as root (-u root: same two processes as
    usual, no file permission games), in a private mount namespace with a
    fresh tmpfs on /run/nut (its PID file), so several can run at once.

    monitors: [(ups@host:port, power_value, user, password, role)].
    TLS: FORCESSL with the server certificate verified against the test CA
    (an NSS db) and its name, as upsagent does; tls=False: none of it. SHUTDOWNCMD writes one line
    to fifo (a FifoClock) through /bin/sh (upsmon runs it with system()).
    pids(): the root parent and its unprivileged child (more while
    SHUTDOWNCMD runs)."""

    def __init__(self, dir, monitors, certs, pollfreq=5, hostsync=15, deadtime=15,
                 finaldelay=0, minsupplies=1, fifo=None, prefix=(), debug=False,
                 valgrind=None, privileged=False, tls=True):
        self.dir = dir
        os.makedirs(dir, exist_ok=True)
        lines = [f'MONITOR {m} {pv} {user} "{pw}" {role}' for m, pv, user, pw, role in monitors]
        lines += [f'MINSUPPLIES {minsupplies}',
                  f'SHUTDOWNCMD "echo shutdown >{fifo}"' if fifo else 'SHUTDOWNCMD "/bin/true"',
                  f'POLLFREQ {pollfreq}', f'POLLFREQALERT {pollfreq}',
                  f'HOSTSYNC {hostsync}', f'DEADTIME {deadtime}', f'FINALDELAY {finaldelay}',
                  f'POWERDOWNFLAG {dir}/upsmon.killpower',
                  'RUN_AS_USER root']
        # tls=False: upsmon as most hosts run it, no CERTPATH: plaintext logins.
        if tls:
            lines += [f'CERTPATH {certs.nss_client_dir}', 'CERTVERIFY 1', 'FORCESSL 1']
        # No WALL (upsmon's default): it would run wall(1) in the shutdown
        # path, which upsagent does not do either.
        lines += [f'NOTIFYFLAG {e} SYSLOG' for e in UPSMON_EVENTS]
        hosts = sorted({m.split('@', 1)[1].rsplit(':', 1)[0] for m, *_ in monitors})
        if tls:
            lines += [f'CERTHOST {h} "localhost" 1 1' for h in hosts]
        self.conf = write(os.path.join(dir, 'upsmon.conf'), '\n'.join(lines) + '\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith('NUT_')}
        env['NUT_CONFPATH'] = dir
        os.makedirs('/run/nut', exist_ok=True)   # the mount point only
        flags = '-D -F' if debug else '-F'
        if privileged:
            flags += ' -p'      # one process (callgrind_control cannot reach a forked child)
        # valgrind: a command prefix for upsmon itself, inside the namespace.
        vg = ' '.join(valgrind) + ' ' if valgrind else ''
        script = (f'mount -t tmpfs -o mode=0755 tmpfs /run/nut && '
                  f'exec {vg}{NUTLIB}/upsmon {flags} -u root')
        # unshare execs sh, sh execs upsmon: self.pid is upsmon's root parent.
        self._spawn([*prefix, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c',
                     script], os.path.join(dir, 'upsmon.log'), env)

    def stop(self):
        self._terminate()
        # The child lingers for about a second after a TERM (gotcha 2).
        with contextlib.suppress(Exception):
            wait_until(lambda: not children(self.pid), 3, 'upsmon child exit')
        self._log.close()


# ---------------------------------------------------------------- the wire

SOL_PACKET, PACKET_STATISTICS = 263, 6
PACKET_HOST = 0
SO_TIMESTAMPNS = 35


class Sniffer:
    """Client->server TCP segments with payload, to the given server ports on
    the loopback interface, timestamped by the kernel when it receives them
    (AF_PACKET for IPv4, as tcpdump does; a socket bound to ETH_P_IP sees each
    loopback packet once, on its way in). records:
    [(time in s, client port, server port, payload bytes)]."""

    def __init__(self, server_ports):
        self.ports = set(server_ports)
        self.records = []
        self._stop = False
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.bind(('lo', 0))
        self._t = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._t.start()
        return self

    def _run(self):
        ports = self.ports
        recs = self.records
        anc = socket.CMSG_SPACE(16)
        while not self._stop:
            r, _, _ = select.select([self.sock], [], [], 0.2)
            if not r:
                continue
            while True:
                try:
                    data, ancdata, _, addr = self.sock.recvmsg(128, anc, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                if addr[2] != PACKET_HOST or len(data) < 14 + 20 + 20:
                    continue
                ip = data[14:]
                if ip[9] != 6:
                    continue
                ihl = (ip[0] & 0x0f) * 4
                total = (ip[2] << 8) | ip[3]
                tcp = ip[ihl:]
                sport, dport = (tcp[0] << 8) | tcp[1], (tcp[2] << 8) | tcp[3]
                if dport not in ports:
                    continue
                payload = total - ihl - (tcp[12] >> 4) * 4
                if payload <= 0:
                    continue
                ts = None
                for level, kind, value in ancdata:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        sec, nsec = struct.unpack('qq', value[:16])
                        ts = sec + nsec * 1e-9
                recs.append((ts if ts is not None else time.time(), sport, dport, payload))

    def stats(self):
        """(packets, drops) the kernel counted for this socket since the last call."""
        raw = self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
        return struct.unpack('II', raw)

    def stop(self):
        self._stop = True
        self._t.join(2)
        drops = self.stats()[1]
        self.sock.close()
        return drops


def bursts(records, gap=0.5):
    """{(client port, server port): [start time of each burst]}: packets of
    one connection closer than gap seconds belong to one burst (one poll:
    upsagent sends its pipelined batch in one segment, upsmon its requests
    one after another). A client port alone is not a connection: the kernel
    reuses it towards other server ports."""
    out = {}
    last = {}
    for t, sport, dport, _ in sorted(records):
        key = (sport, dport)
        if key not in last or t - last[key] > gap:
            out.setdefault(key, []).append(t)
        last[key] = t
    return out


def lateness(times, interval):
    """Per poll of one session: how much later than the session's most punctual
    poll it ran, on the grid t0 + k*interval (the poll timer is periodic on
    its schedule, so the grid is the schedule up to a constant offset, which
    the timer's 10 ms accuracy window bounds). [(k, lateness s)]; polls that
    fell out of the grid (skipped rounds) show as missing k."""
    if not times:
        return []
    t0 = times[0]
    ks = [round((t - t0) / interval) for t in times]
    resid = [t - t0 - k * interval for t, k in zip(times, ks)]
    base = min(resid)
    return [(k, r - base) for k, r in zip(ks, resid)]


# ---------------------------------------------------------------- tables

def fmt(v, unit=''):
    if v is None:
        return '-'
    if isinstance(v, float):
        return f'{v:.3f}{unit}' if abs(v) < 100 else f'{v:.1f}{unit}'
    return f'{v}{unit}'


def table(header, rows):
    """A plain text table, columns right-aligned except the first."""
    cols = [header] + rows
    widths = [max(len(str(r[i])) for r in cols) for i in range(len(header))]
    lines = []
    for j, r in enumerate(cols):
        cells = [str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i])
                 for i, c in enumerate(r)]
        lines.append('  '.join(cells).rstrip())
        if j == 0:
            lines.append('  '.join('-' * w for w in widths))
    return '\n'.join(lines)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return '-'
    return f'{a / b:.2f}'


def median(xs):
    return statistics.median(xs) if xs else None


def quantile(xs, q):
    if not xs:
        return None
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]
