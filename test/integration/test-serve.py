#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""upsagent's NUT server (the serve section, issue 12) against NUT's own
clients and hostile ones:
- upsc (Debian's 2.8.0) on the loopback plaintext listener and on the
  STARTTLS one: what it prints is quoted in the TAP output;
- upsmon 2.8.0 (secondary, FORCESSL, CERTVERIFY) and a second upsagent
  (secondary, direct TLS) logged in while the served sim UPS goes OB LB: the
  serving host latches FSD, both clients shut down and log out, then the
  serving host powers off; the times are printed;
- FSD from a remote primary, refused from a secondary;
- upsagent query over direct TLS, and the 401 default in a private network
  namespace;
- mutual TLS: a client certificate names a user; a required one is enforced;
- hostile clients (silent, 1000 idle, garbage, TLS 1.2, plaintext on the TLS
  port, overlong lines, never reading, brute force, STARTTLS injection,
  max-clients) while a well-behaved client polls every 0.5 s and keeps
  getting its answers within a bound;
- the socket unit is valid (systemd-analyze verify)."""
import os
import random
import re
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'fixture'))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'bench'))
from agentfix import Agent, write  # noqa: E402
from harness import SLOW, UPSAGENT, WRAPPER, case, main, nutfix, upsagent, workdir  # noqa: E402
from logindmock import LogindMock  # noqa: E402
import benchlib  # noqa: E402  (Upsmon in a private /run/nut, FifoClock)
from servefix import (CERTS, D, HANDSHAKE_TIMEOUT, IDLE_TIMEOUT, PASSWORDS,  # noqa: E402,F401
                      POLL_BOUND, TOP, Nut, Poller, Server, _fd_count, assert_timeout,
                      client_cert, drain, password_file, say, status_of)

# ---------------------------------------------------------------- the shared server

S = None
POLLER = None


def shared():
    """One server for the read-only cases; started at first use."""
    global S, POLLER
    if S is None:
        S = Server('shared', serve_extra='    user "certuser" { client-certificate = '
                   '"client.example" }\n' + f'    client-ca-file = "{CERTS.ca}"\n')
        S.wait_listening()
        nutfix.wait_for(lambda: status_of(S.tls_port).startswith('VAR ups1 ups.status "OL'),
                        10 * SLOW, 'a reading served')
        # Authenticated by its certificate (certuser), as a secondary logs in:
        # clients that never authenticate may be evicted for newcomers.
        POLLER = Poller(S, cert=client_cert('client.example'))
    return S


def hostile(fn):
    """A case run against the shared server while the poller polls: the poller's
    answers during the case are judged too."""
    def wrapper():
        shared()
        since = time.monotonic()
        fn()
        # The poller is answered after the attack too, not only before it.
        POLLER.wait_answers(time.monotonic(), 2)
        POLLER.check(since, fn.__name__)
    wrapper.__name__ = fn.__name__
    return case(wrapper)


def upsc(*args):
    res = nutfix.run(['upsc', *args], timeout=20)
    say(f'$ upsc {" ".join(args)}   -> exit {res.returncode}')
    for line in res.stdout.splitlines():
        say(f'  {line}')
    for line in res.stderr.splitlines():
        say(f'  stderr: {line}')
    return res


# ---------------------------------------------------------------- NUT's clients

@case
def upsc_on_the_plaintext_loopback_listener():
    s = shared()
    ver = nutfix.run(['dpkg-query', '-W', '-f=${Version}', 'nut-client'], timeout=10).stdout
    say(f'upsc from Debian nut-client {ver}')
    res = upsc(f'ups1@127.0.0.1:{s.plain_port}')
    assert res.returncode == 0, res.stderr
    got = dict(line.split(': ', 1) for line in res.stdout.splitlines())
    assert got.get('ups.status') == 'OL', got
    assert got.get('battery.charge') == '100', got
    res = upsc('-l', f'127.0.0.1:{s.plain_port}')
    assert res.returncode == 0 and res.stdout.split() == ['ups1'], res
    with Nut(s.tls_port, 'tls') as c:
        c.login('monsecondary')
        res = upsc('-c', f'ups1@127.0.0.1:{s.plain_port}')
        assert res.returncode == 0 and res.stdout.split() == ['127.0.0.1'], res
    res = upsc(f'ups1@127.0.0.1:{s.plain_port}', 'ups.status')
    assert res.returncode == 0 and res.stdout == 'OL\n', res
    res = upsc(f'nosuch@127.0.0.1:{s.plain_port}', 'ups.status')
    assert res.returncode != 0 and 'Unknown UPS' in res.stderr, res


@case
def upsc_on_the_starttls_listener():
    """upsc 2.8.0 tries STARTTLS whenever it is offered, and does not verify
    the server without an NSS CERTPATH (it has no option for one): either it
    reads the data over TLS, or it is refused. Never data in the clear."""
    s = shared()
    res = upsc(f'ups1@127.0.0.1:{s.starttls_port}')
    if res.returncode == 0:
        got = dict(line.split(': ', 1) for line in res.stdout.splitlines())
        assert got.get('ups.status') == 'OL', got
        say('upsc 2.8.0 went through STARTTLS by itself (unverified: no CERTPATH) and read '
            'the data over TLS (the listener answers nothing else before STARTTLS)')
    else:
        assert re.search(r'Access denied', res.stderr, re.I), res.stderr
        say('upsc 2.8.0 did not get TLS here: refused (ACCESS-DENIED), no data in the clear')
    res2 = upsc('-l', f'127.0.0.1:{s.starttls_port}')
    assert res2.returncode == res.returncode, (res, res2)
    # What a client that never says STARTTLS gets on that listener.
    with Nut(s.starttls_port, 'plain') as c:
        assert c.cmd('GET VAR ups1 ups.status') == 'ERR ACCESS-DENIED'
        assert c.cmd('LIST UPS') == 'ERR ACCESS-DENIED'
        assert c.cmd('USERNAME monsecondary') == 'ERR ACCESS-DENIED'
        assert c.cmd('NETVER') == '1.3'
        assert c.cmd('PROTVER') == '1.3'
        ver = c.cmd('VER')
        assert ver and not ver.startswith('ERR'), ver
        assert c.cmd('LOGOUT').startswith('OK Goodbye')


# ---------------------------------------------------------------- the protocol

@case
def protocol_over_direct_tls():
    s = shared()
    with Nut(s.tls_port, 'tls') as c:
        assert c.cmd('NETVER') == '1.3'
        assert c.cmd('PROTVER') == '1.3'
        assert 'STARTTLS' in c.cmd('HELP')
        assert c.cmd('STARTTLS').startswith('ERR'), 'STARTTLS inside TLS'
        ups = c.list('UPS')
        assert len(ups) == 1 and ups[0].startswith('UPS ups1 '), ups
        var = c.list('VAR ups1')
        assert 'VAR ups1 ups.status "OL"' in var, var
        assert 'VAR ups1 battery.charge "100"' in var, var
        assert c.cmd('GET VAR ups1 ups.status') == 'VAR ups1 ups.status "OL"'
        assert c.cmd('GET VAR ups1 no.such.var') == 'ERR VAR-NOT-SUPPORTED'
        assert c.cmd('GET VAR nosuch ups.status') == 'ERR UNKNOWN-UPS'
        assert c.cmd('GET UPSDESC ups1').startswith('UPSDESC ups1 "')
        assert c.cmd('GET TYPE ups1 ups.status').startswith('TYPE ups1 ups.status ')
        assert c.cmd('GET DESC ups1 ups.status').startswith('DESC ups1 ups.status "')
        assert c.list('RW ups1') == []
        assert isinstance(c.list('CMD ups1'), list)
        assert c.cmd('GET NUMLOGINS ups1') == 'NUMLOGINS ups1 0'
        assert c.cmd('LOGIN ups1') == 'ERR USERNAME-REQUIRED'
        assert c.cmd('USERNAME monsecondary') == 'OK'
        assert c.cmd('LOGIN ups1') == 'ERR PASSWORD-REQUIRED'
        assert c.cmd(f'PASSWORD {PASSWORDS["monsecondary"]}') == 'OK'
        assert c.cmd('SET VAR ups1 ups.delay.shutdown 10') == 'ERR ACCESS-DENIED'
        assert c.cmd('INSTCMD ups1 load.off') == 'ERR CMD-NOT-SUPPORTED'
        assert c.cmd('LOGIN ups1') == 'OK'
        s.agent.wait_log(r'serve: monsecondary@127\.0\.0\.1 port \d+ logged into ups1 '
                         r'\(secondary\)', 5)
        with Nut(s.plain_port) as other:
            assert other.cmd('GET NUMLOGINS ups1') == 'NUMLOGINS ups1 1'
            assert other.list('CLIENT ups1') == ['CLIENT ups1 127.0.0.1']
        assert c.cmd('PRIMARY ups1') == 'ERR ACCESS-DENIED'
        assert c.cmd('MASTER ups1') == 'ERR ACCESS-DENIED'
        assert c.cmd('LOGOUT') == 'OK Goodbye'
        c.closed_within(2)
    s.agent.wait_log(r'serve: monsecondary@127\.0\.0\.1 port \d+ logged out of ups1', 5)
    with Nut(s.plain_port) as other:
        assert other.cmd('GET NUMLOGINS ups1') == 'NUMLOGINS ups1 0'


@case
def query_over_direct_tls():
    s = shared()
    res = upsagent('query', '--tls', 'direct', '--ca-file', CERTS.ca,
                   f'ups1@localhost:{s.tls_port}', 'ups.status')
    assert res.returncode == 0 and res.stdout == 'OL\n', res
    res = upsagent('query', '--tls', 'direct', '--ca-file', CERTS.ca,
                   f'ups1@localhost:{s.tls_port}')
    assert res.returncode == 0 and 'ups.status: OL\n' in res.stdout, res
    say(f'upsagent query --tls direct: {res.stdout.count(chr(10))} variables in '
        f'{res.elapsed * 1e3:.0f} ms')
    # STARTTLS listener, verified, and a login with the password.
    res = upsagent('query', '--ca-file', CERTS.ca, '-u', 'monsecondary', '-p',
                   password_file('monsecondary'), f'ups1@localhost:{s.starttls_port}',
                   'ups.status')
    assert res.returncode == 0 and res.stdout == 'OL\n', res


@case
def direct_tls_defaults_to_port_401():
    """In a private network namespace (so port 401 is ours): listen =
    {"127.0.0.1"} binds port 401, and a target without a port goes there."""
    if shutil.which('unshare') is None or os.geteuid() != 0:
        raise AssertionError('needs root and unshare(1)')
    holder = subprocess.Popen(['unshare', '-n', 'sh', '-c',
                               'ip link set lo up && echo up && exec sleep 600'],
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert holder.stdout.readline().strip() == 'up'
        ns = ['nsenter', '-t', str(holder.pid), '-n']
        with Server('port401', listen='    listen = {"127.0.0.1"}\n', prefix=ns) as s:
            s.agent.wait_log(r'serve: listening on 127\.0\.0\.1:401 \(TLS\)', 15)

            def read():
                r = nutfix.run([*ns, *WRAPPER, UPSAGENT, 'query', '--tls', 'direct',
                                '--ca-file', CERTS.ca, 'ups1@localhost', 'ups.status'],
                               timeout=20 * SLOW)
                return r if r.returncode == 0 and r.stdout == 'OL\n' else None
            res = nutfix.wait_for(read, 10 * SLOW, 'query ups1@localhost on port 401')
            say(f'query --tls direct ups1@localhost (no port) in the namespace: {res.stdout!r}')
            ss = nutfix.run([*ns, 'ss', '-ltn'], timeout=10).stdout
            assert '127.0.0.1:401 ' in ss, ss
    finally:
        holder.kill()
        holder.wait()


# ---------------------------------------------------------------- FSD

@case
def fsd_from_a_secondary_is_refused():
    s = shared()
    with Nut(s.tls_port, 'tls') as c:
        c.login('monsecondary')
        assert c.cmd('FSD ups1') == 'ERR ACCESS-DENIED'
        assert c.cmd('GET VAR ups1 ups.status') == 'VAR ups1 ups.status "OL"'
    assert status_of(s.plain_port, 'plain') == 'VAR ups1 ups.status "OL"'
    assert not s.agent.matching(r'forced shutdown|would power off')


@case
def fsd_from_a_remote_primary_shuts_everyone_down():
    """monprimary: PRIMARY, FSD: ups.status is FSD OL for every client, the
    server says who did it, and the serving host itself shuts down."""
    with Server('fsd') as s:
        s.wait_listening()
        nutfix.wait_for(lambda: status_of(s.tls_port) == 'VAR ups1 ups.status "OL"',
                        10 * SLOW, 'a reading served')
        with Nut(s.tls_port, 'tls') as c, Nut(s.starttls_port, 'starttls') as m:
            c.login('monprimary')
            assert c.cmd('PRIMARY ups1') == 'OK PRIMARY-GRANTED'
            m.login('monprimary')
            assert m.cmd('MASTER ups1') == 'OK MASTER-GRANTED'
            assert c.cmd('FSD nosuch') == 'ERR UNKNOWN-UPS'
            t = time.monotonic()
            assert c.cmd('FSD ups1') == 'OK FSD-SET'
            s.agent.wait_log(r'serve: primary user monprimary set forced shutdown \(FSD\) '
                             r'on ups1', 5)
            assert m.cmd('GET VAR ups1 ups.status') == 'VAR ups1 ups.status "FSD OL"'
            with Nut(s.plain_port) as p:
                assert p.cmd('GET VAR ups1 ups.status') == 'VAR ups1 ups.status "FSD OL"'
            # The serving host sees FSD: it shuts down, once the two logged-in
            # primaries are gone (or host-sync runs out).
        off, _ = s.agent.wait_log(r'dry run: would power off', 30)
        say(f'remote FSD -> serving host power-off (dry run) in {off - t:.2f} s')


# ---------------------------------------------------------------- the round trip

@case
def ob_lb_on_the_serving_host_shuts_down_upsmon_and_upsagent_first():
    """The serving host's sim UPS goes OB LB at LB s: it latches FSD, upsmon
    (STARTTLS, verified) runs its SHUTDOWNCMD and logs out, the remote
    upsagent (direct TLS) powers off (dry run) and logs out, then the serving
    host powers off, well before its host-sync (20 s) runs out."""
    lb = 12 * SLOW
    # Not a dry run: a dry run does not latch FSD on the served UPS (it
    # would shut the clients down for real). The power-off goes to a
    # logind mock.
    with LogindMock(os.path.join(D, 'logind-trip')) as logind, \
            Server('trip', script=('0 OL charge=100 runtime=3600',
                                   f'{lb} OB LB DISCHRG charge=5 runtime=60'),
                   host_sync=20, args=(), env=logind.env()) as s:
        s.wait_listening()
        fifo = benchlib.FifoClock(os.path.join(D, 'trip.fifo'))
        upsmon = benchlib.Upsmon(os.path.join(D, 'upsmon'),
                                 [(f'ups1@127.0.0.1:{s.starttls_port}', 1, 'monsecondary',
                                   PASSWORDS['monsecondary'], 'secondary')],
                                 CERTS, pollfreq=1, hostsync=5, deadtime=3, fifo=fifo.path)
        remote = None
        try:
            t_in, line = s.agent.wait_log(r'serve: monsecondary@127\.0\.0\.1 port \d+ logged '
                                          r'into ups1 \(secondary\)', 10)
            say(f'upsmon: {line.split("serve: ", 1)[1]} ({t_in - upsmon.started:.2f} s after '
                f'its start)')
            with Nut(s.plain_port) as p:
                assert p.cmd('GET NUMLOGINS ups1') == 'NUMLOGINS ups1 1'
            rconf = write(os.path.join(D, 'remote.conf'), f'''
poll-interval = 0.5
final-delay = 0
host-sync = 20
powerdown-flag = "{D}/remote.killpower"
status-socket = "{D}/remote.sock"
ups rack {{
    server = "localhost"
    port = {s.tls_port}
    tls = "direct"
    ups = "ups1"
    ca-file = "{CERTS.ca}"
    server-name = "localhost"
    user = "monsecondary"
    password-file = "{password_file('monsecondary')}"
    role = "secondary"
}}
''')
            remote = Agent(rconf, ('--dry-run',))
            remote.wait_log(r'rack: connected to localhost', 10)
            with Nut(s.plain_port) as p:
                nutfix.wait_for(lambda: p.cmd('GET NUMLOGINS ups1') == 'NUMLOGINS ups1 2',
                                5 * SLOW, 'NUMLOGINS 2')
            assert time.monotonic() - s.agent.started < lb, 'too slow to set up before OB LB'
            t_lb, _ = s.agent.wait_log(r'ups1: .*\[LOWBATT\]', lb + 5)
            t_fsd = nutfix.wait_for(lambda: 'FSD' in status_of(s.plain_port, 'plain')
                                    and time.monotonic(), 5 * SLOW, 'FSD served')
            t_upsmon = fifo.wait_after(0, 20 * SLOW)
            t_remote, _ = remote.wait_log(r'dry run: would power off', 20)
            logouts = s.agent.matching(r'serve: monsecondary@.* logged out of ups1', t_lb)
            t_off = logind.wait_poweroff(30 * SLOW)
            t_zero = None
            gone = s.agent.matching(r'serve: .*(logged out of ups1|gone|closed)', t_lb)
            if len(gone) >= 2:
                t_zero = gone[1][0]
            say(f'OB LB at {lb} s (serving host logs LOWBATT at {t_lb - s.agent.started:.2f} s '
                'after its start); from there:')
            say(f'  FSD seen in ups.status by a plain client  {t_fsd - t_lb:6.2f} s')
            say(f'  upsmon 2.8.0 SHUTDOWNCMD (pollfreq 1)     {t_upsmon - t_lb:6.2f} s')
            say(f'  remote upsagent power-off (dry run)       {t_remote - t_lb:6.2f} s')
            say('  NUMLOGINS 0 (second logout/close logged)  ' +
                (f'{t_zero - t_lb:6.2f} s' if t_zero else '   (not logged)'))
            say(f'  serving host PowerOff (logind mock)       {t_off - t_lb:6.2f} s '
                '(host-sync 20 s)')
            say(f'  serving host log after LOWBATT: {len(logouts)} "logged out" line(s)')
            for t, line in s.agent.matching(r'serve:|FSD|shutdown|power', t_lb):
                say(f'    +{t - t_lb:6.2f} {line}')
            assert t_upsmon < t_off and t_remote < t_off, (t_upsmon, t_remote, t_off)
            assert t_off - t_lb < 15 * SLOW, 'the serving host sat out host-sync'
            assert len(logind.poweroff_calls()) == 1, logind.poweroff_calls()
        finally:
            if remote:
                remote.stop()
            upsmon.stop()
            fifo.close()
        say('upsmon log:')
        for line in upsmon.log().splitlines()[-25:]:
            say(f'  {line}')


# ---------------------------------------------------------------- mutual TLS

@case
def client_certificate_names_the_user():
    """client-ca-file and a user with client-certificate = "client.example":
    a client presenting that certificate logs in without a password; the
    fixture's client.pem (no subjectAltName) does not."""
    s = shared()
    good = client_cert('client.example')
    with Nut(s.tls_port, 'tls', cert=good) as c:
        assert c.cmd('USERNAME certuser') == 'OK'
        assert c.cmd('LOGIN ups1') == 'OK'
        assert c.cmd('PRIMARY ups1') == 'ERR ACCESS-DENIED'
    s.agent.wait_log(r'serve: certuser@127\.0\.0\.1 port \d+ logged into ups1 \(secondary\)', 5)
    with Nut(s.starttls_port, 'starttls', cert=good) as c:
        assert c.cmd('USERNAME certuser') == 'OK'
        assert c.cmd('LOGIN ups1') == 'OK'
    # Without the certificate, the name alone is nothing.
    with Nut(s.tls_port, 'tls') as c:
        assert c.cmd('USERNAME certuser') == 'OK'
        assert c.cmd('LOGIN ups1') in ('ERR PASSWORD-REQUIRED', 'ERR ACCESS-DENIED')
    with Nut(s.tls_port, 'tls', cert=(CERTS.client_cert, CERTS.client_key)) as c:
        assert c.cmd('USERNAME certuser') == 'OK'
        assert c.cmd('LOGIN ups1') in ('ERR PASSWORD-REQUIRED', 'ERR ACCESS-DENIED')
    # upsagent query presents it too (its --user wants a password file: no
    # certificate-only login from query, so it reads without LOGIN).
    res = upsagent('query', '--tls', 'direct', '--ca-file', CERTS.ca, '--cert', good[0],
                   '--key', good[1], f'ups1@localhost:{s.tls_port}', 'ups.status')
    say(f'upsagent query --cert client.example: exit {res.returncode} '
        f'{res.stdout.strip()!r} {res.stderr.strip()!r}')
    assert res.returncode == 0 and res.stdout == 'OL\n', res


@case
def required_client_certificate_is_enforced_in_the_handshake():
    good = client_cert('client.example')
    with Server('mtls', serve_extra=f'    client-ca-file = "{CERTS.ca}"\n'
                '    client-certificate-required = true\n'
                '    user "certuser" { client-certificate = "client.example" }\n') as s:
        s.wait_listening()
        with Nut(s.tls_port, 'tls', cert=good) as c:
            assert c.cmd('GET VAR ups1 ups.status').startswith('VAR ups1 ups.status')
        for mode, port in (('tls', s.tls_port), ('starttls', s.starttls_port)):
            try:
                with Nut(port, mode) as c:
                    # TLS 1.3: the client's side of the handshake ends before
                    # the server has judged its (missing) certificate.
                    reply = c.cmd('GET VAR ups1 ups.status')
                raise AssertionError(f'{mode}: answered without a client certificate: {reply!r}')
            except (ssl.SSLError, ConnectionError, OSError) as e:
                say(f'{mode} without a client certificate: {e!r}')
        other = (CERTS.other_ca, CERTS.other_ca_key)
        try:
            with Nut(s.tls_port, 'tls', cert=other) as c:
                reply = c.cmd('GET VAR ups1 ups.status')
            raise AssertionError(f'answered a certificate of another CA: {reply!r}')
        except (ssl.SSLError, ConnectionError, OSError) as e:
            say(f'a certificate of another CA: {e!r}')


# ---------------------------------------------------------------- hostile clients

@hostile
def silent_client_is_dropped_after_the_handshake_timeout():
    s = S
    with socket.create_connection(('127.0.0.1', s.tls_port)) as raw:
        data, t = drain(raw, HANDSHAKE_TIMEOUT + 5)
    say(f'direct TLS port, nothing sent: closed after {t:.2f} s '
        f'(handshake-timeout {HANDSHAKE_TIMEOUT})')
    assert data == b'', data
    assert_timeout(t, HANDSHAKE_TIMEOUT)
    # STARTTLS said, then nothing: the same bound.
    t = dropped_after(s.starttls_port, 'STARTTLS', 'OK STARTTLS', HANDSHAKE_TIMEOUT)
    say(f'STARTTLS, then nothing: closed after {t:.2f} s')


@hostile
def idle_client_is_dropped_after_the_idle_timeout():
    t = dropped_after(S.plain_port, 'NETVER', '1.3', IDLE_TIMEOUT)
    say(f'plaintext client idle: closed after {t:.2f} s (idle-timeout {IDLE_TIMEOUT})')


def dropped_after(port, line, reply, timeout):
    """One command, then silence: closed when timeout says; returns the seconds."""
    with Nut(port) as c:
        assert c.cmd(line) == reply
        t = c.closed_within(timeout + 5)
    assert_timeout(t, timeout)
    return t


@hostile
def thousand_idle_connections():
    s = S
    pid = s.pid()
    before = _fd_count(pid)
    socks = []
    try:
        start = time.monotonic()
        for i in range(1000):
            socks.append(socket.create_connection(('127.0.0.1', s.plain_port), timeout=5))
        opened = time.monotonic() - start
        # The budget before login holds the newest 32 (max-before-login) of
        # them; the oldest were closed for the newcomers (serve-door.c).
        # Connections the server has not accepted yet sit in the kernel's
        # backlog and hold no fd of its: wait for the closures themselves.
        nutfix.wait_for(lambda: _fd_count(pid) <= before + 40 and
                        sum(1 for x in socks if _closed_by_peer(x)) >= 1000 - 40,
                        20 * SLOW, 'the server holding the newest 32')
        held = _fd_count(pid)
        closed = sum(1 for x in socks if _closed_by_peer(x))
        say(f'1000 idle connections opened in {opened:.2f} s; server fds {before} -> {held}; '
            f'{closed} closed for newcomers')
        assert closed >= 1000 - 40, closed
        POLLER.wait_answers(time.monotonic(), 2)  # while they are held
        with Nut(s.tls_port, 'tls') as c:
            assert c.cmd('GET VAR ups1 ups.status') == 'VAR ups1 ups.status "OL"'
    finally:
        for x in socks:
            x.close()
    nutfix.wait_for(lambda: _fd_count(pid) <= before + 5, 10 * SLOW,
                    'the server closing the 1000 sockets')


@hostile
def garbage_on_the_tls_port():
    rng = random.Random(12)
    with socket.create_connection(('127.0.0.1', S.tls_port)) as raw:
        raw.sendall(bytes(rng.randrange(256) for _ in range(4096)))
        data, _ = drain(raw, 5)
    assert b'VAR' not in data and b'ERR' not in data, data
    say(f'4 KiB of garbage: {len(data)} bytes back ({data[:8].hex()}), closed')


@hostile
def tls12_only_client_is_refused_on_the_direct_port():
    try:
        with Nut(S.tls_port, 'tls', tls_max=ssl.TLSVersion.TLSv1_2) as c:
            reply = c.cmd('GET VAR ups1 ups.status')
        raise AssertionError(f'TLS 1.2 accepted on the direct port: {reply!r}')
    except ssl.SSLError as e:
        say(f'TLS 1.2 on the direct port: {e!r}')
    # The STARTTLS listener takes TLS 1.2 (RFC 9325 suites) from NUT's clients.
    with Nut(S.starttls_port, 'starttls', tls_max=ssl.TLSVersion.TLSv1_2) as c:
        assert c.sock.version() == 'TLSv1.2', c.sock.version()
        assert c.cmd('GET VAR ups1 ups.status') == 'VAR ups1 ups.status "OL"'
        say(f'TLS 1.2 after STARTTLS: {c.sock.cipher()[0]}')


@hostile
def plaintext_on_the_direct_tls_port_gets_no_plaintext():
    with socket.create_connection(('127.0.0.1', S.tls_port)) as raw:
        raw.sendall(b'VER\n')
        data, _ = drain(raw, HANDSHAKE_TIMEOUT + 5)
    say(f'"VER\\n" on the direct TLS port: {data!r}')
    assert data == b'' or data[0] == 0x15, data   # nothing, or a TLS alert record
    assert b'Network UPS Tools' not in data and b'upsagent' not in data


@hostile
def unknown_ups_and_variable():
    with Nut(S.plain_port) as c:
        assert c.cmd('GET VAR nosuch ups.status') == 'ERR UNKNOWN-UPS'
        assert c.cmd('LIST VAR nosuch') == 'ERR UNKNOWN-UPS'
        assert c.cmd('GET NUMLOGINS nosuch') == 'ERR UNKNOWN-UPS'
        assert c.cmd('GET VAR ups1 nosuch.var') == 'ERR VAR-NOT-SUPPORTED'
        assert c.cmd('FROB').startswith('ERR UNKNOWN-COMMAND')
        assert c.cmd('GET VAR ups1 ups.status') == 'VAR ups1 ups.status "OL"'


@hostile
def overlong_line_closes_the_connection():
    for mode, port in (('plain', S.plain_port), ('tls', S.tls_port)):
        with Nut(port, mode) as c:
            c.sock.sendall(b'GET VAR ups1 ' + b'x' * 5000 + b'\n')
            try:
                t = c.closed_within(5)
            except ConnectionResetError:
                t = 0.0
            say(f'{mode}: 5000-byte line: closed after {t:.3f} s, {c.buf!r} buffered')
            assert b'VAR ups1' not in c.buf


@hostile
def client_that_never_reads_is_dropped():
    """LIST VAR over and over, never reading: the server stops taking its
    lines once 16 KiB of replies wait (SERVE_OUT_PAUSE), so its queue never
    reaches the 64 KiB cut-off; it is dropped by the idle timeout, which
    only a line it answers re-arms. Its memory stays bounded meanwhile."""
    pid = S.pid()
    rss0 = benchlib.rss_kib([pid])
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(('127.0.0.1', S.plain_port))
    raw.setblocking(False)
    req = b'LIST VAR ups1\n' * 64
    sent, start, dropped = 0, time.monotonic(), None
    deadline = start + IDLE_TIMEOUT + 3 * SLOW
    rss = rss0
    try:
        while time.monotonic() < deadline:
            try:
                sent += raw.send(req)
            except BlockingIOError:
                rss = max(rss, benchlib.rss_kib([pid]))
                time.sleep(0.05)
            except (ConnectionResetError, BrokenPipeError) as e:
                dropped = time.monotonic() - start
                break
    finally:
        raw.close()
    say(f'never reading: {sent} request bytes sent (the kernel buffers most); dropped after '
        f'{dropped} s (idle-timeout {IDLE_TIMEOUT}); server RSS {rss0} -> {rss} KiB at most')
    assert dropped, f'still connected after {deadline - start:.1f} s ({sent} bytes of requests)'
    assert rss - rss0 < 1024, (rss0, rss)


@hostile
def password_brute_force_is_cut_off():
    with Nut(S.tls_port, 'tls') as c:
        assert c.cmd('USERNAME monprimary') == 'OK'
        assert c.cmd('PASSWORD wrong-0') == 'OK'
        replies = []
        try:
            for i in range(10):
                replies.append(c.cmd('LOGIN ups1'))
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        say(f'wrong password, LOGIN x{len(replies)}: {replies}, then closed')
        assert replies[:3] == ['ERR ACCESS-DENIED'] * len(replies[:3]), replies
        assert len(replies) <= 3, replies
        c.closed_within(2)
    with Nut(S.tls_port, 'tls') as c:  # no lock-out of the right password
        c.login('monprimary')


@hostile
def starttls_injection_is_not_answered_in_the_clear():
    with socket.create_connection(('127.0.0.1', S.starttls_port)) as raw:
        raw.sendall(b'STARTTLS\nGET VAR ups1 ups.status\n')
        data, t = drain(raw, HANDSHAKE_TIMEOUT + 5)
    say(f'"STARTTLS\\nGET VAR ups1 ups.status\\n" in one write: {data!r}, closed after {t:.2f} s')
    assert b'VAR ups1' not in data, data
    rest = data[len(b'OK STARTTLS\n'):] if data.startswith(b'OK STARTTLS\n') else data
    assert rest == b'' or rest[0] == 0x15, data


@case
def max_clients_refuses_at_once():
    """max-clients 4: four logged-in clients fill it, a fifth connection is
    closed at once without a byte; a connection before login never fills it
    (it is closed for the next newcomer instead: test-serve-door.py)."""
    with Server('full', max_clients=4) as s:
        s.wait_listening()
        idle = Nut(s.plain_port)
        assert idle.cmd('NETVER') == '1.3'
        held = [Nut(s.plain_port).login('monsecondary') for _ in range(4)]
        try:
            idle.closed_within(2 * SLOW)  # closed for the fourth login
            with Nut(s.plain_port) as extra:
                start = time.monotonic()
                try:
                    reply = extra.cmd('NETVER')
                except (ConnectionError, OSError):
                    reply = None
                t = time.monotonic() - start
            say(f'5th client at max-clients 4 logged in: reply {reply!r}, closed after '
                f'{t:.3f} s')
            assert reply is None, reply
            assert t < 1 * SLOW, t
            for c in held:  # the others are still served
                assert c.cmd('GET VAR ups1 ups.status').startswith('VAR ups1 ups.status')
            held.pop().close()
            nutfix.wait_for(lambda: _try_netver(s.plain_port), 5 * SLOW, 'a free slot')
        finally:
            idle.close()
            for c in held:
                c.close()


def _closed_by_peer(sock):
    """Whether the server closed sock (EOF or reset), without waiting."""
    sock.setblocking(False)
    try:
        return sock.recv(1) == b''
    except BlockingIOError:
        return False
    except OSError:
        return True


def _try_netver(port):
    try:
        with Nut(port) as c:
            return c.cmd('NETVER') == '1.3'
    except (ConnectionError, OSError):
        return False


# ---------------------------------------------------------------- units

@case
def reload_keeps_clients_and_can_stop_and_start_serving():
    """SIGHUP with a changed serve section: a logged-in client stays logged in
    (its UPS is still served) and a user added by the reload can log in; a
    file without serve closes the listeners and the clients; the section back
    serves again on the same ports."""
    import signal
    with Server('reload') as srv:
        srv.wait_listening()
        conf = open(srv.conf, encoding='utf-8').read()
        late_pw = 'late-' + os.urandom(6).hex()
        late_file = write(os.path.join(D, 'monlate.pw'), late_pw + '\n')
        added = conf.replace('serve {\n', 'serve {\n    user "monlate" { password-file = '
                             f'"{late_file}" }}\n', 1)
        with Nut(srv.tls_port, 'tls') as kept:
            kept.login('monsecondary')
            write(srv.conf, added)
            mark = time.monotonic()
            os.kill(srv.pid(), signal.SIGHUP)
            srv.agent.wait_log(r'reloaded ', 10, since=mark)
            assert kept.cmd('GET NUMLOGINS ups1') == 'NUMLOGINS ups1 1'
            with Nut(srv.tls_port, 'tls') as late:
                late.login('monlate', password=late_pw)
                assert late.cmd('GET NUMLOGINS ups1') == 'NUMLOGINS ups1 2'
            # Without the serve section: nothing listens, the clients go.
            write(srv.conf, conf[:conf.index('serve {')])
            mark = time.monotonic()
            os.kill(srv.pid(), signal.SIGHUP)
            srv.agent.wait_log(r'serve: the serve section is gone', 10, since=mark)
            kept.closed_within(5 * SLOW)
        try:
            socket.create_connection(('127.0.0.1', srv.tls_port), timeout=2).close()
            raise AssertionError('still listening after serve was removed')
        except ConnectionRefusedError:
            pass
        write(srv.conf, conf)
        mark = time.monotonic()
        os.kill(srv.pid(), signal.SIGHUP)
        srv.agent.wait_log(rf'serve: listening on 127\.0\.0\.1:{srv.tls_port}\b', 10, since=mark)
        assert status_of(srv.tls_port).startswith('VAR ups1 ups.status "OL'), 'not serving again'


@case
def clients_outside_allow_are_closed_before_a_byte():
    """allow = {"10.0.0.0/8"}: a loopback client is closed at accept, on every
    listener, before any TLS or protocol byte; the server goes on."""
    with Server('allow', allow='10.0.0.0/8') as srv:
        srv.wait_listening()
        for port in (srv.tls_port, srv.starttls_port, srv.plain_port):
            raw = socket.create_connection(('127.0.0.1', port), timeout=5)
            raw.sendall(b'VER\n')
            data, t = drain(raw, 5 * SLOW)
            raw.close()
            assert data == b'', (port, data)
            say(f'port {port}: closed after {t:.3f} s, nothing sent back')


@case
def socket_unit_is_valid():
    unit = os.path.join(TOP, 'etc', 'upsagent.socket')
    assert os.path.exists(unit), unit
    with open(unit, encoding='utf-8') as f:
        text = f.read()
    assert re.search(r'^ListenStream=401$', text, re.M), text
    tmp = os.path.join(D, 'units')
    os.makedirs(tmp, exist_ok=True)
    shutil.copy(unit, tmp)
    shutil.copy(os.path.join(TOP, 'etc', 'upsagent.service'), tmp)
    res = nutfix.run(['systemd-analyze', 'verify', '--man=no',
                      os.path.join(tmp, 'upsagent.socket')], timeout=60)
    # The service's ExecStart names the installed binary, absent here.
    msgs = [l for l in (res.stdout + res.stderr).splitlines()
            if l.strip() and 'is not executable' not in l and 'No such file' not in l]
    say(f'systemd-analyze verify upsagent.socket: exit {res.returncode}; {msgs}')
    assert not msgs, msgs
    res = nutfix.run([os.path.join(TOP, 'test', 'test-unit-security.sh'),
                      os.path.join(TOP, 'etc', 'upsagent.service')], timeout=60)
    say(f'upsagent.service: {res.stdout.strip()}')
    assert res.returncode == 0, res


def _finish():
    if POLLER:
        POLLER.stop()
    if S:
        S.stop()


if __name__ == '__main__':
    try:
        code = main()
    finally:
        _finish()
    sys.exit(code)
