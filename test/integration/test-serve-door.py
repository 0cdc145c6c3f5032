#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The server against what anyone on an allowed network can do before login
(issue 20), each case failing on the server before it:
- connections before login in every state (bare TCP, mid-handshake, TLS done
  and silent, plaintext NETVER every 2 s) from many loopback addresses, more
  than max-clients: a configured user logs in within 2 s, 10 of 10, on each
  listener, and an authenticated poller keeps its answers;
- RLIMIT_NOFILE: max-clients above it is a configuration error naming both
  numbers; EMFILE at accept pauses the listener instead of spinning; at
  max-clients logged-in clients, the status socket and a notify hook work;
- 1,000 pipelined requests all answered;
- client certificates: clientAuth required when key purposes are listed,
  names matched by type, client-crl-file re-read at reload;
- password guesses paced per address, summed up in the log, another address
  not slowed;
- TLS 1.2 after STARTTLS without DHE, and the alert each refused handshake
  sends, on both listeners;
- 300 reloads with a session open: RSS back within 1 MiB."""
import os
import signal
import socket
import ssl
import subprocess
import threading
import time

from harness import SLOW, UPSAGENT, WRAPPER, case, main, nutfix  # noqa: F401
from agentfix import Agent, write
from servefix import (CERTS, D, PASSWORDS, Attackers, Nut, Poller, Server, _fd_count,  # noqa: F401
                      client_cert, password_file, say)

USER_PW = f'password-file = "{password_file("monsecondary")}"'


def make_cert(name, lines):
    """A certificate from the test CA with these certtool template lines."""
    key, cert = os.path.join(D, f'{name}.key'), os.path.join(D, f'{name}.pem')
    tmpl = write(os.path.join(D, f'{name}.tmpl'),
                 '\n'.join([f'cn = "{name}"', 'signing_key', 'serial = ' +
                            str(int.from_bytes(os.urandom(4), 'big')),
                            'expiration_days = 30'] + lines) + '\n')
    nutfix._check(['certtool', '--generate-privkey', '--key-type', 'ecdsa', '--curve',
                   'secp256r1', '--no-text', '--outfile', key])
    nutfix._check(['certtool', '--generate-certificate', '--load-privkey', key,
                   '--load-ca-certificate', CERTS.ca, '--load-ca-privkey', CERTS.ca_key,
                   '--template', tmpl, '--no-text', '--outfile', cert])
    return cert, key


def make_crl(name, revoked):
    tmpl = write(os.path.join(D, f'{name}.crl.tmpl'), 'crl_next_update = 30\ncrl_number = '
                 + str(int(time.time())) + '\n')
    out = os.path.join(D, f'{name}.crl')
    args = ['certtool', '--generate-crl', '--load-ca-privkey', CERTS.ca_key,
            '--load-ca-certificate', CERTS.ca, '--template', tmpl, '--outfile', out]
    if revoked:
        args[2:2] = ['--load-certificate', revoked]
    nutfix._check(args)
    return out


def alert_first(c):
    """TLS 1.3: the server refuses a client certificate after the client's
    Finished; read what it sent before writing (a write may meet the reset)."""
    c.sock.settimeout(0.5)
    try:
        c.sock.recv(1)
    except (socket.timeout, TimeoutError):
        pass
    c.sock.settimeout(5)


def handshake(port, mode, cert=None, **kw):
    """NETVER's answer, or the TLS error the client saw (the alert)."""
    try:
        with Nut(port, mode, cert=cert, **kw) as c:
            alert_first(c)
            return c.cmd('NETVER')
    except ssl.SSLError as e:
        return e.reason or str(e)
    except (ConnectionError, OSError) as e:
        return f'closed: {e!r}'


def login_time(port, mode, src='127.0.0.1'):
    """Seconds from connect to OK for LOGIN as monsecondary, from address src."""
    start = time.monotonic()
    sock = socket.create_connection(('127.0.0.1', port), timeout=5 * SLOW,
                                    source_address=(src, 0))
    c = Nut.__new__(Nut)
    c.sock, c.buf = sock, b''
    if mode == 'starttls':
        assert c.cmd('STARTTLS') == 'OK STARTTLS'
    if mode in ('starttls', 'tls'):
        c.sock = ssl.create_default_context(cafile=CERTS.ca).wrap_socket(
            c.sock, server_hostname='localhost')
    c.login('monsecondary')
    t = time.monotonic() - start
    c.close()
    return t


