#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What NUT's clients without TLS, and NUT drivers' readers, expect of the
server (issue 20), each case failing on the server before it:
- listen-plain beyond loopback, written with an allow list: from another
  network namespace (a veth pair), Debian's upsc, PyNUT (python3-nut) and
  collectd's nut plugin read the UPS; USERNAME, PASSWORD, LOGIN and FSD are
  refused there; a warning names the listener at start;
- the served variables as NUT drivers serve them (ups.mfr, ups.model,
  device.type, driver.version), and GET TYPE, INSTCMD and SET answered as
  Debian's upsd 2.8.0 answers them, side by side;
- a host that asked for its power-off never logs in again: its server
  stopped while on battery, the remote upsagent powers off (logind mock)
  after dead-time, and when the server comes back it does not log in."""
import os
import random
import shutil
import subprocess
import time

from harness import SLOW, case, main, nutfix
from agentfix import Agent, write
from logindmock import LogindMock
from servefix import CERTS, D, PASSWORDS, Nut, Server, password_file, say

PY = '/usr/bin/python3'  # Debian's python3-nut is for this interpreter


class Netns:
    """A private network namespace joined to this one by a veth pair:
    10.213.N.1 here, 10.213.N.2 there."""

    def __init__(self):
        self.n = random.randint(2, 250)
        self.host, self.peer = f'10.213.{self.n}.1', f'10.213.{self.n}.2'
        self.net = f'10.213.{self.n}.0/24'
        self.veth = f'ua{os.getpid() % 100000}'
        self.holder = subprocess.Popen(['unshare', '-n', 'sh', '-c', 'echo up && exec sleep 600'],
                                       stdout=subprocess.PIPE, text=True,
                                       start_new_session=True)
        assert self.holder.stdout.readline().strip() == 'up'
        self.ns = ['nsenter', '-t', str(self.holder.pid), '-n']
        for argv in (['ip', 'link', 'add', self.veth, 'type', 'veth', 'peer', 'name',
                      self.veth + 'p'],
                     ['ip', 'link', 'set', self.veth + 'p', 'netns', str(self.holder.pid)],
                     ['ip', 'addr', 'add', self.host + '/24', 'dev', self.veth],
                     ['ip', 'link', 'set', self.veth, 'up'],
                     [*self.ns, 'ip', 'addr', 'add', self.peer + '/24', 'dev', self.veth + 'p'],
                     [*self.ns, 'ip', 'link', 'set', self.veth + 'p', 'up'],
                     [*self.ns, 'ip', 'link', 'set', 'lo', 'up']):
            nutfix._check(argv)

    def close(self):
        subprocess.run(['ip', 'link', 'del', self.veth], stderr=subprocess.DEVNULL)
        self.holder.kill()
        self.holder.wait()


def _collectd(ns, target, dir):
    os.makedirs(dir, exist_ok=True)
    conf = write(os.path.join(dir, 'collectd.conf'), f'''
Hostname "legacy"
FQDNLookup false
Interval 1
BaseDir "{dir}"
PIDFile "{dir}/collectd.pid"
LoadPlugin nut
LoadPlugin csv
<Plugin nut>
  UPS "{target}"
</Plugin>
<Plugin csv>
  DataDir "{dir}/csv"
</Plugin>
''')
    os.makedirs(os.path.join(dir, 'csv'), exist_ok=True)
    return subprocess.Popen([*ns.ns, 'collectd', '-f', '-C', conf], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


@case
def legacy_readers_from_another_network_namespace():
    if os.geteuid() != 0 or not shutil.which('unshare') or not shutil.which('collectd'):
        raise AssertionError('needs root, unshare(1) and collectd (collectd-core)')
    ns = Netns()
    port = nutfix.free_port()
    try:
        listen = (f'    listen = {{"127.0.0.1:{nutfix.free_port()}"}}\n'
                  f'    listen-plain = {{"{ns.host}:{port}"}}\n')
        with Server('legacy', listen=listen, allow=f'{ns.net}", "127.0.0.0/8') as s:
            s.agent.wait_log(rf'serve: listening on {ns.host}:{port} \(plaintext\)', 15)
            warn = s.agent.wait_log(rf'serve: {ns.host}:{port} speaks plaintext beyond '
                                    r'loopback', 5)[1]
            say(f'at start: {warn}')
            target = f'ups1@{ns.host}:{port}'
            table = []
            res = nutfix.wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(
                nutfix.run([*ns.ns, 'upsc', target], timeout=20)), 10 * SLOW, 'upsc')
            got = dict(line.split(': ', 1) for line in res.stdout.splitlines() if ': ' in line)
            table.append(('upsc (nut-client 2.8.0)', got.get('ups.status'),
                          got.get('ups.model')))
            code = ('import PyNUT, sys; c = PyNUT.PyNUTClient(host=sys.argv[1], port=int('
                    'sys.argv[2])); v = c.GetUPSVars("ups1"); print(v[b"ups.status"].decode(), '
                    'v[b"ups.model"].decode(), sep="|")')
            res = nutfix.run([*ns.ns, PY, '-c', code, ns.host, str(port)], timeout=20)
            assert res.returncode == 0, res
            table.append(('PyNUT (python3-nut)', *res.stdout.strip().split('|')))
            cd = _collectd(ns, target, os.path.join(D, 'collectd'))
            try:
                # the plugin names the host after the UPS's server
                csv = os.path.join(D, 'collectd', 'csv', ns.host, 'nut-ups1')
                files = nutfix.wait_for(lambda: os.path.isdir(csv) and os.listdir(csv),
                                        20 * SLOW, 'collectd writing nut-ups1')
                table.append(('collectd nut plugin', f'{len(files)} series',
                              ', '.join(sorted(f.rsplit('-', 3)[0] for f in files))))
            finally:
                cd.kill()
                out = cd.communicate()[0]
            for client, a, b in table:
                say(f'{client:26} {ns.host}:{port} (listen-plain, allow {ns.net}): {a} | {b}')
            assert table[0][1] and table[0][1].startswith('OL'), table
            assert table[1][1].startswith('OL'), table
            # No credential crosses it, no login counts on it.
            res = nutfix.run([*ns.ns, PY, '-c', '''
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
f = s.makefile("rwb")
for line in ("USERNAME monprimary", "PASSWORD %s" % sys.argv[3], "LOGIN ups1", "FSD ups1",
             "GET NUMLOGINS ups1"):
    f.write(line.encode() + b"\\n"); f.flush()
    print(line.split()[0], "->", f.readline().decode().strip())
''', ns.host, str(port), PASSWORDS['monprimary']], timeout=20)
            say('the plaintext listener, from the namespace:')
            for line in res.stdout.splitlines():
                say(f'  {line}')
            assert res.stdout.count('ERR ACCESS-DENIED') == 4, res
            assert 'NUMLOGINS ups1 0' in res.stdout, res
            assert not s.agent.matching(r'logged into|forced shutdown'), 'a login counted'
            say(f'collectd said: {out.strip().splitlines()[-3:]}')
    finally:
        ns.close()


@case
def variables_and_errors_as_upsd_gives_them():
    upsd_dir = os.path.join(D, 'upsd')
    nutfix.run(['test/fixture/nut-server', 'start', upsd_dir], timeout=60,
               cwd=os.path.join(os.path.dirname(__file__), '..', '..'))
    env = dict(line.split('=', 1) for line in open(os.path.join(upsd_dir, 'nut-server.env'))
               .read().splitlines() if '=' in line)
    try:
        with Server('vars') as s:
            s.wait_listening()
            nutfix.wait_for(lambda: Nut(s.plain_port).cmd('GET VAR ups1 ups.status')
                            .startswith('VAR'), 10, 'serving')
            ours = {}
            with Nut(s.plain_port) as c:
                for line in c.list('VAR ups1'):
                    _, _, name, value = line.split(' ', 3)
                    ours[name] = value
            say('served by upsagent (sim): ' + ', '.join(f'{k}={v}' for k, v in ours.items()))
            for name in ('ups.mfr', 'ups.model', 'device.mfr', 'device.model', 'device.type',
                         'driver.name', 'driver.version'):
                assert name in ours, name
            questions = ['GET TYPE ups1 driver.name', 'GET TYPE ups1 nosuch.var',
                         'INSTCMD ups1 test.battery.start', 'USERNAME monsecondary',
                         'INSTCMD ups1 test.battery.start', 'PASSWORD {pw}',
                         'INSTCMD ups1 test.battery.start', 'INSTCMD ups1 no.such.cmd',
                         'INSTCMD nosuch x', 'SET VAR ups1 ups.status OB',
                         'SET VAR ups1 nosuch.var 1']
            with Nut(int(env['NUT_SERVER_PORT'])) as up, Nut(s.plain_port) as us:
                for q in questions:
                    a = up.cmd(q.format(pw=env['NUT_SERVER_MONSECONDARY_PASS']))
                    b = us.cmd(q.format(pw=PASSWORDS['monsecondary']))
                    say(f'{q.split(" PASSWORD")[0]:38} upsd: {a:28} upsagent: {b}')
                    assert a == b, (q, a, b)
    finally:
        nutfix.run(['test/fixture/nut-server', 'stop', upsd_dir], timeout=60,
                   cwd=os.path.join(os.path.dirname(__file__), '..', '..'))


@case
def a_host_that_asked_for_its_power_off_never_logs_in_again():
    with LogindMock(os.path.join(D, 'logind-remote')) as logind, \
            Server('comeback', script=('0 OL charge=100 runtime=3600',
                                       '1 OB DISCHRG charge=90 runtime=3000')) as s:
        s.wait_listening()
        rconf = write(os.path.join(D, 'comeback-remote.conf'), f'''
poll-interval = 0.5
dead-time = 1
host-sync = 1
final-delay = 0
powerdown-flag = "{D}/comeback.killpower"
status-socket = "{D}/comeback-remote.sock"
ups rack {{
    server = "localhost"
    port = {s.tls_port}
    tls = "direct"
    ups = "ups1"
    ca-file = "{CERTS.ca}"
    user = "monsecondary"
    password-file = "{password_file('monsecondary')}"
}}
''')
        remote = Agent(rconf, (), env=logind.env())
        try:
            s.agent.wait_log(r'serve: monsecondary@.* logged into ups1', 10 * SLOW)
            remote.wait_log(r'rack: .*\[ONBATT\]', 10 * SLOW)
            s.agent.stop()  # the serving host goes, on battery
            t_off = logind.wait_poweroff(20 * SLOW)
            say(f'remote: PowerOff {t_off - s.agent.started:.1f} s after the server started')
            back = Agent(s.conf, ('--dry-run',))
            try:
                back.wait_log(rf'serve: listening on 127\.0\.0\.1:{s.tls_port}\b', 15)
                # Its reconnect backoff is at most poll-interval (0.5 s): 8 of them.
                try:
                    t, line = back.wait_log(r'logged into ups1', 4 * SLOW)
                except AssertionError:
                    line = None  # none within the bound: what is asked
                assert line is None, f'logged in again: {line}'

                with Nut(s.plain_port) as c:
                    n = c.cmd('GET NUMLOGINS ups1')
                say(f'server back for 4 s: {n}; remote says '
                    f'{[ln for ln in remote.text().splitlines() if "rack" in ln][-1:]}')
                assert n == 'NUMLOGINS ups1 0', n
            finally:
                back.stop()
        finally:
            remote.stop()


if __name__ == '__main__':
    raise SystemExit(main())
