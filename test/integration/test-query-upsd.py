#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""upsagent query against a real upsd (Debian nut-server 2.8.0, dummy-ups):
plaintext, STARTTLS (NSS certificate database) and direct TLS (stunnel);
credentials, unknown names, live changes, stale data, a server that is down."""
import json
import os
import select
import signal
import socket
import sys

from harness import SLOW, UPSAGENT, case, expect_fail, expect_ok, main, nutfix, secret_file, upsagent, workdir

D = workdir()
CERTS = nutfix.Certs(os.path.join(D, 'certs'))
U = nutfix.Upsd(os.path.join(D, 'upsd'), tls=True, direct_tls=True, certs=CERTS).start()
CA = ['--ca-file', CERTS.ca]
TARGET = f'ups1@localhost:{U.port}'
DIRECT = f'ups1@localhost:{U.direct_port}'


def variables(text):
    return dict(line.split(': ', 1) for line in text.splitlines())


@case
def plaintext_lists_every_variable():
    res = expect_ok(upsagent('query', '--tls=off', f'ups1@127.0.0.1:{U.port}'))
    v = variables(res.stdout)
    assert v['ups.status'] == 'OL' and v['battery.charge'] == '100', v
    assert v['device.model'] == 'Dummy 1500', v
    assert 'warning: tls is off' in res.stderr, res.stderr


@case
def starttls_reads_one_variable():
    expect_ok(upsagent('query', *CA, TARGET, 'ups.status'), 'OL\n')


@case
def starttls_lists_like_upsc():
    res = expect_ok(upsagent('query', *CA, TARGET))
    upsc = nutfix.run(['upsc', f'ups1@127.0.0.1:{U.port}'])
    assert variables(res.stdout) == variables(upsc.stdout), (res.stdout, upsc.stdout)
    assert res.stderr == '', res.stderr


@case
def starttls_verifies_an_ip_address():
    expect_ok(upsagent('query', *CA, f'ups1@127.0.0.1:{U.port}', 'battery.charge'), '100\n')


@case
def direct_tls_through_stunnel():
    expect_ok(upsagent('query', *CA, '--tls=direct', DIRECT, 'ups.status'), 'OL\n')


@case
def json_output_parses():
    res = expect_ok(upsagent('query', *CA, '--json', TARGET))
    v = json.loads(res.stdout)
    assert v['ups.status'] == 'OL' and v['ups.serial'], v
    one = json.loads(expect_ok(upsagent('query', *CA, '-j', TARGET, 'ups.load')).stdout)
    assert one == {'ups.load': '23'}, one


@case
def right_password_logs_in():
    pw = secret_file(D, 'secondary.pw', U.users['monsecondary'])
    expect_ok(upsagent('query', *CA, '-u', 'monsecondary', '-p', pw, TARGET, 'ups.status'), 'OL\n')


@case
def wrong_password_is_access_denied():
    pw = secret_file(D, 'wrong.pw', 'not-the-password')
    expect_fail(upsagent('query', *CA, '-u', 'monsecondary', '-p', pw, TARGET),
                r"access denied: .* refused user 'monsecondary' for UPS ups1")


@case
def readable_password_file_is_refused():
    pw = secret_file(D, 'open.pw', U.users['monsecondary'], mode=0o644)
    line = expect_fail(upsagent('query', *CA, '-u', 'monsecondary', '-p', pw, TARGET),
                       r'accessible by group or others .*chmod 600')
    assert U.users['monsecondary'] not in line


@case
def unknown_ups():
    expect_fail(upsagent('query', *CA, f'nope@localhost:{U.port}'), r"unknown UPS 'nope'")
    expect_fail(upsagent('query', *CA, f'nope@localhost:{U.port}', 'ups.status'),
                r"unknown UPS 'nope'")


@case
def unknown_variable():
    expect_fail(upsagent('query', *CA, TARGET, 'no.such.var'), r"has no variable 'no.such.var'")


@case
def sees_a_change_made_at_run_time():
    U.set('ups1', 'ups.status', 'OB LB')
    try:
        expect_ok(upsagent('query', *CA, TARGET, 'ups.status'), 'OB LB\n')
    finally:
        U.set('ups1', 'ups.status', 'OL')


@case
def stale_data_is_reported():
    """A frozen driver: upsd reports DATA-STALE once MAXAGE (15 s) passes."""
    pid = U.pids()['dummy-ups-ups1']
    os.kill(pid, signal.SIGSTOP)
    try:
        def refused():
            res = upsagent('query', *CA, TARGET, 'ups.status')
            return res if res.returncode != 0 else None
        expect_fail(nutfix.wait_for(refused, 45, 'upsd to call the frozen driver stale'),
                    r'data stale: .* no fresh data from the driver of UPS ups1')
    finally:
        os.kill(pid, signal.SIGCONT)


@case
def server_down_is_connection_refused():
    U.stop_component('upsd')
    try:
        expect_fail(upsagent('query', *CA, TARGET), r'cannot connect to localhost port \d+: '
                    r'Connection refused')
    finally:
        U.start_component('upsd')
    expect_ok(upsagent('query', *CA, TARGET, 'ups.status'), 'OL\n')


def with_hosts(hosts, *args):
    """upsagent in a private mount namespace whose /etc/hosts is `hosts`."""
    path = os.path.join(D, 'hosts')
    with open(path, 'w', encoding='ascii') as f:
        f.write(hosts)
    script = 'mount --bind "$0" /etc/hosts && exec "$@"'
    return nutfix.run(['unshare', '--mount', 'sh', '-c', script, path, *args], timeout=60)


@case
def every_resolved_address_is_tried():
    """A name that resolves to ::1 (nothing listens there) before 127.0.0.1."""
    hosts = '127.0.0.1 localhost\n::1 dualhost\n127.0.0.1 dualhost\n'
    order = with_hosts(hosts, 'getent', 'ahosts', 'dualhost')
    assert order.returncode == 0, f'cannot make a private /etc/hosts: {order.stderr}'
    assert order.stdout.split()[0] == '::1', order.stdout
    res = with_hosts(hosts, UPSAGENT, 'query', *CA, '--server-name', 'localhost',
                     f'ups1@dualhost:{U.port}', 'ups.status')
    expect_ok(res, 'OL\n')
    U.stop_component('upsd')
    try:
        res = with_hosts(hosts, UPSAGENT, 'query', *CA, f'ups1@dualhost:{U.port}')
        expect_fail(res, r'cannot connect to dualhost port \d+: Connection refused')
    finally:
        U.start_component('upsd')


@case
def connect_timeout_to_a_black_hole():
    """A listener whose accept queue is full drops SYNs: connect() hangs."""
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(('127.0.0.1', port))
        fillers.append(s)
    _, writable, _ = select.select([], fillers[:1], [], 5)
    assert writable, 'the first filler connection did not complete'
    res = upsagent('query', '--tls=off', '--timeout=1.5', f'ups1@127.0.0.1:{port}')
    expect_fail(res, r'connection to 127.0.0.1 port \d+ timed out after 1.5 s')
    assert 1.4 < res.elapsed < 4 * SLOW, res.elapsed
    for s in fillers + [listener]:
        s.close()


@case
def system_trust_store_does_not_know_the_test_ca():
    expect_fail(upsagent('query', TARGET), r'not trusted: its issuer is not in the system trust')


if __name__ == '__main__':
    sys.exit(main())
