#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Servers that misbehave in ways a real upsd cannot: each ends in one clear
error line within the timeout, no crash, bounded memory, no credential sent."""
import os
import socket
import subprocess
import sys
import threading

from harness import SLOW, UPSAGENT, case, expect_fail, main, nutfix, secret_file, upsagent, workdir

D = workdir()
CERTS = nutfix.Certs(os.path.join(D, 'certs'))
PW = secret_file(D, 'pw', 'hostile-password')
TIMEOUT = 2.0


def against(mode, *args, var='ups.status'):
    with nutfix.Hostile(mode, certs=CERTS) as h:
        extra = [var] if var else []
        res = upsagent('query', f'--timeout={TIMEOUT}', '--ca-file', CERTS.ca, *args,
                       f'ups1@localhost:{h.port}', *extra)
    return res, list(h.received)


@case
def refused_starttls_is_not_a_plaintext_fallback():
    res, received = against('refuse-starttls', '-u', 'monprimary', '-p', PW)
    expect_fail(res, r'does not offer TLS \(STARTTLS: ERR FEATURE-NOT-SUPPORTED\); refusing to '
                     r'continue in plaintext')
    assert received == ['STARTTLS'], received


@case
def unconfigured_starttls_is_not_a_plaintext_fallback():
    res, received = against('not-configured', '-u', 'monprimary', '-p', PW)
    expect_fail(res, r'does not offer TLS \(STARTTLS: ERR FEATURE-NOT-CONFIGURED\)')
    assert received == ['STARTTLS'], received


@case
def garbage_is_a_protocol_error():
    res, _ = against('garbage')
    expect_fail(res, r'protocol error: .* answered STARTTLS with')
    res, _ = against('garbage', '--tls=off')
    expect_fail(res, r'protocol error: .* answered (PROTVER|NETVER|GET VAR ups1 ups.status) with')


@case
def overlong_line_is_a_protocol_error():
    res, _ = against('overlong', '--tls=off')
    expect_fail(res, r'protocol error: .* sent a line longer than 4096 bytes')
    assert res.elapsed < (TIMEOUT + 3) * SLOW, res.elapsed


@case
def binary_bytes_are_a_protocol_error():
    res, _ = against('binary', '--tls=off')
    expect_fail(res, r'protocol error: .* sent binary data')


@case
def truncated_reply_is_reported():
    res, _ = against('truncated', '--tls=off')
    expect_fail(res, r'closed the connection in the middle of a reply')


@case
def silent_server_times_out():
    res, _ = against('silent')
    expect_fail(res, r'no reply from .* to STARTTLS within 2.0 s')
    assert TIMEOUT - 0.2 < res.elapsed < (TIMEOUT + 3) * SLOW, res.elapsed
    res, _ = against('silent', '--tls=off', var=None)
    expect_fail(res, r'no reply from .* to PROTVER within 2.0 s')


@case
def silent_server_in_direct_mode_times_out_in_the_handshake():
    res, _ = against('silent', '--tls=direct')
    expect_fail(res, r'TLS handshake with .* timed out after 2.0 s')
    assert res.elapsed < (TIMEOUT + 3) * SLOW, res.elapsed


@case
def closing_server_is_reported():
    res, _ = against('close')
    expect_fail(res, r'(closed the connection|Connection reset)')


@case
def plaintext_server_in_direct_mode():
    res, _ = against('refuse-starttls', '--tls=direct')
    expect_fail(res, r'TLS with .* failed')


def flood(listener, size):
    """Accepts one client and sends size bytes without a line end."""
    conn, _ = listener.accept()
    chunk = b'V' * 65536
    try:
        for _ in range(size // len(chunk)):
            conn.sendall(chunk)
    except OSError:
        pass  # the client gave up, as it should
    finally:
        conn.close()


@case
def endless_line_uses_bounded_memory():
    """64 MiB without LF: the client stops at 4 KiB; its peak RSS stays small."""
    listener = socket.create_server(('127.0.0.1', 0))
    t = threading.Thread(target=flood, args=(listener, 64 << 20), daemon=True)
    t.start()
    p = subprocess.Popen([UPSAGENT, 'query', '--tls=off', '--timeout=5',
                          f'ups1@127.0.0.1:{listener.getsockname()[1]}'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    stderr = p.stderr.read().decode()
    p.returncode = os.waitstatus_to_exitcode(status)
    listener.close()
    res = subprocess.CompletedProcess(p.args, p.returncode, '', stderr)
    expect_fail(res, r'longer than 4096 bytes')
    assert usage.ru_maxrss < 48 * 1024, f'peak RSS {usage.ru_maxrss} KiB'


if __name__ == '__main__':
    sys.exit(main())
