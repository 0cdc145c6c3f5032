#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The power-off path against python3-dbusmock's logind on a private bus, a
configured command, the dry run, and the power-down flag, through
test/test-shutdown.c (its path in $TEST_SHUTDOWN)."""
import os
import re
import stat

from harness import case, main, nutfix, workdir
from logindmock import LogindMock, PrivateBus

TEST_SHUTDOWN = os.environ.get('TEST_SHUTDOWN', 'test-shutdown')
D = workdir()


def shutdown(*args, env=None, timeout=30, umask=None):
    """Runs test-shutdown; returns its "key value" lines as a dict plus the
    CompletedProcess as ['res'] and the wall time as ['elapsed']."""
    argv = [TEST_SHUTDOWN, *args]
    if umask is not None:  # through a shell-free wrapper: python sets it, then execs
        argv = ['/usr/bin/python3', '-c',
                f'import os, sys; os.umask({umask}); os.execv(sys.argv[1], sys.argv[1:])', *argv]
    res = nutfix.run(argv, timeout=timeout, env=env)
    assert 'Sanitizer' not in res.stderr and 'runtime error' not in res.stderr, res.stderr
    out = {'res': res}
    for line in res.stdout.splitlines():
        key, _, value = line.partition(' ')
        out[key] = value
    for key in ('called', 'done'):
        if key in out:
            out[key] = float(out[key])
    if 'result' in out:
        out['result'] = int(out['result'])
    if 'called' in out and 'done' in out:
        out['elapsed'] = out['done'] - out['called']
    return out


def expect(out, result, message=None, status=None):
    res = out['res']
    want = status if status is not None else (0 if result == 0 else 1)
    assert res.returncode == want, f'exit {res.returncode}, stdout {res.stdout!r}, stderr {res.stderr!r}'
    assert out.get('result') == result, f'result {out.get("result")}, expected {result}: {res.stdout!r}'
    if message is not None:
        assert re.fullmatch(message, out['message']), f'{out["message"]!r} !~ {message!r}'
    return out


# ---------------------------------------------------------------- logind

@case
def logind_gets_exactly_one_poweroff_false():
    with LogindMock(os.path.join(D, 'logind')) as m:
        out = expect(shutdown('logind', env=m.env()), 0, r'logind accepted PowerOff')
        t = m.wait_poweroff(timeout=5)
        calls = m.poweroff_calls()
    assert calls == [{'time': t, 'args': [False]}], calls
    # The recorded arrival lies between the call and its reply.
    assert out['called'] <= t <= out['done'], (out['called'], t, out['done'])


@case
def wait_poweroff_precision():
    """The arrival time of PowerOff against the caller's clock, 20 times: after
    the call was made, before the reply came back, and close to the reply."""
    gaps = []
    with LogindMock(os.path.join(D, 'precision')) as m:
        for i in range(20):
            out = expect(shutdown('logind', env=m.env()), 0)
            t = m.poweroff_calls()[i]['time']
            assert out['called'] <= t <= out['done'], (out['called'], t, out['done'])
            gaps.append((t - out['called'], out['done'] - t))
    after_call = sorted(g[0] for g in gaps)
    before_reply = sorted(g[1] for g in gaps)
    print(f'# PowerOff recorded after the call (connect + call): median '
          f'{after_call[10] * 1e3:.3f} ms, max {after_call[-1] * 1e3:.3f} ms')
    print(f'# reply received after the record: median {before_reply[10] * 1e3:.3f} ms, '
          f'max {before_reply[-1] * 1e3:.3f} ms')
    assert before_reply[10] < 0.005, before_reply


@case
def logind_absent_names_the_service_and_the_bus():
    with PrivateBus(os.path.join(D, 'nobus')) as b:
        out = shutdown('logind', env=b.env())
    expect(out, out['result'],
           r'PowerOff via org\.freedesktop\.login1 on the system bus \(' + re.escape(b.address)
           + r'\) failed: org\.freedesktop\.DBus\.Error\.ServiceUnknown: .*org\.freedesktop\.login1.*')
    assert out['result'] < 0
    assert out['elapsed'] < 2.0, out['elapsed']


@case
def no_system_bus_is_a_clear_error():
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f'unix:path={D}/no-such-socket')
    out = shutdown('logind', env=env)
    expect(out, -2, r'cannot connect to the system bus \(unix:path=' + re.escape(D)
           + r'/no-such-socket\): No such file or directory')
    assert out['elapsed'] < 2.0, out['elapsed']


@case
def logind_error_reply_carries_its_name():
    with LogindMock(os.path.join(D, 'denied')) as m:
        m.fail_poweroff('org.freedesktop.DBus.Error.AccessDenied', 'Permission denied by test')
        denied = shutdown('logind', env=m.env())
        m.fail_poweroff('org.example.Error.Unmapped', 'There is a shutdown going on')
        busy = shutdown('logind', env=m.env())
        assert len(m.poweroff_calls()) == 2, m.log()
    expect(denied, -13, r'PowerOff via .* failed: org\.freedesktop\.DBus\.Error\.AccessDenied: '
           r'Permission denied by test')
    # A name sd-bus maps to no errno: -EIO, the name still in the message.
    expect(busy, -5, r'PowerOff via .* failed: org\.example\.Error\.Unmapped: '
           r'There is a shutdown going on')


@case
def late_logind_reply_is_a_timeout():
    with LogindMock(os.path.join(D, 'late')) as m:
        m.delay_poweroff(3)
        out = shutdown('--timeout=1', 'logind', env=m.env())
        m.wait_poweroff(timeout=5)
        assert len(m.poweroff_calls()) == 1, m.log()
    expect(out, -110, r'logind did not complete within 1\.0 s')
    assert 1.0 <= out['elapsed'] < 1.5, out['elapsed']


@case
def loop_exit_cancels_a_pending_poweroff():
    with LogindMock(os.path.join(D, 'cancel')) as m:
        m.delay_poweroff(3)
        out = shutdown('--exit-after=0.3', 'logind', env=m.env())
    expect(out, -125, r'logind: cancelled, the event loop is exiting')
    assert out['elapsed'] < 1.0, out['elapsed']


# ---------------------------------------------------------------- command

@case
def command_runs_argv_without_a_shell():
    res = os.path.join(D, 'command.out')
    script = f'{{ printf "%s\\n" "$@"; tr "\\0" "\\n" </proc/$$/environ; }} >{res}'
    out = shutdown('command', '/bin/sh', '-c', script, 'sh', 'one', 'two words', '$(true)',
                   env=dict(os.environ, SECRET='must-not-leak'))
    expect(out, 0, r'command /bin/sh -c .* sh one two words \$\(true\) succeeded')
    with open(res) as f:
        assert f.read() == ('one\ntwo words\n$(true)\n'
                            'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n')


@case
def command_exit_status_is_reported():
    out = shutdown('command', '/bin/sh', '-c', 'echo going down; exit 7')
    expect(out, -5, r'command /bin/sh -c echo going down; exit 7 failed with status 7')
    assert 'hook sh: going down' in out['res'].stderr, out['res'].stderr


@case
def command_missing_is_reported():
    out = shutdown('command', f'{D}/no-such-program', '--now')
    expect(out, -2, rf'cannot run command {re.escape(D)}/no-such-program --now: '
           r'No such file or directory')


@case
def command_that_hangs_is_killed_at_the_timeout():
    pidfile = os.path.join(D, 'hang.pid')
    out = shutdown('--timeout=0.5', 'command', '/bin/sh', '-c', f'echo $$ >{pidfile}; exec sleep 60')
    expect(out, -110, r'command /bin/sh .* did not complete within 0\.5 s')
    assert 0.5 <= out['elapsed'] < 1.5, out['elapsed']
    with open(pidfile) as f:
        pid = int(f.read())
    assert not os.path.exists(f'/proc/{pid}'), f'the command (pid {pid}) is still running'


@case
def command_without_argv_is_refused():
    expect(shutdown('command'), -22, r'shutdown_power_off: Invalid argument')


# ---------------------------------------------------------------- dry run

@case
def dry_run_logs_and_succeeds():
    with LogindMock(os.path.join(D, 'dry')) as m:
        via_logind = shutdown('dry-run', env=m.env())
        via_command = shutdown('dry-run', '/sbin/poweroff', '--no-wall')
        assert m.poweroff_calls() == [], m.log()
    expect(via_logind, 0, r'dry run: would power off via logind')
    assert 'dry run: would power off via logind\n' in via_logind['res'].stderr
    expect(via_command, 0, r'dry run: would power off via command /sbin/poweroff --no-wall')
    assert via_logind['elapsed'] < 0.5 and via_command['elapsed'] < 0.5


# ---------------------------------------------------------------- the flag

FLAG_CONTENT = 'upsagent-shutdown-file\n'


def flag(op, path, **kw):
    return shutdown(f'flag-{op}', path, **kw)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@case
def flag_write_creates_parent_and_content():
    path = os.path.join(D, 'run-upsagent', 'killpower')
    expect(flag('write', path, umask=0o077), 0)
    with open(path) as f:
        assert f.read() == FLAG_CONTENT
    assert mode(path) == 0o644, oct(mode(path))
    assert mode(os.path.dirname(path)) == 0o755, oct(mode(os.path.dirname(path)))
    assert flag('exists', path)['exists'] == 'yes'
    assert os.listdir(os.path.dirname(path)) == ['killpower']


@case
def flag_write_replaces_atomically():
    path = os.path.join(D, 'replace', 'killpower')
    os.makedirs(os.path.dirname(path))
    with open(path, 'w') as f:
        f.write('something else entirely, and longer than the flag\n')
    before = os.stat(path).st_ino
    assert flag('exists', path)['exists'] == 'no'  # wrong content is not the flag
    expect(flag('write', path), 0)
    with open(path) as f:
        assert f.read() == FLAG_CONTENT
    # A new inode renamed over the old one, never the old file truncated and
    # rewritten in place; no temporary file is left behind.
    assert os.stat(path).st_ino != before
    assert os.listdir(os.path.dirname(path)) == ['killpower']


@case
def flag_remove_and_exists():
    path = os.path.join(D, 'remove', 'killpower')
    expect(flag('write', path), 0)
    expect(flag('remove', path), 0)
    assert not os.path.exists(path)
    assert flag('exists', path)['exists'] == 'no'
    expect(flag('remove', path), 0)  # a missing flag is fine
    assert flag('exists', os.path.dirname(path))['exists'] == 'no'  # a directory is not the flag


@case
def flag_planted_by_another_user_is_not_the_flag():
    # killpower runs as root at the very end: a file nobody planted in a
    # writable place must never cut the power.
    path = os.path.join(D, 'planted', 'killpower')
    os.makedirs(os.path.dirname(path))
    with open(path, 'w') as f:
        f.write(FLAG_CONTENT)
    assert flag('exists', path)['exists'] == 'yes'      # control: ours counts
    os.chown(path, 65534, 65534)
    assert flag('exists', path)['exists'] == 'no'       # nobody's does not
    os.chown(path, 0, 0)
    os.chmod(path, 0o666)
    assert flag('exists', path)['exists'] == 'no'       # nor one anyone may write
    os.unlink(path)
    os.mkfifo(path)                                      # nor a FIFO (and it must not hang)
    assert flag('exists', path, timeout=10)['exists'] == 'no'


@case
def flag_empty_path_does_nothing():
    before = sorted(os.listdir(D))
    expect(flag('write', ''), 0)
    expect(flag('remove', ''), 0)
    assert flag('exists', '')['exists'] == 'no'
    assert sorted(os.listdir(D)) == before


@case
def flag_write_failure_leaves_nothing():
    path = os.path.join(D, 'isdir', 'killpower')
    os.makedirs(path)  # the flag's path is a directory: rename must fail
    expect(flag('write', path), -21, r'Is a directory')
    assert os.listdir(os.path.dirname(path)) == ['killpower']
    expect(flag('write', os.path.join(D, 'no', 'such', 'parent', 'killpower')), -2)


if __name__ == '__main__':
    raise SystemExit(main())
