# SPDX-License-Identifier: GPL-2.0-or-later
"""What the server tests share (test-serve.py, test-serve-door.py,
test-serve-legacy.py): a serving upsagent on a simulated UPS with a listener
of each kind on free loopback ports (Server), a NUT protocol client over
plaintext, STARTTLS or direct TLS (Nut), and a well-behaved poller whose
answers are timed (Poller). Each importing script gets its own work
directory, certificates and passwords."""
import os
import resource
import socket
import ssl
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'fixture'))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'bench'))
from agentfix import Agent, write  # noqa: E402
from harness import SLOW, nutfix, workdir  # noqa: E402
import benchlib  # noqa: E402

D = workdir()
CERTS = nutfix.Certs(os.path.join(D, 'certs'))
TOP = os.path.join(HERE, '..', '..')
PASSWORDS = {'monsecondary': 'secondary-' + os.urandom(6).hex(),
             'monprimary': 'primary-' + os.urandom(6).hex()}
HANDSHAKE_TIMEOUT = 2
IDLE_TIMEOUT = 8
# A well-behaved poller's answers must come within this, whatever else goes on.
POLL_BOUND = 1.0 * SLOW

# 1000 idle connections, ours and the server's ends, and the rest.
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if _soft < 8192:
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (8192, max(_hard, 8192)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (_hard, _hard))


def say(text):
    for line in str(text).splitlines() or ['']:
        print(f'# {line}', flush=True)


def password_file(user):
    return write(os.path.join(D, user + '.pw'), PASSWORDS[user] + '\n')


def client_cert(name):
    """A client certificate from the test CA whose subjectAltName is DNS name."""
    key = os.path.join(D, f'{name}.key')
    cert = os.path.join(D, f'{name}.pem')
    if not os.path.exists(cert):
        tmpl = write(os.path.join(D, f'{name}.tmpl'),
                     f'cn = "{name}"\ndns_name = "{name}"\ntls_www_client\nsigning_key\n'
                     'expiration_days = 30\n')
        nutfix._check(['certtool', '--generate-privkey', '--key-type', 'ecdsa', '--curve',
                       'secp256r1', '--no-text', '--outfile', key])
        os.chmod(key, 0o600)
        nutfix._check(['certtool', '--generate-certificate', '--load-privkey', key,
                       '--load-ca-certificate', CERTS.ca, '--load-ca-privkey', CERTS.ca_key,
                       '--template', tmpl, '--no-text', '--outfile', cert])
    return cert, key


class Server:
    """A serving upsagent (run --dry-run) on a simulated UPS, with a direct TLS,
    a STARTTLS and a plaintext loopback listener on free ports."""

    def __init__(self, name, script=('0 OL charge=100 runtime=3600',), serve_extra='',
                 max_clients=1100, host_sync=20, users=None, listen=None, prefix=(),
                 args=('--dry-run',), env=None, allow='127.0.0.0/8', extra='', cert=None):
        self.name = name
        # free_port() may hand out the same port twice in a row (seen once in CI).
        ports = []
        while len(ports) < 3:
            port = nutfix.free_port()
            if port not in ports:
                ports.append(port)
        self.tls_port, self.starttls_port, self.plain_port = ports
        if listen is None:
            listen = (f'    listen = {{"127.0.0.1:{self.tls_port}"}}\n'
                      f'    listen-starttls = {{"127.0.0.1:{self.starttls_port}"}}\n'
                      f'    listen-plain = {{"127.0.0.1:{self.plain_port}"}}\n')
        if users is None:
            users = ''.join(f'    user "{u}" {{ role = "{u[3:]}"  password-file = '
                            f'"{password_file(u)}" }}\n' for u in PASSWORDS)
        entries = ', '.join(f'"{s}"' for s in script)
        self.conf = write(os.path.join(D, name + '.conf'), f'''
poll-interval = 0.5
final-delay = 0
host-sync = {host_sync}
powerdown-flag = "{D}/{name}.killpower"
status-socket = "{D}/{name}.sock"
ups ups1 {{
    driver = "sim"
    script = {{{entries}}}
}}
serve {{
    ups = {{"ups1"}}
{listen}    cert-file = "{(cert or (CERTS.server_cert, CERTS.server_key))[0]}"
    key-file = "{(cert or (CERTS.server_cert, CERTS.server_key))[1]}"
    allow = {{"{allow}"}}
    max-clients = {max_clients}
    handshake-timeout = {HANDSHAKE_TIMEOUT}
    idle-timeout = {IDLE_TIMEOUT}
{users}{serve_extra}
}}
{extra}''')
        self.agent = Agent(self.conf, args, env=env, prefix=prefix)

    def wait_listening(self, ports=None):
        for port in ports or (self.tls_port, self.starttls_port, self.plain_port):
            self.agent.wait_log(rf'serve: listening on 127\.0\.0\.1:{port}\b', 15)
        return self

    def pid(self):
        """The daemon's PID (under a wrapper or prefix: the process that holds the sockets)."""
        pids = [self.agent.proc.pid] + benchlib.children(self.agent.proc.pid)
        return max(pids, key=lambda p: _fd_count(p))

    def stop(self):
        self.agent.stop()

    def __enter__(self):
        return self

    def __exit__(self, kind, *exc):
        self.stop()
        if kind is not None:  # for whoever reads the failure
            say(f'--- {self.name} server log, last 40 lines:')
            for line in self.agent.text().splitlines()[-40:]:
                say(f'  {line}')


