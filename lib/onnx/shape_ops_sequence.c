/* shape_ops_sequence.c - sequence and optional values. A sequence's
 * sp_value_info describes one element (merged over all elements). */
#include "shape_ops.h"

static void set_sequence(sp_value_info *v, const sp_value_info *element) {
  sp_same_as(v, element);
  v->kind = SP_VALUE_SEQUENCE;
}

// SequenceEmpty(dtype) -> empty sequence of dtype (float).
int sp_shape_sequence_empty(SP_SHAPE_FN_ARGS) {
  (void)in, (void)n_in, (void)n_out, (void)opset, (void)err;
  sp_set_unknown(&out[0], (int32_t)sp_attr_int(node, "dtype", SP_T_FLOAT));
  out[0].kind = SP_VALUE_SEQUENCE;
  return 0;
}

// SequenceConstruct(tensors...) -> sequence of their merged shape.
int sp_shape_sequence_construct(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  sp_value_info element;
  sp_same_as(&element, sp_in(in, n_in, 0));
  for (int i = 1; i < n_in; ++i)
    if (in[i])
      sp_merge_info(&element, in[i]);
  set_sequence(&out[0], &element);
  return 0;
}

// SequenceInsert(seq, tensor, pos?) -> sequence of both shapes merged.
int sp_shape_sequence_insert(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  sp_value_info element;
  sp_same_as(&element, sp_in(in, n_in, 0));
  if (sp_in(in, n_in, 1))
    sp_merge_info(&element, in[1]);
  set_sequence(&out[0], &element);
  return 0;
}

// SequenceErase(seq, pos?) -> the same kind of sequence.
int sp_shape_sequence_erase(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  set_sequence(&out[0], sp_in(in, n_in, 0));
  return 0;
}

// SequenceAt(seq, pos) -> one element.
int sp_shape_sequence_at(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  sp_same_as(&out[0], sp_in(in, n_in, 0));
  out[0].kind = SP_VALUE_TENSOR;
  return 0;
}

// SequenceLength(seq) -> int64 scalar.
int sp_shape_sequence_length(SP_SHAPE_FN_ARGS) {
  (void)in, (void)n_in, (void)n_out, (void)opset, (void)err, (void)node;
  sp_set_rank(&out[0], SP_T_INT64, 0);
  return 0;
}

// SplitToSequence(X, split?, axis, keepdims) -> sequence of X's pieces.
int sp_shape_split_to_sequence(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0), *split = sp_in(in, n_in, 1);
  sp_value_info element;
  sp_same_as(&element, x);
  if (sp_rank_known(x)) {
    int axis;
    if (sp_norm_axis(node, err, sp_attr_int(node, "axis", 0), x->rank, &axis))
      return -1;
    double piece;
    if (!split) { // pieces of size 1, squeezed unless keepdims
      sp_set_dim(&element, axis, 1);
      if (!sp_attr_int(node, "keepdims", 1)) {
        for (int d = axis; d + 1 < x->rank; ++d)
          sp_copy_dim(&element, d, x, d + 1);
        element.rank--;
      }
    } else if (split->rank == 0 && sp_input_scalar(split, &piece) &&
               x->dims[axis] >= 0 && x->dims[axis] % (int64_t)piece == 0) {
      sp_set_dim(&element, axis, (int64_t)piece);
    } else {
      sp_set_dim(&element, axis, -1);
    }
  }
  set_sequence(&out[0], &element);
  return 0;
}

// ConcatFromSequence(seq, axis, new_axis) -> tensor; the axis is dynamic.
int sp_shape_concat_from_sequence(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *seq = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], seq ? seq->elem_type : 0);
  if (!sp_rank_known(seq))
    return 0;
  int new_axis = sp_attr_int(node, "new_axis", 0) != 0, axis;
  int rank = seq->rank + new_axis;
  if (sp_norm_axis(node, err, sp_attr_int(node, "axis", 0), rank, &axis))
    return -1;
  out[0].rank = rank;
  for (int d = 0, s = 0; d < rank; ++d) {
    if (d == axis) {
      sp_set_dim(&out[0], d, -1);
      s += !new_axis;
    } else {
      sp_copy_dim(&out[0], d, seq, s++);
    }
  }
  return 0;
}

// Optional(input?) -> optional of input's type.
int sp_shape_optional(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  out[0].kind = SP_VALUE_OPTIONAL;
  return 0;
}

// OptionalGetElement(opt) -> the element (a tensor or sequence passes through).
int sp_shape_optional_get_element(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  const sp_value_info *x = sp_in(in, n_in, 0);
  if (x)
    out[0] = *x;
  if (out[0].kind == SP_VALUE_OPTIONAL)
    out[0].kind = SP_VALUE_TENSOR;
  return 0;
}

// OptionalHasElement(opt) -> bool scalar.
int sp_shape_optional_has_element(SP_SHAPE_FN_ARGS) {
  (void)in, (void)n_in, (void)n_out, (void)opset, (void)err, (void)node;
  sp_set_rank(&out[0], SP_T_BOOL, 0);
  return 0;
}
