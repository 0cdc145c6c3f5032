# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared by the integration tests: a TAP runner and how to call upsagent.

Each test script registers cases with @case and calls main(); every case
runs even when an earlier one failed, and meson reads the TAP lines.
"""
import os
import re
import shutil
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixture'))
import nutfix  # noqa: E402

UPSAGENT = os.environ.get('UPSAGENT', 'upsagent')
# meson test --setup=valgrind runs every upsagent under this (memcheck).
WRAPPER = os.environ.get('UPSAGENT_WRAPPER', '').split()
# Under memcheck everything takes longer: time bounds stretch by this much.
SLOW = 10 if WRAPPER else 1
_cases = []


def case(fn):
    _cases.append(fn)
    return fn


def workdir():
    """A private directory for this script, removed at the end unless KEEP=1."""
    d = tempfile.mkdtemp(prefix='upsagent-it-')
    if os.environ.get('KEEP') != '1':
        import atexit
        atexit.register(shutil.rmtree, d, True)
    return d


def secret_file(dir, name, text, mode=0o600):
    path = os.path.join(dir, name)
    with open(path, 'w', encoding='ascii') as f:
        f.write(text + '\n')
    os.chmod(path, mode)
    return path


def upsagent(*args, timeout=60):
    """Runs upsagent; returns the CompletedProcess with .elapsed in seconds."""
    start = time.monotonic()
    res = nutfix.run([*WRAPPER, UPSAGENT, *args], timeout=timeout * SLOW)
    res.elapsed = time.monotonic() - start
    return res


def expect_ok(res, stdout=None):
    assert res.returncode == 0, f'exit {res.returncode}, stderr: {res.stderr!r}'
    if stdout is not None:
        assert res.stdout == stdout, f'stdout {res.stdout!r}, expected {stdout!r}'
    return res


def expect_fail(res, pattern):
    """Exit status 1 and exactly one stderr line matching pattern."""
    lines = [l for l in res.stderr.splitlines() if 'warning: tls is off' not in l]
    assert res.returncode == 1, f'exit {res.returncode}, stdout {res.stdout!r}, stderr {res.stderr!r}'
    assert len(lines) == 1, f'expected one error line, got {lines!r}'
    assert re.search(pattern, lines[0]), f'{lines[0]!r} does not match {pattern!r}'
    assert 'Sanitizer' not in res.stderr and 'runtime error' not in res.stderr, res.stderr
    return lines[0]


def assert_no_credentials(received, secret='fake-password-123'):
    """A hostile server's record of what it received holds no login."""
    for line in received:
        word = line.split(' ', 1)[0].upper()
        assert word not in ('USERNAME', 'PASSWORD', 'LOGIN'), f'server saw {line!r}: {received}'
    assert secret not in ' '.join(received)


def main():
    print(f'1..{len(_cases)}', flush=True)
    failed = 0
    for i, fn in enumerate(_cases, 1):
        start = time.monotonic()
        try:
            fn()
            print(f'ok {i} - {fn.__name__} ({time.monotonic() - start:.2f} s)', flush=True)
        except Exception:  # report every case, then go on
            failed += 1
            print(f'not ok {i} - {fn.__name__}', flush=True)
            for line in traceback.format_exc().splitlines():
                print(f'# {line}', flush=True)
    return 1 if failed else 0
