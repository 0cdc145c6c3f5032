#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The USB driver on UPSes that libumockdev emulates (test/fixture/fakeups.c):
discovery, a power failure down to a dry-run shutdown, unplug and re-plug,
reports that fail, `usb list` and killpower. The daemon runs with umockdev's
preload library, which gives it the fixture's /sys and /dev; the fixture
answers its hidraw ioctls and writes its input reports."""
import json
import os
import re
import shutil
import subprocess
import sys
import time

from agentfix import Agent, Hook, status, write
from harness import SLOW, UPSAGENT, case, expect_ok, main, nutfix, workdir
from usbfix import FakeUPS
from logindmock import LogindMock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'bench'))
import benchlib  # noqa: E402  (NUT's upsmon in a private /run/nut, FifoClock)

D = workdir()
FAKEUPS = os.environ['FAKEUPS']
HID_DATA = os.environ['HID_DATA']
APC, CPS, TINY = 0, 1, 3

# APC Back-UPS ES 850G2, as its .txt has it (on mains), then on battery, then low.
ON_BATTERY = ['13 00', '06 00 01 08', '16 0a 00 00 00', '7a 0a 00 00 00', '0c 32 58 02']
LOW_BATTERY = ['14 01 00', '16 1a 00 00 00', '7a 1a 00 00 00', '0c 08 3c 00']


def usb_config(name, hook=None, poll=0.5, ups='vendor-id = "051d"', extra='', dead=None):
    notify = f'notify {{\n command = {{"{hook.path}"}}\n}}' if hook else ''
    text = f'''
poll-interval = {poll}
dead-time = {dead or max(2 * poll, 15)}
final-delay = 0.5
status-socket = "{D}/{name}.sock"
powerdown-flag = "{D}/{name}.flag"
{extra}
{notify}
ups local {{
    driver = "usb"
    {ups}
}}
'''
    return write(os.path.join(D, name + '.conf'), text)


def run(fake, *args):
    return nutfix.run([UPSAGENT, *args], timeout=30, env=fake.env())


@case
def usb_list_shows_the_upses_and_not_the_keyboard():
    with FakeUPS() as fake:
        out = expect_ok(run(fake, 'usb', 'list')).stdout
        lines = out.splitlines()
        assert len(lines) == 4, out
        assert lines[0] == ('/dev/hidraw0  051d:0002  American Power Conversion Back-UPS ES '
                            '850G2  serial 3B1234X56789'), out
        assert 'ACPresent' in lines[1] and 'DelayBeforeShutdown' in lines[1], out
        assert 'DelayBeforeStartup' not in lines[1], out
        # Its descriptor is not in sysfs: read from the node.
        assert lines[2].startswith('/dev/hidraw1  0764:0501  CPS CP1500PFCLCD'), out
        assert 'ShutdownImminent' not in lines[3] and 'DelayBeforeStartup' in lines[3], out
        devs = json.loads(expect_ok(run(fake, 'usb', 'list', '--json')).stdout)
        assert [d['node'] for d in devs] == ['/dev/hidraw0', '/dev/hidraw1'], devs
        assert devs[1]['vendor_id'] == '0764' and devs[1]['serial'] == 'CTHFQ2000123', devs


@case
def power_failure_to_low_battery_ends_in_a_dry_run_power_off():
    hook = Hook(D, 'pf')
    # Polls 20 s apart: ONBATT and LOWBATT can only come from the input reports.
    conf = usb_config('pf', hook, poll=20)
    with FakeUPS() as fake, Agent(conf, ('--dry-run',), env=fake.env()) as a:
        a.wait_log(r'local: watching /dev/hidraw0: 051d:0002 American Power Conversion', 10)
        fake.features(APC, ON_BATTERY)
        start = time.monotonic()
        fake.input(APC, '13 00')
        t, _ = a.wait_log(r'\[ONBATT\]', 5)
        assert t - start < 3, f'ONBATT {t - start:.1f} s after the input report'
        fake.features(APC, LOW_BATTERY)
        fake.input(APC, '14 01 00')
        a.wait_log(r'\[LOWBATT\]', 5)
        a.wait_log(r'dry run: would power off', 10)
        code = a.wait_exit(10 * SLOW)
        assert code == 0, f'exit {code}:\n' + a.text()[-4000:]
    assert a.events() == ['ONBATT', 'LOWBATT', 'SHUTDOWN'], a.events()
    assert 'critical' in a.text() and 'COMMBAD' not in a.text(), a.text()


@case
def unplug_and_replug_without_a_restart():
    hook = Hook(D, 'plug')
    # Polls 10 s apart: losing and finding the UPS within 3 s is hot-plug's doing.
    conf = usb_config('plug', hook, poll=10)
    with FakeUPS() as fake, Agent(conf, ('--dry-run',), env=fake.env()) as a:
        a.wait_log(r'watching /dev/hidraw0', 10)
        st = expect_ok(status(f'{D}/plug.sock')).stdout
        assert 'local (local): OL' in st and 'open /dev/hidraw0' in st, st
        start = time.monotonic()
        fake.cmd(f'unplug {APC}')
        t, _ = a.wait_log(r'\[COMMBAD\]', 3)
        assert a.count(r'local: /dev/hidraw0 was unplugged') == 1, a.text()
        st = expect_ok(status(f'{D}/plug.sock')).stdout
        assert 'no device' in st and 'was unplugged' in st, st
        fake.cmd(f'plug {APC}')
        a.wait_log(r'\[COMMOK\]', 3)
        assert time.monotonic() - start < 6
        # Plugged in again, it has a new node, as a real one often does.
        assert a.count(r'local: watching /dev/hidraw3: 051d:0002') == 1, a.text()
        # The device found again is read as before: a power failure still counts.
        fake.features(APC, ON_BATTERY)
        fake.input(APC, '13 00')
        a.wait_log(r'\[ONBATT\]', 5)
        assert a.proc.poll() is None, 'the daemon exited'
    assert a.events() == ['COMMBAD', 'COMMOK', 'ONBATT'], a.events()


CRITICAL_LOST = r'local: critical: communication lost on battery for longer than dead-time'


@case
def unplugged_on_battery_is_lost_after_dead_time_not_before():
    # Polls every second, dead-time 3: the last good reading is at most one
    # poll before the unplug, so the verdict lands 2..3 s after it, and
    # needs the attempt at the deadline (a look for the device) to fail.
    conf = usb_config('dead', poll=1, dead=3)
    with FakeUPS() as fake, Agent(conf, ('--dry-run',), env=fake.env()) as a:
        a.wait_log(r'watching /dev/hidraw0', 10)
        fake.features(APC, ON_BATTERY)
        fake.input(APC, '13 00')
        a.wait_log(r'\[ONBATT\]', 5)
        unplugged = time.monotonic()
        fake.cmd(f'unplug {APC}')
        t, _ = a.wait_log(CRITICAL_LOST, 6)
        print(f'# USB unplugged on battery: verdict {t - unplugged:.3f} s after the unplug '
              f'(poll 1 s, dead-time 3 s)')
        assert 2 - 0.05 <= t - unplugged <= 3 + 0.5 * SLOW, t - unplugged
        a.wait_log(r'dry run: would power off', 5)


@case
def replugged_before_dead_time_is_not_lost():
    conf = usb_config('replug', poll=1, dead=3)
    with FakeUPS() as fake, Agent(conf, ('--dry-run',), env=fake.env()) as a:
        a.wait_log(r'watching /dev/hidraw0', 10)
        fake.features(APC, ON_BATTERY)
        fake.input(APC, '13 00')
        a.wait_log(r'\[ONBATT\]', 5)
        unplugged = time.monotonic()
        fake.cmd(f'unplug {APC}')
        a.wait_log(r'\[COMMBAD\]', 3)
        time.sleep(1.5)                          # the outage: 1.5 s of a 3 s dead-time
        fake.cmd(f'plug {APC}')
        fake.features(APC, ON_BATTERY)
        t, _ = a.wait_log(r'\[COMMOK\]', 3)
        # Past the deadline of the last good reading, with a margin: no verdict.
        a.wait_log(r'local: watching /dev/hidraw3', 3)
        # Absence has no event to wait on: watch past every deadline there was.
        time.sleep(max(0.0, unplugged + 4.5 - time.monotonic()))
        assert not a.matching(CRITICAL_LOST), a.text()
        assert a.proc.poll() is None, a.text()


@case
def reports_that_fail_are_skipped_and_said_once():
    hook = Hook(D, 'err')
    conf = usb_config('err', hook)
    with FakeUPS() as fake, Agent(conf, ('--dry-run',), env=fake.env()) as a:
        a.wait_log(r'watching /dev/hidraw0', 10)
        fake.cmd(f'fail {APC} 0c EPIPE')
        fake.cmd(f'fail {APC} 16 EIO')
        a.wait_log(r'local: /dev/hidraw0: feature report 0x0c: Broken pipe \(the UPS refused '
                   r'the request\); skipped', 5)
        a.wait_log(r'feature report 0x16: Input/output error \(the transfer failed\)', 5)
        time.sleep(2)  # four more polls: each problem is said once
        assert a.count(r'feature report 0x0c: Broken') == 1, a.text()
        # The rest of the UPS is still read: a power failure still counts.
        fake.features(APC, ON_BATTERY)
        a.wait_log(r'\[ONBATT\]', 5)
        fake.cmd(f'fail {APC} 13 ETIMEDOUT')
        a.wait_log(r'feature report 0x13: Connection timed out \(the UPS did not answer', 5)
        for r in ('0c', '13', '16'):
            fake.cmd(f'heal {APC} {r}')
        a.wait_log(r'feature report 0x0c answers again', 5)
        # Every report failing is a failed poll, not a guess.
        fake.cmd(f'failall {APC} EIO')
        a.wait_log(r'\[COMMBAD\]', 5)
        time.sleep(1.5)
        assert a.count(r'local: /dev/hidraw0: no feature report answered') == 1, a.text()
        fake.cmd(f'healall {APC}')
        a.wait_log(r'\[COMMOK\]', 5)
        # A UPS that answers on the interrupt pipe only lives on its input reports.
        fake.cmd(f'failall {APC} EPIPE')
        fake.input(APC, '13 00')
        for _ in range(10):  # 2 s, four polls
            fake.input(APC, '0c 31 10 00')
        st = json.loads(expect_ok(status(f'{D}/err.sock', json=True)).stdout)
        assert st['ups'][0]['last_poll_ok'] and st['ups'][0]['status'] == 'OB', st
        assert a.proc.poll() is None, 'the daemon exited'
    assert a.events() == ['ONBATT', 'COMMBAD', 'COMMOK'], a.events()


@case
def a_ups_that_cannot_be_read_is_said_and_found_later():
    hook = Hook(D, 'broken')
    conf = usb_config('broken', hook)
    with FakeUPS() as fake:
        fake.cmd(f'break {APC}')
        with Agent(conf, ('--dry-run',), env=fake.env()) as a:
            a.wait_log(r'local: /dev/hidraw0: cannot read the report descriptor: '
                       r'Input/output error', 10)
            a.wait_log(r'\[COMMBAD\]', 5)
            time.sleep(1.5)
            assert a.count(r'cannot read the report descriptor') == 1, a.text()
            # No uevent: the next poll looks again.
            fake.cmd(f'mend {APC}')
            a.wait_log(r'local: watching /dev/hidraw0', 5)
            a.wait_log(r'\[COMMOK\]', 5)
    assert a.events() == ['COMMBAD', 'COMMOK'], a.events()


@case
def several_matching_upses_are_refused_by_name():
    conf = usb_config('many', ups='')
    with FakeUPS() as fake, Agent(conf, ('--dry-run',), env=fake.env()) as a:
        a.wait_log(r'local: 2 UPSes match \(/dev/hidraw0 051d:0002 serial 3B1234X56789, '
                   r'/dev/hidraw1 0764:0501 serial CTHFQ2000123\); pick one with', 10)
        a.wait_log(r'\[COMMBAD\]', 5)
    conf = usb_config('serial', ups='serial = "cthfq2000123"')
    with FakeUPS() as fake, Agent(conf, ('--dry-run',), env=fake.env()) as a:
        a.wait_log(r'local: watching /dev/hidraw1: 0764:0501 CPS CP1500PFCLCD', 10)
    conf = usb_config('none', ups='vendor-id = "0463"')
    with FakeUPS() as fake, Agent(conf, ('--dry-run',), env=fake.env()) as a:
        a.wait_log(r'local: no UPS \(vendor-id 0463\) is plugged in; waiting for one', 10)


def killpower_config(name):
    text = f'''
powerdown-flag = "{D}/{name}.flag"
ups apc {{
    driver = "usb"
    vendor-id = "051d"
}}
ups cps {{
    driver = "usb"
    product-id = "0501"
}}
'''
    return write(os.path.join(D, name + '.conf'), text)


@case
def killpower_sets_the_delays_only_with_the_flag():
    conf = killpower_config('kp')
    flag = os.path.join(D, 'kp.flag')
    with FakeUPS() as fake:
        res = expect_ok(run(fake, 'killpower', '--config', conf))
        assert 'no power-down flag at' in res.stderr, res.stderr
        assert fake.sets(APC) == [] and fake.sets(CPS) == []
        # Not the flag's content: an unrelated file never cuts the power.
        write(flag, 'something else\n', 0o644)
        expect_ok(run(fake, 'killpower', '--config', conf))
        assert fake.sets(APC) == [] and fake.sets(CPS) == []
        # The right content, planted by another user: not the flag either.
        write(flag, 'upsagent-shutdown-file\n', 0o644)
        os.chown(flag, 65534, 65534)
        res = expect_ok(run(fake, 'killpower', '--config', conf))
        assert fake.sets(APC) == [] and fake.sets(CPS) == []
        assert re.search(r'ignoring the power-down flag .*kp.flag: owned by uid 65534 with mode '
                         r'0644: only root or the daemon writes it', res.stderr), res.stderr
        os.chown(flag, 0, 0)
        res = expect_ok(run(fake, 'killpower', '--config', conf))
        # APC: 20 s, no DelayBeforeStartup (it comes back by itself).
        assert fake.sets(APC) == ['15 14 00'], fake.sets(APC)
        # CyberPower counts minutes: off in 1 min, on after 2 (startup first).
        assert fake.sets(CPS) == ['16 02 00', '15 01 00'], fake.sets(CPS)
        assert 'apc: /dev/hidraw0: the UPS turns its output off in 20 s' in res.stderr, res.stderr
        assert 'cps: /dev/hidraw1: the UPS turns its output off in 60 s' in res.stderr
    with FakeUPS() as fake:
        res = expect_ok(run(fake, 'killpower', '--config', conf, '--delay', '120'))
        assert fake.sets(APC) == ['15 78 00'], fake.sets(APC)
        assert fake.sets(CPS) == ['16 03 00', '15 02 00'], fake.sets(CPS)
        fake.cmd(f'unplug {CPS}')
        res = run(fake, 'killpower', '--config', conf)
        assert res.returncode == 1, res
        assert 'cps: no UPS (product-id 0501) is plugged in' in res.stderr, res.stderr
        assert fake.sets(APC) == ['15 78 00', '15 14 00'], fake.sets(APC)


@case
def a_ups_without_report_ids_is_read_and_told():
    conf = usb_config('tiny', ups='vendor-id = "16d0"', extra='')
    with FakeUPS() as fake:
        fake.cmd(f'plug {TINY}')
        with Agent(conf, ('--dry-run',), env=fake.env()) as a:
            a.wait_log(r'local: watching /dev/hidraw3: 16d0:0f00 Example Tiny UPS', 10)
            # Feature reports start with ID 0, input reports carry no ID byte:
            # charge 50 %, ACPresent 0.
            fake.cmd(f'feature {TINY} 00 32 00 ff ff')
            fake.input(TINY, '32 00')
            a.wait_log(r'\[ONBATT\]', 5)
            st = json.loads(expect_ok(status(f'{D}/tiny.sock', json=True)).stdout)
            assert st['ups'][0]['status'] == 'OB' and st['ups'][0]['last_poll_ok'], st
        write(os.path.join(D, 'tiny.flag'), 'upsagent-shutdown-file\n', 0o644)
        expect_ok(run(fake, 'killpower', '--config', conf))
        # ID 0 first, as SET_FEATURE wants it; the other fields as the UPS had them.
        assert fake.sets(TINY) == ['00 32 00 14 00'], fake.sets(TINY)


@case
def the_shutdown_hook_runs_killpower_for_a_power_off_only():
    hook = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'etc',
                        'upsagent-killpower.shutdown')
    calls = os.path.join(D, 'hook.calls')
    fake = write(os.path.join(D, 'fake-upsagent'), f'#!/bin/sh\necho "$*" >> {calls}\n', 0o755)
    for verb in ('halt', 'reboot', 'kexec', 'poweroff'):
        res = nutfix.run([hook, verb], timeout=10, env={'PATH': '/usr/bin:/bin', 'UPSAGENT': fake})
        assert res.returncode == 0 and res.stderr == '', (verb, res)
    with open(calls, encoding='utf-8') as f:
        assert f.read() == 'killpower\n'

# ---------------------------------------------------------------- served to another host
# Few-to-one, end to end: the USB UPS shared by this host's upsagent over TLS
# 1.3 (port 401's protocol, on a free port); another upsagent watches it over
# the network. OB LB on the USB UPS -> the serving host latches FSD -> the
# remote powers off (its logind mock) and its login goes -> the serving host
# powers off last, through its own logind mock.

_certs = []


def serve_certs():
    if not _certs:
        _certs.append(nutfix.Certs(os.path.join(D, 'certs')))
    return _certs[0]


def secret(name, text):
    path = write(os.path.join(D, name), text + '\n')
    os.chmod(path, 0o600)
    return path


def serving_config(port, sport, pw):
    key = os.path.join(D, 'server.key')
    shutil.copyfile(serve_certs().server_key, key)
    os.chmod(key, 0o600)
    return write(os.path.join(D, 'serving.conf'), f'''
poll-interval = 0.5
dead-time = 15
host-sync = 20
final-delay = 0.5
status-socket = "{D}/serving.sock"
powerdown-flag = "{D}/serving.flag"
ups local {{
    driver = "usb"
    vendor-id = "051d"
}}
serve {{
    ups = {{"local"}}
    listen = {{"127.0.0.1:{port}"}}
    listen-starttls = {{"127.0.0.1:{sport}"}}
    cert-file = "{serve_certs().server_cert}"
    key-file = "{key}"
    user "remote" {{ password-file = "{pw}" }}
}}
''')


def remote_config(port, pw):
    return write(os.path.join(D, 'remote.conf'), f'''
poll-interval = 0.5
dead-time = 2
final-delay = 0
status-socket = "{D}/remote.sock"
powerdown-flag = "{D}/remote.flag"
ups shared {{
    server = "localhost"
    port = {port}
    ups = "local"
    tls = "direct"
    ca-file = "{serve_certs().ca}"
    user = "remote"
    password-file = "{pw}"
}}
''')


@case
def usb_ups_low_battery_reaches_the_remote_hosts_before_the_serving_host_powers_off():
    """The remote hosts: an upsagent (direct TLS 1.3) and NUT's upsmon 2.8.0
    (STARTTLS, FORCESSL and CERTVERIFY on, its NSS database trusting our CA)."""
    port = nutfix.free_port()
    sport = next(p for p in iter(nutfix.free_port, None) if p != port)
    pw = secret('remote.pw', 'remote-pass-5')
    fifo = benchlib.FifoClock(os.path.join(D, 'usb-serve.fifo'))
    with FakeUPS() as fake, \
            LogindMock(os.path.join(D, 'logind-serving')) as ls, \
            LogindMock(os.path.join(D, 'logind-remote')) as lr:
        env = fake.env()
        env.update({k: v for k, v in ls.env().items() if k.startswith('DBUS_')})
        with Agent(serving_config(port, sport, pw), (), env=env) as s:
            s.wait_log(rf'serve: listening on 127\.0\.0\.1:{port} \(TLS\)', 10)
            s.wait_log(r'local: watching /dev/hidraw0: 051d:0002', 10)
            upsmon = benchlib.Upsmon(os.path.join(D, 'usb-upsmon'),
                                     [(f'local@127.0.0.1:{sport}', 1, 'remote',
                                       'remote-pass-5', 'secondary')],
                                     serve_certs(), pollfreq=1, hostsync=5, deadtime=3,
                                     fifo=fifo.path)
            try:
                s.wait_log(r'serve: remote@127\.0\.0\.1 port \d+ logged into local', 10)
                round_trip(s, fake, ls, lr, port, pw, fifo)
            finally:
                upsmon.stop()
                fifo.close()


def round_trip(s, fake, ls, lr, port, pw, fifo):
    """Both remote hosts logged in; OB LB on the USB UPS; who powers off when."""
    with Agent(remote_config(port, pw), (), env=lr.env()) as r:
        r.wait_log(r'shared: connected to localhost port .*TLS1\.3', 10)
        nutfix.wait_for(lambda: len(s.matching(r'serve: remote@.* logged into local')) >= 2,
                        10 * SLOW, 'upsmon and the remote upsagent logged in')
        got = expect_ok(nutfix.run([UPSAGENT, 'query', '--tls', 'direct', '--ca-file',
                                    serve_certs().ca, f'local@localhost:{port}'])).stdout
        print('# the served USB UPS, read over TLS 1.3 by upsagent query:')
        print('\n'.join('#   ' + l for l in got.splitlines()))
        assert 'device.model: Back-UPS ES 850G2' in got, got
        assert 'driver.name: upsagent-usb' in got, got
        fake.features(APC, ON_BATTERY)
        fake.input(APC, '13 00')
        r.wait_log(r'shared: .*\[ONBATT\]', 5)
        fake.features(APC, LOW_BATTERY)
        changed = time.monotonic()
        fake.input(APC, '14 01 00')
        t_fsd, _ = s.wait_log(r'local: forced shutdown \(FSD\) set for the clients', 5)
        # What every client sees from now on: upsd's latch, FSD first.
        st = expect_ok(nutfix.run([UPSAGENT, 'query', '--tls', 'direct', '--ca-file',
                                   serve_certs().ca, f'local@localhost:{port}',
                                   'ups.status'])).stdout.strip()
        assert st.startswith('FSD OB'), st
        t_remote = lr.wait_poweroff(10 * SLOW)
        t_upsmon = fifo.wait_after(0, 20 * SLOW)
        nutfix.wait_for(lambda: len(s.matching(r'serve: remote@.* (logged out of|is gone)',
                                               changed)) >= 2, 10 * SLOW,
                        'both remote logins gone')
        t_gone = s.matching(r'serve: remote@.* (logged out of|is gone)', changed)[1][0]
        t_serving = ls.wait_poweroff(10 * SLOW)
        print(f'# low battery input report -> FSD latched {t_fsd - changed:.3f} s, '
              f'remote upsagent PowerOff {t_remote - changed:.3f} s, upsmon '
              f'SHUTDOWNCMD {t_upsmon - changed:.3f} s, both logins gone '
              f'{t_gone - changed:.3f} s, serving host PowerOff '
              f'{t_serving - changed:.3f} s (final-delay 0.5, host-sync 20)')
        for t, line in s.matching(r'serve: remote@', changed):
            print(f'#   +{t - changed:.3f} {line}')
        assert t_remote < t_serving and t_upsmon < t_serving, \
            (t_remote, t_upsmon, t_serving)
        assert t_gone <= t_serving, (t_gone, t_serving)
        # The login's end, not host-sync, let the serving host go on.
        assert t_serving - changed < 10, t_serving - changed
        s.wait_log(r'no secondary is logged in any more', 5)


if __name__ == '__main__':
    raise SystemExit(main())
