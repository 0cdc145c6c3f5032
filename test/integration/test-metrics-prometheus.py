#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The metrics section (issue 21) against the real components:
- Debian's Prometheus (its own configuration in a temporary directory, scrape
  interval 1 s, loopback) scrapes two upsagents while their simulated UPS
  goes OL, OB, then OB LB: one in plaintext, one over TLS with a client
  certificate (mutual TLS). The test asks Prometheus's HTTP API for the
  state set and the critical flag and sees them change; what it saw, when,
  is printed;
- promtool check metrics accepts every exposition (each state, both daemons);
- Debian's node_exporter, with the textfile directory, serves the file's metrics;
- TLS without a client certificate, or with one from another CA: 403;
- a scraper keeps its connection from one scrape to the next (keep-alive);
- hostile scrapers (slow, huge headers, wrong methods, other paths, many
  connections from another address) cost only themselves: a well-behaved
  scraper keeps getting its answers within a bound, and the UPS's readings
  stay fresh."""
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'fixture'))
from agentfix import Agent, write  # noqa: E402
from harness import SLOW, case, main, nutfix, workdir  # noqa: E402

D = workdir()
CERTS = nutfix.Certs(os.path.join(D, 'certs'))
TEXTDIR = os.path.join(D, 'textfile')
os.makedirs(TEXTDIR, mode=0o755)
# The power failure: mains, battery, low battery; final-delay keeps the
# host in its shutdown sequence long enough to be seen.
SCRIPT = ('0 OL charge=100 runtime=3600', '6 OB charge=60 runtime=900',
          '12 OB LB charge=8 runtime=90')
OPENMETRICS = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'
TIMEOUT = 2
MAX_CONNECTIONS = 8
_procs = []


def say(text):
    for line in str(text).splitlines() or ['']:
        print(f'# {line}', flush=True)


def ports(n):
    out = []
    while len(out) < n:
        p = nutfix.free_port()
        if p not in out:
            out.append(p)
    return out


PLAIN_PORT, TLS_PORT, PROM_PORT, NODE_PORT = ports(4)


def daemon(name, port, extra):
    conf = write(os.path.join(D, name + '.conf'), f'''
poll-interval = 0.5
final-delay = 600
powerdown-flag = ""
status-socket = "{D}/{name}.sock"
ups ups1 {{
    driver = "sim"
    script = {{{', '.join(f'"{s}"' for s in SCRIPT)}}}
}}
metrics {{
    listen = {{"127.0.0.1:{port}"}}
    max-connections = {MAX_CONNECTIONS}
    timeout = {TIMEOUT}
{extra}}}
''')
    return Agent(conf)


def tls_context(cert=None, key=None):
    ctx = ssl.create_default_context(cafile=CERTS.ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def get(port, path='/metrics', method='GET', accept=None, ctx=None, timeout=5):
    """(status, headers, body) of one request."""
    conn = (http.client.HTTPSConnection('localhost', port, context=ctx, timeout=timeout)
            if ctx else http.client.HTTPConnection('127.0.0.1', port, timeout=timeout))
    try:
        conn.request(method, path, headers={'Accept': accept} if accept else {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()
    finally:
        conn.close()


def promtool_check(text, what):
    res = subprocess.run(['promtool', 'check', 'metrics'], input=text, text=True,
                         capture_output=True, timeout=30)
    assert res.returncode == 0, f'promtool check metrics ({what}): {res.stdout}{res.stderr}'


def start(argv, name):
    log = open(os.path.join(D, name + '.log'), 'w')
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    _procs.append(p)
    return p


def stop_all():
    for p in _procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


# ---- the daemons and Prometheus, shared by the cases --------------------------

PROM_CONF = write(os.path.join(D, 'prometheus.yml'), f'''
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: plain
    static_configs: [{{targets: ['127.0.0.1:{PLAIN_PORT}']}}]
  - job_name: tls
    scheme: https
    tls_config:
      ca_file: {CERTS.ca}
      cert_file: {CERTS.client_cert}
      key_file: {CERTS.client_key}
      server_name: localhost
    static_configs: [{{targets: ['127.0.0.1:{TLS_PORT}']}}]
''', 0o644)


def prom_query(q):
    url = f'http://127.0.0.1:{PROM_PORT}/api/v1/query?' + urllib.parse.urlencode({'query': q})
    with urllib.request.urlopen(url, timeout=5) as r:
        data = json.load(r)
    assert data['status'] == 'success', data
    return {tuple(sorted(s['metric'].items())): float(s['value'][1])
            for s in data['data']['result']}


def targets_health():
    """What Prometheus says of each target: health and its last error."""
    url = f'http://127.0.0.1:{PROM_PORT}/api/v1/targets'
    with urllib.request.urlopen(url, timeout=5) as r:
        data = json.load(r)
    return '; '.join(f"{t['labels'].get('job')}: {t['health']} {t.get('lastError', '')!r}"
                     for t in data['data']['activeTargets'])


def prom_value(q):
    """The one value of query q, or None."""
    try:
        res = prom_query(q)
    except OSError:
        return None
    return next(iter(res.values()), None)


PROM = start(['prometheus', f'--config.file={PROM_CONF}', f'--storage.tsdb.path={D}/tsdb',
              f'--web.listen-address=127.0.0.1:{PROM_PORT}', '--log.level=warn'], 'prometheus')


def prom_ready():
    try:
        with urllib.request.urlopen(f'http://127.0.0.1:{PROM_PORT}/-/ready', timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


nutfix.wait_for(prom_ready, 60 * SLOW, 'Prometheus ready', alive=lambda: PROM.poll() is None)
T0 = time.monotonic()
PLAIN = daemon('plain', PLAIN_PORT, f'    textfile = "{TEXTDIR}/upsagent.prom"\n')
TLS = daemon('tls', TLS_PORT, f'    cert-file = "{CERTS.server_cert}"\n'
             f'    key-file = "{CERTS.server_key}"\n    client-ca-file = "{CERTS.ca}"\n')
for agent, port in ((PLAIN, PLAIN_PORT), (TLS, TLS_PORT)):
    agent.wait_log(rf'metrics: listening on 127\.0\.0\.1:{port}\b', 15)


SEEN = set()   # the states whose expositions promtool accepted


def check_expositions():
    """Both daemons' expositions now, through promtool; records the state."""
    for port, ctx in ((PLAIN_PORT, None),
                      (TLS_PORT, tls_context(CERTS.client_cert, CERTS.client_key))):
        status, headers, body = get(port, ctx=ctx)
        assert status == 200, (status, body)
        assert headers['Content-Type'].startswith('text/plain; version=0.0.4'), headers
        promtool_check(body, f'port {port}')
        SEEN.add('OB LB' if 'upsagent_ups_status="LB"} 1' in body else
                 'OB' if 'upsagent_ups_status="OB"} 1' in body else 'OL')


