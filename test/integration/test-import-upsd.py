#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""import-upsd: the switch from NUT to upsagent on the cable host, as it
happens (issue 22). Before: Debian's upsd serving the UPS (STARTTLS through
its NSS database, plaintext too, as upsd 2.8 always allows), with three
remote hosts logged in - NUT's upsmon in plaintext, NUT's upsmon with
FORCESSL and CERTVERIFY, and an upsagent. The cable host's /etc/nut is
imported, upsd stopped, upsagent started on the USB UPS (libumockdev) with
the imported file; the remotes' files are never touched: all three log in
again, and a power failure on the UPS runs the round trip (FSD, each remote's
SHUTDOWNCMD or power-off, their logouts, then the cable host's power-off).
Also: the files as Debian ships them, and junk."""
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'bench'))
import benchlib  # noqa: E402
from agentfix import Agent, write  # noqa: E402
from harness import SLOW, UPSAGENT, case, expect_ok, main, nutfix, upsagent, workdir  # noqa: E402
from logindmock import LogindMock  # noqa: E402
from usbfix import FAKEUPS, FakeUPS  # noqa: E402

D = workdir()
APC = 0
ON_BATTERY = ['13 00', '06 00 01 08', '16 0a 00 00 00', '7a 0a 00 00 00', '0c 32 58 02']
LOW_BATTERY = ['14 01 00', '16 1a 00 00 00', '7a 1a 00 00 00', '0c 08 3c 00']


def say(text):
    for line in text.splitlines():
        print('# ' + line)


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def nut_confdir(name, upsd, certs, listen='127.0.0.1', cert=True):
    """The cable host's /etc/nut as a common guide writes it: usbhid-ups with
    vendorid, LISTEN on the address, the PEM CERTFILE (certificate and key),
    upsmon primary and secondary users, and its own upsmon.conf as primary."""
    d = os.path.join(D, name)
    os.makedirs(d, exist_ok=True)
    pem = os.path.join(d, 'upsd.pem')
    write(pem, read(certs.server_cert) + read(certs.server_key), 0o600)
    write(os.path.join(d, 'nut.conf'), 'MODE=netserver\n', 0o644)
    write(os.path.join(d, 'ups.conf'), 'maxretry = 3\n\n[rack]\n\tdriver = usbhid-ups\n'
          '\tport = auto\n\tvendorid = 051d\n\tdesc = "Back-UPS in the rack"\n', 0o644)
    write(os.path.join(d, 'upsd.conf'), f'LISTEN {listen} {upsd.port}\n'
          + (f'CERTFILE {pem}\n' if cert else '') + 'MAXAGE 15\n', 0o640)
    write(os.path.join(d, 'upsd.users'),
          f'[admin]\n\tpassword = {upsd.users["admin"]}\n\tactions = SET\n\tinstcmds = ALL\n'
          f'[monprimary]\n\tpassword = {upsd.users["monprimary"]}\n\tupsmon primary\n'
          f'[monsecondary]\n\tpassword = "{upsd.users["monsecondary"]}"\n\tupsmon secondary\n',
          0o640)
    write(os.path.join(d, 'upsmon.conf'),
          f'MONITOR rack@localhost 1 monprimary "{upsd.users["monprimary"]}" primary\n'
          'MINSUPPLIES 1\nSHUTDOWNCMD "/sbin/shutdown -h +0"\nPOLLFREQ 1\nDEADTIME 3\n'
          'HOSTSYNC 20\nFINALDELAY 0\n', 0o640)
    return d


def remote_agent_config(upsd, certs):
    pw = write(os.path.join(D, 'remote-agent.pw'), upsd.users['monsecondary'] + '\n')
    return write(os.path.join(D, 'remote-agent.conf'), f'''
poll-interval = 0.5
dead-time = 5
final-delay = 0
status-socket = "{D}/remote-agent.sock"
powerdown-flag = "{D}/remote-agent.flag"
ups rack {{
    server = "localhost"
    port = {upsd.port}
    ca-file = "{certs.ca}"
    user = "monsecondary"
    password-file = "{pw}"
}}
''')


def logged_in(agent, since=0.0):
    return agent.matching(r'serve: \S+@127\.0\.0\.1 port \d+ logged into rack', since)


@case
def the_switch_keeps_every_remote_host_working_through_a_power_failure():
    if not FAKEUPS:
        raise AssertionError('FAKEUPS is not set: meson builds it with umockdev')
    certs = nutfix.Certs(os.path.join(D, 'certs'))
    upsd = nutfix.Upsd(os.path.join(D, 'upsd'), ups=('rack',), tls=True, certs=certs).start()
    confdir = nut_confdir('etc-nut', upsd, certs)
    fifo_a = benchlib.FifoClock(os.path.join(D, 'upsmon-plain.fifo'))
    fifo_b = benchlib.FifoClock(os.path.join(D, 'upsmon-tls.fifo'))
    mon = f'rack@127.0.0.1:{upsd.port}'
    # No CERTPATH: upsmon 2.8.0 still tries STARTTLS, unverified, and falls
    # back to plaintext where upsd offers none.
    upsmon_plain = benchlib.Upsmon(os.path.join(D, 'upsmon-plain'),
                                   [(mon, 1, 'monsecondary', upsd.users['monsecondary'],
                                     'secondary')],
                                   certs, pollfreq=1, hostsync=5, deadtime=3,
                                   fifo=fifo_a.path, tls=False)
    upsmon_tls = benchlib.Upsmon(os.path.join(D, 'upsmon-tls'),
                                 [(mon, 1, 'monsecondary', upsd.users['monsecondary'],
                                   'secondary')],
                                 certs, pollfreq=1, hostsync=5, deadtime=3, fifo=fifo_b.path)
    try:
        with FakeUPS() as fake, LogindMock(os.path.join(D, 'logind-cable')) as lc, \
                LogindMock(os.path.join(D, 'logind-remote')) as lr, \
                Agent(remote_agent_config(upsd, certs), (), env=lr.env()) as remote:
            remote.wait_log(r'rack: connected to localhost port \d+ \(\(TLS1\.', 15)
            nutfix.wait_for(lambda: upsd_logins(upsd) >= 3, 15 * SLOW,
                            'three remote logins on NUT\'s upsd')
            # The import on the cable host, then the switch.
            out = os.path.join(D, 'cable.conf')
            res = expect_ok(upsagent('import-upsd', '-o', out, '--password-dir',
                                     os.path.join(D, 'cable-pw'), confdir))
            say('import-upsd warnings:\n' + res.stderr)
            text = read(out)
            assert 'driver = "usb"' in text and 'vendor-id = "051d"' in text, text
            assert f'listen-starttls = {{"127.0.0.1:{upsd.port}"}}' in text, text
            assert text.count('plaintext-login = true') == 2, text
            assert upsd.users['monsecondary'] not in text
            write(out, text + f'status-socket = "{D}/cable.sock"\n'
                  f'powerdown-flag = "{D}/cable.flag"\n')
            expect_ok(upsagent('check-config', out))
            upsd.stop()
            t_switch = time.monotonic()
            env = fake.env()
            env.update({k: v for k, v in lc.env().items() if k.startswith('DBUS_')})
            with Agent(out, (), env=env) as cable:
                cable.wait_log(r'rack: watching /dev/hidraw0: 051d:0002', 10)
                cable.wait_log(r'plaintext-login', 5)  # said at start, with the names
                nutfix.wait_for(lambda: len(logged_in(cable)) >= 3, 30 * SLOW,
                                'the three remote hosts logged in again')
                back = time.monotonic() - t_switch
                say(f'all three remote hosts logged in again {back:.1f} s after upsd stopped')
                round_trip(cable, fake, lc, lr, [('upsmon (no CERTPATH: unverified STARTTLS)',
                                                  fifo_a),
                                                 ('upsmon (FORCESSL, CERTVERIFY)', fifo_b)])
        say('upsmon (no CERTPATH) across the switch:\n' +
            '\n'.join(upsmon_plain.log().splitlines()[-30:]))
    finally:
        upsmon_plain.stop()
        upsmon_tls.stop()
        fifo_a.close()
        fifo_b.close()
        upsd.stop()


def upsd_logins(upsd):
    with nutfix._Session(upsd.host, upsd.port) as c:
        reply = c.cmd('GET NUMLOGINS rack')
    m = re.match(r'NUMLOGINS rack (\d+)', reply)
    return int(m.group(1)) if m else 0


def round_trip(cable, fake, lc, lr, fifos, n_remote=3):
    fake.features(APC, ON_BATTERY)
    fake.input(APC, '13 00')
    fake.features(APC, LOW_BATTERY)
    changed = time.monotonic()
    fake.input(APC, '14 01 00')
    t_fsd, _ = cable.wait_log(r'rack: forced shutdown \(FSD\) set for the clients', 10)
    t_remote = lr.wait_poweroff(15 * SLOW) if lr else 0.0
    t_mons = [(what, f.wait_after(0, 20 * SLOW)) for what, f in fifos]
    nutfix.wait_for(lambda: len(cable.matching(r'serve: .* (logged out of|is gone)',
                                               changed)) >= n_remote, 15 * SLOW,
                    'the remote logins gone')
    t_cable = lc.wait_poweroff(15 * SLOW)
    say(f'low battery -> FSD {t_fsd - changed:.2f} s' +
        (f', remote upsagent PowerOff {t_remote - changed:.2f} s' if lr else '') +
        ''.join(f', {what} SHUTDOWNCMD {t - changed:.2f} s' for what, t in t_mons) +
        f', cable host PowerOff {t_cable - changed:.2f} s')
    for t, line in cable.matching(r'serve: ', changed):
        say(f'  +{t - changed:.3f} {line}')
    assert max([t_remote] + [t for _, t in t_mons]) < t_cable, (t_remote, t_mons, t_cable)
    cable.wait_log(r'no secondary is logged in any more', 5)


@case
def a_plaintext_upsd_switched_keeps_its_plaintext_hosts():
    """The most common cable host: upsd without a certificate, LISTEN 0.0.0.0.
    upsmon falls back to plaintext; after the switch it logs in in plaintext
    as a plaintext-login user on the imported listen-plain (beyond loopback,
    reads for everyone, logins only for those users, never FSD), PyNUT still
    reads, and the power failure runs the round trip."""
    certs = nutfix.Certs(os.path.join(D, 'certs-p'))
    upsd = nutfix.Upsd(os.path.join(D, 'upsd-p'), ups=('rack',)).start()
    confdir = nut_confdir('etc-nut-p', upsd, certs, listen='0.0.0.0', cert=False)
    fifo = benchlib.FifoClock(os.path.join(D, 'upsmon-p.fifo'))
    upsmon = benchlib.Upsmon(os.path.join(D, 'upsmon-p'),
                             [(f'rack@127.0.0.1:{upsd.port}', 1, 'monsecondary',
                               upsd.users['monsecondary'], 'secondary')],
                             certs, pollfreq=1, hostsync=5, deadtime=3, fifo=fifo.path,
                             tls=False)
    try:
        with FakeUPS() as fake, LogindMock(os.path.join(D, 'logind-cable-p')) as lc:
            nutfix.wait_for(lambda: upsd_logins(upsd) >= 1, 15 * SLOW, 'upsmon on upsd')
            out = os.path.join(D, 'cable-p.conf')
            expect_ok(upsagent('import-upsd', '-o', out, '--password-dir',
                               os.path.join(D, 'cable-p-pw'), confdir))
            text = read(out)
            assert f'listen-plain = {{"0.0.0.0:{upsd.port}"}}' in text, text
            assert 'allow = {"0.0.0.0/0", "::/0"}' in text, text
            write(out, text + f'status-socket = "{D}/cable-p.sock"\n'
                  f'powerdown-flag = "{D}/cable-p.flag"\n')
            listed = expect_ok(upsagent('check-config', out)).stdout
            assert 'user monsecondary still logs in in plaintext' in listed, listed
            assert 'FORCESSL 1' in listed and 'CERTVERIFY 1' in listed, listed
            upsd.stop()
            env = fake.env()
            env.update({k: v for k, v in lc.env().items() if k.startswith('DBUS_')})
            with Agent(out, (), env=env) as cable:
                cable.wait_log(r'serve: users monprimary, monsecondary may log in in '
                               r'plaintext', 10)
                cable.wait_log(r'serve: monsecondary@127\.0\.0\.1 port \d+ logged into rack',
                               30 * SLOW)
                pynut_reads(upsd)
                refused_in_clear(upsd)
                round_trip(cable, fake, lc, None, [('upsmon (plaintext)', fifo)], n_remote=1)
        log = upsmon.log()
        assert 'Connected to NUT server 127.0.0.1 in SSL' not in log, log
        say('upsmon (plaintext) across the switch:\n' + '\n'.join(log.splitlines()[-20:]))
    finally:
        upsmon.stop()
        fifo.close()
        upsd.stop()


def pynut_reads(upsd):
    """PyNUT (python3-nut), which has no TLS: reads without a login."""
    from PyNUT import PyNUTClient
    c = PyNUTClient(host='127.0.0.1', port=upsd.port)
    assert c.GetUPSVars('rack')[b'ups.status'] == b'OL', c.GetUPSVars('rack')


def refused_in_clear(upsd):
    """A user not marked plaintext-login, with its right password; and FSD."""
    with nutfix._Session('127.0.0.1', upsd.port) as s:
        assert s.cmd('USERNAME admin') == 'OK'
        assert s.cmd(f'PASSWORD {upsd.users["admin"]}') == 'OK'
        assert s.cmd('LOGIN rack') == 'ERR ACCESS-DENIED'
    with nutfix._Session('127.0.0.1', upsd.port) as s:
        s.cmd('USERNAME monprimary')
        s.cmd(f'PASSWORD {upsd.users["monprimary"]}')
        assert s.cmd('FSD rack') == 'ERR ACCESS-DENIED'


@case
def debian_files_as_shipped_and_junk():
    # Debian's /etc/nut as the package installs it: nothing configured.
    if os.path.exists('/etc/nut/ups.conf'):
        d = os.path.join(D, 'debian-nut')
        shutil.copytree('/etc/nut', d)
        res = upsagent('import-upsd', '--offline', '--password-dir', os.path.join(D, 'd-pw'),
                       d)
        assert res.returncode == 0, res
        assert 'nothing to serve' in res.stderr, res.stderr
        assert 'serve {' not in res.stdout, res.stdout
    # No ups.conf: one clear error.
    empty = os.path.join(D, 'empty-nut')
    os.makedirs(empty, exist_ok=True)
    res = upsagent('import-upsd', empty)
    assert res.returncode == 1 and 'ups.conf: cannot read' in res.stderr, res
    # Binary junk in upsd.users: refused, nothing written.
    junk = os.path.join(D, 'junk-nut')
    os.makedirs(junk, exist_ok=True)
    write(os.path.join(junk, 'ups.conf'), '[u]\ndriver = usbhid-ups\n')
    with open(os.path.join(junk, 'upsd.users'), 'wb') as f:
        f.write(b'[u]\npassword = s3cretX\n\0\x7fELF\x02')
    out = os.path.join(D, 'junk.conf')
    res = upsagent('import-upsd', '-o', out, '--password-dir', os.path.join(D, 'j-pw'), junk)
    assert res.returncode == 1 and 'not a text file' in res.stderr, res
    assert not os.path.exists(out) and not os.path.exists(os.path.join(D, 'j-pw'))
    assert 's3cretX' not in res.stderr + res.stdout


if __name__ == '__main__':
    raise SystemExit(main())
