#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The layout's rules, checked (TAP).

1. Folders link upward only: the include graph between the folders of lib/
   and agent/ follows LAYERS below and has no circle.
2. Inside a folder, no circle of more than three modules (one module split in
   a few files counts once: foo.c, foo-bar.c and foo-internal.h are module foo).
3. The build refuses a lower folder reaching a higher one: a file of each
   folder, compiled with the exact command meson gives it but including a
   header of a folder it may not see, fails; including one it may see compiles.
4. Every .c file in lib/ and agent/ is part of a module with a header, or is
   main.c.

Usage: layout-check.py SOURCE_DIR BUILD_DIR   (BUILD_DIR has compile_commands.json)
With -v, prints the folder graph and each folder's modules.
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

# What each folder may include besides itself; everything reachable through
# those is allowed too (a dependency's dependencies come with it).
LAYERS = {
    'lib/base': [],
    'lib/protocol': ['lib/base'],
    'lib/tls': ['lib/base'],
    'lib/decide': ['lib/base'],
    'lib/act': ['lib/base'],
    'lib/usb': ['lib/base'],
    'lib/import': ['lib/base'],
    'lib/session': ['lib/protocol', 'lib/tls'],
    'lib/config': ['lib/decide', 'lib/tls', 'lib/protocol'],
    'lib/metrics': ['lib/decide'],
    'agent/serve': ['lib/config', 'lib/protocol', 'lib/tls'],
    'agent/metrics': ['lib/config', 'lib/metrics', 'lib/tls'],
    'agent/daemon': ['agent/serve', 'agent/metrics', 'lib/config', 'lib/session', 'lib/usb', 'lib/act',
                     'lib/decide'],
    'agent/cli': ['agent/daemon', 'lib/import', 'lib/config', 'lib/session', 'lib/usb',
                  'lib/act'],
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
_tap = []


def ok(cond, what):
    _tap.append((bool(cond), what))
    return cond


def allowed(folder):
    seen, todo = set(), list(LAYERS[folder])
    while todo:
        f = todo.pop()
        if f not in seen:
            seen.add(f)
            todo.extend(LAYERS[f])
    return seen


def sources(top):
    """{path relative to top: text} for every .c and .h in the layered folders."""
    out = {}
    for folder in LAYERS:
        d = os.path.join(top, folder)
        for name in sorted(os.listdir(d)):
            if name.endswith(('.c', '.h')):
                with open(os.path.join(d, name), encoding='utf-8') as f:
                    out[folder + '/' + name] = f.read()
    return out


def module_of(path, headers):
    """foo.c, foo-x.c, foo-internal.h -> folder/foo: the longest stem with a header.
    A file that matches none but includes a foo-internal.h is part of foo (graph())."""
    folder, name = path.rsplit('/', 1)
    stem = name[:-2]
    if stem.endswith('-internal'):
        stem = stem[:-len('-internal')]
    parts = stem.split('-')
    for n in range(len(parts), 0, -1):
        cand = '-'.join(parts[:n])
        if folder + '/' + cand + '.h' in headers:
            return folder + '/' + cand
    return None


def graph(files):
    headers = {p for p in files if p.endswith('.h')}
    by_name = {}
    for h in headers:
        by_name.setdefault(h.rsplit('/', 1)[1], []).append(h)
    mods, edges, orphans = {}, set(), []
    for p, text in files.items():
        m = module_of(p, headers)
        if m is None:
            # upsmonemit.c: part of the module whose internal header it includes
            own = [i for i in INCLUDE.findall(text) if i.endswith('-internal.h')
                   and p.rsplit('/', 1)[0] + '/' + i in files]
            m = module_of(p.rsplit('/', 1)[0] + '/' + own[0], headers) if own else None
        if m is None:
            m = p[:-2]
            if not p.endswith('/main.c'):
                orphans.append(p)
        mods[p] = m
    for p, text in files.items():
        for inc in INCLUDE.findall(text):
            name = inc.rsplit('/', 1)[-1]
            for h in by_name.get(name, []):
                target = module_of(h, headers)
                if target and target != mods[p]:
                    edges.add((mods[p], target))
    return mods, edges, orphans


def sccs(nodes, edges):
    """Tarjan's strongly connected components."""
    adj = {n: [] for n in nodes}
    for a, b in edges:
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, [])
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in adj[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for n in sorted(adj):
        if n not in index:
            visit(n)
    return out


def folder(mod):
    return mod.rsplit('/', 1)[0]


def check_graph(top, verbose):
    files = sources(top)
    mods, edges, orphans = graph(files)
    ok(not orphans, 'every .c file belongs to a module with a header' +
       (': not ' + ', '.join(orphans) if orphans else ''))
    fedges = {(folder(a), folder(b)) for a, b in edges if folder(a) != folder(b)}
    bad = sorted((a, b) for a, b in fedges if b not in allowed(a))
    ok(not bad, 'folders include upward only' +
       (': ' + '; '.join('%s -> %s' % e for e in bad) if bad else ''))
    fcycles = [c for c in sccs({folder(m) for m in mods.values()}, fedges) if len(c) > 1]
    ok(not fcycles, 'no circle between folders' + (': %s' % fcycles if fcycles else ''))
    big = [c for c in sccs(set(mods.values()), edges) if len(c) > 3]
    ok(not big, 'no circle of more than three modules' + (': %s' % big if big else ''))
    if verbose:
        for a, b in sorted(fedges):
            print('# %s -> %s' % (a, b))
        for c in sccs(set(mods.values()), edges):
            if len(c) > 1:
                print('# circle:', ' '.join(c))


def compile_with(entry, header):
    """Compiles a file that includes header with entry's command: True if it compiles."""
    argv = shlex.split(entry['command'])
    src_rel = entry['file']
    with tempfile.TemporaryDirectory() as d:
        probe = os.path.join(d, 'probe.c')
        with open(probe, 'w') as f:
            f.write('#include "%s"\nint layout_probe(void);\nint layout_probe(void) { return 0; }\n'
                    % header)
        out, keep, skip = [], True, False
        for a in argv:
            if skip:
                skip = False
                continue
            if a in ('-o', '-MF', '-MQ'):
                skip = True
                continue
            if a in ('-MD', '-c') or a == src_rel:
                continue
            out.append(a)
        out += ['-fsyntax-only', probe]
        r = subprocess.run(out, cwd=entry['directory'], capture_output=True, text=True)
        return keep and r.returncode == 0


def check_build(top, build):
    with open(os.path.join(build, 'compile_commands.json')) as f:
        db = json.load(f)
    # One compile command per folder: that of its static library (or the executable for cli).
    per_folder = {}
    for e in db:
        path = os.path.normpath(os.path.join(e['directory'], e['file']))
        rel = os.path.relpath(path, top)
        fold = rel.rsplit('/', 1)[0]
        out = e.get('output', '')
        if fold in LAYERS and fold not in per_folder and (
                out.startswith(fold + '/') or (fold == 'agent/cli' and 'upsagent.p' in out)):
            per_folder[fold] = e
    a_header = {}
    for fold in LAYERS:
        hs = sorted(n for n in os.listdir(os.path.join(top, fold))
                    if n.endswith('.h') and not n.endswith('-internal.h'))
        a_header[fold] = hs[0]
    for fold, entry in sorted(per_folder.items()):
        for other in LAYERS:
            if other == fold:
                continue
            may = other in allowed(fold)
            compiled = compile_with(entry, a_header[other])
            if may and not compiled:
                ok(False, '%s compiles with %s (%s)' % (fold, a_header[other], other))
            elif not may and compiled:
                ok(False, 'the build refuses %s reaching %s (%s): it compiled' %
                   (fold, a_header[other], other))
        ok(True, 'the build lets %s see exactly %s' %
           (fold, ', '.join(sorted(allowed(fold))) or 'nothing else'))
    missing = sorted(set(LAYERS) - set(per_folder))
    ok(not missing, 'a compile command for every folder' +
       (': none for ' + ', '.join(missing) if missing else ''))


def main():
    args = [a for a in sys.argv[1:] if a != '-v']
    verbose = '-v' in sys.argv[1:]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    top, build = (os.path.abspath(a) for a in args)
    check_graph(top, verbose)
    check_build(top, build)
    print('1..%d' % len(_tap))
    for i, (good, what) in enumerate(_tap, 1):
        print('%s %d - %s' % ('ok' if good else 'not ok', i, what))
    return 0 if all(g for g, _ in _tap) else 1


if __name__ == '__main__':
    sys.exit(main())