# ---------------------------------------------------------------- item 1

@case
def a_configured_user_logs_in_while_connections_before_login_fill_everything():
    """max-clients 64, 6 kinds x 40 connections before login from 50
    addresses, reconnecting whenever closed: 10 logins on each listener, each
    within 2 s; an authenticated poller answered within its bound."""
    with Server('door', max_clients=64,
                serve_extra=f'    user "certuser" {{ client-certificate = "client.example" }}\n'
                f'    client-ca-file = "{CERTS.ca}"\n') as s:
        s.wait_listening()
        poller = Poller(s, cert=client_cert('client.example'))
        attack = Attackers(s, 40)
        try:
            nutfix.wait_for(lambda: attack.opened >= 240, 20 * SLOW, 'the attackers connected')
            since = time.monotonic()
            times = {}
            for mode, port in (('tls', s.tls_port), ('starttls', s.starttls_port),
                               ('plain', s.plain_port)):
                times[mode] = [login_time(port, mode) for _ in range(10)]
                say(f'{mode}: 10 logins under attack, worst {max(times[mode]) * 1e3:.0f} ms, '
                    f'median {sorted(times[mode])[5] * 1e3:.0f} ms')
            poller.check(since, 'logins under attack')
            say(f'attackers: {attack.opened} connections opened, held now {attack.held}; '
                f'server fds {_fd_count(s.pid())}')
            for mode, ts in times.items():
                assert max(ts) < 2.0 * SLOW, (mode, ts)
            lines = s.agent.count(r'serve: .*(before login|newcomer)')
            say(f'server log: {lines} line(s) about connections closed for newcomers')
            assert lines <= 3, lines
        finally:
            attack.stop()
            poller.stop()


# ---------------------------------------------------------------- item 2

def _cpu_ticks(pid):
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) + int(fields[12])


@case
def max_clients_above_the_fd_limit_is_a_configuration_error():
    s = Server('fdconf', max_clients=300)
    s.stop()  # only its file: run below under a lower limit
    conf = s.conf
    res = nutfix.run(['prlimit', '--nofile=200:200', *WRAPPER, UPSAGENT, 'run', '--config',
                      conf, '--dry-run'], timeout=20 * SLOW)
    msg = [line for line in res.stderr.splitlines() if 'max-clients' in line]
    say(f'under RLIMIT_NOFILE 200: exit {res.returncode}; {msg}')
    assert res.returncode == 78, res
    assert msg and '300' in msg[0] and 'RLIMIT_NOFILE 200' in msg[0], res.stderr


@case
def emfile_at_accept_pauses_instead_of_spinning():
    with Server('emfile', max_clients=200) as s:
        s.wait_listening()
        pid = s.pid()
        soft = open(f'/proc/{pid}/limits').read().split('Max open files')[1].split()[0]
        nutfix._check(['prlimit', '--pid', str(pid), f'--nofile={_fd_count(pid) + 3}:'])
        socks = []
        try:
            t0, c0 = time.monotonic(), _cpu_ticks(pid)
            mark = time.monotonic()
            for _ in range(50):
                socks.append(socket.create_connection(('127.0.0.1', s.plain_port), timeout=5))
            time.sleep(0)  # the measure is over a fixed window below
            nutfix.wait_for(lambda: s.agent.count(r'cannot accept', mark) >= 1, 5 * SLOW,
                            'EMFILE said')
            window = 3.0
            c1 = _cpu_ticks(pid)
            deadline = time.monotonic() + window
            while time.monotonic() < deadline:
                time.sleep(0.1)
            ticks = _cpu_ticks(pid) - c1
            lines = s.agent.count(r'cannot accept', mark)
            say(f'50 connections at the fd limit: {lines} "cannot accept" line(s), {ticks} CPU '
                f'ticks in {window:.0f} s (before: {c1 - c0} ticks to get there)')
            assert lines <= 2, lines
            assert ticks < 30, ticks
        finally:
            for x in socks:
                x.close()
        nutfix._check(['prlimit', '--pid', str(pid), f'--nofile={soft}:'])
        with Nut(s.plain_port) as c:  # accepting again
            assert c.cmd('NETVER') == '1.3'


