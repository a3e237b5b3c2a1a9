#!/usr/bin/env python3
"""Generate docs/dialect.md from lib/dialect/nn.irdl.mlir (stdlib only).

The IRDL file is the single source: its header comment becomes the conventions section,
and the comment block above each irdl.type / irdl.operation becomes one reference entry.
The generator also lints the file: every op needs a well-formed block whose `inputs:` /
`outputs:` lists agree with the op's irdl.operands / irdl.results.

usage: gen_dialect_doc.py [--check] [--irdl FILE] [--out FILE]
  --check   exit 1 if the output file differs from what would be generated
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_IRDL = os.path.join(ROOT, 'lib', 'dialect', 'nn.irdl.mlir')
DEFAULT_OUT = os.path.join(ROOT, 'docs', 'dialect.md')

OP_FIELDS = ('inputs', 'outputs', 'attributes', 'pruning', 'note')
TYPE_FIELDS = ('parameters', 'note')
REQUIRED_OP_FIELDS = ('inputs', 'outputs', 'attributes')

DEF_RE = re.compile(r'^\s*irdl\.(operation|type)\s+@(\w+)')
SECTION_RE = re.compile(r'^\s*// === (.+?)\s*$')
TITLE_RE = re.compile(r'^(\w+) — (.+)$')
FIELD_RE = re.compile(r'^(\w+): ?(.*)$')
SEGMENT_RE = re.compile(r'^\s*irdl\.(operands|results)\((.*)\)\s*$')


class IrdlError(Exception):
    pass


def comment_text(line):
    """The text of a `//` comment line without the marker and one space."""
    body = line.strip()[2:]
    return body[1:] if body.startswith(' ') else body


def split_top_level(text):
    """Split on commas that are not inside parentheses."""
    parts, depth, cur = [], 0, ''
    for ch in text:
        if ch == '(':
            depth += 1
        elif ch == ')':
            depth -= 1
        if ch == ',' and depth == 0:
            parts.append(cur.strip())
            cur = ''
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def parse_block(lines, where):
    """Parse a comment block into (name, summary, {field: text})."""
    texts = [comment_text(l) for l in lines]
    m = TITLE_RE.match(texts[0])
    if not m:
        raise IrdlError(f'{where}: first comment line must be "<Name> — <summary>"')
    name, summary = m.groups()
    fields, last = {}, None
    for t in texts[1:]:
        if t.startswith('  ') and last:
            fields[last] += ' ' + t.strip()
            continue
        fm = FIELD_RE.match(t)
        if not fm:
            raise IrdlError(f'{where}: cannot parse comment line "{t}"')
        last = fm.group(1)
        if last in fields:
            raise IrdlError(f'{where}: field "{last}" given twice')
        fields[last] = fm.group(2).strip()
    return name, summary, fields


def parse_segments(body):
    """{'operands': [(variadicity, name)], 'results': [...]} from an op body."""
    segs = {'operands': [], 'results': []}
    for line in body:
        m = SEGMENT_RE.match(line)
        if not m:
            continue
        for arg in split_top_level(m.group(2)):
            words = arg.split()
            kind = words[0] if len(words) == 2 else 'single'
            segs[m.group(1)].append((kind, words[-1]))
    return segs


def parse_names(text):
    return [] if text == '(none)' else split_top_level(text)


def check_lists(op, what, names, segs, where):
    """The `?`/`...` names must be exactly the one trailing non-single segment."""
    req = [n for n in names if not n.endswith(('?', '...'))]
    tail = [n for n in names if n.endswith(('?', '...'))]
    if names[:len(req)] != req:
        raise IrdlError(f'{where}: {op} {what}: required names must come before `?`/`...` names')
    singles = [s for s in segs if s[0] == 'single']
    others = [s for s in segs if s[0] != 'single']
    if len(others) > 1:
        raise IrdlError(f'{where}: {op} has more than one non-single segment in irdl.{what}')
    if segs[:len(singles)] != singles:
        raise IrdlError(f'{where}: {op}: the non-single segment of irdl.{what} must be last')
    if len(singles) != len(req) or bool(others) != bool(tail):
        raise IrdlError(f'{where}: {op}: comment lists {len(req)} required and {len(tail)} '
                        f'tail names, irdl.{what} has {len(singles)} single and {len(others)} '
                        f'optional/variadic segments')
    # `optional` holds at most one value: only a lone `?` name fits it.
    if others and others[0][0] == 'optional' and (len(tail) != 1 or tail[0].endswith('...')):
        raise IrdlError(f'{where}: {op}: an optional segment needs exactly one `?` name')


def parse_irdl(path):
    """Return (header_lines, [section dicts]) from the IRDL file."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    header, i = [], 0
    while i < len(lines) and not lines[i].startswith('irdl.dialect'):
        if lines[i].startswith('//'):
            header.append(comment_text(lines[i]))
        elif lines[i].strip():
            raise IrdlError(f'{path}:{i + 1}: only comments may precede irdl.dialect')
        else:
            header.append('')
        i += 1
    if i == len(lines):
        raise IrdlError(f'{path}: no irdl.dialect')

    sections, block, seen = [], [], set()
    while i < len(lines):
        line, where = lines[i], f'{path}:{i + 1}'
        sm = SECTION_RE.match(line)
        dm = DEF_RE.match(line)
        if sm:
            sections.append({'title': sm.group(1), 'entries': []})
            block = []
        elif line.strip().startswith('//'):
            block.append(line)
        elif dm:
            kind, sym = dm.groups()
            if not block:
                raise IrdlError(f'{where}: irdl.{kind} @{sym} has no comment block')
            if not sections:
                raise IrdlError(f'{where}: irdl.{kind} @{sym} is outside any `// ===` section')
            name, summary, fields = parse_block(block, where)
            if name != sym:
                raise IrdlError(f'{where}: comment names "{name}" but defines @{sym}')
            if sym in seen:
                raise IrdlError(f'{where}: @{sym} defined twice')
            seen.add(sym)
            allowed = OP_FIELDS if kind == 'operation' else TYPE_FIELDS
            for key in fields:
                if key not in allowed:
                    raise IrdlError(f'{where}: unknown field "{key}" for {kind} {sym}')
            body = []
            if line.rstrip().endswith('{'):
                while not lines[i].strip() == '}':
                    i += 1
                    body.append(lines[i])
            entry = {'kind': kind, 'name': sym, 'summary': summary, 'fields': fields}
            if kind == 'operation':
                for key in REQUIRED_OP_FIELDS:
                    if key not in fields:
                        raise IrdlError(f'{where}: op {sym} lacks the "{key}:" field')
                segs = parse_segments(body)
                check_lists(sym, 'operands', parse_names(fields['inputs']), segs['operands'], where)
                check_lists(sym, 'results', parse_names(fields['outputs']), segs['results'], where)
                entry['segments'] = segs
            elif 'parameters' not in fields:
                raise IrdlError(f'{where}: type {sym} lacks the "parameters:" field')
            sections[-1]['entries'].append(entry)
            block = []
        elif line.strip():
            block = []
        i += 1
    return header, sections


