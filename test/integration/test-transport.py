#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Transport policy (issue 11): port 401 speaks TLS 1.3; TLS 1.2 only as RFC
9325 has it; certificates name their host in subjectAltName and are for
servers; nothing is logged in to without a protocol version; nothing a peer
sends can forge a line.

Each refusal is made by the project's own hostile TLS server (nutfix.Hostile,
OpenSSL), which records every line it receives: in every refused case it never
sees USERNAME or PASSWORD. The controls prove the same server sees them when
the policy allows the session."""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixture'))
from agentfix import Agent, status, write  # noqa: E402
from harness import (assert_no_credentials, case, expect_fail, expect_ok, main, nutfix,  # noqa: E402
                     secret_file, upsagent, workdir)

D = workdir()
CERTS = nutfix.Certs(os.path.join(D, 'certs'))
CA = ['--ca-file', CERTS.ca]
PW = secret_file(D, 'pw', 'fake-password-123')
LOGIN = ['-u', 'monprimary', '-p', PW]
TLS12 = (nutfix.ssl.TLSVersion.TLSv1_2, nutfix.ssl.TLSVersion.TLSv1_2)
TLS13 = (nutfix.ssl.TLSVersion.TLSv1_3, nutfix.ssl.TLSVersion.TLSv1_3)


def fake(*args, mode='fake-upsd', cert=None, key=None, port=0, target=None, **kw):
    """query with credentials against a hostile server; (result, lines it received)."""
    cert = cert or CERTS.server_cert
    key = key or cert[:-4] + '.key'
    with nutfix.Hostile(mode, cert=cert, key=key, certs=CERTS, port=port, **kw) as h:
        res = upsagent('query', '--timeout=5', *LOGIN, *args,
                       target or f'ups1@localhost:{h.port}', 'ups.status')
        h.wait_connections(1)
    return res, list(h.received)


def assert_logged_in(res, received):
    expect_ok(res, 'OL\n')
    assert 'PASSWORD fake-password-123' in received, received


def table(case, res, received):
    """One row of the note's table: the case, the message, what the server got."""
    msg = (res.stderr.strip().splitlines() or ['(none)'])[-1]
    print(f'# | {case} | {msg} | {", ".join(received) or "(nothing)"} |')


# -- TLS versions and suites --------------------------------------------------

@case
def tls12_rsa_kx_cbc_sha1_is_refused():
    # No forward secrecy: a later leak of the server key decrypts the password.
    res, received = fake(*CA, cert=CERTS.rsaserver_cert, tls_versions=TLS12, ciphers='AES128-SHA')
    table('TLS 1.2 RSA key exchange, AES-CBC-SHA1', res, received)
    expect_fail(res, r'no TLS version and cipher suite in common .*requires TLS 1.3, or TLS 1.2 '
                     r'with ECDHE or DHE and AES-GCM or ChaCha20-Poly1305 \(RFC 9325\); asked '
                     r'again with older TLS offered, it picks TLS 1.2 with TLS_RSA_AES_128_CBC_SHA1 '
                     r'\(no forward secrecy, CBC, SHA-1\)$')
    # The second STARTTLS is the diagnostic handshake, stopped at the ServerHello.
    assert received == ['STARTTLS', 'STARTTLS'], received


@case
def tls12_ecdhe_cbc_is_refused():
    res, received = fake(*CA, cert=CERTS.rsaserver_cert, tls_versions=TLS12,
                         ciphers='ECDHE-RSA-AES128-SHA')
    table('TLS 1.2 ECDHE with AES-CBC-SHA1', res, received)
    expect_fail(res, r'no TLS version and cipher suite in common .*it picks TLS 1.2 with '
                     r'TLS_ECDHE_RSA_AES_128_CBC_SHA1 \(CBC, SHA-1\)$')
    assert received == ['STARTTLS', 'STARTTLS'], received


@case
def tls12_ecdhe_gcm_still_works_on_starttls():
    res, received = fake(*CA, tls_versions=TLS12, ciphers='ECDHE-ECDSA-AES128-GCM-SHA256')
    table('TLS 1.2 ECDHE-ECDSA-AES128-GCM (control)', res, received)
    assert_logged_in(res, received)
    res, received = fake(*CA, cert=CERTS.rsaserver_cert, tls_versions=TLS12,
                         ciphers='ECDHE-RSA-CHACHA20-POLY1305')
    assert_logged_in(res, received)


@case
def tls_min_13_refuses_tls12_on_starttls():
    res, received = fake(*CA, '--tls-min=1.3', tls_versions=TLS12,
                         ciphers='ECDHE-ECDSA-AES128-GCM-SHA256')
    table('--tls-min=1.3, server TLS 1.2 only', res, received)
    expect_fail(res, r'requires TLS 1.3; .*it picks TLS 1.2 with TLS_ECDHE_ECDSA_AES_128_GCM_SHA256 '
                     r'\(not TLS 1.3\)$')
    assert received == ['STARTTLS', 'STARTTLS'], received


