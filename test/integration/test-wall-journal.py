#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""upsmon's habits kept by the daemon: wall messages on a terminal (a pty
that a test-only utmp file lists), and events in the journal with their
fields (UPS=, UPSAGENT_EVENT=, UPSAGENT_STATUS=, MESSAGE_ID=): read back
from the journal's native protocol socket, which a private mount namespace
puts where sd_journal_send looks for it, and from a private systemd-journald
in such a namespace, queried with journalctl."""
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import time
import tty

from agentfix import Agent, write
from harness import SLOW, case, main, workdir

D = workdir()
USER_PROCESS = 7
POWER_FAILURE = ['0 OL charge=100', '1 OB DISCHRG charge=70', '2 OB LB DISCHRG charge=8']
# lib/config/eventid.c
MESSAGE_IDS = {'ONBATT': '4c18ad1c513e404798c3d13fecf482a4',
               'LOWBATT': '1e2943945b5a4ec6b5e2622de88b76e2',
               'SHUTDOWN': '14e585326b464ef1b41dae7e85ad5a61'}


def sim_config(name, notify=''):
    script = ', '.join(f'"{s}"' for s in POWER_FAILURE)
    return write(os.path.join(D, name + '.conf'), f'''
poll-interval = 0.5
final-delay = 0.5
status-socket = "{D}/{name}.sock"
{notify}
ups demo {{
    driver = "sim"
    script = {{{script}}}
}}
''')


def utmp_entry(line, user='alice', kind=USER_PROCESS):
    """One struct utmp (glibc, 64-bit: 384 bytes)."""
    return struct.pack('<hxxi32s4s32s256shhiii4i20x', kind, os.getpid(), line.encode(),
                       line[-4:].encode(), user.encode(), b'', 0, 0, 0, int(time.time()), 0,
                       0, 0, 0, 0)


def read_pty(fd, want, timeout):
    """What the pty's master side reads until every string of want is in it."""
    text, deadline = b'', time.monotonic() + timeout * SLOW
    while not all(w.encode() in text for w in want):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError(f'pty: {want!r} not all seen within {timeout} s; got {text!r}')
        text += os.read(fd, 4096)
    return text.decode(errors='replace')


@case
def wall_reaches_a_logged_in_terminal_on_the_default_events():
    master, slave = os.openpty()
    tty.setraw(slave)  # no output processing: the bytes as written
    line = os.ttyname(slave)[len('/dev/'):]
    utmp = os.path.join(D, 'utmp')
    with open(utmp, 'wb') as f:
        f.write(utmp_entry('pts/999999'))          # not there: skipped
        f.write(utmp_entry('../../etc/passwd'))    # refused by name
        f.write(utmp_entry(line, kind=8))          # DEAD_PROCESS: not logged in
        f.write(utmp_entry(line))
        f.write(utmp_entry(line, user='bob'))      # the same terminal: written once
    conf = sim_config('wall')
    env = dict(os.environ, UPSAGENT_TEST_UTMP=utmp)
    try:
        with Agent(conf, ('--dry-run',), env=env) as a:
            a.wait_log(r'dry run: would power off', 30)
            text = read_pty(master, ['UPS demo on battery', 'UPS demo battery is low',
                                     '(dry run) Auto logout and shutdown proceeding'], 10)
            a.wait_exit(10)
    finally:
        os.close(slave)
    # Default events only (no ONLINE at start), each once, in CR LF lines.
    assert text.count('Broadcast message from upsagent@') == 3, text
    assert text.count('UPS demo on battery') == 1, text
    assert '\r\n\r\n(dry run) UPS demo on battery\r\n' in text, repr(text)
    assert 'on line power' not in text, text
    os.close(master)


@case
def wall_follows_the_notify_sections():
    master, slave = os.openpty()
    utmp = os.path.join(D, 'utmp2')
    with open(utmp, 'wb') as f:
        f.write(utmp_entry(os.ttyname(slave)[len('/dev/'):]))
    conf = sim_config('wall2', 'notify {\n wall = true\n events = {"LOWBATT"}\n}\n')
    env = dict(os.environ, UPSAGENT_TEST_UTMP=utmp)
    try:
        with Agent(conf, ('--dry-run',), env=env) as a:
            a.wait_log(r'dry run: would power off', 30)
            text = read_pty(master, ['battery is low'], 10)
            a.wait_exit(10)
        time.sleep(0.2)
        r = select.select([master], [], [], 0)[0]
        text += os.read(master, 4096).decode() if r else ''
    finally:
        os.close(slave)
        os.close(master)
    assert text.count('Broadcast message') == 1, text
    assert 'on battery' not in text and 'shutdown proceeding' not in text, text


