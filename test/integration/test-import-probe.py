#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""import-upsmon probes every MONITOR's server (issue 19): against real upsd
servers as upsmon found them - plaintext, STARTTLS it never verified
(CERTVERIFY 0), verified STARTTLS - each section is written as what works,
and the daemon then reads its UPS with it; a refused login, an unknown UPS
or a dead server is an error and nothing is written, --force included.
check-config --connect says the same of any configuration, one line per UPS.
UPSNAME reaches a real upssched as upsmon gave it."""
import os
import re
import stat

from agentfix import Agent, write
from harness import case, expect_ok, main, nutfix, upsagent, workdir

D = workdir()
CERTS = nutfix.Certs(os.path.join(D, 'certs'))
PLAIN = nutfix.Upsd(os.path.join(D, 'plain'), ups=('ups1',)).start()
TLS = nutfix.Upsd(os.path.join(D, 'tls'), ups=('ups1',), tls=True, certs=CERTS).start()


def upsmon_conf(name, monitors, extra=''):
    lines = ''.join(f'MONITOR {m}\n' for m in monitors)
    return write(os.path.join(D, name + '-upsmon.conf'),
                 f'{lines}MINSUPPLIES 1\nSHUTDOWNCMD "/sbin/shutdown -h +0"\n'
                 f'POLLFREQ 1\nDEADTIME 3\n{extra}')


def monitor(upsd, user='monsecondary', password=None, ups='ups1', role='secondary'):
    return f'{ups}@{upsd.host}:{upsd.port} 1 {user} {password or upsd.users[user]} {role}'


def run_import(name, conf, *args):
    out, pw = os.path.join(D, name + '.conf'), os.path.join(D, name + '-pw')
    res = upsagent('import-upsmon', '-o', out, '--password-dir', pw, *args, conf)
    assert 'Sanitizer' not in res.stderr and 'runtime error' not in res.stderr, res.stderr
    return res, out, pw


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def runnable(path, name):
    """The imported file with the daemon's sockets in the work directory."""
    return write(path, read(path) + f'status-socket = "{D}/{name}.sock"\n'
                 f'powerdown-flag = "{D}/{name}.killpower"\n')


def connect_ok(path):
    """check-config --connect: the daemon's own settings read the UPS."""
    res = expect_ok(upsagent('check-config', '--connect', path))
    assert re.search(r'^ups \S+: ok: ', res.stdout, re.M), res.stdout
    return res.stdout


@case
def plaintext_server_is_written_tls_off_and_said():
    conf = upsmon_conf('plain', [monitor(PLAIN)])
    res, out, pw = run_import('plain', conf)
    expect_ok(res)
    text = read(out)
    assert re.search(r'^\ttls = "off"$', text, re.M), text
    assert 'crosses the network in clear, as it did under upsmon' in text, text
    assert 'upsd.conf CERTFILE' in text, text
    assert re.search(r'plain-upsmon.conf:1: warning: MONITOR .*offers no TLS', res.stderr), \
        res.stderr
    assert PLAIN.users['monsecondary'] not in text + res.stderr + res.stdout
    st = os.stat(os.path.join(pw, 'ups1.pw'))
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    line = connect_ok(out)
    assert 'over plaintext, no TLS' in line and 'ups.status OL' in line, line


@case
def unverified_starttls_is_pinned_on_first_use():
    conf = upsmon_conf('tofu', [monitor(TLS)])
    res, out, _ = run_import('tofu', conf)   # no --ca-file: the system store knows not CERTS
    expect_ok(res)
    text = read(out)
    pin = nutfix.spki_sha256(CERTS.server_cert)
    assert f'pin-sha256 = "{pin}"' in text, text
    assert 'Trusted on first use' in text and 'CERTVERIFY 0' in text, text
    assert not re.search(r'^\ttls = ', text, re.M), text
    assert re.search(r'warning: MONITOR .*pinned as trusted on first use', res.stderr), \
        res.stderr
    line = connect_ok(out)
    assert 'server key pinned' in line and 'TLS1.' in line, line
    # The daemon itself: connected, verified by the pin, polling.
    with Agent(runnable(out, 'tofu'), ('--dry-run',)) as a:
        a.wait_log(r'ups1: connected to 127\.0\.0\.1 port \d+ \(\(TLS1\.', 15)


