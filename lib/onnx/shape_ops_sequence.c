/* shape_ops_sequence.c - sequence and optional values. A sequence's
 * sp_value_info describes one element (merged over all elements). */
#include "shape_ops.h"

/* v becomes a sequence of `length` (-1: unknown) elements like element. */
static void set_sequence(sp_value_info *v, const sp_value_info *element,
                         int64_t length) {
  sp_same_as(v, element);
  v->kind = SP_VALUE_SEQUENCE;
  v->has_seq_length = length >= 0;
  v->seq_length = length;
}

static int64_t length_of(const sp_value_info *seq) {
  return seq && seq->kind == SP_VALUE_SEQUENCE && seq->has_seq_length
             ? seq->seq_length
             : -1;
}

// SequenceEmpty(dtype) -> empty sequence of dtype (float).
int sp_shape_sequence_empty(SP_SHAPE_FN_ARGS) {
  (void)in, (void)n_in, (void)n_out, (void)opset, (void)err;
  sp_value_info element;
  sp_set_unknown(&element, (int32_t)sp_attr_int(node, "dtype", SP_T_FLOAT));
  set_sequence(&out[0], &element, 0);
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
  set_sequence(&out[0], &element, n_in);
  return 0;
}

// SequenceInsert(seq, tensor, pos?) -> sequence of both shapes merged (an
// empty sequence takes the tensor's).
int sp_shape_sequence_insert(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  const sp_value_info *seq = sp_in(in, n_in, 0), *t = sp_in(in, n_in, 1);
  int64_t length = length_of(seq);
  sp_value_info element;
  sp_same_as(&element, length == 0 ? t : seq);
  if (t && length != 0)
    sp_merge_info(&element, t);
  set_sequence(&out[0], &element, length >= 0 ? length + 1 : -1);
  return 0;
}

// SequenceErase(seq, pos?) -> the same sequence, one element shorter.
int sp_shape_sequence_erase(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  const sp_value_info *seq = sp_in(in, n_in, 0);
  int64_t length = length_of(seq);
  set_sequence(&out[0], seq, length > 0 ? length - 1 : -1);
  return 0;
}

// SequenceAt(seq, pos) -> one element.
int sp_shape_sequence_at(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  sp_same_as(&out[0], sp_in(in, n_in, 0));
  return 0;
}

// SequenceLength(seq) -> int64 scalar, known with the sequence's length.
int sp_shape_sequence_length(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  int64_t length = length_of(sp_in(in, n_in, 0));
  sp_set_rank(&out[0], SP_T_INT64, 0);
  if (length >= 0)
    sp_set_int_values(&out[0], &length, NULL, 1);
  return 0;
}

// SplitToSequence(X, split?, axis, keepdims) -> sequence of X's pieces.
int sp_shape_split_to_sequence(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0), *split = sp_in(in, n_in, 1);
  sp_value_info element;
  sp_same_as(&element, x);
  int64_t length = -1;
  if (sp_rank_known(x)) {
    int axis;
    if (sp_norm_axis(node, err, sp_attr_int(node, "axis", 0), x->rank, &axis))
      return -1;
    int64_t dim = x->dims[axis];
    double piece;
    if (!split) { // pieces of size 1, squeezed unless keepdims
      length = dim;
      sp_set_dim(&element, axis, 1);
      if (!sp_attr_int(node, "keepdims", 1)) {
        for (int d = axis; d + 1 < x->rank; ++d)
          sp_copy_dim(&element, d, x, d + 1);
        element.rank--;
      }
    } else if (split->rank == 0 && sp_input_scalar(split, &piece) &&
               piece > 0) {
      int64_t p = sp_dim_from_double(piece);
      length = dim >= 0 && p > 0 ? dim / p + (dim % p != 0) : -1;
      sp_set_dim(&element, axis, dim >= 0 && p > 0 && dim % p == 0 ? p : -1);
    } else {
      length = split->rank == 1 ? split->dims[0] : -1;
      sp_set_dim(&element, axis, -1);
    }
  }
  set_sequence(&out[0], &element, length);
  return 0;
}

// ConcatFromSequence(seq, axis, new_axis) -> tensor; the axis grows by the
// sequence's length (known length and equal elements), else is dynamic.
int sp_shape_concat_from_sequence(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *seq = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], seq ? seq->elem_type : 0);
  if (!sp_rank_known(seq))
    return 0;
  int new_axis = sp_attr_int(node, "new_axis", 0) != 0, axis;
  int rank = seq->rank + new_axis;
  if (rank > SP_MAX_RANK)
    return 0;
  if (sp_norm_axis(node, err, sp_attr_int(node, "axis", 0), rank, &axis))
    return -1;
  int64_t length = length_of(seq);
  out[0].rank = rank;
  for (int d = 0, s = 0; d < rank; ++d) {
    if (d != axis) {
      sp_copy_dim(&out[0], d, seq, s++);
    } else if (new_axis) {
      sp_set_dim(&out[0], d, length);
    } else {
      int64_t dim = seq->dims[s++];
      sp_set_dim(&out[0], d, sp_dim_mul(length, dim));
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