@case
def prometheus_sees_the_power_failure():
    """The state set and the critical flag, as Prometheus stores them, change
    OL -> OB -> OB LB (critical, ob-lb, shutdown in progress) for both jobs."""
    steps = [
        ('OL', 'upsagent_ups_status{upsagent_ups_status="OL"} == 1'),
        ('OB', 'upsagent_ups_status{upsagent_ups_status="OB"} == 1'),
        ('critical', 'upsagent_ups_critical == 1'),
        ('reason ob-lb', 'upsagent_ups_critical_reason{upsagent_ups_critical_reason="ob-lb"} == 1'),
        ('shutdown in progress', 'upsagent_host_shutdown_in_progress == 1'),
    ]
    for what, q in steps:
        for job in ('plain', 'tls'):
            query = q.replace('} ==', f',job="{job}"}} ==') if '{' in q else \
                q.replace(' ==', f'{{job="{job}"}} ==')
            # Stored at some point, not only now: the OL phase lasts 6 s, and a
            # loaded machine's promtool runs (check_expositions) may take the
            # loop past its end before this job's turn (seen: "OL, job=tls").
            expr, value = query.rsplit(' == ', 1)
            query = f'max_over_time({expr}[5m]) == {value}'
            try:
                nutfix.wait_for(lambda: check_expositions() or prom_value(query) is not None,
                                30 * SLOW, f'Prometheus: {query}')
            except nutfix.FixtureError:
                say('targets: ' + targets_health())
                raise
            say(f'{time.monotonic() - T0:5.1f} s  {job:5}  {what:22} {query}')
    # What Prometheus stored went from 0 to 1: it saw the change, not only the end.
    for job in ('plain', 'tls'):
        for q in ('upsagent_ups_critical{job="%s"}',
                  'upsagent_ups_status{upsagent_ups_status="OB",job="%s"}'):
            lo, hi = (prom_value(f'{f}_over_time({q % job}[2m])') for f in ('min', 'max'))
            assert (lo, hi) == (0.0, 1.0), (q % job, lo, hi)
    res = prom_query('upsagent_ups_timer_remaining_seconds or upsagent_host_timer_remaining_seconds')
    for labels, v in sorted(res.items()):
        say(f'then: {dict(labels).get("__name__")} {dict(labels).get("rule")} = {v}')
    assert any(dict(l).get('rule') == 'final-delay' for l in res), res


