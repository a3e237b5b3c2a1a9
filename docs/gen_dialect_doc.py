#!/usr/bin/env python3
"""Generate docs/dialect.md from lib/dialect/nn.irdl.mlir (stdlib only).

The IRDL file is the single source: its header comment becomes the conventions section,
and the comment block above each irdl.type / irdl.operation becomes one reference entry.
The section `// === Ops outside the dialect...` (after the dialect) holds comment blocks
without an IRDL definition: the unregistered `onnx.<OpType>` ops sp still documents.
The generator also lints the file: every op needs a well-formed block whose `inputs:` /
`outputs:` lists agree, name by name, with the op's irdl.operands / irdl.results (one
segment per ONNX position: `X` single, `X?` optional; no variadic segments), and the
header's `segment-attr-ops:` and `unverified:` lines must list exactly the ops that need
a segment-size attribute and the ops of the outside section.

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
SEGMENT_START_RE = re.compile(r'^\s*irdl\.(operands|results)\(')
OUTSIDE_TITLE = 'Ops outside the dialect'
LOADER_WORDS = ('irdl.operation @', 'irdl.operands(', 'irdl.results(')
SEGMENT_ATTR = {'operands': 'operand_segment_sizes', 'results': 'result_segment_sizes'}


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


def parse_segments(body, where):
    """{'operands': [(variadicity, name)], 'results': [...]} from an op body."""
    segs = {'operands': [], 'results': []}
    for line in body:
        m = SEGMENT_RE.match(line)
        if not m:
            if SEGMENT_START_RE.match(line):
                # lib/dialect/dialect.c reads these lists too, one line each.
                raise IrdlError(f'{where}: keep "{line.strip()}" on one line')
            continue
        for arg in split_top_level(m.group(2)):
            words = arg.split()
            kind = words[0] if len(words) == 2 else 'single'
            segs[m.group(1)].append((kind, words[-1]))
    return segs


def parse_names(text):
    return [] if text == '(none)' else split_top_level(text)


def name_kind(name):
    """(bare name, segment kind) of an `inputs:`/`outputs:` entry."""
    if name.endswith('...'):
        return name[:-3], 'variadic'
    if name.endswith('?'):
        return name[:-1], 'optional'
    return name, 'single'


def check_lists(op, what, names, segs, where):
    """One segment per ONNX position: `X` = `%X`, `X?` = `optional %X`; no variadic."""
    want = [name_kind(n) for n in names]
    have = [(name.lstrip('%'), kind) for kind, name in segs]
    for name, kind in have:
        if kind == 'variadic':
            raise IrdlError(f'{where}: {op}: variadic segment %{name} in irdl.{what}: IRDL 19 '
                            f'forces one type on all its values; document the op in the '
                            f'"{OUTSIDE_TITLE}" section instead')
    if want != have:
        show = lambda lst: ', '.join(n + {'single': '', 'optional': '?', 'variadic': '...'}[k]
                                     for n, k in lst) or '(none)'
        raise IrdlError(f'{where}: {op}: comment lists {what} "{show(want)}" but irdl.{what} '
                        f'has "{show(have)}" (one segment per ONNX position, same names)')


def segment_attr(segs):
    """The segment-size attribute IRDL 19 requires for this list, or None."""
    return sum(1 for kind, _ in segs if kind != 'single') > 1


def parse_outside_block(lines, where, section):
    """A comment-only block in the outside section: an entry, or the section's intro."""
    texts = [comment_text(l) for l in lines]
    if not TITLE_RE.match(texts[0]):
        if section['entries'] or section['intro']:
            raise IrdlError(f'{where}: first comment line must be "<Name> — <summary>"')
        section['intro'] = ' '.join(t.strip() for t in texts)
        return None
    name, summary, fields = parse_block(lines, where)
    for key in fields:
        if key not in OP_FIELDS:
            raise IrdlError(f'{where}: unknown field "{key}" for op {name}')
    for key in REQUIRED_OP_FIELDS:
        if key not in fields:
            raise IrdlError(f'{where}: op {name} lacks the "{key}:" field')
    for what in ('inputs', 'outputs'):
        for n in parse_names(fields[what]):
            if not re.match(r'^\w+$', name_kind(n)[0]):
                raise IrdlError(f'{where}: {name}: bad {what} name "{n}"')
    return {'kind': 'onnx', 'name': name, 'summary': summary, 'fields': fields}


def header_list(header, key):
    """The op names of a `key: ...` line of the header's machine-readable summary."""
    for line in header:
        if line.startswith(key + ':'):
            return line[len(key) + 1:].split()
    raise IrdlError(f'header lacks the "{key}:" line')


