#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The daemon on simulated UPSes: the whole path to a dry-run shutdown, hooks,
the status socket, test-event, systemd notifications, SIGHUP and `upsagent
reload` reloads, check-config, and the verbs with credentials outside the
service."""
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
def upsname_and_messages_reach_the_hooks_as_upsmon_gave_them():
    """import-upsmon writes upsname (the MONITOR system as written) and the
    NOTIFYMSG texts: old hooks and upssched AT lines match them."""
    hook = Hook(D, 'um')
    conf = sim_config('um', hook, POWER_FAILURE, ups_extra='upsname = "myups@nas.lan"')
    with open(conf, encoding='utf-8') as f:
        text = f.read().replace('events = {"ALL"}', 'events = {"ALL"}\n    messages = '
                                '{"ONBATT=Power cut at %s, 100%% sure", "LOWBATT=Low: %s%s."}')
    write(conf, text)
    with Agent(conf, ('--dry-run',)) as a:
        a.wait_log(r'dry run: would power off', 30)
        a.wait_exit(10)
    ev = {e[1]: e for e in hook.events()}
    assert ev['ONBATT'][2] == 'myups@nas.lan', ev
    assert ev['ONBATT'][3] == 'Power cut at myups@nas.lan, 100% sure', ev
    assert ev['LOWBATT'][3] == 'Low: myups@nas.lan.', ev
    # Events without a text of their own keep the daemon's.
    assert ev['SHUTDOWN'][3] == 'Auto logout and shutdown proceeding', ev
    # The journal keeps the daemon's own words.
    assert a.count(r'UPS myups@nas.lan on battery') == 1, a.text()


@case
def fsd_of_one_ups_counts_it_critical():
    """upsagent fsd UPS: that UPS is critical from now on; min-supplies decides."""
    hook = Hook(D, 'fu')
    conf = sim_config('fu', hook, ['0 OL charge=100'], extra='min-supplies = 1')
    with Agent(conf, ('--dry-run',)) as a:
        a.wait_log(r'watching 1 UPS', 10)
        res = nutfix.run([UPSAGENT, 'fsd', '--socket', f'{D}/fu.sock', 'demo'])
        assert res.returncode == 0 and 'demo counts as critical' in res.stderr, res
        a.wait_log(r'demo: critical: forced shutdown requested \(upsagent fsd\)', 10)
        a.wait_log(r'dry run: would power off', 10)
        assert a.wait_exit(10) == 0
    assert 'SHUTDOWN' in a.events(), a.events()
    res = nutfix.run([UPSAGENT, 'fsd', '--socket', f'{D}/fu.sock', 'two words'])
    assert res.returncode == 2, res


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


@case
def reload_verb_answers_for_the_daemon():
    """upsagent reload (the unit's ExecReload=): exit 0 only when the daemon
    reloaded; a broken file fails before the daemon sees it, a file only the
    daemon can reject (a password file it cannot read) fails with its answer;
    status still answers while the file on disk is broken."""
    hook = Hook(D, 'rl')
    conf = sim_config('rl', hook, ['0 OL charge=100'])
    sock = f'{D}/rl.sock'
    reload = [UPSAGENT, 'reload', '--config', conf]
    with Agent(conf, ('--dry-run',)) as a:
        a.wait_log(r'watching 1 UPS', 10)
        good = open(conf, encoding='utf-8').read()
        expect_ok(nutfix.run(reload))
        a.wait_log(r'reloaded .*: watching 1 UPS', 10)
        write(conf, good.replace('poll-interval = 0.5', 'poll-interval = "soon"'))
        res = nutfix.run(reload)
        assert res.returncode == 1 and "poll-interval: 'soon'" in res.stderr, res
        assert 'not reloaded' in res.stderr, res
        # status cannot read the socket's path from a broken file: it asks at
        # the default one (not this test daemon's), and says so.
        res = nutfix.run([UPSAGENT, 'status', '--config', conf])
        assert 'does not load; asking the daemon at /run/upsagent/status.sock' in res.stderr, res
        pw = os.path.join(D, 'rl-missing.pw')
        write(conf, good.replace('ups demo {', f'ups net {{\n server = "127.0.0.1"\n'
                                 f' user = "u"\n password-file = "{pw}"\n}}\nups demo {{'))
        res = nutfix.run(reload)
        assert res.returncode == 1, res
        assert 'the daemon did not reload: the configuration does not load' in res.stderr, res
        a.wait_log(r'rl-missing.pw: No such file', 10)
        assert 'demo (demo)' in expect_ok(status(sock)).stdout


@case
def config_that_does_not_load_exits_78():
    """RestartPreventExitStatus=78 in the unit: a broken file ends in "failed"."""
    bad = write(os.path.join(D, 'bad78.conf'), 'poll-interval = "soon"\nups x { driver = "sim" }\n')
    res = nutfix.run([UPSAGENT, 'run', '--dry-run', '--config', bad])
    assert res.returncode == 78, res


@case
def credentials_outside_the_service():
    """${CREDENTIALS_DIRECTORY} unset: check-config says it cannot check the
    credential while the service is not running; status, test-event and
    killpower do not open password files at all."""
    hook = Hook(D, 'cred')
    conf = sim_config('cred', hook, ['0 OL'], extra='powerdown-flag = ""')
    text = open(conf, encoding='utf-8').read() + (
        'ups nas {\n server = "127.0.0.1"\n user = "u"\n'
        ' password-file = "${CREDENTIALS_DIRECTORY}/nas.pw"\n}\n')
    write(conf, text)
    env = {k: v for k, v in os.environ.items() if k != 'CREDENTIALS_DIRECTORY'}
    res = nutfix.run([UPSAGENT, 'check-config', conf], env=env)
    if os.path.exists('/run/credentials/upsagent.service/nas.pw'):
        return  # a real upsagent.service runs here with that credential
    assert res.returncode == 0, res
    assert 'upsagent.service/nas.pw not checked' in res.stderr, res
    for verb in (['killpower', '--config', conf], ['test-event', '--config', conf, 'ONLINE']):
        res = nutfix.run([UPSAGENT, *verb], env=env)
        assert res.returncode == 0 and 'password' not in res.stderr, (verb, res)


if __name__ == '__main__':
    sys.exit(main())
