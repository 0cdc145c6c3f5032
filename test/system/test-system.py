#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The system test: upsagent on a booted Debian, installed as the README says.

    test/system/test-system.py SUITE        (bookworm: systemd 252, trixie: 257)

A debootstrapped root (cached in /var/cache/upsagent-test/SUITE, built when
missing) is booted with systemd-nspawn; the checkout is copied in and the
README's install commands run inside, as root, on the running system; a real
upsd with dummy-ups serves one UPS. Then each proof is one TAP line: the unit
starts and sends READY and STATUS=; it runs as upsagent with no capability; a
password passed with LoadCredential= logs in; status and check-config work as
root; a broken reload fails visibly and keeps the running configuration; a
broken file at start ends in "failed"; the watchdog restarts a hung daemon;
OB LB powers the container off through logind and polkit, and the shutdown
hook's words reach the console; after a reboot the unit is READY again and
an ordinary power-off leaves the UPS alone, saying so.

The proofs build on each other: after the first that fails the rest are
skipped. Exit 77 (skipped) when the machine cannot run it (no root, no
CAP_SYS_ADMIN, no mirror to build the root from), saying why. KEEP=1 keeps
the overlay and the console logs in /var/tmp/upsagent-system-SUITE-*.
"""
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixture'))
import nutfix  # noqa: E402  (certificates for the served UPS)
from container import (SKIP, Container, FixtureError, Skip, cached_root, check_machine,  # noqa: E402
                       prefetch_roots, wait_for)

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECKOUT = '/root/upsagent'  # where the checkout is copied in the container
PASSWORD = 'pw-ups1-7e2c'
SUITES = ('bookworm', 'trixie')  # meson.build runs one test per suite, in this order
# The unit's WatchdogSec= is 30 s: a hung daemon is killed after that, restarted 2 s later.
WATCHDOG_BOUND = 75

UPSAGENT_CONF = '''# written by test/system: one UPS on the container's own upsd, one on USB
poll-interval = 2
ups ups1 {
    server = "127.0.0.1"
    tls = "off"            # upsd here has no certificate; TLS is the integration tests' part
    user = "monuser"
    password-file = "${CREDENTIALS_DIRECTORY}/ups1.pw"
}
ups desk {
    driver = "usb"         # none is plugged in: killpower must say so
    power-value = 0
}
'''
BROKEN_CONF = UPSAGENT_CONF.replace('poll-interval = 2', 'poll-interval = "soon"')  # line 2
CREDENTIAL_DROPIN = '[Service]\nLoadCredential=ups1.pw:/etc/upsagent/ups1.pw\n'
# Sharing ups1 (issue 12): port 401 from upsagent.socket, the key as a credential.
SERVE_CONF = UPSAGENT_CONF + '''serve {
    ups = {"ups1"}
    cert-file = "/etc/upsagent/server.crt"
    key-file = "${CREDENTIALS_DIRECTORY}/server.key"
    user "remote" { password-file = "${CREDENTIALS_DIRECTORY}/remote.pw" }
}
'''
SERVE_DROPIN = ('[Service]\nLoadCredential=server.key:/etc/upsagent/server.key\n'
                'LoadCredential=remote.pw:/etc/upsagent/remote.pw\n')

NUT_FILES = {
    '/etc/nut/nut.conf': ('MODE=netserver\n', 0o640),
    '/etc/nut/ups.conf': ('[ups1]\n    driver = dummy-ups\n    port = ups1.dev\n'
                          '    desc = "system test"\n', 0o640),
    '/etc/nut/upsd.conf': ('LISTEN 127.0.0.1 3493\n', 0o640),
    '/etc/nut/upsd.users': (f'[monuser]\n    password = {PASSWORD}\n    upsmon secondary\n', 0o640),
}


def dev_file(status, charge):
    return f'ups.status: {status}\nbattery.charge: {charge}\nups.mfr: system test\n'


def readme_install_commands():
    """The "    # COMMAND" lines of the README's Installing section, in order."""
    with open(os.path.join(SRC, 'README'), encoding='utf-8') as f:
        text = f.read()
    m = re.search(r'^Installing\n-+\n(.*?)(?=^\S[^\n]*\n-+\n|\Z)', text, re.M | re.S)
    if not m:
        raise FixtureError('README has no "Installing" section')
    cmds = re.findall(r'^    # (.+)$', m.group(1), re.M)
    if not cmds or not cmds[-1].startswith('systemctl enable'):
        raise FixtureError(f'README install commands do not end in systemctl enable: {cmds}')
    return cmds