@case
def at_max_clients_the_status_socket_and_the_hooks_work():
    """RLIMIT_NOFILE 160 (the daemon raises to the hard limit: 160),
    max-clients 90 logged in, 100 more knocking: the status socket answers and
    the ONBATT hook runs."""
    hook_out = os.path.join(D, 'fdhook.out')
    hook = write(os.path.join(D, 'fdhook'), f'#!/bin/sh\necho "$NOTIFYTYPE" >> {hook_out}\n',
                 mode=0o755)
    s = Server('fdfull', max_clients=90, script=('0 OL charge=100', '12 OB charge=90'),
               prefix=('prlimit', '--nofile=160:160'),
               extra=f'notify {{\n    command = {{"{hook}"}}\n    events = {{"ONBATT"}}\n}}\n')
    with s:
        s.wait_listening()
        logged = [Nut(s.plain_port).login('monsecondary') for _ in range(90)]
        knock = []
        try:
            for _ in range(100):
                try:
                    knock.append(socket.create_connection(('127.0.0.1', s.plain_port),
                                                          timeout=2))
                except OSError:
                    pass
            res = nutfix.run([*WRAPPER, UPSAGENT, 'status', '--socket',
                              f'{D}/fdfull.sock'], timeout=10 * SLOW)
            say(f'at max-clients 90 logged in: upsagent status exit {res.returncode}: '
                f'{res.stdout.splitlines()[:1]}')
            assert res.returncode == 0, res
            nutfix.wait_for(lambda: os.path.exists(hook_out), 20 * SLOW, 'the ONBATT hook')
            say(f'ONBATT hook ran: {open(hook_out).read().strip()}')
            assert not s.agent.matching(r'Too many open files')
        finally:
            for c in logged + knock:
                c.close()


# ---------------------------------------------------------------- item 3

def _pipelined(port, mode, n, request, end):
    with Nut(port, mode, timeout=20) as c:
        c.sock.sendall((request + '\n').encode() * n)
        got, start = 0, time.monotonic()
        while got < n:
            if c.line().startswith(end):
                got += 1
        return time.monotonic() - start


@case
def thousand_pipelined_requests_are_all_answered():
    with Server('pipe') as s:
        s.wait_listening()
        nutfix.wait_for(lambda: handshake(s.plain_port, 'plain') == '1.3', 10, 'serving')
        for mode, port in (('tls', s.tls_port), ('plain', s.plain_port)):
            t = _pipelined(port, mode, 1000, 'LIST VAR ups1', 'END LIST VAR')
            say(f'{mode}: 1000 pipelined LIST VAR answered in {t:.2f} s')
            t = _pipelined(port, mode, 1000, 'GET VAR ups1 ups.status', 'VAR ups1')
            say(f'{mode}: 1000 pipelined GET VAR answered in {t:.2f} s')


# ---------------------------------------------------------------- items 4 and 6