@case
def promtool_accepts_every_exposition():
    check_expositions()
    say(f'promtool check metrics passed on both daemons in states {sorted(SEEN)}')
    assert SEEN == {'OL', 'OB', 'OB LB'}, SEEN
    s, h, om = get(PLAIN_PORT, accept=OPENMETRICS)
    assert h['Content-Type'].startswith('application/openmetrics-text; version=1.0.0'), h
    assert om.endswith('# EOF\n') and '# TYPE upsagent_ups_status stateset' in om
    # Prometheus parsed the OpenMetrics it asked for: every scrape of both jobs up.
    assert prom_value('min(min_over_time(up[1m]))') == 1.0


@case
def node_exporter_serves_the_textfile():
    path = os.path.join(TEXTDIR, 'upsagent.prom')
    nutfix.wait_for(lambda: os.path.exists(path), 10 * SLOW, 'the textfile')
    with open(path) as f:
        promtool_check(f.read(), 'textfile')
    assert oct(os.stat(path).st_mode & 0o777) == '0o644'
    node = start(['prometheus-node-exporter', f'--web.listen-address=127.0.0.1:{NODE_PORT}',
                  '--collector.disable-defaults', '--collector.textfile',
                  f'--collector.textfile.directory={TEXTDIR}'], 'node-exporter')

    def scraped():
        try:
            status, _, body = get(NODE_PORT, timeout=2)
        except OSError:
            return None
        return body if status == 200 and 'upsagent_ups_status' in body else None
    body = nutfix.wait_for(scraped, 30 * SLOW, 'node_exporter serving the textfile',
                           alive=lambda: node.poll() is None)
    assert 'node_textfile_scrape_error 0' in body, body
    lines = [l for l in body.splitlines() if l.startswith('upsagent_ups_critical{')]
    say('node_exporter: ' + '; '.join(lines))
    # Written atomically: a temporary file lives only while a round writes it
    # (a listing may catch one: it must be gone a moment later).
    others = [n for n in os.listdir(TEXTDIR) if n != 'upsagent.prom']
    nutfix.wait_for(lambda: not any(os.path.exists(os.path.join(TEXTDIR, n)) for n in others),
                    5 * SLOW, f'temporary files {others} gone')


@case
def tls_needs_the_client_certificate():
    status, _, body = get(TLS_PORT, ctx=tls_context())
    assert status == 403, (status, body)
    status, _, _ = get(TLS_PORT, ctx=tls_context(CERTS.selfsigned_cert, CERTS.selfsigned_key))
    assert status == 403, status
    status, _, body = get(TLS_PORT, ctx=tls_context(CERTS.client_cert, CERTS.client_key))
    assert status == 200 and 'upsagent_build_info' in body
    # Plaintext to the TLS port gets nothing.
    try:
        status, _, _ = get(TLS_PORT, timeout=3)
    except (OSError, http.client.HTTPException):
        status = None
    assert status != 200


@case
def a_scraper_keeps_its_connection():
    """Scrapes over one connection, as Prometheus keeps it: libmicrohttpd
    answered Connection: close when the response was queued with the
    headers; a request with a body still gets its answer and the close."""
    conn = http.client.HTTPConnection('127.0.0.1', PLAIN_PORT, timeout=5)
    try:
        socks, bodies = [], []
        for method, accept in (('GET', None), ('GET', OPENMETRICS), ('HEAD', None),
                               ('GET', None)):
            conn.request(method, '/metrics', headers={'Accept': accept} if accept else {})
            r = conn.getresponse()
            body = r.read().decode()
            assert r.status == 200 and r.getheader('Connection') != 'close', r.getheaders()
            socks.append(conn.sock)
            bodies.append(body)
        assert all(s is socks[0] and s is not None for s in socks), 'a new connection'
        assert bodies[1].endswith('# EOF\n') and '# EOF' not in bodies[0] + bodies[3]
        assert bodies[2] == ''
        promtool_check(bodies[3], 'the fourth scrape of a kept connection')
        conn.request('GET', '/metrics', body=b'x' * 10)
        r = conn.getresponse()
        assert r.status == 200 and r.getheader('Connection') == 'close', r.getheaders()
        r.read()
    finally:
        conn.close()
    say('four scrapes over one connection (text, OpenMetrics, HEAD, text); '
        'a GET with a body answered and closed')


