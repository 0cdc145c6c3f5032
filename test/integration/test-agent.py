#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The daemon on simulated UPSes: the whole path to a dry-run shutdown, hooks,
the status socket, test-event, systemd notifications, SIGHUP reloads and
check-config."""
import json
import os
import signal
import sys

from agentfix import Agent, Hook, NotifySocket, status, write
from harness import UPSAGENT, case, expect_ok, main, nutfix, workdir

D = workdir()


def sim_config(name, hook, script, extra='', ups_extra=''):
    text = f'''
poll-interval = 0.5
final-delay = 0.5
status-socket = "{D}/{name}.sock"
{extra}
notify {{
    command = {{"{hook.path}"}}
    events = {{"ALL"}}
}}
ups demo {{
    driver = "sim"
    script = {{{", ".join(f'"{s}"' for s in script)}}}
    {ups_extra}
}}
'''
    return write(os.path.join(D, name + '.conf'), text)


POWER_FAILURE = ['0 OL charge=100', '1 OB DISCHRG charge=70', '2 OB LB DISCHRG charge=8']


@case
def sim_power_failure_ends_in_a_dry_run_power_off():
    hook = Hook(D, 'pf')
    conf = sim_config('pf', hook, POWER_FAILURE)
    with Agent(conf, ('--dry-run',)) as a:
        a.wait_log(r'dry run: would power off', 30)
        code = a.wait_exit(10)
    assert code == 0, code
    # Hooks run concurrently, so their file is in no set order; the log is.
    assert a.events() == ['ONBATT', 'LOWBATT', 'SHUTDOWN'], a.events()
    assert sorted(hook.types()) == ['LOWBATT', 'ONBATT', 'SHUTDOWN'], hook.types()
    text = a.text()
    assert text.index('on battery') < text.index('battery is low') < text.index('would power off')
    assert a.count(r'would power off') == 1, text


@case
def healthy_sim_never_shuts_down():
    hook = Hook(D, 'ok')
    conf = sim_config('ok', hook, ['0 OL charge=100', '1 OB DISCHRG charge=90', '2 OL CHRG'])
    with Agent(conf, ('--dry-run',)) as a:
        hook.wait('ONLINE', 15)
        st = json.loads(expect_ok(status(f'{D}/ok.sock', json=True)).stdout)
        assert st['host']['state'] == 'watching' and not st['host']['power_short'], st
        assert st['ups'][0]['name'] == 'demo' and not st['ups'][0]['critical'], st
        text = expect_ok(status(f'{D}/ok.sock')).stdout
        assert text.startswith('host: watching') and 'demo (demo): OL' in text, text
    assert 'power off' not in a.text()
    assert a.events() == ['ONBATT', 'ONLINE'], a.events()  # no ONLINE for the first OL
    assert sorted(hook.types()) == ['ONBATT', 'ONLINE'], hook.types()


@case
def charge_threshold_is_critical_on_battery():
    hook = Hook(D, 'thr')
    conf = sim_config('thr', hook, ['0 OL charge=100', '1 OB DISCHRG charge=30'],
                      ups_extra='battery-charge-low = 40')
    with Agent(conf, ('--dry-run',)) as a:
        a.wait_log(r'demo: critical: .*charge', 20)
        a.wait_log(r'dry run: would power off', 20)


@case
def systemd_notifications():
    hook = Hook(D, 'sd')
    conf = sim_config('sd', hook, ['0 OL charge=100'])
    ns = NotifySocket(D)
    env = dict(os.environ, NOTIFY_SOCKET=ns.path, WATCHDOG_USEC='1000000')
    env.pop('WATCHDOG_PID', None)
    with Agent(conf, ('--dry-run',), env=env) as a:
        ns.wait('READY=1', 10)
        assert 'demo' in ns.wait('STATUS=', 10)
        ns.wait('WATCHDOG=1', 5)
        a.signal(signal.SIGTERM)
        ns.wait('STOPPING=1', 10)
        assert a.wait_exit(10) == 0


@case
def sighup_with_a_broken_file_keeps_the_running_config():
    hook = Hook(D, 'hup')
    conf = sim_config('hup', hook, ['0 OL charge=100'])
    with Agent(conf, ('--dry-run',)) as a:
        a.wait_log(r'watching 1 UPS', 10)
        good = open(conf, encoding='utf-8').read()
        write(conf, good + '\nthis is not valid = = =\n')
        a.signal(signal.SIGHUP)
        a.wait_log(r'reload of .* failed; the running configuration stays', 10)
        assert 'demo (demo)' in expect_ok(status(f'{D}/hup.sock')).stdout
        write(conf, good.replace('ups demo', 'ups second'))
        a.signal(signal.SIGHUP)
        a.wait_log(r'reloaded .*: watching 1 UPS', 10)
        out = expect_ok(status(f'{D}/hup.sock')).stdout
        assert 'second (second)' in out and 'demo (demo)' not in out, out


@case
def test_event_runs_the_hooks():
    hook = Hook(D, 'te')
    conf = sim_config('te', hook, ['0 OL'])
    res = expect_ok(nutfix.run([UPSAGENT, 'test-event', '--config', conf, 'LOWBATT']))
    ev = hook.events()
    assert len(ev) == 1 and ev[0][1] == 'LOWBATT' and ev[0][2] == 'demo', ev
    assert 'battery is low' in ev[0][3], ev
    res = nutfix.run([UPSAGENT, 'test-event', '--config', conf, 'NOSUCHEVENT'])
    assert res.returncode == 2 and "unknown event 'NOSUCHEVENT'" in res.stderr, res


@case
def check_config_reports_file_and_line():
    hook = Hook(D, 'cc')
    good = sim_config('cc', hook, ['0 OL'])
    res = expect_ok(nutfix.run([UPSAGENT, 'check-config', good]))
    assert 'configuration OK (1 UPS)' in res.stdout, res.stdout
    bad = write(os.path.join(D, 'bad.conf'), 'poll-interval = 5\nups x {\n  tls = "sometimes"\n'
                '  server = "nas"\n}\n')
    res = nutfix.run([UPSAGENT, '--check-config', bad])
    assert res.returncode == 1, res
    assert f'{bad}:3:' in res.stderr and 'sometimes' in res.stderr, res.stderr


if __name__ == '__main__':
    sys.exit(main())
