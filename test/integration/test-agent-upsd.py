#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The daemon against a real upsd over verified TLS, powering off through a
logind mock (python3-dbusmock's template on a private bus):
- OL -> OB -> OB LB: the hook sees ONBATT then LOWBATT, PowerOff exactly once,
  and the time from the status change to PowerOff is measured;
- a primary and a secondary on one UPS: the secondary powers off first, the
  primary waits for it to log out (NUMLOGINS), then powers off;
- two servers, one black-holed: the other's power failure is still seen within
  one poll interval;
- 20 sessions to one slow server host: at most 16 set up at once, the rest wait."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixture'))
from agentfix import Agent, Hook, status, write  # noqa: E402
from harness import SLOW, UPSAGENT, case, main, nutfix, workdir  # noqa: E402
from logindmock import LogindMock  # noqa: E402

D = workdir()
CERTS = nutfix.Certs(os.path.join(D, 'certs'))
# ups2 and ups3 are for the primary/secondary cases: upsd latches FSD until it restarts.
U = nutfix.Upsd(os.path.join(D, 'upsd'), ups=('ups1', 'ups2', 'ups3'), tls=True,
                certs=CERTS).start()
POLL = 1.0


def password(user):
    return write(os.path.join(D, user + '.pw'), U.users[user] + '\n')


def ups_section(name, user, role, port=None, extra='', ups='ups1'):
    return f'''
ups {name} {{
    server = "localhost"
    port = {port or U.port}
    ups = "{ups}"
    ca-file = "{CERTS.ca}"
    user = "{user}"
    password-file = "{password(user)}"
    role = "{role}"
    {extra}
}}
'''


def config(name, hook, sections, host_sync=15, final_delay=0, poll=POLL):
    return write(os.path.join(D, name + '.conf'), f'''
poll-interval = {poll}
dead-time = {max(3, 2 * poll)}
host-sync = {host_sync}
final-delay = {final_delay}
powerdown-flag = "{D}/{name}.killpower"
status-socket = "{D}/{name}.sock"
notify {{
    command = {{"{hook.path}"}}
    events = {{"ALL"}}
}}
''' + ''.join(sections))


def reset_ups():
    U.set('ups1', 'ups.status', 'OL')


@case
def power_failure_powers_off_once_through_logind():
    reset_ups()
    hook = Hook(D, 'e2e')
    conf = config('e2e', hook, [ups_section('rack', 'monsecondary', 'secondary')])
    with LogindMock(os.path.join(D, 'logind-e2e')) as logind, \
            Agent(conf, (), env=logind.env()) as a:
        a.wait_log(r'rack: connected to localhost', 15)
        U.set('ups1', 'ups.status', 'OB DISCHRG')
        hook.wait('ONBATT', 10)
        changed = time.monotonic()
        U.set('ups1', 'ups.status', 'OB LB')
        powered = logind.wait_poweroff(30 * SLOW)
        hook.wait('LOWBATT', 5)
        latency = powered - changed
        print(f'# detection: OB LB set -> PowerOff in {latency:.3f} s '
              f'(poll-interval {POLL} s, final-delay 0)')
        assert latency < (POLL + 2) * SLOW, latency
        # Exactly once: after it, the agent logs out and polls no more.
        a.wait_log(r'power-off requested: ', 10)
        a.wait_log(r'logged out of every server after the power-off', 10)
        calls = logind.poweroff_calls()
        assert len(calls) == 1, calls
        assert os.path.exists(f'{D}/e2e.killpower')
        ev = a.events()
        assert ev.index('ONBATT') < ev.index('LOWBATT') < ev.index('SHUTDOWN'), ev
        hook.wait('SHUTDOWN', 10)  # hooks run beside the loop: it may still be writing
        assert {'ONBATT', 'LOWBATT', 'SHUTDOWN'} <= set(hook.types()), hook.types()
    reset_ups()


@case
def primary_waits_for_the_secondary_to_log_out():
    reset_ups()
    hp, hs = Hook(D, 'primary'), Hook(D, 'secondary')
    cp = config('primary', hp, [ups_section('rack', 'monprimary', 'primary', ups='ups2')],
                host_sync=20)
    cs = config('secondary', hs, [ups_section('rack', 'monsecondary', 'secondary', ups='ups2')],
                host_sync=20)
    with LogindMock(os.path.join(D, 'logind-p')) as lp, \
            LogindMock(os.path.join(D, 'logind-s')) as ls, \
            Agent(cp, (), env=lp.env()) as primary, Agent(cs, (), env=ls.env()) as secondary:
        primary.wait_log(r'rack: connected to localhost', 15)
        secondary.wait_log(r'rack: connected to localhost', 15)
        changed = time.monotonic()
        U.set('ups2', 'ups.status', 'OB LB')
        t_secondary = ls.wait_poweroff(30 * SLOW)
        t_primary = lp.wait_poweroff(30 * SLOW)
        print(f'# secondary PowerOff after {t_secondary - changed:.2f} s, '
              f'primary after {t_primary - changed:.2f} s (host-sync 20 s)')
        assert t_secondary < t_primary, (t_secondary, t_primary)
        # The primary did not sit out host-sync: the secondary's LOGOUT ended the wait,
        # and it says so.
        assert t_primary - changed < 15 * SLOW, t_primary - changed
        primary.wait_log(r'no secondary is logged in any more: going on with the shutdown', 5)
        assert 'FSD' in secondary.events(), secondary.events()
        primary.wait_log(r'FSD set on', 5)
        primary.wait_log(r'SHUTDOWN_HOSTSYNC', 5)  # it did wait for the secondary


@case
def fsd_verb_shuts_down_as_upsmon_c_fsd():
    """upsagent fsd, what scripts call instead of upsmon -c fsd: the primary
    sets FSD on its UPS (on line, nothing critical), the secondary follows,
    the primary waits for its logout, then both power off."""
    reset_ups()
    hp, hs = Hook(D, 'fsd-p'), Hook(D, 'fsd-s')
    cp = config('fsd-p', hp, [ups_section('rack', 'monprimary', 'primary', ups='ups3')],
                host_sync=20)
    cs = config('fsd-s', hs, [ups_section('rack', 'monsecondary', 'secondary', ups='ups3')],
                host_sync=20)
    with LogindMock(os.path.join(D, 'logind-fp')) as lp, \
            LogindMock(os.path.join(D, 'logind-fs')) as ls, \
            Agent(cp, (), env=lp.env()) as primary, Agent(cs, (), env=ls.env()) as secondary:
        primary.wait_log(r'rack: connected to localhost', 15)
        secondary.wait_log(r'rack: connected to localhost', 15)
        bad = nutfix.run([UPSAGENT, 'fsd', '--socket', f'{D}/fsd-p.sock', 'nosuch'])
        assert bad.returncode == 1 and "no ups section 'nosuch'" in bad.stderr, bad
        assert lp.poweroff_calls() == [] and 'SHUTDOWN' not in primary.events()
        res = nutfix.run([UPSAGENT, 'fsd', '--socket', f'{D}/fsd-p.sock'])
        assert res.returncode == 0 and 'forced shutdown started' in res.stderr, res
        t_secondary = ls.wait_poweroff(30 * SLOW)
        t_primary = lp.wait_poweroff(30 * SLOW)
        assert t_secondary < t_primary, (t_secondary, t_primary)
        primary.wait_log(r'forced shutdown requested \(upsagent fsd\)', 5)
        primary.wait_log(r'FSD set on', 5)
        primary.wait_log(r'no secondary is logged in any more', 5)
        assert 'FSD' in secondary.events(), secondary.events()
        again = nutfix.run([UPSAGENT, 'fsd', '--socket', f'{D}/fsd-p.sock'])
        assert again.returncode == 0 and 'in progress already' in again.stderr, again


@case
def black_holed_server_does_not_delay_the_other():
    reset_ups()
    hook = Hook(D, 'bh')
    with nutfix.Hostile('silent') as hole:
        conf = config('bh', hook, [
            ups_section('hole', 'monsecondary', 'secondary', port=hole.port,
                        extra='power-value = 0'),
            ups_section('rack', 'monsecondary', 'secondary')])
        with LogindMock(os.path.join(D, 'logind-bh')) as logind, \
                Agent(conf, ('--dry-run',), env=logind.env()) as a:
            a.wait_log(r'rack: connected to localhost', 15)
            changed = time.monotonic()
            U.set('ups1', 'ups.status', 'OB DISCHRG')
            t, _ = a.wait_log(r'rack: .*\[ONBATT\]', POLL + 3)
            seen = t - changed
            print(f'# ONBATT decided {seen:.3f} s after the change with a black-holed server')
            # A blocked loop would add the black hole's timeouts (1-3 s and more).
            assert seen < (POLL + 1.5) * SLOW, seen
            hook.wait('ONBATT', 5)
            a.wait_log(r'hole: .*(no reply|timed out)', 20)
            # Never up, and its attempt failed: a lost UPS, told once.
            a.wait_log(r'hole: .*\[COMMBAD\]', POLL + 3)
    reset_ups()


@case
def slow_first_session_is_not_a_lost_ups():
    """A server slow to let the first session in (each setup reply 0.5 s
    late: 2.5 s in all, USERNAME, PASSWORD and LOGIN pipelined, each within
    the 2 s poll-timeout) while the first poll is due after 2 s: no COMMBAD
    while the attempt is still going; it comes up and polls."""
    hook = Hook(D, 'slow')
    with nutfix.Hostile('fake-upsd', certs=CERTS, setup_delay=0.5) as slow:
        conf = config('slow', hook, [
            ups_section('slow', 'monsecondary', 'secondary', port=slow.port)], poll=2)
        with Agent(conf, ('--dry-run',)) as a:
            t, _ = a.wait_log(r'slow: connected to localhost', 15)
            assert t - a.started > 2, t - a.started  # the setup did outlast the first poll
            slow.wait_received('GET VAR ups1 ups.status', 5 * SLOW)
            assert 'COMMBAD' not in a.events(), a.events()
            assert 'COMMBAD' not in hook.types(), hook.types()


@case
def setups_to_one_server_wait_their_turn():
    """20 sessions to one slow server host (each set-up reply 0.4 s late):
    never more than 16 being set up at once, the rest "waiting" in status,
    and all of them come up."""
    hook = Hook(D, 'gate')
    servers = [nutfix.Hostile('fake-upsd', certs=CERTS, setup_delay=0.4).start()
               for _ in range(20)]
    try:
        conf = config('gate', hook, [
            ups_section(f'g{i}', 'monsecondary', 'secondary', port=h.port)
            for i, h in enumerate(servers)], poll=2)
        with Agent(conf, ('--dry-run',)) as a:
            setting_up, waiting, deadline = 0, 0, time.monotonic() + 30 * SLOW
            while True:
                res = status(f'{D}/gate.sock', json=True)
                states = [u['session'] for u in json.loads(res.stdout)['ups']] \
                    if res.returncode == 0 else []
                busy = sum(s in ('connecting', 'handshake', 'setting up') for s in states)
                setting_up = max(setting_up, busy)
                waiting = max(waiting, states.count('waiting'))
                if states and states.count('ready') == len(servers):
                    break
                assert time.monotonic() < deadline, (states, a.text())
            print(f'# at most {setting_up} set-ups at once, {waiting} waiting')
            assert setting_up <= 16, setting_up
            assert waiting > 0, waiting
            assert 'COMMBAD' not in a.events(), a.events()
    finally:
        for h in servers:
            h.stop()


def private_resolver(dns):
    """A command prefix: run in a mount namespace whose resolv.conf names dns."""
    conf = write(os.path.join(D, 'resolv.conf'), f'nameserver {dns}\noptions timeout:5 attempts:2\n',
                 0o644)
    return ['unshare', '--mount', 'sh', '-c',
            'mount --bind "$0" /etc/resolv.conf && exec "$@"', conf]


@case
def dead_dns_server_does_not_delay_the_other():
    """A UPS server name whose DNS server never answers: the lookup runs off
    the loop, so the other UPS's power failure is still seen in time."""
    reset_ups()
    hook = Hook(D, 'dns')
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind(('127.0.0.77', 53))  # receives queries, never answers
    conf = config('dns', hook, [
        ups_section('lost', 'monsecondary', 'secondary', extra='power-value = 0').replace(
            'server = "localhost"', 'server = "ups-server.example"'),
        ups_section('rack', 'monsecondary', 'secondary')])
    write(conf, open(conf, encoding='utf-8').read() + 'connect-timeout = 3\n')
    try:
        with Agent(conf, ('--dry-run',), prefix=private_resolver('127.0.0.77')) as a:
            a.wait_log(r'rack: connected to localhost', 15)
            changed = time.monotonic()
            U.set('ups1', 'ups.status', 'OB DISCHRG')
            t, _ = a.wait_log(r'rack: .*\[ONBATT\]', POLL + 3)
            print(f'# ONBATT decided {t - changed:.3f} s after the change, DNS dead for the other')
            # A lookup on the loop would add its 10 s (2 attempts x 5 s).
            assert t - changed < (POLL + 1.5) * SLOW, t - changed
            a.wait_log(r'lost: cannot resolve ups-server.example: no answer within 3.0 s', 10)
            assert dns.recv(512), 'the DNS server saw no query'
    finally:
        dns.close()
    reset_ups()


if __name__ == '__main__':
    sys.exit(main())