@case
def verified_starttls_with_ca_file_stays_verified():
    conf = upsmon_conf('verified', [monitor(TLS)])
    res, out, _ = run_import('verified', conf, '--ca-file', CERTS.ca)
    expect_ok(res)
    text = read(out)
    assert f'ca-file = "{CERTS.ca}"' in text, text
    assert not re.search(r'^\t(tls|pin-sha256) = ', text, re.M), text
    assert not [l for l in res.stderr.splitlines() if 'TLS' in l and 'warning' in l], res.stderr
    line = connect_ok(out)
    assert 'certificate verified' in line, line


@case
def unreadable_servers_are_errors_and_nothing_is_written():
    bad = [('password', monitor(TLS, password='wrong-password')),
           ('unknown UPS', monitor(TLS, ups='nosuch')),
           ('dead port', f'ups1@127.0.0.1:{nutfix.free_port()} 1 monsecondary x secondary')]
    for what, mon in bad:
        conf = upsmon_conf('bad', [monitor(PLAIN), mon])
        res, out, pw = run_import('bad', conf, '--ca-file', CERTS.ca)
        assert res.returncode == 1, (what, res)
        assert re.search(r'MONITOR \S+ \(line 2\): cannot be read: ', res.stderr), \
            (what, res.stderr)
        assert 'nothing was written' in res.stderr, res.stderr
        assert not os.path.exists(out) and not os.path.exists(pw), what
        assert 'wrong-password' not in res.stderr
    res, _, _ = run_import('bad', upsmon_conf('bad', [monitor(TLS, ups='nosuch')]),
                           '--ca-file', CERTS.ca)
    assert "unknown UPS 'nosuch'" in res.stderr, res.stderr


@case
def force_replaces_all_or_nothing():
    out, pw = os.path.join(D, 'force.conf'), os.path.join(D, 'force-pw')
    os.makedirs(pw, exist_ok=True)
    write(out, '# the old file\n', 0o644)
    write(os.path.join(pw, 'ups1.pw'), 'old-secret\n')
    # A failing probe with --force: both files stay as they were.
    conf = upsmon_conf('force', [monitor(PLAIN, password='wrong')])
    res = upsagent('import-upsmon', '--force', '-o', out, '--password-dir', pw, conf)
    assert res.returncode == 1, res
    assert read(out) == '# the old file\n' and read(os.path.join(pw, 'ups1.pw')) == 'old-secret\n'
    assert sorted(os.listdir(pw)) == ['ups1.pw'] and sorted(os.listdir(D)).count('force.conf') == 1
    assert not [n for n in os.listdir(D) if n.startswith('force.conf.')], os.listdir(D)
    # Without --force, a good import still refuses to replace either.
    conf = upsmon_conf('force', [monitor(PLAIN)])
    res = upsagent('import-upsmon', '-o', out, '--password-dir', pw, conf)
    assert res.returncode == 1 and 'exists; --force replaces it' in res.stderr, res
    assert read(out) == '# the old file\n'
    # With --force and every server readable: both replaced.
    res = expect_ok(upsagent('import-upsmon', '--force', '-o', out, '--password-dir', pw, conf))
    assert 'ups ups1 {' in read(out)
    assert read(os.path.join(pw, 'ups1.pw')) == PLAIN.users['monsecondary'] + '\n'
    assert stat.S_IMODE(os.stat(os.path.join(pw, 'ups1.pw')).st_mode) == 0o600
    assert sorted(os.listdir(pw)) == ['ups1.pw'], os.listdir(pw)