def anchor(text):
    return re.sub(r'[^a-z0-9 -]', '', text.lower()).replace(' ', '-')


def code_list(text):
    names = parse_names(text)
    return ', '.join(f'`{n}`' for n in names) if names else '(none)'


def attr_list(text):
    items = []
    for item in parse_names(text):
        m = re.match(r'^([\w.]+|\.\.\.): (\S+)(?: \((.*)\))?$', item)
        if m:
            name, typ, notes = m.groups()
            items.append(f'`{name}`: {typ}' + (f' ({notes})' if notes else ''))
        elif item.startswith('...'):
            items.append(item)
        else:
            raise IrdlError(f'cannot parse attribute entry "{item}"')
    return ', '.join(items) if items else '(none)'


def operand_shape(segs):
    parts = []
    for kind, name in segs:
        name = name.lstrip('%')
        parts.append(f'{kind} `{name}`' if kind != 'single' else f'`{name}`')
    return ', '.join(parts) if parts else '(none)'


def prefix(entry):
    return f'!nn.{entry["name"]}' if entry['kind'] == 'type' else f'nn.{entry["name"]}'


def render(header, sections, irdl_rel):
    out = ['# The `nn` dialect', '',
           f'<!-- Generated from {irdl_rel} by docs/gen_dialect_doc.py; do not edit. -->', '']
    out += header
    while out[-1] == '':
        out.pop()
    out += ['', '## Contents', '']
    for sec in sections:
        names = ', '.join(f'[{e["name"]}](#{anchor(prefix(e))})' for e in sec['entries'])
        out.append(f'- **{sec["title"]}**: {names}')
    for sec in sections:
        out += ['', f'## {sec["title"]}']
        for e in sec['entries']:
            f = e['fields']
            out += ['', f'### {prefix(e)}', '', e['summary'], '']
            if e['kind'] == 'type':
                out.append(f'- **parameters:** {f["parameters"]}')
            else:
                out.append(f'- **inputs:** {code_list(f["inputs"])}')
                out.append(f'- **outputs:** {code_list(f["outputs"])}')
                out.append(f'- **attributes:** {attr_list(f["attributes"])}')
                out.append(f'- **IRDL operands:** {operand_shape(e["segments"]["operands"])}; '
                           f'**results:** {operand_shape(e["segments"]["results"])}')
                if 'pruning' in f:
                    out.append(f'- **pruning:** {f["pruning"]}')
            if 'note' in f:
                out.append(f'- **note:** {f["note"]}')
    ops = sum(1 for s in sections for e in s['entries'] if e['kind'] == 'operation')
    types = sum(1 for s in sections for e in s['entries'] if e['kind'] == 'type')
    out += ['', f'{ops} ops, {types} types.', '']
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--check', action='store_true',
                    help='exit 1 if the output file is out of date')
    ap.add_argument('--irdl', default=DEFAULT_IRDL)
    ap.add_argument('--out', default=DEFAULT_OUT)
    args = ap.parse_args()
    try:
        header, sections = parse_irdl(args.irdl)
        irdl_rel = os.path.relpath(os.path.abspath(args.irdl), ROOT)
        text = render(header, sections, irdl_rel)
    except IrdlError as e:
        print(f'gen_dialect_doc: {e}', file=sys.stderr)
        return 2
    if args.check:
        try:
            with open(args.out, encoding='utf-8') as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current != text:
            print(f'gen_dialect_doc: {args.out} is out of date; run '
                  f'python3 docs/gen_dialect_doc.py', file=sys.stderr)
            return 1
        return 0
    with open(args.out, 'w', encoding='utf-8') as f:
        f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
