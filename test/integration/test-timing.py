#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every timed rule on time, against a real upsd over verified TLS (issue 13):
each duration counts from the reading that started it and is decided at its
own deadline, not at the next poll, and not from the poll before it.

- a secondary that sees OB LB while another host is logged in as primary
  (and never sets FSD) waits host-sync from the LOWBATT reading: 3 s, not 2;
- a secondary that is the only login on its UPS powers off at on-battery-max
  and at off-duration exactly, not one poll later (it knows it is alone
  before the deadline comes, from NUMLOGINS asked with the polls).
Times are taken from the daemon's own log lines as they arrive (both ends of
each interval the same way); poll-interval 1, final-delay 0, dry run."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixture'))
from agentfix import Agent, write  # noqa: E402
from harness import SLOW, case, main, nutfix, workdir  # noqa: E402

D = workdir()
CERTS = nutfix.Certs(os.path.join(D, 'certs'))
# One UPS per case: a case's leftovers (FSD, logins) never reach the next.
U = nutfix.Upsd(os.path.join(D, 'upsd'), ups=('sync', 'obmax', 'off', 'expire'), tls=True,
                certs=CERTS).start()
# How far from its deadline a decision may land: the loop's timer slack
# (10 ms), the log pipe and Python's reader thread, on a shared machine.
EARLY, LATE = 0.05, 0.5 * SLOW


def config(name, ups, extra='', ups_extra='', user='monsecondary', role='secondary'):
    pw = write(os.path.join(D, name + '.pw'), U.users[user] + '\n')
    return write(os.path.join(D, name + '.conf'), f'''
poll-interval = 1
dead-time = 3
final-delay = 0
{extra}
powerdown-flag = "{D}/{name}.killpower"
status-socket = "{D}/{name}.sock"
ups rack {{
    server = "localhost"
    port = {U.port}
    ups = "{ups}"
    ca-file = "{CERTS.ca}"
    user = "{user}"
    password-file = "{pw}"
    role = "{role}"
    {ups_extra}
}}
''')


def other_login(ups, user='monprimary', primary=True):
    """Another host logged in (as primary: one that never sets FSD; as
    secondary: one that never logs out)."""
    s = nutfix._Session(U.host, U.port, 5.0, 'starttls', CERTS.ca)
    for line in (f'USERNAME {user}', f'PASSWORD {U.users[user]}', f'LOGIN {ups}',
                 *([f'PRIMARY {ups}'] if primary else [])):
        reply = s.cmd(line)
        assert reply.startswith('OK'), (line, reply)
    return s


def interval(a, start, end, timeout):
    t0, _ = a.wait_log(start, timeout)
    t1, _ = a.wait_log(end, timeout)
    return t1 - t0


def assert_on_time(took, want, what):
    print(f'# {what}: {took:.3f} s (deadline {want} s)')
    assert want - EARLY <= took <= want + LATE, f'{what}: {took:.3f} s, want {want} s'


@case
def secondary_waits_host_sync_from_the_lowbatt_reading():
    U.set('sync', 'ups.status', 'OL')
    primary = other_login('sync')
    try:
        with Agent(config('sync', 'sync', 'host-sync = 3')) as a:
            a.wait_log(r'rack: connected to localhost', 15)
            U.set('sync', 'ups.status', 'OB DISCHRG')
            a.wait_log(r'\[ONBATT\]$', 10)
            U.set('sync', 'ups.status', 'OB LB')
            took = interval(a, r'\[LOWBATT\]$', r'dry run: would power off', 15)
            assert_on_time(took, 3.0, 'LOWBATT -> power-off, host-sync 3, a primary logged in')
    finally:
        primary.close()


@case
def sole_secondary_powers_off_at_on_battery_max():
    U.set('obmax', 'ups.status', 'OL')
    with Agent(config('obmax', 'obmax', 'host-sync = 30', 'on-battery-max = 4')) as a:
        a.wait_log(r'rack: connected to localhost', 15)
        U.set('obmax', 'ups.status', 'OB DISCHRG')
        took = interval(a, r'\[ONBATT\]$', r'dry run: would power off', 15)
        assert_on_time(took, 4.0, 'ONBATT -> power-off, on-battery-max 4, the only login')
        a.wait_log(r'rack: critical: on battery for longer than on-battery-max', 1)


@case
def sole_secondary_powers_off_at_off_duration():
    U.set('off', 'ups.status', 'OL')
    with Agent(config('off', 'off', 'off-duration = 3\nhost-sync = 30')) as a:
        a.wait_log(r'rack: connected to localhost', 15)
        U.set('off', 'ups.status', 'OFF')
        took = interval(a, r'\[OFF\]$', r'dry run: would power off', 15)
        assert_on_time(took, 3.0, 'OFF -> power-off, off-duration 3, the only login')
    U.set('off', 'ups.status', 'OL')


@case
def primary_says_who_is_left_when_host_sync_runs_out():
    U.set('expire', 'ups.status', 'OL')
    secondary = other_login('expire', 'monsecondary', primary=False)
    try:
        conf = config('expire', 'expire', 'host-sync = 2', user='monprimary', role='primary')
        with Agent(conf) as a:
            a.wait_log(r'rack: connected to localhost', 15)
            U.set('expire', 'ups.status', 'OB LB')
            took = interval(a, r'\[LOWBATT\]$', r'dry run: would power off', 15)
            assert_on_time(took, 2.0, 'LOWBATT -> power-off, a primary, host-sync 2, a '
                           'secondary that never logs out')
            a.wait_log(r'rack: host-sync \(2 s\) ran out with 1 other login still on the UPS: '
                       r'shutting down anyway', 1)
    finally:
        secondary.close()


if __name__ == '__main__':
    sys.exit(main())