@case
def client_certificates_by_purpose_name_type_and_revocation():
    good = make_cert('web1', ['dns_name = "web1.example"', 'tls_www_client'])
    server_only = make_cert('srvonly', ['dns_name = "web1.example"', 'tls_www_server'])
    mail_only = make_cert('mailonly', ['dns_name = "web1.example"',
                                       'email_protection_key'])
    email_san = make_cert('emailsan', ['email = "dns.example"', 'tls_www_client'])
    dns_san = make_cert('dnssan', ['dns_name = "mail.example"', 'tls_www_client'])
    crl = write(os.path.join(D, 'empty.crl'), open(make_crl('empty', None)).read())
    users = ('    user "web1" { client-certificate = "web1.example" }\n'
             '    user "dnsuser" { client-certificate = "DNS:dns.example" }\n'
             '    user "mailuser" { client-certificate = "email:mail.example" }\n'
             f'    user "monsecondary" {{ {USER_PW} }}\n')
    with Server('mtls', users=users, serve_extra=f'    client-ca-file = "{CERTS.ca}"\n'
                f'    client-crl-file = "{crl}"\n') as s:
        s.wait_listening()

        def who(cert):
            try:
                with Nut(s.tls_port, 'tls', cert=cert) as c:
                    alert_first(c)
                    return c.cmd('LOGIN ups1')
            except ssl.SSLError as e:
                return e.reason or str(e)
            except OSError as e:
                return f'closed: {e!r}'
        rows = [('clientAuth, DNS web1.example', good, 'OK'),
                ('serverAuth only', server_only, 'ALERT_UNSUPPORTED_CERTIFICATE'),
                ('emailProtection only', mail_only, 'ALERT_UNSUPPORTED_CERTIFICATE'),
                ('e-mail SAN "dns.example" vs DNS user', email_san, 'ERR USERNAME-REQUIRED'),
                ('DNS SAN "mail.example" vs e-mail user', dns_san, 'ERR USERNAME-REQUIRED')]
        for what, cert, want in rows:
            got = who(cert)
            say(f'{what}: {got}')
            assert want in got, (what, got)
        # Revoked in a new CRL: re-read at reload.
        write(crl, open(make_crl('revoked', good[0])).read())
        mark = time.monotonic()
        os.kill(s.pid(), signal.SIGHUP)
        s.agent.wait_log(r'reloaded ', 10, since=mark)
        for mode, port in (('tls', s.tls_port), ('starttls', s.starttls_port)):
            got = handshake(port, mode, cert=good)
            say(f'{mode}: web1 after its certificate is revoked and the server reloaded: {got}')
            assert 'CERTIFICATE_REVOKED' in got, got


@case
def each_refused_handshake_sends_its_alert():
    """Both listeners; the RSA server certificate so that DHE-RSA could be picked."""
    other = (CERTS.other_ca, CERTS.other_ca_key)
    stranger = make_cert('stranger', ['dns_name = "x.example"', 'tls_www_client'])
    with Server('alerts', serve_extra=f'    client-ca-file = "{CERTS.ca}"\n'
                '    client-certificate-required = true\n') as s:
        s.wait_listening()
        rows = []
        for mode, port in (('tls', s.tls_port), ('starttls', s.starttls_port)):
            rows.append((mode, 'no client certificate', handshake(port, mode),
                         'CERTIFICATE_REQUIRED'))
            rows.append((mode, 'a CA certificate as client certificate',
                         handshake(port, mode, cert=other), 'UNSUPPORTED_CERTIFICATE'))
        rows.append(('tls', 'TLS 1.2 only', handshake(s.tls_port, 'tls', cert=stranger,
                                                      tls_max=ssl.TLSVersion.TLSv1_2),
                     'PROTOCOL_VERSION'))
        for mode, what, got, want in rows:
            say(f'{mode}: {what}: {got}')
        raw = socket.create_connection(('127.0.0.1', s.tls_port), timeout=5)
        raw.sendall(b'GET VAR ups1 ups.status\n')
        data = raw.recv(100)
        raw.close()
        say(f'tls: plaintext "GET VAR ups1 ups.status": {data!r} (an alert record: 0x15)')
        for mode, what, got, want in rows:
            assert want in got, (mode, what, got)
        assert data[:1] == b'\x15', data
    rsa = Server('rsa', cert=(CERTS.rsaserver_cert, CERTS.rsaserver_key))
    with rsa:
        rsa.wait_listening()
        for ciphers, want in (('DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384',
                               'HANDSHAKE_FAILURE'), ('ECDHE-RSA-AES128-GCM-SHA256', '1.3')):
            sock = socket.create_connection(('127.0.0.1', rsa.starttls_port), timeout=5)
            sock.sendall(b'STARTTLS\n')
            assert sock.recv(100) == b'OK STARTTLS\n'
            ctx = ssl.create_default_context(cafile=CERTS.ca)
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            ctx.set_ciphers(ciphers)
            try:
                t = ctx.wrap_socket(sock, server_hostname='localhost')
                t.sendall(b'NETVER\n')
                got = t.recv(100).decode().strip() + f' ({t.cipher()[0]})'
            except ssl.SSLError as e:
                got = e.reason
            sock.close()
            say(f'starttls, TLS 1.2 offering only {ciphers}: {got}')
            assert want in got, got