def check_header(header, sections):
    ops = [e for s in sections for e in s['entries'] if e['kind'] == 'operation']
    need = {'operands': sorted(e['name'] for e in ops if segment_attr(e['segments']['operands'])),
            'results': sorted(e['name'] for e in ops if segment_attr(e['segments']['results']))}
    words = header_list(header, 'segment-attr-ops')
    listed, cur = {'operands': [], 'results': []}, None
    for w in words:
        if w.rstrip(';') in listed:
            cur = w.rstrip(';')
        elif cur:
            listed[cur].append(w.rstrip(';'))
        else:
            raise IrdlError(f'header segment-attr-ops: "{w}" before "operands"/"results"')
    for what in listed:
        if sorted(listed[what]) != need[what]:
            raise IrdlError(f'header segment-attr-ops: {what} lists {" ".join(listed[what])}, '
                            f'the ops needing {SEGMENT_ATTR[what]} are {" ".join(need[what])}')
    outside = sorted(e['name'] for s in sections for e in s['entries'] if e['kind'] == 'onnx')
    unverified = header_list(header, 'unverified')
    if sorted(unverified) != outside:
        raise IrdlError(f'header unverified: lists {" ".join(unverified)}, the '
                        f'"{OUTSIDE_TITLE}" section documents {" ".join(outside)}')


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

    def flush(where):
        """End a comment-only block of the outside section."""
        nonlocal block
        if block and sections and sections[-1]['outside']:
            entry = parse_outside_block(block, where, sections[-1])
            if entry:
                if entry['name'] in seen:
                    raise IrdlError(f'{where}: {entry["name"]} documented twice')
                seen.add(entry['name'])
                sections[-1]['entries'].append(entry)
        block = []

    while i <= len(lines):
        if i == len(lines):
            flush(f'{path}:{i}')
            break
        line, where = lines[i], f'{path}:{i + 1}'
        sm = SECTION_RE.match(line)
        dm = DEF_RE.match(line)
        if sm:
            flush(where)
            sections.append({'title': sm.group(1), 'entries': [], 'intro': '',
                             'outside': sm.group(1).startswith(OUTSIDE_TITLE)})
        elif line.strip().startswith('//'):
            for word in LOADER_WORDS:
                if word in line:
                    # lib/dialect/dialect.c finds ops by plain text search.
                    raise IrdlError(f'{where}: a comment must not contain "{word}"')
            block.append(line)
        elif not line.strip() and sections and sections[-1]['outside']:
            flush(where)
        elif dm and sections and sections[-1]['outside']:
            raise IrdlError(f'{where}: irdl.{dm.group(1)} @{dm.group(2)} in the '
                            f'"{OUTSIDE_TITLE}" section, which holds comment blocks only')
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
                segs = parse_segments(body, where)
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
    check_header(header, sections)
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
    return {'type': '!nn.', 'operation': 'nn.', 'onnx': 'onnx.'}[entry['kind']] + entry['name']


def irdl_line(segs):
    text = {}
    for what in ('operands', 'results'):
        text[what] = operand_shape(segs[what])
        if segment_attr(segs[what]):
            text[what] += f' (with `{SEGMENT_ATTR[what]}`)'
    return f'- **IRDL operands:** {text["operands"]}; **results:** {text["results"]}'


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
        if sec['intro']:
            out += ['', sec['intro']]
        for e in sec['entries']:
            f = e['fields']
            out += ['', f'### {prefix(e)}', '', e['summary'], '']
            if e['kind'] == 'type':
                out.append(f'- **parameters:** {f["parameters"]}')
            else:
                out.append(f'- **inputs:** {code_list(f["inputs"])}')
                out.append(f'- **outputs:** {code_list(f["outputs"])}')
                out.append(f'- **attributes:** {attr_list(f["attributes"])}')
                if e['kind'] == 'operation':
                    out.append(irdl_line(e['segments']))
                else:
                    out.append('- **IRDL:** none: an unregistered op, not verified; any number '
                               'and types of operands and results')
                if 'pruning' in f:
                    out.append(f'- **pruning:** {f["pruning"]}')
            if 'note' in f:
                out.append(f'- **note:** {f["note"]}')
    ops = sum(1 for s in sections for e in s['entries'] if e['kind'] == 'operation')
    types = sum(1 for s in sections for e in s['entries'] if e['kind'] == 'type')
    outside = sum(1 for s in sections for e in s['entries'] if e['kind'] == 'onnx')
    attrs = sum(1 for s in sections for e in s['entries'] if e['kind'] == 'operation'
                and (segment_attr(e['segments']['operands'])
                     or segment_attr(e['segments']['results'])))
    out += ['', f'{ops} ops ({attrs} with a segment-size attribute), {types} types; '
            f'{outside} `onnx.*` ops documented outside the dialect.', '']
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
