#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""upsagent import-upsmon: Debian's own upsmon.conf (nut-client), a
hand-written file with every directive (and upssched.conf), broken files.
Every output must pass check-config; passwords go to 0600 files only."""
import os
import re
import shutil
import stat

from harness import UPSAGENT, case, expect_ok, main, nutfix, upsagent, workdir

D = workdir()
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data', 'upsmon')
DEBIAN = '/etc/nut/upsmon.conf'


def data(name, dest=None, replace=None):
    """A copy of test/data/upsmon/name in the work directory."""
    with open(os.path.join(DATA, name), encoding='utf-8') as f:
        text = f.read()
    for k, v in (replace or {}).items():
        text = text.replace(k, v)
    path = os.path.join(D, dest or name)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return path


def run_import(name, src, *args):
    out, pw = os.path.join(D, name + '.conf'), os.path.join(D, name + '-pw')
    # The conversion alone: test-import-probe.py probes real servers.
    res = upsagent('import-upsmon', '--offline', '-o', out, '--password-dir', pw, *args, src)
    assert 'Sanitizer' not in res.stderr and 'runtime error' not in res.stderr, res.stderr
    return res, out, pw


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def warnings(res):
    return [l for l in res.stderr.splitlines() if ': warning: ' in l]


def check_config_ok(path):
    return expect_ok(upsagent('check-config', path))


def check_passwords(pw, expected):
    """Each file 0600 with its password; none of them in any output."""
    for name, password in expected.items():
        path = os.path.join(pw, name + '.pw')
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o600, (path, oct(st.st_mode))
        assert read(path) == password + '\n', (path, read(path))
    assert sorted(os.listdir(pw)) == sorted(n + '.pw' for n in expected), os.listdir(pw)


@case
def debian_upsmon_conf_as_shipped():
    if not os.path.exists(DEBIAN):
        print('# SKIP: no /etc/nut/upsmon.conf (nut-client is not installed)')
        return
    res, out, _ = run_import('debian', DEBIAN)
    expect_ok(res)
    text = read(out)
    w = warnings(res)
    # Debian's file sets values and no MONITOR: the values carry over.
    for line in ('poll-interval = 5', 'dead-time = 15', 'host-sync = 15', 'final-delay = 5',
                 'min-supplies = 1', 'rb-warn-time = 43200', 'nocomm-warn-time = 300'):
        assert '\n' + line + '\n' in text, (line, text)
    shutdown = next(i for i, l in enumerate(read(DEBIAN).splitlines(), 1)
                    if l.startswith('SHUTDOWNCMD'))
    assert any(re.match(rf'upsagent: {DEBIAN}:{shutdown}: warning: meaning changes: .*logind', l)
               for l in w), w
    assert any('POWERDOWNFLAG' in l for l in text.splitlines() if l.startswith('# ')), text
    assert any(f'{DEBIAN}: warning: no MONITOR line' in l for l in w), w
    # Nothing to watch is the one thing check-config refuses, as upsmon refuses to start.
    res = upsagent('check-config', out)
    assert res.returncode == 1, res
    assert res.stderr.strip().endswith('no ups section: there is nothing to watch'), res.stderr


@case
def debian_upsmon_conf_with_a_monitor_line():
    if not os.path.exists(DEBIAN):
        print('# SKIP: no /etc/nut/upsmon.conf (nut-client is not installed)')
        return
    src = os.path.join(D, 'debian-monitor-upsmon.conf')
    shutil.copy(DEBIAN, src)
    with open(src, 'a', encoding='utf-8') as f:
        f.write('MONITOR myups@192.168.1.10 1 monuser "secret word" secondary\n')
    res, out, pw = run_import('debian-monitor', src)
    expect_ok(res)
    check_config_ok(out)
    check_passwords(pw, {'myups': 'secret word'})
    assert 'secret word' not in read(out)


@case
def rich_file_every_directive_and_upssched():
    script = os.path.join(D, 'upssched-cmd')
    shutil.copy(os.path.join(DATA, 'upssched-cmd'), script)
    sched = data('rich-upssched.conf', replace={'@DIR@': D})
    src = data('rich-upsmon.conf')
    res, out, pw = run_import('rich', src, '--upssched', sched)
    expect_ok(res)
    text = read(out)
    check_config_ok(out)
    check_passwords(pw, {'rack': 's3cret pass#1', 'rack-fd00--5': "'quote'", 'desk': 'localpw',
                         'ups2': 'pw"escaped'})
    for secret in ('s3cret', 'localpw', 'escaped', 'nssdbpass'):
        assert secret not in text, secret
    # Every directive that does not carry over as it was is a warning FILE:LINE.
    w = warnings(res)
    lines = {int(m.group(1)) for l in w for m in [re.match(rf'upsagent: {src}:(\d+): ', l)] if m}
    src_lines = read(src).splitlines()
    for directive in ('RUN_AS_USER', 'SHUTDOWNCMD', 'POLLFREQALERT', 'DEADTIME', 'POWERDOWNFLAG',
                      'NOTIFYMSG', 'NOTIFYFLAG COMMOK', 'NOTIFYFLAG NOPARENT', 'CERTPATH',
                      'CERTIDENT', 'CERTHOST backup.lan', 'FORCESSL', 'DEBUG_MIN', 'SHUTDOWNEXIT'):
        n = next(i for i, l in enumerate(src_lines, 1) if l.startswith(directive))
        assert n in lines, (directive, n, w)
        assert f'# {src}:{n}: ' in text, (directive, text)
    assert any(re.match(rf'upsagent: {sched}:5: warning: carried over as on-battery-max = 300', l)
               for l in w), w
    assert any(re.match(rf'upsagent: {sched}:7: warning: kept: upssched still runs .* LOWBATT', l)
               for l in w), w
    assert 'certutil -L -d sql:/etc/nut/cert -n "NICK" -a > /etc/upsagent/ca.pem' in text
    assert text.count('\ton-battery-max = 300') == 4, text
    assert 'shutdown-command = {"/bin/sh", "-c", \'/usr/bin/logger' in text, text
    assert 'command = {"/usr/sbin/upssched"}\n\tevents = {"LOWBATT"}' in text, text
    assert 'server-name = "nas.lan"' in text and 'My nut server' not in text.split('\nups ')[1]


@case
def refuses_to_overwrite_without_force():
    src = data('broken-upsmon.conf', 'overwrite-upsmon.conf')
    res, out, pw = run_import('overwrite', src)
    expect_ok(res)
    before = read(out)
    for target in (out, os.path.join(pw, 'good.pw')):
        if target != out:
            os.rename(out, out + '.moved')
        res, _, _ = run_import('overwrite', src)
        assert res.returncode == 1, res
        assert f'{target} exists; --force replaces it' in res.stderr, res.stderr
    os.rename(out + '.moved', out)
    os.chmod(os.path.join(pw, 'good.pw'), 0o644)
    res, _, _ = run_import('overwrite', src, '--force')
    expect_ok(res)
    assert read(out) == before
    check_passwords(pw, {'good': 'goodpass', 'role': 'pw'})


@case
def broken_lines_are_warnings_and_the_rest_carries_over():
    src = data('broken-upsmon.conf')
    res, out, pw = run_import('broken', src)
    expect_ok(res)
    check_config_ok(out)
    # upsmon takes a role it does not know (boss) for secondary: so does the import.
    check_passwords(pw, {'good': 'goodpass', 'role': 'pw'})
    w = '\n'.join(warnings(res))
    for n, what in ((3, 'unknown directive MONITR'), (4, 'missing the user'),
                    (5, "power value 'one'"), (6, "is not UPS@HOST"), (7, "'boss' is neither"),
                    (8, "'soon' is not a whole number"), (9, '60 seconds'), (10, 'too few words'),
                    (11, "unknown event 'ONBAT'"), (12, "unknown flag 'BEEP'"),
                    (13, 'quoted string is not closed'), (14, 'unknown directive FROBNICATE')):
        assert re.search(rf'^upsagent: {src}:{n}: warning: .*{re.escape(what)}', w, re.M), (n, w)
    assert 'typopass' not in read(out)


@case
def imported_notify_command_gets_the_message_as_upsmon_gave_it():
    """A NOTIFYCMD that needs a shell still gets the message as its last argument."""
    got = os.path.join(D, 'notified')
    src = os.path.join(D, 'notify-upsmon.conf')
    with open(src, 'w', encoding='utf-8') as f:
        f.write(f'MONITOR ups1@nas.lan 1 monuser pw secondary\n'
                f'NOTIFYCMD "echo $NOTIFYTYPE >>{got}"\n'
                f'NOTIFYFLAG ONBATT SYSLOG+EXEC\n')
    res, out, _ = run_import('notify', src)
    expect_ok(res)
    env = dict(os.environ, UPSAGENT_TEST_UTMP=os.path.join(D, 'no-utmp'))
    res = nutfix.run([UPSAGENT, 'test-event', '--config', out, 'ONBATT'], env=env)
    expect_ok(res)
    assert read(got) == 'ONBATT UPS ups1@nas.lan on battery\n', read(got)


@case
def standard_output_and_usage():
    src = data('broken-upsmon.conf', 'stdout-upsmon.conf')
    pw = os.path.join(D, 'stdout-pw')
    res = expect_ok(upsagent('import-upsmon', '--offline', '--password-dir', pw, src))
    assert res.stdout.startswith('# upsagent.conf converted from'), res.stdout
    assert os.path.exists(os.path.join(pw, 'good.pw'))
    res = upsagent('import-upsmon', os.path.join(D, 'missing.conf'))
    assert res.returncode == 1 and 'missing.conf: cannot read: No such file' in res.stderr, res
    res = upsagent('import-upsmon', '--password-dir', 'relative', src)
    assert res.returncode == 2, res


@case
def binary_junk_exits_1_and_writes_nothing():
    """NUL bytes or control characters: one error, no output, no password file."""
    for name, junk in (('nul', b'MONITOR a@h 1 u secretpw primary\n\0\0\x7fELF'),
                       ('ctrl', b'MONITOR a@h 1 u secretpw primary\n\x1b[1m\x02\x03\n')):
        src = os.path.join(D, name + '-junk-upsmon.conf')
        with open(src, 'wb') as f:
            f.write(junk)
        res, out, pw = run_import(name + '-junk', src)
        assert res.returncode == 1, res
        assert f'{src}: cannot read' in res.stderr, res.stderr
        assert not os.path.exists(out) and not os.path.exists(pw), (out, pw)
        assert 'secretpw' not in res.stderr + res.stdout

        assert 'not a text file' in res.stderr, res.stderr


@case
def huge_unreadable_and_linked_files_are_one_clear_error():
    """Over 1 MiB, a directory, no permission (as nobody), a link as output:
    one error each, nothing half-written."""
    huge = os.path.join(D, 'huge-upsmon.conf')
    with open(huge, 'w', encoding='utf-8') as f:
        f.write('# ' + 'x' * (1 << 20) + '\n')
    res, out, pw = run_import('huge', huge)
    assert res.returncode == 1 and 'larger than 1 MiB' in res.stderr, res
    assert not os.path.exists(out) and not os.path.exists(pw)
    res, out, _ = run_import('dir', D)
    assert res.returncode == 1 and 'not a regular file' in res.stderr, res
    src = data('rich-upsmon.conf', 'closed-upsmon.conf')
    os.chmod(src, 0)
    res = nutfix.run(['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups',
                      UPSAGENT, 'import-upsmon', '--offline', src])
    assert res.returncode == 1 and 'Permission denied' in res.stderr, res
    # An output path that is a link (even to nowhere) exists: no --force, no write.
    link = os.path.join(D, 'link.conf')
    os.symlink(os.path.join(D, 'nowhere.conf'), link)
    res = upsagent('import-upsmon', '--offline', '-o', link, '--password-dir',
                   os.path.join(D, 'link-pw'), data('rich-upsmon.conf', 'l-upsmon.conf'))
    assert res.returncode == 1 and 'exists; --force replaces it' in res.stderr, res
    assert not os.path.exists(os.path.join(D, 'nowhere.conf'))
    assert not os.path.exists(os.path.join(D, 'link-pw'))

if __name__ == '__main__':
    raise SystemExit(main())