# ---------------------------------------------------------------- item 5

@case
def password_guesses_are_paced_per_address():
    with Server('guess') as s:
        s.wait_listening()
        answered, stop = [0], threading.Event()

        def guesser():
            while not stop.is_set():
                try:
                    sock = socket.create_connection(('127.0.0.1', s.plain_port), timeout=10,
                                                    source_address=('127.0.2.1', 0))
                    c = Nut.__new__(Nut)
                    c.sock, c.buf = sock, b''
                    c.cmd('USERNAME monprimary')
                    c.cmd('PASSWORD wrong-' + os.urandom(4).hex())
                    for _ in range(3):
                        c.cmd('LOGIN ups1')
                        answered[0] += 1
                    c.close()
                except (OSError, ConnectionError):
                    pass
        threads = [threading.Thread(target=guesser, daemon=True) for _ in range(8)]
        mark = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(2)
        first = answered[0]
        time.sleep(8)
        late = answered[0] - first
        user = login_time(s.plain_port, 'plain', src='127.0.3.1')
        stop.set()
        for t in threads:
            t.join(15)
        lines = s.agent.count(r'authentication failed|failed authentication', mark)
        say(f'8 parallel guessers from 127.0.2.1: {first} guesses answered in the first 2 s, '
            f'{late} in the next 8 s ({late / 8:.2f}/s); {lines} log line(s); a user from '
            f'127.0.3.1 logged in in {user * 1e3:.0f} ms')
        assert late / 8 < 1.0, late
        assert lines <= 3, lines
        assert user < 1.0 * SLOW, user


# ---------------------------------------------------------------- item 7

def _rss_kib(pid):
    with open(f'/proc/{pid}/status') as f:
        return next(int(line.split()[1]) for line in f if line.startswith('VmRSS:'))


def asan_build():
    with open(UPSAGENT, 'rb') as f:
        return b'__asan_init' in f.read()


@case
def three_hundred_reloads_give_their_memory_back():
    """RSS in the normal build. Under AddressSanitizer RSS says nothing (its
    allocator grew ~375 KiB a reload with nothing leaked, quarantine off or
    not): there LeakSanitizer, at the daemon's exit, says whether any memory
    of the 300 reloads was lost."""
    asan = asan_build()
    env = dict(os.environ, ASAN_OPTIONS='detect_leaks=1') if asan else None
    with Server('reloads', env=env) as s:
        s.wait_listening()
        pid = s.pid()
        with Nut(s.tls_port, 'tls') as kept:
            kept.login('monsecondary')
            for i in range(10):  # the allocator's first growth is not a leak
                mark = time.monotonic()
                os.kill(pid, signal.SIGHUP)
                s.agent.wait_log(r'reloaded ', 10, since=mark)
            rss0 = _rss_kib(pid)
            start = time.monotonic()
            for i in range(300):
                mark = time.monotonic()
                os.kill(pid, signal.SIGHUP)
                s.agent.wait_log(r'reloaded ', 10, since=mark)
            rss = _rss_kib(pid)
            assert kept.cmd('GET VAR ups1 ups.status').startswith('VAR ups1')
        say(f'300 reloads in {time.monotonic() - start:.1f} s with a session open: RSS '
            f'{rss0} -> {rss} KiB{" (AddressSanitizer)" if asan else ""}')
        if asan:
            s.stop()
            assert 'LeakSanitizer' not in s.agent.text(), s.agent.text()[-3000:]
        else:
            assert rss - rss0 < 1024, (rss0, rss)

if __name__ == '__main__':
    raise SystemExit(main())