@case
def offline_skips_the_probes_and_says_so():
    conf = upsmon_conf('offline', [f'ups1@127.0.0.1:{nutfix.free_port()} 1 u p secondary'])
    res, out, _ = run_import('offline', conf, '--offline')
    expect_ok(res)
    assert '--offline: no server was probed' in res.stderr, res.stderr
    assert 'check-config --connect' in res.stderr, res.stderr
    bad = upsagent('check-config', '--connect', out)
    assert bad.returncode == 1, bad
    assert re.search(r'^ups ups1: FAILED: cannot connect to 127\.0\.0\.1 port \d+', bad.stdout,
                     re.M), bad.stdout
    assert '1 of 1 UPS cannot be read' in bad.stderr, bad.stderr


@case
def check_config_connect_one_line_per_ups():
    good = os.path.join(D, 'plain.conf')  # from the plaintext case: tls = "off"
    text = read(good) + f'''
ups wrongpass {{
    server = "127.0.0.1"
    port = {TLS.port}
    ups = "ups1"
    ca-file = "{CERTS.ca}"
    user = "monsecondary"
    password-file = "{write(os.path.join(D, 'wrong.pw'), 'nope' + chr(10))}"
}}
ups unverified {{
    server = "localhost"
    port = {TLS.port}
    ups = "ups1"
}}
ups sim {{
    driver = "sim"
}}
'''
    conf = write(os.path.join(D, 'mixed.conf'), text)
    res = upsagent('check-config', '--connect', conf)
    assert res.returncode == 1, res
    lines = res.stdout.splitlines()
    assert lines[0].endswith('configuration OK (4 UPS)'), lines
    assert lines[1].startswith('ups ups1: ok: ups1@127.0.0.1:'), lines
    assert re.match(r'ups wrongpass: FAILED: .*(password|ACCESS-DENIED)', lines[2]), lines
    assert re.match(r'ups unverified: FAILED: .*(certificate|trust|verif)', lines[3], re.I), lines
    assert lines[4] == 'ups sim: ok: simulated: nothing to connect to', lines
    assert '2 of 4 UPS cannot be read' in res.stderr, res.stderr


@case
def upsname_reaches_a_real_upssched_as_upsmon_gave_it():
    """The kept NOTIFYCMD runs Debian's upssched: its AT line names the UPS as
    MONITOR wrote it, and matches because UPSNAME is exactly that."""
    marker = os.path.join(D, 'upssched.fired')
    cmd = write(os.path.join(D, 'upssched-cmd'),
                f'#!/bin/sh\necho "$1 $UPSNAME" >> {marker}\n', 0o755)
    system = f'ups1@{PLAIN.host}:{PLAIN.port}'
    confdir = os.path.join(D, 'nutconf')
    os.makedirs(confdir, exist_ok=True)
    write(os.path.join(confdir, 'upssched.conf'),
          f'CMDSCRIPT {cmd}\nPIPEFN {D}/upssched.pipe\nLOCKFN {D}/upssched.lock\n'
          f'AT ONBATT {system} EXECUTE onbatt\n', 0o644)
    # upssched reads NUT_CONFPATH; the hook environment is fixed, so a wrapper sets it.
    wrap = write(os.path.join(D, 'upssched-wrap'),
                 f'#!/bin/sh\nNUT_CONFPATH={confdir} exec /usr/sbin/upssched "$@"\n', 0o755)
    conf = upsmon_conf('sched', [monitor(PLAIN)],
                       f'NOTIFYCMD {wrap}\nNOTIFYFLAG ONBATT SYSLOG+EXEC\n')
    res, out, _ = run_import('sched', conf)
    expect_ok(res)
    assert f'upsname = "{system}"' in read(out), read(out)
    try:
        with Agent(runnable(out, 'sched'), ('--dry-run',)) as a:
            a.wait_log(r'ups1: connected to', 15)
            PLAIN.set('ups1', 'ups.status', 'OB DISCHRG')
            a.wait_log(r'on battery', 15)
            nutfix.wait_for(lambda: os.path.exists(marker), 10, 'upssched ran its CMDSCRIPT')
    finally:
        PLAIN.set('ups1', 'ups.status', 'OL')
    assert read(marker).split() == ['onbatt', system], read(marker)


if __name__ == '__main__':
    main()