def _fd_count(pid):
    try:
        return len(os.listdir(f'/proc/{pid}/fd'))
    except OSError:
        return -1


class Nut:
    """A NUT protocol client: mode 'plain', 'starttls' or 'tls' (direct);
    certificates verified against the test CA; cert = (pem, key) to present one."""

    def __init__(self, port, mode='plain', cert=None, timeout=5.0, tls_max=None):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=timeout * SLOW)
        self.buf = b''
        try:
            if mode == 'starttls':
                reply = self.cmd('STARTTLS')
                assert reply == 'OK STARTTLS', reply
            if mode in ('starttls', 'tls'):
                ctx = ssl.create_default_context(cafile=CERTS.ca)
                if tls_max:
                    ctx.maximum_version = tls_max
                if cert:
                    ctx.load_cert_chain(*cert)
                self.sock = ctx.wrap_socket(self.sock, server_hostname='localhost')
        except BaseException:
            self.sock.close()
            raise

    def send(self, line):
        self.sock.sendall(line.encode() + b'\n')

    def line(self):
        while b'\n' not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError('server closed the connection')
            self.buf += data
        reply, self.buf = self.buf.split(b'\n', 1)
        return reply.decode(errors='replace')

    def cmd(self, line):
        self.send(line)
        return self.line()

    def list(self, what):
        """LIST what: the lines between BEGIN and END."""
        first = self.cmd('LIST ' + what)
        assert first == 'BEGIN LIST ' + what, (what, first)
        out = []
        while True:
            line = self.line()
            if line == 'END LIST ' + what:
                return out
            out.append(line)

    def login(self, user, ups='ups1', password=None):
        assert self.cmd(f'USERNAME {user}') == 'OK'
        assert self.cmd(f'PASSWORD {password or PASSWORDS[user]}') == 'OK'
        reply = self.cmd(f'LOGIN {ups}')
        assert reply == 'OK', reply
        return self

    def closed_within(self, timeout):
        """Seconds until the server closes (EOF or reset), reading and discarding."""
        start = time.monotonic()
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(4096):
                pass
        except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
            pass
        except socket.timeout:
            raise AssertionError(f'the server kept the connection open over {timeout} s')
        return time.monotonic() - start

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def status_of(port, mode='tls'):
    with Nut(port, mode) as c:
        return c.cmd('GET VAR ups1 ups.status')


def drain(raw, timeout):
    """Reads a raw socket until the server closes it: (bytes, seconds)."""
    start = time.monotonic()
    raw.settimeout(timeout)
    data = b''
    try:
        while chunk := raw.recv(4096):
            data += chunk
    except ConnectionResetError:
        pass
    except socket.timeout:
        raise AssertionError(f'the server kept the connection open over {timeout} s ({data!r})')
    return data, time.monotonic() - start


def assert_timeout(t, bound):
    """A drop measured at t seconds came when the timeout of bound seconds said."""
    assert bound - 0.1 <= t < bound + 1.5 * SLOW, (t, bound)


