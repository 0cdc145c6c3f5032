#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""upsagent usb decode on every descriptor in test/data/hid, with the report
values of its .txt file: the text output against test/data/usb-decode/NAME.out
(UPDATE=1 rewrites those files), and --json against the placements of
shared/reference/hid.md's table and the values the .txt files state."""
import json
import os
import re

from harness import UPSAGENT, case, main, nutfix

HID_DATA = os.environ['HID_DATA']
GOLDEN = os.path.join(HID_DATA, '..', 'usb-decode')
UPDATE = os.environ.get('UPDATE') == '1'

# The EC850LCD capture has decoded values only; these bytes encode them per
# the descriptor (the same as test/test-hid.c uses).
EC850_REPORTS = ['07 64 05 0a 14 0a 64', '08 64 02 08 2c 01', '0b 11', '0f 78 00', '12 78 00',
                 '13 13 00']

# hid.md, "Where the fields a shutdown agent needs sit": usage, kind, report ID,
# bit offset, bit size, Constant flag (None: not checked).
PLACEMENTS = {
    'apc-': [('ACPresent', 'input', 0x13, 0, 8, False),
             ('ACPresent', 'feature', 0x13, 0, 8, False),
             ('RemainingCapacity', 'input', 0x0c, 0, 8, False),
             ('RunTimeToEmpty', 'input', 0x0c, 8, 16, False),
             ('BelowRemainingCapacityLimit', 'input', 0x14, 0, 8, False),
             ('ShutdownImminent', 'input', 0x14, 8, 8, False),
             ('RemainingCapacityLimit', 'feature', 0x11, 0, 8, None),
             ('DelayBeforeShutdown', 'feature', 0x15, 0, 16, False)],
    'cyberpower-': [('ACPresent', 'input', 0x0b, 0, 1, True),
                    ('RemainingCapacity', 'input', 0x08, 0, 8, True),
                    ('RunTimeToEmpty', 'input', 0x08, 8, 16, True),
                    ('BelowRemainingCapacityLimit', 'input', 0x0b, 3, 1, True),
                    ('RemainingCapacityLimit', 'feature', 0x07, 32, 8, None),
                    ('DelayBeforeShutdown', 'feature', 0x15, 0, 16, None)],
    'eaton-': [('ACPresent', 'input', 0x01, 0, 1, True),
               ('RemainingCapacity', 'input', 0x06, 0, 8, True),
               ('RunTimeToEmpty', 'input', 0x06, 8, 32, True),
               ('BelowRemainingCapacityLimit', 'input', 0x01, 1, 1, True),
               ('ShutdownImminent', 'input', 0x01, 16, 8, True),
               ('RemainingCapacityLimit', 'feature', 0x08, 0, 8, None),
               ('DelayBeforeShutdown', 'feature', 0x09, 0, 32, None)],
    'powercom-': [('ACPresent', 'input', 0x0a, 2, 1, False),
                  ('RemainingCapacity', 'input', 0x0e, 0, 8, False),
                  ('RunTimeToEmpty', 'input', 0x37, 0, 16, False),
                  ('BelowRemainingCapacityLimit', 'input', 0x0a, 4, 1, False),
                  ('ShutdownImminent', 'input', 0x0a, 9, 1, False),
                  ('RemainingCapacityLimit', 'feature', 0x0c, 0, 8, None),
                  ('DelayBeforeShutdown', 'feature', 0x0f, 0, 16, None)],
}

# What the .txt files say the reports mean.
VALUES = {
    'apc-back-ups-es-850g2': {'ups.status': 'OL', 'battery.charge': 100, 'battery.runtime': 868,
                              'battery.charge.low': 10, 'battery.runtime.low': 120,
                              'battery.voltage': 13.43, 'input.voltage': 228, 'ups.load': 34,
                              'ups.timer.shutdown': -1},
    'cyberpower-cp1500pfclcd': {'ups.status': 'OL', 'battery.charge': 100,
                                'battery.runtime': 9180, 'battery.charge.low': 10,
                                'battery.runtime.low': 300, 'battery.voltage': 24,
                                'input.voltage': 121, 'output.voltage': 121, 'ups.load': 3,
                                'ups.timer.shutdown': -1, 'ups.timer.start': -1},
    'cyberpower-ec850lcd': {'ups.status': 'OL', 'battery.charge': 100, 'battery.runtime': 2050,
                            'battery.charge.low': 10, 'input.voltage': 120,
                            'output.voltage': 120, 'ups.load': 19},
    'eaton-3s-700': {'ups.status': 'OL CHRG', 'battery.charge': 92, 'battery.runtime': 2737,
                     'battery.charge.low': 20, 'output.voltage': 230, 'ups.load': 7,
                     'ups.timer.shutdown': -1, 'ups.timer.start': -1},
    'powercom-bnt-800ap': {'ups.status': 'OL', 'battery.charge': 100, 'battery.runtime': 2100,
                           'battery.charge.low': 10, 'input.voltage': 228,
                           'output.voltage': 228, 'ups.load': 6, 'ups.timer.shutdown': 0},
}

