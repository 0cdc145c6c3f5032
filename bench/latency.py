# SPDX-License-Identifier: GPL-2.0-or-later
"""Detection latency trials, shared by bench/latency-vs-upsmon and
bench/blackhole-vs-upsmon: a status change to OB LB on a real upsd, then the
time until each agent acts (upsagent: PowerOff arrives at the logind mock;
upsmon: its SHUTDOWNCMD writes to a FIFO we read).

Both agents run side by side in each trial, each on its own UPS of the same
upsd processes (upsagent on ups1, upsmon on ups2), so each is the only login
on its UPS and neither one's NUMLOGINS wait depends on the other. Each trial
starts both afresh, waits until both are logged in on every healthy server,
lets one poll interval pass, then waits a random fraction of an interval
(the phase against both poll schedules) before setting OB LB on one server.
FSD set by a primary stays in upsd until it restarts (gotcha 10), so after
a primary trial that upsd is restarted.
"""
import os
import random
import time

import benchlib as B
from benchlib import nutfix
from logindmock import LogindMock

AGENT_UPS, UPSMON_UPS = 'ups1', 'ups2'


class Servers:
    """Real upsd processes (each with ups1 and ups2) and optionally one
    black hole (accepts, never answers), in the order the agents list them."""

    def __init__(self, dir, certs, layout):
        self.layout = layout               # e.g. ['upsd', 'hole', 'upsd']
        self.upsd = []
        self.entries = []                  # (kind, object)
        self.hole = None
        for i, kind in enumerate(layout):
            if kind == 'upsd':
                u = nutfix.Upsd(os.path.join(dir, f'upsd{i}'), ups=(AGENT_UPS, UPSMON_UPS),
                                tls=True, certs=certs).start()
                self.upsd.append(u)
                self.entries.append(('upsd', u))
            else:
                self.hole = nutfix.Hostile('silent').start()
                self.entries.append(('hole', self.hole))

    def ports(self):
        return [obj.port for _, obj in self.entries]

    def stop(self):
        for u in self.upsd:
            u.stop()
        if self.hole:
            self.hole.stop()


def agent_config(dir, servers, certs, poll, role, final_delay, host_sync, pwfiles):
    n = len(servers.entries)
    text = B.agent_globals(dir, poll, final_delay=final_delay, host_sync=host_sync,
                           min_supplies=n)
    for i, (kind, obj) in enumerate(servers.entries):
        r = role if kind == 'upsd' else 'secondary'
        user = 'monprimary' if r == 'primary' else 'monsecondary'
        text += B.ups_section(f's{i}', 'localhost', obj.port, AGENT_UPS, ca_file=certs.ca,
                              user=user, password_file=pwfiles[(i, user)], role=r)
    return text


def upsmon_monitors(servers, role):
    out = []
    for kind, obj in servers.entries:
        r = role if kind == 'upsd' else 'secondary'
        user = 'monprimary' if r == 'primary' else 'monsecondary'
        pw = obj.users[user] if kind == 'upsd' else 'x'
        ups = UPSMON_UPS if kind == 'upsd' else AGENT_UPS
        out.append((f'{ups}@localhost:{obj.port}', 1, user, pw, r))
    return out


def run_trials(upsagent, dir, certs, layout, role, trials, poll, final_delay, host_sync,
               seed, timeout_extra=40):
    """Returns {'upsagent': [latency s], 'upsmon': [...], 'notes': [...]}."""
    # Two generators: the same seed gives every case the same phases, even
    # when the cases choose among a different number of servers.
    rng, pick = random.Random(seed), random.Random(seed + 1)
    servers = Servers(os.path.join(dir, 'servers'), certs, layout)
    pwfiles = {}
    for i, (kind, obj) in enumerate(servers.entries):
        for user in ('monprimary', 'monsecondary'):
            pw = obj.users[user] if kind == 'upsd' else 'x'
            pwfiles[(i, user)] = B.write(os.path.join(dir, f'pw-{i}-{user}'), pw + '\n')
    fifo = B.FifoClock(os.path.join(dir, 'shutdowncmd.fifo'))
    result = {'upsagent': [], 'upsmon': [], 'notes': []}
    healthy = [i for i, (k, _) in enumerate(servers.entries) if k == 'upsd']
    try:
        with LogindMock(os.path.join(dir, 'logind')) as logind:
            for trial in range(trials):
                tdir = os.path.join(dir, f'{role}-{trial}')
                os.makedirs(tdir, exist_ok=True)
                for u in servers.upsd:
                    u.set(AGENT_UPS, 'ups.status', 'OL')
                    u.set(UPSMON_UPS, 'ups.status', 'OL')
                sniffer = B.Sniffer(servers.ports()).start()
                calls0 = len(logind.poweroff_calls())
                lines0 = len(fifo.lines)
                a = B.Upsagent(upsagent, tdir,
                               agent_config(tdir, servers, certs, poll, role, final_delay,
                                            host_sync, pwfiles), env=logind.env())
                m = B.Upsmon(os.path.join(tdir, 'upsmon'), upsmon_monitors(servers, role), certs,
                             pollfreq=poll, hostsync=host_sync, finaldelay=final_delay,
                             minsupplies=len(servers.entries), fifo=fifo.path)
                try:
                    for u in servers.upsd:
                        for ups in (AGENT_UPS, UPSMON_UPS):
                            B.wait_until(lambda: B.numlogins(u, ups) == 1, 60,
                                         f'{ups} login on port {u.port}')
                    # One interval in steady polling, then a random phase.
                    time.sleep(poll + rng.uniform(0, poll))
                    if not a.alive() or not m.alive():
                        raise nutfix.FixtureError('an agent died:\n' + a.log()[-2000:] +
                                                  m.log()[-2000:])
                    target = servers.entries[pick.choice(healthy)][1]
                    order = [(AGENT_UPS, 'upsagent'), (UPSMON_UPS, 'upsmon')]
                    if trial % 2:
                        order.reverse()
                    ports_a, ports_m = B.connections(a.pids()), B.connections(m.pids())
                    t0 = {}
                    for ups, who in order:
                        start = time.monotonic()
                        target.set(ups, 'ups.status', 'OB LB')
                        # set() returns once upsd serves the value (it asks
                        # every 20 ms): that is the change, to ~20 ms. Its
                        # start would be up to 1 s early when dummy-ups was
                        # asleep (gotcha 8).
                        t0[who] = time.monotonic()
                        result.setdefault('set_s', []).append(t0[who] - start)
                    limit = poll + host_sync + final_delay + timeout_extra
                    ta = _wait_call(logind, calls0, limit)
                    tm = fifo.wait_after(lines0, limit)
                    result['upsagent'].append(ta - t0['upsagent'])
                    result['upsmon'].append(tm - t0['upsmon'])
                    pa = poll_to_action(sniffer, ports_a, ta)
                    pm = poll_to_action(sniffer, ports_m, tm)
                    result.setdefault('upsagent_post', []).append(pa)
                    result.setdefault('upsmon_post', []).append(pm)
                    B.log(f'{role} {"+".join(layout)} trial {trial + 1}/{trials}: upsagent '
                          f'{ta - t0["upsagent"]:.3f} s (poll->action {B.fmt(pa)}), upsmon '
                          f'{tm - t0["upsmon"]:.3f} s (poll->action {B.fmt(pm)})')
                finally:
                    sniffer.stop()
                    a.stop()
                    m.stop()
                if role == 'primary':
                    # FSD is sticky until upsd restarts, and dummy-ups 2.8.0
                    # dies when its upsd goes away ("bit out of range 0 -
                    # FD_SETSIZE on fd_set"): restart the whole server. A
                    # primary sets FSD on every UPS it is primary for.
                    for u in servers.upsd:
                        u.stop()
                        u.start()
    finally:
        fifo.close()
        servers.stop()
    return result