class Poller:
    """The well-behaved client: GET VAR ups1 ups.status every 0.5 s over direct
    TLS, each answer's latency recorded."""

    def __init__(self, server, cert=None):
        self.port = server.tls_port
        self.samples = []   # (monotonic time sent, latency s, reply or error)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self.conn = Nut(self.port, 'tls', cert=cert)
        self._t.start()

    def _run(self):
        tick = time.monotonic()
        while not self._stop.is_set():
            t = time.monotonic()
            try:
                reply = self.conn.cmd('GET VAR ups1 ups.status')
            except Exception as e:  # recorded, judged by check()
                reply = f'error: {e!r}'
                self.samples.append((t, time.monotonic() - t, reply))
                return
            self.samples.append((t, time.monotonic() - t, reply))
            tick += 0.5
            self._stop.wait(max(0.0, tick - time.monotonic()))

    def check(self, since, what):
        """Every answer since that time came within POLL_BOUND, none failed,
        and the polls went on (none missing for long)."""
        now = time.monotonic()
        got = [s for s in self.samples if s[0] >= since]
        bad = [s for s in got if not s[2].startswith('VAR ups1 ups.status ')]
        assert not bad, f'{what}: the poller got {bad}'
        worst = max((s[1] for s in got), default=0.0)
        # Polls are due every 0.5 s: a stuck one shows as a gap.
        times = [since] + [s[0] for s in got] + [now]
        gap = max(b - a for a, b in zip(times, times[1:]))
        say(f'{what}: poller {len(got)} answers, worst {worst * 1e3:.1f} ms, '
            f'longest gap {gap:.2f} s')
        assert worst < POLL_BOUND, f'{what}: an answer took {worst:.3f} s'
        assert gap < 0.5 + POLL_BOUND, f'{what}: no answer for {gap:.2f} s'

    def wait_answers(self, since, n):
        nutfix.wait_for(lambda: sum(1 for x in self.samples if x[0] >= since) >= n,
                        0.5 * n + 2 * POLL_BOUND, f'{n} poller answers')

    def stop(self):
        self._stop.set()
        self._t.join(5)
        self.conn.close()


class Attackers:
    """Connections before login that keep coming back when closed: n per kind
    per listener, spread over loopback addresses 127.0.1.x."""

    def __init__(self, server, n):
        self.server, self.n, self.stop_ = server, n, threading.Event()
        self.held = {}
        self.opened = 0
        self.threads = [threading.Thread(target=self._run, args=(kind, port), daemon=True)
                        for kind, port in (('bare', server.tls_port),
                                           ('midhandshake', server.tls_port),
                                           ('tls-silent', server.tls_port),
                                           ('netver', server.starttls_port),
                                           ('netver-plain', server.plain_port),
                                           ('bare-starttls', server.starttls_port))]
        for t in self.threads:
            t.start()

    def _open(self, kind, port, i):
        src = f'127.0.1.{1 + i % 50}'
        s = socket.create_connection(('127.0.0.1', port), timeout=5, source_address=(src, 0))
        if kind == 'midhandshake':
            s.sendall(b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03')  # a ClientHello's start
        elif kind == 'tls-silent':
            s = ssl.create_default_context(cafile=CERTS.ca).wrap_socket(
                s, server_hostname='localhost')
        self.opened += 1
        return s

    def _run(self, kind, port):
        socks = [None] * self.n
        tick = 0
        while not self.stop_.is_set():
            for i in range(self.n):
                if socks[i] is None or _gone(socks[i]):
                    if socks[i]:
                        socks[i].close()
                    try:
                        socks[i] = self._open(kind, port, i)
                    except (OSError, ssl.SSLError):
                        socks[i] = None
                elif kind.startswith('netver') and tick % 20 == 0:
                    try:
                        socks[i].sendall(b'NETVER\n')
                    except OSError:
                        pass
            self.held[kind] = sum(1 for s in socks if s is not None)
            tick += 1
            self.stop_.wait(0.1)
        for s in socks:
            if s:
                s.close()

    def stop(self):
        self.stop_.set()
        for t in self.threads:
            t.join(10)


def _gone(sock):
    sock.setblocking(False)
    try:
        return sock.recv(4096) == b''
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)
