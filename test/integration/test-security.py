#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Downgrade and impersonation attempts, and what the process keeps secret:
- a server that offers only TLS 1.0/1.1; bytes injected after OK STARTTLS;
- a pinned server whose key changes between two sessions of the daemon;
- each refused with its own message and no credential sent;
- the process is not dumpable; the password is not in its memory after login,
  nor in its command line, environment or log."""
import os
import re
import shutil
import socket
import subprocess
import sys
import threading

from agentfix import Agent, Hook, status, write
from harness import (UPSAGENT, assert_no_credentials, case, expect_fail, expect_ok, main,  # noqa: E402
                     nutfix, secret_file, upsagent, workdir)

D = workdir()
os.chmod(D, 0o755)
CERTS = nutfix.Certs(os.path.join(D, 'certs'))
SECRET = 'pw-' + os.urandom(8).hex()
PW = secret_file(D, 'pw', SECRET)


@case
def tls_1_0_and_1_1_only_server_is_refused():
    try:
        h = nutfix.Hostile('fake-upsd', certs=CERTS,
                           tls_versions=(nutfix.ssl.TLSVersion.TLSv1, nutfix.ssl.TLSVersion.TLSv1_1))
    except nutfix.TLSUnsupported as e:
        raise AssertionError(f'the fixture cannot offer old TLS here: {e}')
    with h:
        res = upsagent('query', '--ca-file', CERTS.ca, '-u', 'monprimary', '-p', PW,
                       f'ups1@localhost:{h.port}', 'ups.status')
    expect_fail(res, r'TLS with .* failed: .*no TLS version and cipher suite in common.*it picks '
                     r'TLS 1.[01] with .*an obsolete TLS version')
    assert h.received == ['STARTTLS', 'STARTTLS'], h.received  # the second: the diagnosis


def injector(listener, received):
    """Answers STARTTLS with OK and, in the same write, a forged reply."""
    conn, _ = listener.accept()
    with conn:
        received.append(conn.recv(100))
        conn.sendall(b'OK STARTTLS\nVAR ups1 ups.status "OL"\n')
        conn.settimeout(3)
        try:
            received.append(conn.recv(4096))
        except OSError:
            pass


@case
def data_after_ok_starttls_is_refused():
    listener = socket.create_server(('127.0.0.1', 0))
    received = []
    t = threading.Thread(target=injector, args=(listener, received), daemon=True)
    t.start()
    res = upsagent('query', '--ca-file', CERTS.ca, '--timeout=3', '-u', 'monprimary', '-p', PW,
                   f'ups1@localhost:{listener.getsockname()[1]}', 'ups.status')
    t.join(5)
    listener.close()
    expect_fail(res, r'sent data after OK STARTTLS, before the TLS handshake')
    assert received[0] == b'STARTTLS\n' and SECRET.encode() not in b''.join(received), received


@case
def pinned_key_that_changes_on_reconnect_is_refused():
    pin = CERTS.pin(CERTS.selfsigned_cert)
    first = nutfix.Hostile('fake-upsd', cert=CERTS.selfsigned_cert).start()
    port = first.port
    conf = write(os.path.join(D, 'pin.conf'), f'''
poll-interval = 1
dead-time = 3
status-socket = "{D}/pin.sock"
ups nas {{
    server = "localhost"
    port = {port}
    ups = "ups1"
    pin-sha256 = "{pin}"
    user = "monprimary"
    password-file = "{PW}"
}}
''')
    with Agent(conf, ('--dry-run',)) as a:
        a.wait_log(r'nas: connected to localhost', 10)
        first.wait_received('PASSWORD')
        first.stop()
        # Same address, another key: an impostor, or a server that was
        # reinstalled. Either way the pin no longer holds.
        with nutfix.Hostile('fake-upsd', certs=CERTS, port=port) as second:
            a.wait_log(r'nas: TLS with localhost port \d+ failed: the server.s public key does '
                       r'not match pin-sha256', 15)
            assert_no_credentials(second.received, SECRET)
        assert SECRET not in a.text()


def nobody_can_read(pid):
    res = nutfix.run(['runuser', '-u', 'nobody', '--', 'cat', f'/proc/{pid}/environ'])
    return res.returncode == 0


@case
def process_is_not_dumpable():
    """Another process of the same user may not read its memory (ptrace
    rules for a non-dumpable process); a control process shows it could."""
    # nobody must be able to run it: a copy in this script's own directory
    # (the build tree may sit under a private temporary directory).
    binary = os.path.join(D, 'upsagent-nobody')
    shutil.copy(UPSAGENT, binary)
    os.chmod(binary, 0o755)
    with nutfix.Hostile('silent') as h:
        p = subprocess.Popen(['runuser', '-u', 'nobody', '--', binary, 'query', '--tls=off',
                              '--timeout=20', f'ups1@127.0.0.1:{h.port}'],
                             stderr=subprocess.DEVNULL)
        control = subprocess.Popen(['runuser', '-u', 'nobody', '--', 'sleep', '30'])
        try:
            nutfix.wait_for(lambda: h.received, 10, 'the query to connect')
            agent = nutfix.run(['pgrep', '-u', 'nobody', '-f', binary]).stdout.split()
            sleeper = nutfix.run(['pgrep', '-u', 'nobody', '-x', 'sleep']).stdout.split()
            assert agent and sleeper, (agent, sleeper)
            assert nobody_can_read(sleeper[0]), 'the control process should be readable'
            assert not nobody_can_read(agent[0]), 'upsagent is dumpable'
        finally:
            for proc in (p, control):
                proc.kill()
                proc.wait()


def memory_holds(pid, needle):
    """Scans every readable mapping in 1 MiB pieces (overlapping by the needle).
    Mappings over 1 GiB are address space a sanitizer reserved, not data."""
    needle = needle.encode()
    with open(f'/proc/{pid}/maps') as maps, open(f'/proc/{pid}/mem', 'rb', 0) as mem:
        for line in maps:
            fields = line.split()
            if 'r' not in fields[1] or (len(fields) > 5 and fields[5].startswith('[v')):
                continue
            start, end = (int(x, 16) for x in fields[0].split('-'))
            if end - start > 1 << 30:
                continue
            for at in range(start, end, 1 << 20):
                try:
                    mem.seek(at)
                    if needle in mem.read(min((1 << 20) + len(needle), end - at)):
                        return True
                except (OSError, ValueError, OverflowError):
                    break
    return False


@case
def password_is_not_kept_in_memory_argv_env_or_log():
    with nutfix.Hostile('fake-upsd', certs=CERTS) as h:
        conf = write(os.path.join(D, 'mem.conf'), f'''
poll-interval = 1
dead-time = 3
status-socket = "{D}/mem.sock"
ups nas {{
    server = "localhost"
    port = {h.port}
    ups = "ups1"
    ca-file = "{CERTS.ca}"
    user = "monprimary"
    password-file = "{PW}"
}}
''')
        with Agent(conf, ('--dry-run',)) as a:
            a.wait_log(r'nas: connected to localhost', 10)
            h.wait_received(f'PASSWORD {SECRET}')
            pid = a.proc.pid
            assert not memory_holds(pid, SECRET), 'the password is still in the daemon memory'
            for f in ('cmdline', 'environ'):
                assert SECRET.encode() not in open(f'/proc/{pid}/{f}', 'rb').read(), f
        assert SECRET not in a.text()


def sim_config(name, sock):
    return write(os.path.join(D, name + '.conf'), f'''
poll-interval = 1
status-socket = "{sock}"
powerdown-flag = "{D}/{name}.flag"
ups demo {{
    driver = "sim"
}}
''')


@case
def fifo_as_password_file_is_refused_without_blocking():
    fifo = os.path.join(D, 'pw.fifo')
    os.mkfifo(fifo, 0o600)
    conf = write(os.path.join(D, 'fifo.conf'), f'''
status-socket = "{D}/fifo.sock"
ups nas {{
    server = "localhost"
    ca-file = "{CERTS.ca}"
    user = "monprimary"
    password-file = "{fifo}"
}}
''')
    # Nobody ever writes to the FIFO: an open() that waits would hang here.
    res = nutfix.run([UPSAGENT, 'check-config', conf], timeout=10)
    assert res.returncode != 0, res
    assert re.search(r'fifo.conf:\d+: ups nas: password-file: password file .*pw.fifo is not '
                     r'a regular file', res.stderr), res.stderr
    res = upsagent('query', '--ca-file', CERTS.ca, '-u', 'monprimary', '-p', fifo,
                   'ups1@localhost:1', timeout=10)
    expect_fail(res, r'pw.fifo is not a regular file')


@case
def status_socket_planted_by_another_user_is_refused():
    sock = os.path.join(D, 'planted.sock')
    with open(sock, 'w') as f:
        f.write('not ours\n')
    os.chown(sock, 65534, 65534)                 # nobody planted it
    with Agent(sim_config('planted', sock)) as a:
        code = a.wait_exit(10)
    assert code != 0, a.text()
    assert re.search(r'planted.sock exists and is not a socket of ours \(a file owned by '
                     r'uid 65534\): remove it, or set another status-socket', a.text()), a.text()
    with open(sock) as f:
        assert f.read() == 'not ours\n'          # left alone


@case
def stale_status_socket_is_replaced_and_a_live_one_kept():
    sock = os.path.join(D, 'stale.sock')
    s = socket.socket(socket.AF_UNIX)
    s.bind(sock)                                  # a daemon that died left it
    s.close()
    conf = sim_config('stale', sock)
    with Agent(conf) as a:
        a.wait_log(r'watching 1 UPS', 10)
        nutfix.wait_for(lambda: status(sock).returncode == 0, 10, 'the status socket')
        # A second daemon on the same socket must not steal it.
        with Agent(conf) as b:
            assert b.wait_exit(10) != 0, b.text()
        assert 'another upsagent answers on' in b.text(), b.text()
        assert status(sock).returncode == 0       # the first one still answers


if __name__ == '__main__':
    sys.exit(main())