# The production path: logind's sessions, read by sd-login from
# /run/systemd/sessions, here an empty file system with one session of ours;
# utmp hidden by an empty file where there is one.
SESSIONS_NS = '''set -e
mount -t tmpfs tmpfs /run/systemd
mkdir /run/systemd/sessions
printf 'UID=0\\nUSER=root\\nACTIVE=1\\nSTATE=active\\nTYPE=tty\\nTTY=%s\\n' "$0" > /run/systemd/sessions/c7
if [ -e /run/utmp ]; then : > "$TMPDIR/empty-utmp"; mount --bind "$TMPDIR/empty-utmp" /run/utmp; fi
exec "$@"
'''


@case
def wall_finds_the_terminal_of_a_logind_session():
    if not can_namespace():
        print('# SKIP: no private mount namespace here (needs root and unshare)')
        return
    master, slave = os.openpty()
    tty.setraw(slave)
    conf = sim_config('sessions', 'notify {\n wall = true\n events = {"ONBATT"}\n}\n')
    env = dict(os.environ, TMPDIR=D)
    env.pop('UPSAGENT_TEST_UTMP', None)
    try:
        with Agent(conf, ('--dry-run',), env=env,
                   prefix=['unshare', '-m', 'sh', '-c', SESSIONS_NS,
                           os.ttyname(slave)[len('/dev/'):]]) as a:
            text = read_pty(master, ['UPS demo on battery'], 30)
            a.wait_log(r'dry run: would power off', 30)
            a.wait_exit(10)
    finally:
        os.close(slave)
        os.close(master)
    assert text.count('Broadcast message from upsagent@') == 1, text


