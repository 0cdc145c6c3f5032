#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""TLS verification: the right CA, name or pin succeeds; a wrong CA, a wrong
name, a wrong pin, an expired or self-signed certificate each fail with their
own message, and the server never sees a credential in those cases.

The real upsd shows the refusals; the fake upsd (fixture 'fake-upsd', a TLS
server that records every line it receives) shows that nothing after STARTTLS
reached the server. Its positive control proves the recording sees PASSWORD
when verification passes."""
import os
import sys

from harness import (assert_no_credentials, case, expect_fail, expect_ok, main, nutfix,  # noqa: E402
                     secret_file, upsagent, workdir)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__))))
from agentfix import Agent, status, write  # noqa: E402

D = workdir()
CERTS = nutfix.Certs(os.path.join(D, 'certs'))
U = nutfix.Upsd(os.path.join(D, 'upsd'), tls=True, direct_tls=True, certs=CERTS).start()
CA = ['--ca-file', CERTS.ca]
TARGET = f'ups1@localhost:{U.port}'
DIRECT = f'ups1@localhost:{U.direct_port}'
PW = secret_file(D, 'pw', 'fake-password-123')
LOGIN = ['-u', 'monprimary', '-p', PW]
NOT_TRUSTED = r'TLS with .* failed: the server.s certificate is not trusted'


def fake(mode, cert, *args):
    """Runs query with credentials against a fake upsd; returns (result, lines received)."""
    with nutfix.Hostile(mode, cert=cert, key=cert[:-4] + '.key' if cert.endswith('.pem') else None,
                        certs=CERTS) as h:
        target = f'ups1@localhost:{h.port}'
        res = upsagent('query', '--timeout=5', *LOGIN, *args, target, 'ups.status')
        h.wait_connections(1)
    return res, list(h.received)


@case
def right_ca_succeeds_in_both_tls_modes():
    expect_ok(upsagent('query', *CA, TARGET, 'ups.status'), 'OL\n')
    expect_ok(upsagent('query', *CA, '--tls=direct', DIRECT, 'ups.status'), 'OL\n')


@case
def wrong_ca_is_not_trusted():
    line = expect_fail(upsagent('query', '--ca-file', CERTS.other_ca, TARGET), NOT_TRUSTED)
    assert CERTS.other_ca in line, line
    expect_fail(upsagent('query', '--ca-file', CERTS.other_ca, '--tls=direct', DIRECT), NOT_TRUSTED)


@case
def wrong_server_name_is_a_name_mismatch():
    expect_fail(upsagent('query', *CA, '--server-name', 'wrong.example', TARGET),
                r"does not match the name 'wrong.example' \(it is for: localhost, 127.0.0.1, ::1\)")


@case
def server_name_option_verifies_another_name():
    # Connect by address, verify the name the certificate carries.
    expect_ok(upsagent('query', *CA, '--server-name', 'localhost', f'ups1@127.0.0.1:{U.port}',
                       'ups.status'), 'OL\n')


@case
def right_pin_succeeds_without_a_ca():
    pin = CERTS.pin(CERTS.server_cert)
    expect_ok(upsagent('query', '--pin-sha256', pin, TARGET, 'ups.status'), 'OL\n')
    expect_ok(upsagent('query', '--pin-sha256', 'sha256//' + pin, '--tls=direct', DIRECT,
                       'ups.status'), 'OL\n')


@case
def wrong_pin_is_a_pin_mismatch():
    wrong = CERTS.pin(CERTS.selfsigned_cert)
    line = expect_fail(upsagent('query', *CA, '--pin-sha256', wrong, TARGET),
                       r'public key does not match pin-sha256 ' + wrong.replace('+', r'\+'))
    assert CERTS.pin(CERTS.server_cert) in line, line


@case
def malformed_pin_is_a_usage_error():
    res = upsagent('query', '--pin-sha256', 'abc', TARGET)
    assert res.returncode == 2 and 'not a base64 SHA-256' in res.stderr, res


@case
def ipv6_address_in_brackets():
    with nutfix.Hostile('fake-upsd', certs=CERTS, host='::1') as h:
        res = upsagent('query', *CA, f'ups1@[::1]:{h.port}', 'ups.status')
    expect_ok(res, 'OL\n')


@case
def client_certificate_is_offered():
    expect_ok(upsagent('query', *CA, '--cert', CERTS.client_cert, '--key', CERTS.client_key,
                       TARGET, 'ups.status'), 'OL\n')
    expect_fail(upsagent('query', *CA, '--cert', CERTS.client_cert, '--key', '/nonexistent.key',
                         TARGET), r'cannot load the client certificate .* /nonexistent.key')


@case
def missing_client_certificate_names_the_alert():
    # TLS 1.3: the server checks our certificate after our side of the
    # handshake is done, so its refusal is an alert on the first read.
    with nutfix.Upsd(os.path.join(D, 'upsd-mtls'), tls=True, direct_tls=True, certs=CERTS,
                     client_certs=True) as strict:
        target = f'ups1@localhost:{strict.direct_port}'
        line = expect_fail(upsagent('query', '--tls=direct', *CA, target, 'ups.status'),
                           r'TLS alert certificate_required: .*set cert-file and key-file')
        assert 'TLS1.3' in line or 'certificate_required' in line, line
        expect_ok(upsagent('query', '--tls=direct', *CA, '--cert', CERTS.client_cert,
                           '--key', CERTS.client_key, target, 'ups.status'), 'OL\n')
        conf = write(os.path.join(D, 'mtls.conf'), f'''
poll-interval = 1
status-socket = "{D}/mtls.sock"
ups rack {{
    server = "localhost"
    port = {strict.direct_port}
    tls = "direct"
    ca-file = "{CERTS.ca}"
}}
''')
        with Agent(conf) as a:
            a.wait_log(r'rack: .*TLS alert certificate_required: .*cert-file', 15)
            out = status(f'{D}/mtls.sock').stdout
            assert 'certificate_required' in out, out


@case
def missing_ca_file_is_named():
    expect_fail(upsagent('query', '--ca-file', '/nonexistent/ca.pem', TARGET),
                r'cannot load CA certificates from /nonexistent/ca.pem')


@case
def positive_control_fake_upsd_sees_the_password():
    res, received = fake('fake-upsd', CERTS.server_cert, *CA)
    expect_ok(res, 'OL\n')
    assert 'PASSWORD fake-password-123' in received, received
    assert received.index('STARTTLS') < received.index('PROTVER') < received.index(
        'PASSWORD fake-password-123'), received


@case
def name_mismatch_sends_no_credential():
    res, received = fake('fake-upsd', CERTS.wrongname_cert, *CA)
    expect_fail(res, r"does not match the name 'localhost' \(it is for: wrong.example\)")
    assert received == ['STARTTLS'], received


@case
def expired_certificate_sends_no_credential():
    res, received = fake('fake-upsd', CERTS.expired_cert, *CA)
    expect_fail(res, r'certificate has expired')
    assert_no_credentials(received)


@case
def self_signed_certificate_sends_no_credential():
    res, received = fake('fake-upsd', CERTS.selfsigned_cert, *CA)
    expect_fail(res, NOT_TRUSTED)
    assert_no_credentials(received)


@case
def wrong_pin_sends_no_credential():
    res, received = fake('fake-upsd', CERTS.selfsigned_cert, '--pin-sha256',
                         CERTS.pin(CERTS.server_cert))
    expect_fail(res, r'does not match pin-sha256')
    assert_no_credentials(received)


@case
def pinned_self_signed_server_is_accepted():
    res, received = fake('fake-upsd', CERTS.selfsigned_cert, '--pin-sha256',
                         CERTS.pin(CERTS.selfsigned_cert))
    expect_ok(res, 'OL\n')


@case
def direct_tls_name_mismatch_sends_no_credential():
    res, received = fake('direct-fake-upsd', CERTS.wrongname_cert, *CA, '--tls=direct')
    expect_fail(res, r"does not match the name 'localhost'")
    assert received == [], received


if __name__ == '__main__':
    sys.exit(main())
