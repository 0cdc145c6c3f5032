# SPDX-License-Identifier: GPL-2.0-or-later
"""USB UPSes that libumockdev emulates (test/fixture/fakeups.c, built by meson:
$FAKEUPS, reading the descriptors in $HID_DATA), for the tests that run the
daemon on one."""
import os
import subprocess
import time

FAKEUPS = os.environ.get('FAKEUPS', '')
HID_DATA = os.environ.get('HID_DATA', '')


def sanitizer_options(name, extra):
    opts = os.environ.get(name, '')
    return f'{opts}:{extra}' if opts else extra


class FakeUPS:
    """The fixture process: its testbed, and commands to its devices."""

    def __init__(self):
        env = dict(os.environ)
        # umockdev's uevents find their device through libudev: in the testbed too.
        env['LD_PRELOAD'] = 'libumockdev-preload.so.0'
        # GLib keeps memory to the end on purpose; only the daemon's leaks count.
        env['ASAN_OPTIONS'] = sanitizer_options(
            'ASAN_OPTIONS', 'detect_leaks=0:verify_asan_link_order=0')
        self.proc = subprocess.Popen([FAKEUPS, HID_DATA], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        line = self.proc.stdout.readline()
        assert line.startswith('UMOCKDEV_DIR='), line
        self.dir = line.strip().split('=', 1)[1]

    def env(self):
        """The daemon's environment: the testbed, through umockdev's preload library."""
        env = dict(os.environ)
        env['UMOCKDEV_DIR'] = self.dir
        env['LD_PRELOAD'] = 'libumockdev-preload.so.0'
        # ASan wants to come first; the preload library is the only one before it.
        env['ASAN_OPTIONS'] = sanitizer_options('ASAN_OPTIONS', 'verify_asan_link_order=0')
        return env

    def cmd(self, line):
        """Sends one command; returns the lines printed before its "ok"."""
        self.proc.stdin.write(line + '\n')
        self.proc.stdin.flush()
        out = []
        while True:
            reply = self.proc.stdout.readline()
            assert reply, f'fakeups died on {line!r}'
            reply = reply.rstrip('\n')
            if reply == 'ok':
                return out
            assert not reply.startswith('error'), f'{line!r}: {reply}'
            out.append(reply)

    def features(self, dev, reports):
        for r in reports:
            self.cmd(f'feature {dev} {r}')

    def input(self, dev, report):
        # One report per read() on a real node; a pty joins what comes together.
        self.cmd(f'input {dev} {report}')
        time.sleep(0.2)

    def sets(self, dev):
        return [l[4:] for l in self.cmd(f'sets {dev}')]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.write('quit\n')
            self.proc.stdin.close()
            self.proc.wait(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