def checkout_files():
    """What git would clone, plus what is not committed yet (never build dirs)."""
    res = subprocess.run(['git', '-C', SRC, 'ls-files', '-co', '--exclude-standard', '-z'],
                         capture_output=True, check=False)
    if res.returncode == 0:
        files = [f for f in res.stdout.decode().split('\0') if f]
        return [f for f in files if os.path.lexists(os.path.join(SRC, f))]
    return None  # not a git checkout: copy the tree without build directories


class Run:
    """One suite: the container, the timings, the TAP lines."""

    def __init__(self, suite):
        self.suite = suite
        self.keep = os.environ.get('KEEP') == '1'
        self.c = None
        self.times = {}
        self.n = 0
        self.journal_mark = 0

    def note(self, text):
        for line in str(text).splitlines():
            print(f'# {line}', flush=True)

    def timed(self, key, start):
        self.times[key] = time.monotonic() - start
        self.note(f'{self.suite}: {key} {self.times[key]:.1f} s')

    # ---- set-up --------------------------------------------------------------

    def setup(self):
        prefetch_roots([s for s in SUITES if s != self.suite])
        lower, took = cached_root(self.suite)
        self.times['root'] = took
        self.note(f'{self.suite}: cached root {lower} ready in {took:.1f} s')
        dir = tempfile.mkdtemp(prefix=f'upsagent-system-{self.suite}-', dir='/var/tmp')
        self.note(f'{self.suite}: overlay and console logs in {dir}')
        self.c = Container(f'upsagent-{self.suite}-{os.getpid()}', lower, dir,
                           unified=self.suite != 'bookworm')
        self.copy_checkout()
        self.setup_nut()

    def copy_checkout(self):
        files = checkout_files()
        dest = self.c.path(CHECKOUT)
        os.makedirs(dest)
        if files is None:
            tar = ['tar', '-C', SRC, '--exclude=./build*', '-cf', '-', '.']
        else:
            tar = ['tar', '-C', SRC, '--null', '-T', '-', '-cf', '-']
        pack = subprocess.Popen(tar, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        unpack = subprocess.Popen(['tar', '-C', dest, '-xf', '-'], stdin=pack.stdout)
        pack.stdout.close()
        pack.communicate(b'\0'.join(f.encode() for f in files) if files else None)
        if unpack.wait() != 0 or pack.returncode != 0:
            raise FixtureError('cannot copy the checkout into the container')

    def setup_nut(self):
        """A real upsd with dummy-ups serving ups1; NUT's own upsmon is masked
        so that upsagent alone decides about the power-off."""
        nut = self.c.ids('root', 'nut')
        for path, (text, mode) in NUT_FILES.items():
            self.c.write(path, text, mode, owner=nut)
        self.c.write('/etc/nut/ups1.dev', dev_file('OL', 100))
        os.symlink('/dev/null', self.c.path('/etc/systemd/system/nut-monitor.service'))

    def set_ups(self, status, charge):
        """dummy-ups reads the file again when its mtime (whole seconds) moves on."""
        path = self.c.path('/etc/nut/ups1.dev')
        before = os.stat(path).st_mtime
        self.c.write('/etc/nut/ups1.dev', dev_file(status, charge))
        stamp = max(time.time(), before + 1)
        os.utime(path, (stamp, stamp))

    # ---- the proofs ----------------------------------------------------------

    def boot(self):
        start = time.monotonic()
        self.c.boot()
        state = wait_for(lambda: self.system_state(('running', 'degraded')), 120,
                         'the container reaching multi-user')
        self.timed('boot to multi-user', start)
        if state == 'degraded':
            self.note(self.c.ok('systemctl --failed --no-legend'))
        self.note(self.c.ok('systemctl --version | head -n 1'))

    def system_state(self, wanted):
        out = self.c.sh('systemctl is-system-running').stdout.strip()
        return out if out in wanted else None

    def install(self):
        """The README's commands before "systemctl enable", as written, in the checkout."""
        cmds = readme_install_commands()
        start = time.monotonic()
        for cmd in cmds[:-1]:
            out = self.c.ok(f'cd {CHECKOUT} && {cmd}', timeout=900)
            self.note(f'$ {cmd}')
            self.note('\n'.join(out.splitlines()[-6:]))
        self.timed('README install commands', start)
        example = self.c.path('/usr/share/doc/upsagent/examples/upsagent.conf')
        with open(self.c.path('/etc/upsagent.conf'), encoding='utf-8') as a, \
                open(example, encoding='utf-8') as b:
            assert a.read() == b.read(), '/etc/upsagent.conf is not the example'
        self.c.ok('id upsagent')
        load = self.c.unit('upsagent', 'LoadState', 'FragmentPath')
        assert load['LoadState'] == 'loaded', load

    def configure(self):
        """What an administrator writes: the config, the password, its credential."""
        self.c.write('/etc/upsagent/ups1.pw', PASSWORD + '\n', 0o600)
        self.c.write('/etc/systemd/system/upsagent.service.d/credentials.conf', CREDENTIAL_DROPIN)
        self.c.write('/etc/upsagent.conf', UPSAGENT_CONF)
        self.c.ok('systemctl daemon-reload')  # as "systemctl edit upsagent" does
        # Installing again keeps the administrator's file.
        self.c.ok(f'cd {CHECKOUT} && ninja -C build install', timeout=300)
        with open(self.c.path('/etc/upsagent.conf'), encoding='utf-8') as f:
            assert f.read() == UPSAGENT_CONF, 'a second install overwrote /etc/upsagent.conf'

    def check_config_before_start(self):
        """Outside the service, before it runs: the credential cannot be checked, and it says so."""
        res = self.c.sh('upsagent check-config /etc/upsagent.conf')
        self.note(res.stdout + res.stderr)
        assert res.returncode == 0, res
        assert 'not checked' in res.stderr and 'ups1.pw' in res.stderr, res.stderr

    def enable_now(self):
        """The README's last line; Type=notify: active means READY=1 came."""
        self.journal_mark = self.c.journal_lines('upsagent')
        start = time.monotonic()
        self.c.ok(readme_install_commands()[-1], timeout=60)
        self.timed('systemctl enable --now to READY', start)
        u = wait_for(lambda: self.status_text(), 20, 'STATUS= from the daemon')
        self.note(f'StatusText={u}')
        assert self.c.unit('upsagent', 'ActiveState')['ActiveState'] == 'active'

    def status_text(self):
        """STATUS= of an active unit that names ups1; None before (also while systemd boots)."""
        try:
            u = self.c.unit('upsagent', 'ActiveState', 'StatusText')
        except FixtureError:
            return None
        return u['StatusText'] if u['ActiveState'] == 'active' and 'ups1' in u['StatusText'] \
            else None

    def main_pid(self):
        return int(self.c.unit('upsagent', 'MainPID')['MainPID'])

    def unprivileged(self):
        pid = self.main_pid()
        st = self.c.ok(f'cat /proc/{pid}/status')
        field = lambda k: re.search(rf'^{k}:\s*(.*)$', st, re.M).group(1).split()  # noqa: E731
        uid, _ = self.c.ids('upsagent', 'upsagent')
        assert set(field('Uid')) == {str(uid)}, field('Uid')
        assert int(field('CapEff')[0], 16) == 0 and int(field('CapPrm')[0], 16) == 0, st
        assert field('NoNewPrivs') == ['1'], st
        assert field('Seccomp') == ['2'], st

    def credential_logs_in(self):
        """The password came through LoadCredential=: upsd lists our session."""
        # ls marks a file with an ACL with '+': systemd 255+ (root 0400 + user:upsagent:r).
        cred = self.c.ok('ls -l /run/credentials/upsagent.service/ups1.pw').strip()
        self.note(f'the credential as systemd hands it over: {cred}')
        wait_for(lambda: '127.0.0.1' in self.c.sh('upsc -c ups1@127.0.0.1').stdout, 20,
                 'upsagent logged in to upsd (upsc -c)')
        text = self.c.journal_since('upsagent', self.journal_mark)
        assert 'connected to' in text, text

    def status_as_root(self):
        out = self.c.ok('upsagent status')
        self.note(out)
        assert re.search(r'ups1 .*OL', out), out

    def check_config_while_running(self):
        """As root, the credential is read where systemd keeps it while the service runs."""
        res = self.c.sh('upsagent check-config /etc/upsagent.conf')
        self.note(res.stdout + res.stderr)
        assert res.returncode == 0 and 'configuration OK' in res.stdout, res
        assert 'not checked' not in res.stderr, res.stderr

    def polkit_power_off(self):
        call = ('busctl call org.freedesktop.login1 /org/freedesktop/login1 '
                'org.freedesktop.login1.Manager CanPowerOff')
        ours = self.c.ok(call, user='upsagent:upsagent').strip()
        other = self.c.ok(call, user='nobody:nogroup').strip()
        self.note(f'CanPowerOff: upsagent {ours}, nobody {other}')
        assert ours == 's "yes"', ours
        assert other != 's "yes"', other

    def serve_port_401(self):
        """The served UPS on port 401: systemd binds it (upsagent.socket), the
        daemon stays unprivileged, a client reads it over TLS 1.3 with no port
        given, and the unit's exposure stays low. Then back to no serving."""
        certs = nutfix.Certs(os.path.join(self.c.dir, 'certs'))
        with open(certs.server_cert, encoding='utf-8') as f:
            self.c.write('/etc/upsagent/server.crt', f.read())
        with open(certs.server_key, encoding='utf-8') as f:
            self.c.write('/etc/upsagent/server.key', f.read(), 0o600)
        with open(certs.ca, encoding='utf-8') as f:
            self.c.write('/etc/upsagent/ca.pem', f.read())
        self.c.write('/etc/upsagent/remote.pw', 'remote-pw-3f1\n', 0o600)
        self.c.write('/etc/systemd/system/upsagent.service.d/serve.conf', SERVE_DROPIN)
        self.c.write('/etc/upsagent.conf', SERVE_CONF)
        self.c.ok('systemctl daemon-reload')
        mark = self.c.journal_lines('upsagent')
        # As the README says: systemd refuses to start the socket of a running service.
        res = self.c.sh('systemctl stop upsagent && systemctl enable --now upsagent.socket && '
                        'systemctl start upsagent')
        text = self.c.journal_since('upsagent', mark)
        assert res.returncode == 0, (f'exit {res.returncode}: {res.stderr}\n' + text + '\n' +
                                     self.c.sh('systemctl status upsagent.socket '
                                               'upsagent --no-pager').stdout)
        wait_for(self.status_text, 20, 'the unit back up, serving')
        text = self.c.journal_since('upsagent', mark)
        assert re.search(r'serve: listening on \[::\]:401 \(TLS\), from systemd', text), text
        self.unprivileged()
        # The booted root has no /etc/hosts entry for localhost: the address,
        # and the certificate's name given apart.
        q = ('upsagent query --tls direct --ca-file /etc/upsagent/ca.pem --server-name localhost '
             '--user remote --password-file /etc/upsagent/remote.pw ups1@127.0.0.1')
        last = []
        try:
            out = wait_for(lambda: (lambda r: last.append(r) or (
                r.stdout if r.returncode == 0 else None))(self.c.sh(q)), 20,
                'ups1 read over port 401')
        except FixtureError:
            raise AssertionError(f'{q}: {last[-1].stdout}{last[-1].stderr}\n' +
                                 self.c.journal_since('upsagent', mark))
        self.note(f'$ {q}\n{out}')
        assert re.search(r'^ups\.status: OL$', out, re.M), out
        # The daemon has no capability (above), yet port 401 answers: systemd bound it.
        sock = self.c.unit('upsagent.socket', 'ActiveState', 'Listen')
        self.note(str(sock))
        assert sock['ActiveState'] == 'active' and '401' in sock['Listen'], sock
        sec = self.c.ok('systemd-analyze security upsagent.service --no-pager | tail -n 1')
        self.note(sec)
        level = float(re.search(r'([0-9.]+)', sec.split(':', 1)[1]).group(1))
        assert level <= 2.0, sec
        # Back to the plain configuration for the proofs that follow.
        self.c.ok('systemctl disable --now upsagent.socket')
        os.unlink(self.c.path('/etc/systemd/system/upsagent.service.d/serve.conf'))
        self.c.write('/etc/upsagent.conf', UPSAGENT_CONF)
        self.c.ok('systemctl daemon-reload && systemctl restart upsagent')
        wait_for(self.status_text, 20, 'the unit back up, not serving')

    def reload_broken(self):
        pid = self.main_pid()
        mark = self.c.journal_lines('upsagent')
        self.c.write('/etc/upsagent.conf', BROKEN_CONF)
        res = self.c.sh('systemctl reload upsagent')
        text = self.c.journal_since('upsagent', mark)
        self.note(f'systemctl reload: exit {res.returncode}: {res.stderr.strip()}')
        self.note(text)
        assert res.returncode != 0, 'systemctl reload succeeded with a broken file'
        assert "/etc/upsagent.conf:2: poll-interval: 'soon'" in text, text
        assert self.main_pid() == pid and self.status_text(), 'the daemon did not keep running'
        # The running configuration stays: still watching ups1, status answers.
        assert re.search(r'ups1 .*OL', self.c.ok('upsagent status'))
        # A file that parses but names a credential the service was not given:
        # only the daemon can tell (ExecReload= gets no credentials), and the
        # answer it sends back still fails the reload.
        mark = self.c.journal_lines('upsagent')
        self.c.write('/etc/upsagent.conf', UPSAGENT_CONF.replace('ups1.pw"', 'nope.pw"'))
        res = self.c.sh('systemctl reload upsagent')
        text = self.c.journal_since('upsagent', mark)
        self.note(text)
        assert res.returncode != 0, 'systemctl reload succeeded with a missing credential'
        assert re.search(r'cannot open password file \S*/nope.pw', text), text
        assert 'the daemon did not reload' in text, text
        assert self.main_pid() == pid and self.status_text(), 'the daemon did not keep running'
        self.c.write('/etc/upsagent.conf', UPSAGENT_CONF)
        mark = self.c.journal_lines('upsagent')
        self.c.ok('systemctl reload upsagent')
        wait_for(lambda: 'reloaded /etc/upsagent.conf' in self.c.journal_since('upsagent', mark),
                 10, 'the good file reloaded')

    def watchdog(self):
        pid = self.main_pid()
        mark = self.c.journal_lines('upsagent')
        start = time.monotonic()
        self.c.ok(f'kill -STOP {pid}')
        wait_for(lambda: self.main_pid() not in (0, pid) and self.status_text(), WATCHDOG_BOUND,
                 'the watchdog restarting the stopped daemon')
        self.timed('SIGSTOP to restarted and READY', start)
        text = self.c.journal_since('upsagent', mark)
        assert 'atchdog timeout' in text, text

    def broken_at_start(self):
        self.c.write('/etc/upsagent.conf', BROKEN_CONF)
        res = self.c.sh('systemctl restart upsagent')
        assert res.returncode != 0, 'systemctl restart succeeded with a broken file'
        props = ('ActiveState', 'Result', 'ExecMainStatus', 'NRestarts')
        u = wait_for(lambda: (lambda u: u if u['ActiveState'] == 'failed' else None)(
            self.c.unit('upsagent', *props)), 20, 'the unit failing')
        self.note(str(u))
        assert u['ExecMainStatus'] == '78' and u['NRestarts'] == '0', u
        # It stays failed: Restart= would have started it again after RestartSec=2s.
        time.sleep(5)
        again = self.c.unit('upsagent', *props)
        assert again == u, again
        self.c.write('/etc/upsagent.conf', UPSAGENT_CONF)
        self.c.ok('systemctl start upsagent')
        wait_for(self.status_text, 20, 'the unit back up')

    def ob_lb_powers_off(self):
        """OB LB on upsd: the daemon (uid upsagent) asks logind, polkit allows, the container stops."""
        wait_for(lambda: '127.0.0.1' in self.c.sh('upsc -c ups1@127.0.0.1').stdout, 20,
                 'upsagent logged in to upsd')
        start = time.monotonic()
        self.set_ups('OB LB', 5)
        rc = self.c.wait_exit(120)
        assert rc is not None, 'the container was still running 120 s after OB LB'
        self.timed('OB LB to power-off', start)
        console = self.c.console_text()
        hook = [line for line in console.splitlines() if 'upsagent' in line]
        self.note('console, upsagent lines:\n' + '\n'.join(hook[-8:]))
        assert rc == 0, f'nspawn exited {rc}'
        assert re.search(r'upsagent: desk: no UPS .* is plugged in: nothing told to cut the power',
                         console), 'the hook\'s message is not on the console'
        # killpower never needed the credential that exists only inside the service.
        assert not re.search(r'upsagent: .*password', console), console

    def reboot_ready(self):
        """The unit is enabled: after a boot it is READY again; the last boot's journal
        shows the power-off went through logind, asked by upsagent."""
        self.set_ups('OL', 100)
        start = time.monotonic()
        self.c.boot()
        wait_for(self.status_text, 120, 'upsagent READY after boot')
        self.timed('boot to READY', start)
        # Power off only once upsd and its driver are up: NUT 2.8's dummy-ups,
        # stopped while it starts, hangs its stop job for 90 s.
        wait_for(lambda: '127.0.0.1' in self.c.sh('upsc -c ups1@127.0.0.1').stdout, 30,
                 'upsagent logged in to upsd after boot')
        last = self.c.ok('journalctl -q -b -1 -o cat --no-pager -u upsagent -u systemd-logind')
        assert 'power-off requested' in last, last
        assert re.search(r'System is powering down|Power(ing)? off', last, re.I), last
        # The events went to the journal with their fields (issue 14), found the
        # way an administrator looks for them.
        ev = self.c.ok('journalctl -q -b -1 --no-pager -o export -u upsagent '
                       'UPSAGENT_EVENT=LOWBATT')
        assert re.search(r'^MESSAGE_ID=[0-9a-f]{32}$', ev, re.M), ev
        assert re.search(r'^UPS=ups1$', ev, re.M), ev
        assert re.search(r'^UPSAGENT_STATUS=.*LB', ev, re.M), ev

    def ordinary_power_off(self):
        """No power-down flag: the hook leaves the UPS alone and says so on the console."""
        self.c.ok('systemctl poweroff')
        rc = self.c.wait_exit(120)
        assert rc == 0, f'nspawn exited {rc}'
        assert re.search(r'upsagent: no power-down flag at /run/upsagent/killpower',
                         self.c.console_text()), self.c.console_text()[-2000:]


PROOFS = [
    ('boot', 'the container boots to multi-user'),
    ('install', 'README install commands: build, install, user, /etc/upsagent.conf from the example'),
    ('configure', 'config, password and credential drop-in written; a 2nd install keeps the config'),
    ('check_config_before_start', 'check-config as root before start says the credential is not checked'),
    ('enable_now', 'systemctl enable --now: READY and STATUS='),
    ('unprivileged', 'runs as upsagent: no capability, NoNewPrivs, seccomp'),
    ('credential_logs_in', 'password from LoadCredential= logs in to upsd'),
    ('status_as_root', 'upsagent status as root'),
    ('check_config_while_running', 'upsagent check-config /etc/upsagent.conf as root checks the credential'),
    ('polkit_power_off', 'polkit: CanPowerOff yes for upsagent only'),
    ('serve_port_401', 'serving ups1 on port 401 from upsagent.socket, unprivileged, exposure <= 2.0'),
    ('reload_broken', 'reload of a broken file fails visibly, keeps the running config'),
    ('watchdog', 'the watchdog restarts a SIGSTOPped daemon'),
    ('broken_at_start', 'broken file at start: failed (78), no restart loop'),
    ('ob_lb_powers_off', 'OB LB powers off through logind/polkit; hook message on the console'),
    ('reboot_ready', 'boot to READY; last boot powered off through logind'),
    ('ordinary_power_off', 'an ordinary power-off: the hook says why it leaves the UPS on'),
]


def main():
    suite = sys.argv[1]
    r = Run(suite)
    try:
        check_machine()
        r.setup()
    except Skip as e:
        print(f'1..0 # SKIP {suite}: {e}', flush=True)
        print(f'test-system: skipped: {e}', file=sys.stderr)
        return SKIP
    failed = 0
    start = time.monotonic()
    print(f'1..{len(PROOFS)}', flush=True)
    try:
        for i, (name, what) in enumerate(PROOFS, 1):
            if failed:
                print(f'ok {i} - {what} # SKIP an earlier proof failed', flush=True)
                continue
            t = time.monotonic()
            try:
                getattr(r, name)()
                print(f'ok {i} - {what} ({time.monotonic() - t:.1f} s)', flush=True)
            except Exception:  # say what failed and why, then skip the rest
                failed = i
                print(f'not ok {i} - {what}', flush=True)
                r.note(traceback.format_exc())
                if r.c:
                    r.note('console, last lines:\n' + '\n'.join(r.c.console_text().splitlines()[-15:]))
    finally:
        if r.c:
            r.c.cleanup(keep=r.keep or bool(failed))
    r.note(f'{suite}: proofs {time.monotonic() - start:.1f} s; ' +
           ', '.join(f'{k} {v:.1f} s' for k, v in r.times.items()))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