def parse_native(data):
    """The journal's native protocol: KEY=value lines, or KEY, a 64-bit length, the value."""
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b'\n', i)
        line = data[i:nl]
        if b'=' in line:
            k, v = line.split(b'=', 1)
            i = nl + 1
        else:
            k = line
            (n,) = struct.unpack('<Q', data[nl + 1:nl + 9])
            v = data[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        fields[k.decode()] = v.decode()
    return fields


def journal_prefix(rundir):
    """Runs the daemon with rundir as /run/systemd and stderr named by JOURNAL_STREAM."""
    return ['unshare', '-m', 'sh', '-c',
            'mount --bind "$0" /run/systemd && '
            'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) && export JOURNAL_STREAM && '
            'exec "$@"', rundir]


def can_namespace():
    return (shutil.which('unshare') and os.path.isdir('/run/systemd') and
            subprocess.run(['unshare', '-m', 'true'], capture_output=True).returncode == 0)


@case
def events_reach_the_journal_with_their_fields():
    if not can_namespace():
        print('# SKIP: no private mount namespace here (needs root and unshare)')
        return
    rundir = os.path.join(D, 'run-systemd')
    os.makedirs(os.path.join(rundir, 'journal'))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(os.path.join(rundir, 'journal', 'socket'))
    conf = sim_config('journal')
    env = dict(os.environ, UPSAGENT_TEST_UTMP=os.path.join(D, 'no-utmp'))
    got = []
    with Agent(conf, ('--dry-run',), env=env, prefix=journal_prefix(rundir)) as a:
        a.wait_log(r'dry run: would power off', 30)
        a.wait_exit(10)
        sock.settimeout(0.5)
        try:
            while True:
                got.append(parse_native(sock.recv(65536)))
        except socket.timeout:
            pass
    sock.close()
    by_event = {f.get('UPSAGENT_EVENT'): f for f in got}
    assert set(by_event) == {'ONBATT', 'LOWBATT', 'SHUTDOWN'}, got
    ob = by_event['ONBATT']
    assert ob['MESSAGE'] == 'demo: UPS demo on battery [ONBATT]', ob
    assert ob['UPS'] == 'demo' and ob['UPSAGENT_STATUS'] == 'OB DISCHRG', ob
    assert ob['PRIORITY'] == '4' and ob['SYSLOG_IDENTIFIER'] == 'upsagent', ob
    assert by_event['LOWBATT']['UPSAGENT_STATUS'] == 'OB LB DISCHRG', by_event
    for name, mid in MESSAGE_IDS.items():
        assert by_event[name]['MESSAGE_ID'] == mid, by_event[name]
    # The host's event has no UPS.
    assert 'UPS' not in by_event['SHUTDOWN'], by_event['SHUTDOWN']
    # Events are not repeated on stderr; the other lines keep their <N> prefix.
    text = a.text()
    assert 'UPS demo on battery' not in text, text
    assert '<5>' in text or '<6>' in text or '<4>' in text, text
    assert 'upsagent: ' not in text, text


JOURNALD = '/lib/systemd/systemd-journald'
# A journald of our own: /run/systemd and /var/log/journal hidden by empty
# file systems, /run/log on a directory of the test, where it stays.
JOURNALD_NS = '''set -e
logdir=$0
mount -t tmpfs tmpfs /run/systemd
mount --bind "$logdir" /run/log
if [ -d /var/log/journal ]; then mount -t tmpfs tmpfs /var/log/journal; fi
%s >"$logdir/journald.out" 2>&1 &
jpid=$!
i=0
while [ ! -S /run/systemd/journal/socket ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
JOURNAL_STREAM=$(stat -L -c %%d:%%i /proc/self/fd/2)
export JOURNAL_STREAM
set +e
"$@"
rc=$?
journalctl --sync >/dev/null 2>&1
kill $jpid
wait $jpid
exit $rc
''' % JOURNALD


@case
def journalctl_finds_the_events_of_a_real_journald():
    if not can_namespace() or not os.access(JOURNALD, os.X_OK):
        print('# SKIP: no private mount namespace or no systemd-journald here')
        return
    logdir = os.path.join(D, 'log')
    os.makedirs(logdir)
    conf = sim_config('journald')
    env = dict(os.environ, UPSAGENT_TEST_UTMP=os.path.join(D, 'no-utmp'))
    with Agent(conf, ('--dry-run',), env=env,
               prefix=['unshare', '-m', 'sh', '-c', JOURNALD_NS, logdir]) as a:
        a.wait_log(r'dry run: would power off', 30)
        assert a.wait_exit(20) == 0, a.text()

    def query(*match):
        res = subprocess.run(['journalctl', '-D', os.path.join(logdir, 'journal'), '-o', 'json',
                              '--no-pager', *match], capture_output=True, text=True, timeout=30)
        assert res.returncode == 0, res
        return [json.loads(l) for l in res.stdout.splitlines()]

    ob = query('SYSLOG_IDENTIFIER=upsagent', 'UPSAGENT_EVENT=ONBATT')
    assert len(ob) == 1, ob
    assert ob[0]['MESSAGE'] == 'demo: UPS demo on battery [ONBATT]', ob
    assert ob[0]['UPS'] == 'demo' and ob[0]['UPSAGENT_STATUS'] == 'OB DISCHRG', ob
    assert ob[0]['MESSAGE_ID'] == MESSAGE_IDS['ONBATT'] and ob[0]['PRIORITY'] == '4', ob
    assert ob[0]['_TRANSPORT'] == 'journal', ob
    events = [e['UPSAGENT_EVENT'] for e in query('SYSLOG_IDENTIFIER=upsagent')
              if 'UPSAGENT_EVENT' in e]
    assert events == ['ONBATT', 'LOWBATT', 'SHUTDOWN'], events
    lb = query(f'MESSAGE_ID={MESSAGE_IDS["LOWBATT"]}')
    assert [e['UPSAGENT_STATUS'] for e in lb] == ['OB LB DISCHRG'], lb


@case
def without_the_journal_events_are_lines_on_stderr():
    conf = sim_config('stderr')
    env = dict(os.environ, UPSAGENT_TEST_UTMP=os.path.join(D, 'no-utmp'))
    env.pop('JOURNAL_STREAM', None)
    with Agent(conf, ('--dry-run',), env=env) as a:
        a.wait_log(r'dry run: would power off', 30)
        a.wait_exit(10)
    assert a.events() == ['ONBATT', 'LOWBATT', 'SHUTDOWN'], a.text()
    assert 'upsagent: demo: UPS demo on battery [ONBATT]' in a.text(), a.text()


if __name__ == '__main__':
    raise SystemExit(main())