@case
def direct_tls_requires_13_unless_lowered():
    res, received = fake('--tls=direct', *CA, mode='direct-fake-upsd', tls_versions=TLS12,
                         ciphers='ECDHE-ECDSA-AES128-GCM-SHA256')
    table('direct TLS, server TLS 1.2 only', res, received)
    expect_fail(res, r'requires TLS 1.3; .*it picks TLS 1.2 with .* \(not TLS 1.3\)$')
    assert received == [], received
    # Written down, an old front end is reached, with a warning each time.
    res, received = fake('--tls=direct', '--tls-min=1.2', *CA, mode='direct-fake-upsd',
                         tls_versions=TLS12, ciphers='ECDHE-ECDSA-AES128-GCM-SHA256')
    assert_logged_in(res, received)
    assert 'port 401 is meant for TLS 1.3' in res.stderr, res.stderr


def port_401_free():
    with socket.socket() as s:
        # A run a minute ago leaves TIME_WAIT entries on it: no conflict.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(('127.0.0.1', 401))
            return True
        except OSError:
            return False


@case
def direct_tls_goes_to_port_401_by_default():
    if not port_401_free():
        raise AssertionError('127.0.0.1:401 is taken: this test needs it (and root to bind it)')
    res, received = fake('--tls=direct', *CA, mode='direct-fake-upsd', port=401,
                         tls_versions=TLS13, target='ups1@localhost')
    table('direct TLS 1.3, no port in the target (control: port 401)', res, received)
    assert_logged_in(res, received)


@case
def direct_tls_config_defaults_to_401_and_13():
    conf = write(os.path.join(D, 'direct.conf'), f'''
poll-interval = 1
status-socket = "{D}/direct.sock"
ups old {{
    server = "localhost"
    tls = "direct"
    tls-min-version = "1.2"
    ca-file = "{CERTS.ca}"
}}
''')
    res = nutfix.run([os.environ.get('UPSAGENT', 'upsagent'), 'check-config', conf])
    assert res.returncode == 0, res.stderr
    assert 'tls-min-version' in res.stderr and 'port 401 is meant for TLS 1.3' in res.stderr, \
        res.stderr
    with Agent(conf) as a:
        a.wait_log(r'old: tls-min-version is 1.2 on direct TLS', 10)
        a.wait_log(r'old: .*localhost port 401', 15)


# -- certificates --------------------------------------------------------------

@case
def certificate_without_server_auth_is_refused():
    res, received = fake(*CA, cert=CERTS.clientonly_cert)
    table('certificate with clientAuth only', res, received)
    expect_fail(res, r'not for TLS servers: .*without serverAuth')
    assert received == ['STARTTLS'], received


@case
def name_only_in_cn_is_refused():
    res, received = fake(*CA, cert=CERTS.cnonly_cert)
    table('host name in CN only, no subjectAltName', res, received)
    expect_fail(res, r'no subjectAltName DNS name: a name in the CN alone is not accepted')
    assert received == ['STARTTLS'], received


@case
def certificate_names_cannot_forge_a_line():
    res, received = fake(*CA, cert=CERTS.evilsan_cert)
    table('SAN with a newline, "<0>" and ESC', res, received)
    line = expect_fail(res, r'does not match the name .localhost.')
    assert '\x1b' not in res.stderr and '\n<0>' not in res.stderr, repr(res.stderr)
    assert r'\x0a<0>upsagent: forged' in line and r'\x1b[31m' in line, line
    assert received == ['STARTTLS'], received
    # The daemon: its log (journal prefixes on), its status text and JSON.
    conf = write(os.path.join(D, 'evil.conf'), f'''
poll-interval = 1
status-socket = "{D}/evil.sock"
ups evil {{
    server = "localhost"
    port = @PORT@
    ca-file = "{CERTS.ca}"
}}
''')
    with nutfix.Hostile('fake-upsd', cert=CERTS.evilsan_cert, key=CERTS.evilsan_key,
                        certs=CERTS) as h:
        with open(conf) as f:
            text = f.read().replace('@PORT@', str(h.port))
        write(conf, text)
        with Agent(conf) as a:
            a.wait_log(r'evil: .*does not match the name', 15)
            for _, line in a.lines:
                assert '\x1b' not in line and not line.startswith('<0>'), repr(line)
            plain = status(f'{D}/evil.sock')
            js = status(f'{D}/evil.sock', json=True)
    assert '\x1b' not in plain.stdout and '\n<0>' not in plain.stdout, repr(plain.stdout)
    import json
    parsed = json.loads(js.stdout)
    assert parsed, js.stdout


# -- the protocol before any credential ---------------------------------------

@case
def no_version_answer_no_credentials():
    res, received = fake(*CA, versions=False)
    table('PROTVER and NETVER both answer ERR', res, received)
    expect_fail(res, r'answered neither PROTVER nor NETVER with a version .*no credential was sent')
    assert received == ['STARTTLS', 'PROTVER', 'NETVER'], received


@case
def positive_control_the_same_server_sees_the_password():
    res, received = fake(*CA)
    table('TLS 1.3, good certificate (control)', res, received)
    assert_logged_in(res, received)


if __name__ == '__main__':
    sys.exit(main())