REPORT_LINE = re.compile(r'^0x([0-9a-f]{2})\s+((?:[0-9a-f]{2}(?: |$))+)')


def descriptors():
    return sorted(f for f in os.listdir(HID_DATA) if f.endswith('.hex'))


def reports_of(name):
    """The report bytes of NAME.txt: lines "0xID   ID BYTES...   meaning"."""
    stem = name[:-4]
    if stem == 'cyberpower-ec850lcd':
        return EC850_REPORTS
    try:
        with open(os.path.join(HID_DATA, stem + '.txt'), encoding='utf-8') as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        m = REPORT_LINE.match(line)
        if m:
            words = m.group(2).split()
            assert words[0] == m.group(1), line
            out.append(' '.join(words))
    return out


def decode(name, *args):
    res = nutfix.run([UPSAGENT, 'usb', 'decode', *args, name, *reports_of(name)],
                     timeout=30, cwd=HID_DATA)
    assert res.returncode == 0, res
    assert res.stderr == '', res.stderr
    return res.stdout


@case
def every_descriptor_decodes_as_its_golden_output():
    names = descriptors()
    assert len(names) >= 6, names
    for name in names:
        out = decode(name)
        path = os.path.join(GOLDEN, name[:-4] + '.out')
        if UPDATE:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(out)
        with open(path, encoding='utf-8') as f:
            want = f.read()
        assert out == want, f'{name}: the output differs from {path} (UPDATE=1 rewrites it)'


@case
def the_key_usages_sit_where_hid_md_says():
    for name in descriptors():
        fields = json.loads(decode(name, '--json'))['fields']
        rows = next((v for k, v in PLACEMENTS.items() if name.startswith(k)), None)
        assert rows, name
        for usage, kind, rid, off, size, const in rows:
            found = [f for f in fields if f['usage'] == usage and f['kind'] == kind
                     and f['report_id'] == rid and f['bit_offset'] == off]
            assert found, f'{name}: no {usage} in {kind} report {rid:#04x} at bit {off}'
            assert found[0]['bit_size'] == size, (name, found[0])
            assert const is None or found[0]['constant'] == const, (name, found[0])


@case
def the_reports_decode_to_the_values_of_the_txt_files():
    for stem, want in VALUES.items():
        got = json.loads(decode(stem + '.hex', '--json'))['variables']
        for var, value in want.items():
            assert var in got, f'{stem}: no {var} in {got}'
            if isinstance(value, str):
                assert got[var] == value, (stem, var, got[var])
            else:
                assert abs(got[var] - value) < 0.005, (stem, var, got[var], value)


@case
def the_text_output_has_one_line_per_usage_and_the_variables():
    out = decode('apc-back-ups-es-850g2.hex')
    lines = out.splitlines()
    assert lines[0].startswith('# apc-back-ups-es-850g2.hex: 1049 bytes, report IDs, '), lines[0]
    assert ('UPS.PowerSummary.RemainingCapacity 0085:0066 input id=0x0c off=0 size=8 '
            'logical=0..100 physical=0..0 exp=0 unit=0x0') in lines, out
    assert '# report 0x0c (feature): 2 values' in lines, out
    assert lines[-9:] == ['ups.status: OL', 'battery.charge: 100', 'battery.charge.low: 10',
                          'battery.runtime: 868', 'battery.runtime.low: 120',
                          'battery.voltage: 13.43', 'input.voltage: 228', 'ups.load: 34',
                          'ups.timer.shutdown: -1'], lines[-9:]
    # No vendor usage is listed, and every field line names a PDC page.
    fields = [l for l in lines if not l.startswith('#') and ' 008' in l]
    assert fields and all(re.search(r' 008[45]:[0-9a-f]{4} ', l) for l in fields), out


@case
def bad_input_ends_in_a_clear_error():
    d = os.path.join(HID_DATA, '..', 'usb-decode')
    cases = [
        (['bad-hex.hex'], 1, r'bad-hex.hex: not hex bytes'),
        (['truncated.hex'], 1, r'truncated.hex: byte 2: '),
        (['missing.hex'], 1, r'missing.hex: No such file or directory'),
        ([os.path.join(HID_DATA, 'eaton-3s-700.hex'), '0g'], 2, r"'0g' is not a report"),
        ([os.path.join(HID_DATA, 'eaton-3s-700.hex'), '0c 1'], 2, r"'0c 1' is not a report"),
    ]
    for args, code, pattern in cases:
        res = nutfix.run([UPSAGENT, 'usb', 'decode', *args], timeout=30, cwd=d)
        assert res.returncode == code, (args, res)
        assert re.search(pattern, res.stderr), (args, res.stderr)
        assert 'Sanitizer' not in res.stderr and 'runtime error' not in res.stderr, res.stderr
    res = nutfix.run([UPSAGENT, 'usb', 'decode', 'eaton-3s-700.hex', 'a0 14 28', '0c01'],
                     timeout=30, cwd=HID_DATA)
    assert res.returncode == 0, res
    assert '# report 0xa0: not declared by the descriptor' in res.stdout, res.stdout
    assert '# report 0x0c (feature): 0 values' in res.stdout, res.stdout


if __name__ == '__main__':
    raise SystemExit(main())