@case
def the_port_can_come_from_a_socket_unit():
    """upsagent-metrics.socket: systemd binds the port and passes it named
    "metrics"; the daemon serves it instead of binding listen's address.
    systemd-socket-activate passes it as systemd does (and starts the daemon
    at the first connection, as a socket unit would)."""
    port, unused = [p for p in ports(6) if p not in (PLAIN_PORT, TLS_PORT, PROM_PORT,
                                                       NODE_PORT)][:2]
    conf = write(os.path.join(D, 'activated.conf'), f'''
poll-interval = 0.5
powerdown-flag = ""
status-socket = "{D}/activated.sock"
ups ups1 {{ driver = "sim" }}
metrics {{ listen = {{"127.0.0.1:{unused}"}} }}
''')
    with Agent(conf, ('--dry-run',), prefix=('systemd-socket-activate', '-l',
                                             f'127.0.0.1:{port}', '--fdname=metrics')) as a:
        def bound():
            with socket.socket() as s:
                return s.connect_ex(('127.0.0.1', port)) == 0
        nutfix.wait_for(bound, 10 * SLOW, 'systemd-socket-activate listening')
        status, _, body = get(port, timeout=20)
        assert status == 200 and 'upsagent_build_info' in body, (status, body[:200])
        a.wait_log(rf'metrics: listening on 127\.0\.0\.1:{port} \(HTTP\)', 10)
        assert not a.matching(rf':{unused}'), a.text()
        with socket.socket() as s:
            assert s.connect_ex(('127.0.0.1', unused)) != 0  # listen's address: not bound


def raw(port, data, source='127.0.0.2', timeout=5):
    """Sends data from source; returns what came back before the close."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout,
                                  source_address=(source, 0)) as s:
        s.sendall(data)
        out = b''
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return out


def good_scrape_time():
    start_t = time.monotonic()
    status, _, body = get(PLAIN_PORT, timeout=5)
    assert status == 200, status
    age = next(float(l.split()[-1]) for l in body.splitlines()
               if l.startswith('upsagent_ups_reading_age_seconds{'))
    return time.monotonic() - start_t, age


@case
def hostile_scrapers_cost_only_themselves():
    for method in ('POST', 'PUT', 'DELETE', 'OPTIONS'):
        status, headers, _ = get(PLAIN_PORT, method=method)
        assert status == 405 and headers.get('Allow') == 'GET, HEAD', (method, status, headers)
    assert get(PLAIN_PORT, '/')[0] == 404 and get(PLAIN_PORT, '/metrics/x')[0] == 404
    status, headers, body = get(PLAIN_PORT, method='HEAD')
    assert status == 200 and body == '', status
    huge = raw(PLAIN_PORT, b'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'a' * 200000 +
               b'\r\n\r\n')
    first = huge.split(b'\r\n', 1)[0]
    say(f'huge headers: {first!r}')
    assert not huge.startswith(b'HTTP/1.1 200'), huge[:100]
    # Many connections from another address, each silent or slow: they hold
    # at most their share of the slots, and only for the timeout.
    hogs = []
    for _ in range(40):
        try:
            s = socket.create_connection(('127.0.0.1', PLAIN_PORT), timeout=2,
                                         source_address=('127.0.0.2', 0))
            s.sendall(b'GET /metrics HTTP/1.1\r\n')  # never ends its headers
            hogs.append(s)
        except OSError:
            pass
    worst, ages = 0.0, []
    until = time.monotonic() + TIMEOUT + 2
    while time.monotonic() < until:
        took, age = good_scrape_time()
        worst = max(worst, took)
        ages.append(age)
        time.sleep(0.2)
    say(f'40 hostile connections: good scrapes took at most {worst * 1000:.1f} ms, '
        f'reading age at most {max(ages):.2f} s')
    assert worst < 1.0 * SLOW, worst
    assert max(ages) < 1.5 * SLOW, ages       # polls every 0.5 s went on
    # The slow ones were closed at the timeout.
    closed = 0
    for s in hogs:
        s.settimeout(TIMEOUT + 3)
        try:
            closed += s.recv(1) == b''
        except OSError:
            closed += 1
        s.close()
    say(f'{len(hogs)} hostile connections accepted, {closed} closed by the daemon')
    assert closed == len(hogs)


try:
    rc = main()
finally:
    PLAIN.stop()
    TLS.stop()
    stop_all()
sys.exit(rc)
