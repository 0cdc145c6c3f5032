# SPDX-License-Identifier: GPL-2.0-or-later
"""A booted Debian for the system test: systemd-nspawn on a copy of a cached root.

The cached root (test/system/mkroot, under CACHE/SUITE/root) is never
written: each run mounts an overlay on it in a private directory, boots that
with systemd as PID 1, drives it from the host with nsenter into PID 1's
namespaces (--register=no leaves machinectl and systemd-run --machine out),
and reads its console from nspawn's standard output.
"""
import fcntl
import os
import re
import signal
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixture'))
from nutfix import FixtureError, run, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get('UPSAGENT_TEST_CACHE', '/var/cache/upsagent-test')
SKIP = 77  # meson's exit status for a skipped test
PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
CAP_SYS_ADMIN = 21


class Skip(Exception):
    """The machine cannot run the test; the message says why."""


def check_machine():
    """Raise Skip unless this machine can boot a container."""
    if os.geteuid() != 0:
        raise Skip('needs root (debootstrap, mount, systemd-nspawn)')
    with open('/proc/self/status', encoding='ascii') as f:
        eff = int(re.search(r'^CapEff:\s*([0-9a-f]+)', f.read(), re.M).group(1), 16)
    if not eff >> CAP_SYS_ADMIN & 1:
        raise Skip('needs CAP_SYS_ADMIN (mounts and namespaces for systemd-nspawn)')
    for tool in ('debootstrap', 'systemd-nspawn', 'nsenter'):
        if not shutil.which(tool):
            raise Skip(f'{tool} is missing (test/deps installs it: debootstrap, systemd-container)')


def _root(suite):
    return os.path.join(CACHE, suite, 'root')


def prefetch_roots(suites):
    """Start building the missing roots of suites in the background, each under
    its lock: debootstrap mostly waits on the mirror, and the suites' tests run
    one after the other, so on a cold cache the next root is ready sooner. A
    build that fails is tried again by its own test, which then says why."""
    for suite in suites:
        if os.path.exists(os.path.join(_root(suite), '.upsagent-test-root')):
            continue
        os.makedirs(os.path.join(CACHE, suite), exist_ok=True)
        with open(os.path.join(CACHE, suite + '.prefetch.log'), 'w') as log:
            subprocess.Popen(['flock', os.path.join(CACHE, suite + '.lock'),
                              os.path.join(HERE, 'mkroot'), suite, _root(suite)],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                             start_new_session=True)


