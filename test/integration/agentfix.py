# SPDX-License-Identifier: GPL-2.0-or-later
"""Running the upsagent daemon in tests: config files, a hook that records
events, the log read as it comes, bounded waits on what the daemon says."""
import os
import re
import signal
import socket
import subprocess
import threading
import time

from harness import SLOW, UPSAGENT, WRAPPER, nutfix

HOOK = '''#!/bin/sh
# Records one line per event: monotonic time, NOTIFYTYPE, UPSNAME, message.
printf '%s %s %s %s\\n' "$(cat /proc/uptime | cut -d' ' -f1)" "$NOTIFYTYPE" "$UPSNAME" "$*" >> "{out}"
'''


def write(path, text, mode=0o600):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    os.chmod(path, mode)
    return path


class Hook:
    """A notify hook script that appends each event to a file."""

    def __init__(self, dir, name='hook'):
        self.out = os.path.join(dir, name + '.events')
        self.path = write(os.path.join(dir, name + '.sh'), HOOK.format(out=self.out), 0o755)

    def events(self):
        try:
            with open(self.out, encoding='utf-8') as f:
                return [line.split(' ', 3) for line in f.read().splitlines()]
        except FileNotFoundError:
            return []

    def types(self):
        return [e[1] for e in self.events()]

    def wait(self, notifytype, timeout):
        """Waits for an event; returns its record [uptime, type, upsname, message]."""
        def seen():
            return next((e for e in self.events() if e[1] == notifytype), None)
        return nutfix.wait_for(seen, timeout * SLOW, f'hook event {notifytype}')


class Agent:
    """upsagent run, with its stderr collected line by line (with arrival times)."""

    def __init__(self, config, args=('--dry-run',), env=None, prefix=()):
        self.lines = []
        self._cond = threading.Condition()
        self.started = time.monotonic()
        self.proc = subprocess.Popen([*prefix, *WRAPPER, UPSAGENT, 'run', '--config', config,
                                      *args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, env=env, start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append((time.monotonic(), line.rstrip('\n')))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_log(self, pattern, timeout, since=0.0):
        """Waits for a log line matching pattern (that came at or after the
        monotonic time since); returns (arrival time, line)."""
        rx = re.compile(pattern)
        timeout *= SLOW
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, line in self.lines:
                    if t >= since and rx.search(line):
                        return t, line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f'no log line matching {pattern!r} within {timeout} s; '
                                         f'log:\n' + self.text())
                self._cond.wait(left)

    def text(self):
        with self._cond:
            return '\n'.join(l for _, l in self.lines)

    def events(self):
        """The event names the daemon logged, in the order it decided them."""
        rx = re.compile(r'\[([A-Z_]+)\]$')
        with self._cond:
            return [m.group(1) for _, l in self.lines for m in [rx.search(l)] if m]

    def count(self, pattern, since=0.0):
        return len(self.matching(pattern, since))

    def matching(self, pattern, since=0.0):
        """[(arrival time, line)] of the lines matching pattern, since that time."""
        rx = re.compile(pattern)
        with self._cond:
            return [(t, l) for t, l in self.lines if t >= since and rx.search(l)]

    def wait_exit(self, timeout):
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        assert 'Sanitizer' not in self.text() and 'runtime error' not in self.text(), self.text()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def status(sock, json=False):
    args = [UPSAGENT, 'status', '--socket', sock] + (['--json'] if json else [])
    return nutfix.run(args, timeout=10)


class NotifySocket:
    """A NOTIFY_SOCKET the test owns: collects every sd_notify datagram."""

    def __init__(self, dir):
        self.path = os.path.join(dir, 'notify.sock')
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []

    def wait(self, prefix, timeout):
        deadline = time.monotonic() + timeout
        while True:
            for m in self.messages:
                for line in m.splitlines():
                    if line.startswith(prefix):
                        return line
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f'no {prefix!r} notification in {timeout} s: {self.messages}')
            self.sock.settimeout(left)
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except socket.timeout:
                pass
