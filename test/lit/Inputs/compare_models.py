#!/usr/bin/python3
"""compare_models.py A.onnx B.onnx: exits 1 and names the first difference
between two models that should be the same (ignoring attribute order and
where tensors are stored). Prints 'same' otherwise."""
import sys

import onnx
from onnx import numpy_helper


def fail(msg):
    print("DIFFERENT:", msg)
    sys.exit(1)


def attrs(node):
    out = {}
    for a in node.attribute:
        if a.type == onnx.AttributeProto.TENSOR:
            arr = numpy_helper.to_array(a.t)
            out[a.name] = ("tensor", arr.dtype.str, arr.shape, arr.tobytes())
        elif a.type == onnx.AttributeProto.GRAPH:
            out[a.name] = ("graph", a.g.SerializeToString())
        else:
            out[a.name] = (a.type, str(onnx.helper.get_attribute_value(a)))
    return out


def shape_of(vi):
    t = vi.type.tensor_type
    return (t.elem_type, [d.dim_value if d.HasField("dim_value") else d.dim_param
                          for d in t.shape.dim])


def main(a_path, b_path):
    a, b = onnx.load(a_path), onnx.load(b_path)
    for field in ["ir_version", "producer_name", "producer_version", "domain", "model_version",
                  "doc_string"]:
        if getattr(a, field) != getattr(b, field):
            fail(f"{field}: {getattr(a, field)!r} vs {getattr(b, field)!r}")
    if sorted((o.domain, o.version) for o in a.opset_import) != \
       sorted((o.domain, o.version) for o in b.opset_import):
        fail("opset_import")
    if [(p.key, p.value) for p in a.metadata_props] != [(p.key, p.value) for p in b.metadata_props]:
        fail("metadata_props")
    ga, gb = a.graph, b.graph
    if ga.name != gb.name:
        fail(f"graph name {ga.name!r} vs {gb.name!r}")
    for kind in ["input", "output"]:
        la, lb = getattr(ga, kind), getattr(gb, kind)
        if [(v.name, shape_of(v)) for v in la] != [(v.name, shape_of(v)) for v in lb]:
            fail(f"graph {kind}s: {[(v.name, shape_of(v)) for v in la]} vs "
                 f"{[(v.name, shape_of(v)) for v in lb]}")
    vi_a = {v.name: shape_of(v) for v in ga.value_info}
    vi_b = {v.name: shape_of(v) for v in gb.value_info}
    for name, s in vi_a.items():
        if name not in vi_b:
            fail(f"value_info {name} lost")
        if s[0] != vi_b[name][0] or len(s[1]) != len(vi_b[name][1]):
            fail(f"value_info {name}: {s} vs {vi_b[name]}")
    ia = {t.name: numpy_helper.to_array(t) for t in ga.initializer}
    ib = {t.name: numpy_helper.to_array(t) for t in gb.initializer}
    if ia.keys() != ib.keys():
        fail(f"initializers {sorted(ia)} vs {sorted(ib)}")
    for k in ia:
        if ia[k].dtype != ib[k].dtype or ia[k].shape != ib[k].shape or \
           ia[k].tobytes() != ib[k].tobytes():
            fail(f"initializer {k} differs")
    if len(ga.node) != len(gb.node):
        fail(f"{len(ga.node)} vs {len(gb.node)} nodes")
    # Nodes may be reordered topologically; match them by their outputs
    # (trailing omitted outputs "" mean the same as no output).
    def outs(n):
        o = list(n.output)
        while o and not o[-1]:
            o.pop()
        return tuple(o)
    by_out = {outs(n): n for n in gb.node}
    for na in ga.node:
        nb = by_out.get(outs(na))
        if nb is None:
            fail(f"node {na.name!r} ({na.op_type}) with outputs {list(na.output)} missing")
        for field in ["name", "op_type", "domain"]:
            if getattr(na, field) != getattr(nb, field):
                fail(f"node {na.name!r}: {field} {getattr(na, field)!r} vs {getattr(nb, field)!r}")
        if list(na.input) != list(nb.input):
            fail(f"node {na.name!r}: inputs {list(na.input)} vs {list(nb.input)}")
        if attrs(na) != attrs(nb):
            fail(f"node {na.name!r}: attributes {attrs(na)} vs {attrs(nb)}")
    print("same")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