def cached_root(suite):
    """CACHE/SUITE/root, built first when missing (one builder at a time)."""
    root = _root(suite)
    os.makedirs(os.path.dirname(root), exist_ok=True)
    with open(os.path.join(CACHE, suite + '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        start = time.monotonic()
        res = run([os.path.join(HERE, 'mkroot'), suite, root], timeout=1200)
        if res.returncode == SKIP:
            raise Skip(res.stderr.strip().splitlines()[-1])
        if res.returncode != 0:
            raise FixtureError(f'mkroot {suite} failed: {res.stderr.strip()}')
    return root, time.monotonic() - start


class Container:
    """One boot after another of the same overlay; dir holds upper/, work/, merged/ and logs."""

    def __init__(self, name, lower, dir, unified):
        self.name, self.dir, self.unified = name, dir, unified
        self.root = os.path.join(dir, 'merged')
        self.proc = self.pid1 = None
        self.console = []
        self._boots = 0
        for d in ('upper', 'work', 'merged'):
            os.makedirs(os.path.join(dir, d))
        opts = f'lowerdir={lower},upperdir={dir}/upper,workdir={dir}/work'
        res = run(['mount', '-t', 'overlay', 'overlay', '-o', opts, self.root])
        if res.returncode != 0:
            raise FixtureError(f'cannot mount an overlay on {lower}: {res.stderr.strip()}')

    def path(self, p):
        """The host's path to p inside the container."""
        return os.path.join(self.root, p.lstrip('/'))

    def write(self, p, text, mode=0o644, owner=None):
        host = self.path(p)
        os.makedirs(os.path.dirname(host), exist_ok=True)
        with open(host, 'w', encoding='utf-8') as f:
            f.write(text)
        os.chmod(host, mode)
        if owner:
            os.chown(host, *owner)

    def ids(self, user, group):
        """uid and gid of the container's user and group, from its own files."""
        def field(file, name):
            with open(self.path(file), encoding='utf-8') as f:
                for line in f:
                    parts = line.split(':')
                    if parts[0] == name:
                        return int(parts[2])
            raise FixtureError(f'no {name} in the container\'s {file}')
        return field('/etc/passwd', user), field('/etc/group', group)

    # ---- boot and power-off ------------------------------------------------

    def boot(self):
        """Start systemd in the container; returns when PID 1 is there."""
        self._boots += 1
        env = dict(os.environ)
        if self.unified:
            # systemd 256 and later refuse the host's hybrid cgroup tree.
            env['SYSTEMD_NSPAWN_UNIFIED_HIERARCHY'] = '1'
        log = open(os.path.join(self.dir, f'console-{self._boots}.log'), 'wb')
        self.console = []
        self.proc = subprocess.Popen(
            ['systemd-nspawn', '-q', '-D', self.root, '-M', self.name, '-b', '--register=no',
             '--keep-unit', '--private-network', '--console=read-only'],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        threading.Thread(target=self._read_console, args=(log,), daemon=True).start()
        self.pid1 = wait_for(self._find_pid1, 30, 'PID 1 of the container', alive=self.alive)
        return self.pid1

    def _read_console(self, log):
        for line in iter(self.proc.stdout.readline, b''):
            log.write(line)
            log.flush()
            self.console.append(line.decode('utf-8', 'replace'))
        log.close()

    def _find_pid1(self):
        """nspawn's child that is PID 1 of its own PID namespace."""
        for p in os.listdir('/proc'):
            if not p.isdigit():
                continue
            try:
                with open(f'/proc/{p}/status', encoding='ascii') as f:
                    st = f.read()
            except OSError:
                continue
            ppid = re.search(r'^PPid:\s*(\d+)', st, re.M)
            nspid = re.search(r'^NSpid:\s*(.*)$', st, re.M)
            if ppid and int(ppid.group(1)) == self.proc.pid and nspid and \
                    nspid.group(1).split()[-1] == '1':
                return int(p)
        return None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout):
        """nspawn's exit status once the container is gone, None after timeout."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def console_text(self):
        # The console has colours and carriage returns: keep the words.
        return re.sub(r'\x1b\[[0-9;]*[A-Za-z]|\r', '', ''.join(self.console))

    def stop(self):
        """Power off if running (a clean end); kill after a bound."""
        if not self.alive():
            return
        self.sh('systemctl poweroff', timeout=10)
        if self.wait_exit(30) is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def cleanup(self, keep):
        self.stop()
        run(['umount', self.root])
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---- commands inside -----------------------------------------------------

    def sh(self, script, timeout=60, input=None, user=None):
        """Run script with /bin/sh in the booted container, in a clean environment:
        as root, or as user ("NAME:GROUP") with that user's groups."""
        if not self.alive():
            raise FixtureError(f'the container is not running (exit {self.proc.poll()}): {script!r}')
        argv = ['nsenter', '-t', str(self.pid1), '-m', '-u', '-i', '-n', '-p', '-r', '-w', '--',
                '/usr/bin/env', '-i', f'PATH={PATH}', 'LANG=C.UTF-8', 'HOME=/root',
                'SYSTEMD_PAGER=', 'SYSTEMD_COLORS=0']
        if user:
            name, group = user.split(':')
            argv += ['setpriv', f'--reuid={name}', f'--regid={group}', '--init-groups']
        return run([*argv, '/bin/sh', '-c', script], timeout=timeout, input=input)

    def ok(self, script, timeout=60, **kw):
        """sh() that must exit 0; returns its standard output."""
        res = self.sh(script, timeout=timeout, **kw)
        if res.returncode != 0:
            raise FixtureError(f'{script!r} exited {res.returncode}:\n{res.stdout}{res.stderr}')
        return res.stdout

    def unit(self, name, *props):
        """systemctl show of a unit: {property: value}."""
        out = self.ok(f'systemctl show {name} ' + ' '.join(f'-p {p}' for p in props))
        return dict(line.split('=', 1) for line in out.splitlines() if '=' in line)

    def journal_lines(self, unit):
        """How many lines the unit's journal has now: journal_since() reads what comes after."""
        return len(self.ok(f'journalctl -q -u {unit} -o cat --no-pager').splitlines())

    def journal_since(self, unit, n):
        return '\n'.join(self.ok(f'journalctl -q -u {unit} -o cat --no-pager').splitlines()[n:])