def poll_to_action(sniffer, ports, action):
    """Seconds from the start of the last request burst the agent sent
    before acting (the poll that saw OB LB, with what followed it at once:
    NUMLOGINS, FSD) to the action; None if the wire showed none."""
    offset = time.time() - time.monotonic()
    starts = [t - offset for conn, ts in B.bursts(list(sniffer.records)).items()
              if conn in ports for t in ts]
    before = [t for t in starts if t <= action]
    return action - max(before) if before else None


def _wait_call(logind, index, timeout):
    deadline = time.monotonic() + timeout
    while True:
        calls = logind.poweroff_calls()
        if len(calls) > index:
            return calls[index]['time']
        if time.monotonic() > deadline:
            raise nutfix.FixtureError(f'no PowerOff within {timeout} s')
        time.sleep(0.02)


def summary_row(name, res):
    a, m = res['upsagent'], res['upsmon']
    pa = [x for x in res.get('upsagent_post', []) if x is not None]
    pm = [x for x in res.get('upsmon_post', []) if x is not None]
    ma, mm = B.median(a), B.median(m)
    return [name, len(a), f'{ma:.2f}', f'{max(a):.2f}', f'{B.median(pa) * 1e3:.1f}' if pa else '-',
            f'{mm:.2f}', f'{max(m):.2f}', f'{B.median(pm) * 1e3:.1f}' if pm else '-',
            B.ratio(ma, mm), B.ratio(max(a), max(m))]


HEADER = ['case', 'trials', 'upsagent median s', 'worst s', 'poll->act ms',
          'upsmon median s', 'worst s', 'poll->act ms', 'ratio median', 'ratio worst']


def main(description, layouts, argv=None):
    """The command line of both latency scripts. layouts: [(name, layout)]."""
    import argparse
    import shutil
    import tempfile
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--trials', type=int, default=20)
    p.add_argument('--poll', type=float, default=5, help='poll-interval = POLLFREQ (s)')
    p.add_argument('--final-delay', type=float, default=0, help='final-delay = FINALDELAY (s)')
    p.add_argument('--host-sync', type=float, default=15, help='host-sync = HOSTSYNC (s)')
    p.add_argument('--roles', default='secondary,primary')
    p.add_argument('--seed', type=int, default=None)
    p.add_argument('--keep', action='store_true', help='keep the work directory')
    args = p.parse_args(argv)
    upsagent = B.prepare()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    work = tempfile.mkdtemp(prefix='upsagent-bench-')
    B.log(f'work directory {work}, seed {seed}')
    certs = nutfix.Certs(os.path.join(work, 'certs'))
    rows = []
    try:
        for role in args.roles.split(','):
            for name, layout in layouts:
                d = os.path.join(work, f'{role}-{"-".join(layout)}')
                os.makedirs(d)
                res = run_trials(upsagent, d, certs, layout, role, args.trials, args.poll,
                                 args.final_delay, args.host_sync, seed)
                label = f'{role}, {name}'
                if role == 'secondary':
                    label += ' *'
                rows.append(summary_row(label, res))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f'Detection latency: OB LB set on a real upsd (TLS) -> power-off action; '
          f'poll {args.poll:g} s, final-delay {args.final_delay:g} s, '
          f'host-sync {args.host_sync:g} s, seed {seed}')
    print('ratio = upsagent / upsmon; poll->act: from the request burst that saw OB LB '
          '(as seen on the wire) to the action')
    print(B.table(HEADER, rows))
    if 'secondary' in args.roles:
        print('* secondary: upsmon waits HOSTSYNC for a primary that does not exist; '
              'upsagent asks NUMLOGINS and, being the only login, does not wait.')
