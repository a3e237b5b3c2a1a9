// The `nn` dialect: one op per ONNX operator, ONNX semantics (NCHW), defined in IRDL.
// sp embeds this file and loads it at run time with mlirLoadIRDLDialects;
// docs/gen_dialect_doc.py turns it into docs/dialect.md. Ops print in generic form
// `"nn.Conv"(...)`.
//
// ## Importer rules (machine-readable summary)
//
// One `key: rule` per line. `segment-attr-ops` and `unverified` (always `onnx.*`: variadic
// ONNX ops) are op lists that docs/gen_dialect_doc.py checks against the definitions below;
// lib/dialect/dialect.c reads each op's segments from its operand and result lists.
//
// ```
// nn-op: ONNX node in the default domain ("" or "ai.onnx") whose op_type is an op here and whose inputs/outputs fit its segments
// onnx-op: every other node -> unregistered op "onnx.<OpType>", one operand/result per ONNX input/output, attributes unchanged
// segments: per input position one segment, in ONNX order (results: per output position)
// single: input required in every opset -> exactly 1 value
// optional: any other input (`?` in `inputs:`) -> its own IRDL optional segment, 0 or 1 value
// absent: an absent input/output of an nn op is a size-0 segment, in the middle or at the end; never `none`
// segment-attr: operand_segment_sizes (results: result_segment_sizes) = array<i32: one entry per segment> present iff >1 non-single segment
// segment-attr-ops: operands Clip Dropout Pad Resize Slice; results BatchNormalization LayerNormalization
// none: nn.None fills an absent middle input of an onnx.* op only; absent trailing inputs are dropped
// onnx-op-outputs: an absent middle output of an onnx.* op is a result named "" in onnx.names; trailing ones are dropped
// unverified: Concat Sum Max Min Mean Einsum Split
// ```
//
// Example: ONNX `Resize(X, "", scales)` is
// `"nn.Resize"(%x, %scales) {operand_segment_sizes = array<i32: 1, 0, 1, 0>}`; Conv with a
// bias is `"nn.Conv"(%x, %w, %b)` and without one `"nn.Conv"(%x, %w)`, no attribute.
//
// ## Conventions
//
// - Op name = ONNX op_type (`nn.Conv`, `nn.BatchNormalization`), for nodes of the default
//   ONNX domain.
// - Operands: one segment per ONNX input position, in ONNX order. An input required in every
//   opset 1-18 is a single operand. Every other input has its own IRDL `optional` segment
//   (0 or 1 value), marked `?` in `inputs:` lines: optional inputs and inputs that were
//   attributes in older opsets (Reshape shape, Slice starts/ends, Squeeze axes, Clip
//   min/max, Pad pads, TopK K, ReduceMean axes, ...). An absent input is an empty segment,
//   wherever it is; nn ops take no `none` values.
// - Results: the same, one segment per ONNX output position (MaxPool Indices, Dropout mask,
//   BatchNormalization and LayerNormalization statistics are optional segments).
// - Segment sizes: a list with more than one optional segment needs the attribute
//   `operand_segment_sizes` (results: `result_segment_sizes`), a `DenseI32ArrayAttr` with one
//   entry per segment: 1 for a single operand, 0 or 1 for an optional one. The ops that need
//   it: Clip, Dropout, Pad, Resize, Slice (operands) and BatchNormalization,
//   LayerNormalization (results); the reference below marks them. Other ops do not carry
//   it. Examples: Clip with only max is `"nn.Clip"(%x, %hi) {operand_segment_sizes =
//   array<i32: 1, 0, 1>}`; BatchNormalization in training mode has
//   `result_segment_sizes = array<i32: 1, 1, 1, 0, 0>`.
// - Attributes keep their ONNX names and values; they are not declared in IRDL (ONNX
//   attributes are optional with defaults, IRDL attributes are required). The comment block
//   of each op lists them. `consumed_inputs` (opsets 1-5, no semantics) is kept if present
//   but not listed. Any op may also carry `onnx.names` (its ONNX output names),
//   `onnx.domain` (when not the default domain) and `onnx.doc_string`. Pruning facts are
//   discardable `sp.*` attributes.
// - Value types: builtin `tensor<...>` (ranked, or unranked when the rank is unknown); ONNX
//   STRING elements are `!nn.string`; `!nn.unknown` for a value whose type sp could not
//   infer; `!nn.sequence<T>`, `!nn.optional<T>`, `!nn.map<K, V>` for ONNX's non-tensor
//   types; `none` only for `nn.None`. Every operand and result of an nn op accepts tensor,
//   unranked tensor and `!nn.unknown`; Identity also accepts sequence and optional values,
//   Initializer only a ranked tensor.
//
// ## ONNX ops without an nn op: `onnx.<OpType>`
//
// Every ONNX node that has no nn op here imports as an UNREGISTERED op named
// `onnx.<OpType>` (sp's context allows unregistered dialects; with mlir-opt pass
// `--allow-unregistered-dialect`): `"onnx.Concat"(%a, %b) {axis = 1 : i64}`,
// `"onnx.FancyOp"(%x) {onnx.domain = "com.example"}`. Its operands and results are the ONNX
// inputs and outputs in order, any types; an absent input in the middle is an `nn.None`
// value, absent trailing inputs are dropped; an absent output in the middle is a result
// whose `onnx.names` entry is "". Attributes and `onnx.*` attributes are as for nn ops.
// Nothing verifies these ops; dependency analysis pins every dim they touch unless it knows
// the op type. The variadic ONNX ops Concat, Sum, Max, Min, Mean, Einsum (variadic inputs)
// and Split (variadic outputs) are always `onnx.*` ops because IRDL 19 cannot verify them
// (see the IRDL notes below), though sp prunes through them: their comment blocks in the
// last section of this file (no IRDL definition) give their inputs, attributes and
// coupling. Nodes of other domains, and nodes whose arity fits no nn op (Resize before
// opset 11), are `onnx.*` ops too.
//
// ## Comment block format (read by docs/gen_dialect_doc.py)
//
// ```
// // <Op> — <one-line summary>
// // inputs: <names in ONNX order; `?` = optional segment, `...` = ONNX variadic> | (none)
// // outputs: <same>
// // attributes: <name>: <type> [(<notes>)], ... | (none)
// // pruning: <how channels couple through the op>     (optional)
// // note: <opset differences>                         (optional)
// ```
//
// A field continues on following lines that start with `//   `. Types use the same block
// with `parameters:` instead of inputs/outputs. `// === <title>` starts a section. In the
// section `Ops outside the dialect` after the dialect the blocks stand alone (separated by
// blank lines); `...` marks a variadic input or output there.
//
// ## LLVM 19 IRDL behaviour this file works around (checked with mlir-opt 19.1.7)
//
// - A constraint SSA value binds to the first type it accepts, for the whole op: two
//   operands sharing one constraint must have equal types. So every operand and result has
//   its own constraint values (`%X_tensor`, `%X_unranked`, `%X`); only `%unknown`, which
//   matches exactly one type, is shared.
// - The same binding applies within a variadic segment: ALL values of one variadic segment
//   must have the same type, so a Concat of tensor<1x3xf32> and tensor<1x5xf32>, an uneven
//   Split or a broadcasting Sum fail with "expected '<first type>' but got '<other type>'".
//   A variadic segment also has no bounds. Hence no nn op has a variadic segment: bounded
//   optional inputs are one `optional` segment each (own constraints, own types), truly
//   variadic ops are `onnx.*` ops.
// - The segment-size attribute is spelled `operand_segment_sizes` / `result_segment_sizes`
//   (not ODS's `operandSegmentSizes`) and must be `array<i32: ...>`. IRDL checks the entry
//   count, that single segments are 1 and optional ones 0 or 1, and that the sum is the
//   operand count. On an op with at most one non-single segment it ignores the attribute,
//   even a wrong one: sp must not emit it there.
// - An IRDL dialect accepts no undeclared op names, even with --allow-unregistered-dialect:
//   hence the separate `onnx.` prefix, which is no dialect at all.
// - `irdl.c_pred` cannot be loaded at run time; `irdl.attributes` entries are required.

irdl.dialect @nn {

  // === Types

  // string — Element type of ONNX STRING tensors: `tensor<?x!nn.string>`.
  // parameters: (none)
  irdl.type @string

  // unknown — A value whose type sp could not infer (accepted by every operand and result).
  // parameters: (none)
  irdl.type @unknown

  // sequence — An ONNX sequence: `!nn.sequence<tensor<?xf32>>`.
  // parameters: element type
  irdl.type @sequence {
    %element = irdl.any
    irdl.parameters(%element)
  }

  // optional — An ONNX optional: `!nn.optional<tensor<f32>>`.
  // parameters: element type
  irdl.type @optional {
    %element = irdl.any
    irdl.parameters(%element)
  }

  // map — An ONNX map: `!nn.map<i64, tensor<?xf32>>`.
  // parameters: key type, value type
  irdl.type @map {
    %key = irdl.any
    %value = irdl.any
    irdl.parameters(%key, %value)
  }

  // === Graph structure

  // None — An absent input in the middle of the inputs of an `onnx.<OpType>` op.
  // inputs: (none)
  // outputs: output
  // attributes: (none)
  // note: nn ops never take it: an absent input of an nn op is an empty segment.
  irdl.operation @None {
    %output = irdl.is none
    irdl.results(%output)
  }

  // Initializer — A graph initializer (weight or constant).
  // inputs: (none)
  // outputs: output
  // attributes: value: tensor (required), onnx.names: strings
  // pruning: the weight itself: pruning a group slices it along the group's dims.
  // note: `value` is an ElementsAttr, usually `dense_resource`; `onnx.names` holds the ONNX
  //   initializer name(s).
  irdl.operation @Initializer {
    %output = irdl.base "!builtin.tensor"
    irdl.results(%output)
  }

  // === Convolution and pooling

  // Conv — N-D convolution over NCHW input (ONNX Conv).
  // inputs: X, W, B?
  // outputs: Y
  // attributes: auto_pad: string, dilations: ints, group: int, kernel_shape: ints, pads: ints,
  //   strides: ints
  // pruning: out-channels: W dim 0 couples with Y dim 1 and B dim 0. in-channels: X dim 1 is
  //   `group` blocks of W dim 1, block g feeding block g of W dim 0; depthwise (W dim 1 = 1) ties X
  //   dim 1 to W dim 0 and Y dim 1, and pruning must rewrite `group`.
  irdl.operation @Conv {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %W_tensor = irdl.base "!builtin.tensor"
    %W_unranked = irdl.base "!builtin.unranked_tensor"
    %W = irdl.any_of(%W_tensor, %W_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X, %W, optional %B)
    irdl.results(%Y)
  }

  // ConvTranspose — N-D transposed convolution (ONNX ConvTranspose, NCHW).
  // inputs: X, W, B?
  // outputs: Y
  // attributes: auto_pad: string, dilations: ints, group: int, kernel_shape: ints,
  //   output_padding: ints, output_shape: ints, pads: ints, strides: ints
  // pruning: W is (C, M/group, k...): X dim 1 couples with W dim 0; Y dim 1 is `group` blocks of W
  //   dim 1, block g fed by block g of X dim 1, and couples with B dim 0.
  irdl.operation @ConvTranspose {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %W_tensor = irdl.base "!builtin.tensor"
    %W_unranked = irdl.base "!builtin.unranked_tensor"
    %W = irdl.any_of(%W_tensor, %W_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X, %W, optional %B)
    irdl.results(%Y)
  }

  // MaxPool — Max pooling over spatial dims.
  // inputs: X
  // outputs: Y, Indices?
  // attributes: auto_pad: string, ceil_mode: int (opset 10+), dilations: ints (opset 10+),
  //   kernel_shape: ints (required), pads: ints, storage_order: int (opset 8+), strides: ints
  // pruning: per-channel: Y dim 0/1 (and Indices) are X dim 0/1; spatial dims are windowed.
  irdl.operation @MaxPool {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    %Indices_tensor = irdl.base "!builtin.tensor"
    %Indices_unranked = irdl.base "!builtin.unranked_tensor"
    %Indices = irdl.any_of(%Indices_tensor, %Indices_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y, optional %Indices)
  }

  // AveragePool — Average pooling over spatial dims.
  // inputs: X
  // outputs: Y
  // attributes: auto_pad: string, ceil_mode: int (opset 10+), count_include_pad: int (opset 7+),
  //   kernel_shape: ints (required), pads: ints, strides: ints
  // pruning: per-channel: Y dim 0/1 are X dim 0/1; spatial dims are windowed.
  irdl.operation @AveragePool {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // GlobalAveragePool — Mean over all spatial dims (keeps them as size 1).
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: per-channel: Y dim 0/1 are X dim 0/1.
  irdl.operation @GlobalAveragePool {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // GlobalMaxPool — Max over all spatial dims (keeps them as size 1).
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: per-channel: Y dim 0/1 are X dim 0/1.
  irdl.operation @GlobalMaxPool {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // === Normalization

  // BatchNormalization — Batch normalization with per-channel statistics.
  // inputs: X, scale, B, input_mean, input_var
  // outputs: Y, running_mean?, running_var?, saved_mean?, saved_var?
  // attributes: epsilon: float, is_test: int (before opset 7), momentum: float,
  //   spatial: int (before opset 9), training_mode: int (opset 14+)
  // pruning: per-channel: X dim 1, Y dim 1 and dim 0 of scale, B, input_mean, input_var (and of the
  //   optional statistic outputs) are one group.
  // note: outputs after Y: opset 14+ running_mean, running_var; opsets 1-13 mean, var, saved_mean,
  //   saved_var.
  irdl.operation @BatchNormalization {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %scale_tensor = irdl.base "!builtin.tensor"
    %scale_unranked = irdl.base "!builtin.unranked_tensor"
    %scale = irdl.any_of(%scale_tensor, %scale_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %input_mean_tensor = irdl.base "!builtin.tensor"
    %input_mean_unranked = irdl.base "!builtin.unranked_tensor"
    %input_mean = irdl.any_of(%input_mean_tensor, %input_mean_unranked, %unknown)
    %input_var_tensor = irdl.base "!builtin.tensor"
    %input_var_unranked = irdl.base "!builtin.unranked_tensor"
    %input_var = irdl.any_of(%input_var_tensor, %input_var_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    %running_mean_tensor = irdl.base "!builtin.tensor"
    %running_mean_unranked = irdl.base "!builtin.unranked_tensor"
    %running_mean = irdl.any_of(%running_mean_tensor, %running_mean_unranked, %unknown)
    %running_var_tensor = irdl.base "!builtin.tensor"
    %running_var_unranked = irdl.base "!builtin.unranked_tensor"
    %running_var = irdl.any_of(%running_var_tensor, %running_var_unranked, %unknown)
    %saved_mean_tensor = irdl.base "!builtin.tensor"
    %saved_mean_unranked = irdl.base "!builtin.unranked_tensor"
    %saved_mean = irdl.any_of(%saved_mean_tensor, %saved_mean_unranked, %unknown)
    %saved_var_tensor = irdl.base "!builtin.tensor"
    %saved_var_unranked = irdl.base "!builtin.unranked_tensor"
    %saved_var = irdl.any_of(%saved_var_tensor, %saved_var_unranked, %unknown)
    irdl.operands(%X, %scale, %B, %input_mean, %input_var)
    irdl.results(%Y, optional %running_mean, optional %running_var, optional %saved_mean, optional %saved_var)
  }

  // InstanceNormalization — Per-instance, per-channel normalization over spatial dims.
  // inputs: input, scale, B
  // outputs: output
  // attributes: epsilon: float
  // pruning: per-channel: input dim 1, output dim 1, scale dim 0 and B dim 0 are one group.
  irdl.operation @InstanceNormalization {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %scale_tensor = irdl.base "!builtin.tensor"
    %scale_unranked = irdl.base "!builtin.unranked_tensor"
    %scale = irdl.any_of(%scale_tensor, %scale_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input, %scale, %B)
    irdl.results(%output)
  }

  // LayerNormalization — Normalization over the trailing dims from `axis` (opset 17).
  // inputs: X, Scale, B?
  // outputs: Y, Mean?, InvStdDev?
  // attributes: axis: int, epsilon: float, stash_type: int
  // pruning: Scale and B couple with the normalized trailing dims of X; those dims are reduced, so
  //   pruning them changes the statistics (mask and shrink differ); leading dims are identity.
  irdl.operation @LayerNormalization {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Scale_tensor = irdl.base "!builtin.tensor"
    %Scale_unranked = irdl.base "!builtin.unranked_tensor"
    %Scale = irdl.any_of(%Scale_tensor, %Scale_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    %Mean_tensor = irdl.base "!builtin.tensor"
    %Mean_unranked = irdl.base "!builtin.unranked_tensor"
    %Mean = irdl.any_of(%Mean_tensor, %Mean_unranked, %unknown)
    %InvStdDev_tensor = irdl.base "!builtin.tensor"
    %InvStdDev_unranked = irdl.base "!builtin.unranked_tensor"
    %InvStdDev = irdl.any_of(%InvStdDev_tensor, %InvStdDev_unranked, %unknown)
    irdl.operands(%X, %Scale, optional %B)
    irdl.results(%Y, optional %Mean, optional %InvStdDev)
  }

  // GroupNormalization — Normalization over groups of channels (opset 18).
  // inputs: X, scale, bias
  // outputs: Y
  // attributes: epsilon: float, num_groups: int (required)
  // pruning: X dim 1 and Y dim 1 couple in num_groups blocks; scale and bias are per group at opset
  //   18 (dim 0 = num_groups), so only whole groups can be pruned.
  irdl.operation @GroupNormalization {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %scale_tensor = irdl.base "!builtin.tensor"
    %scale_unranked = irdl.base "!builtin.unranked_tensor"
    %scale = irdl.any_of(%scale_tensor, %scale_unranked, %unknown)
    %bias_tensor = irdl.base "!builtin.tensor"
    %bias_unranked = irdl.base "!builtin.unranked_tensor"
    %bias = irdl.any_of(%bias_tensor, %bias_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X, %scale, %bias)
    irdl.results(%Y)
  }

  // === Activations and unary elementwise

  // Relu — max(X, 0).
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Relu {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // LeakyRelu — X if X >= 0 else alpha * X.
  // inputs: X
  // outputs: Y
  // attributes: alpha: float
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @LeakyRelu {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // PRelu — X if X >= 0 else slope * X, slope broadcast to X.
  // inputs: X, slope
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise on X; slope broadcasts (usually per channel: slope dim 0 couples with X
  //   dim 1).
  irdl.operation @PRelu {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %slope_tensor = irdl.base "!builtin.tensor"
    %slope_unranked = irdl.base "!builtin.unranked_tensor"
    %slope = irdl.any_of(%slope_tensor, %slope_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X, %slope)
    irdl.results(%Y)
  }

  // Sigmoid — 1 / (1 + exp(-X)).
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Sigmoid {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // HardSigmoid — max(0, min(1, alpha * X + beta)).
  // inputs: X
  // outputs: Y
  // attributes: alpha: float, beta: float
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @HardSigmoid {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // HardSwish — X * HardSigmoid(X) with alpha 1/6, beta 0.5.
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @HardSwish {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Tanh — Hyperbolic tangent.
  // inputs: input
  // outputs: output
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Tanh {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input)
    irdl.results(%output)
  }

  // Erf — Error function.
  // inputs: input
  // outputs: output
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Erf {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input)
    irdl.results(%output)
  }

  // Gelu — Gaussian error linear unit (ONNX opset 20; older exports spell it with Erf or Tanh).
  // inputs: X
  // outputs: Y
  // attributes: approximate: string
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Gelu {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Softplus — log(exp(X) + 1).
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Softplus {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Elu — X if X >= 0 else alpha * (exp(X) - 1).
  // inputs: X
  // outputs: Y
  // attributes: alpha: float
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Elu {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Selu — gamma * (X if X > 0 else alpha * (exp(X) - 1)).
  // inputs: X
  // outputs: Y
  // attributes: alpha: float, gamma: float
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Selu {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Mish — X * tanh(softplus(X)) (opset 18).
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Mish {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Clip — Clamp input to [min, max].
  // inputs: input, min?, max?
  // outputs: output
  // attributes: max: float (before opset 11), min: float (before opset 11)
  // pruning: elementwise on input; min and max are scalars.
  // note: min and max are attributes before opset 11 and optional inputs from 11.
  irdl.operation @Clip {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %min_tensor = irdl.base "!builtin.tensor"
    %min_unranked = irdl.base "!builtin.unranked_tensor"
    %min = irdl.any_of(%min_tensor, %min_unranked, %unknown)
    %max_tensor = irdl.base "!builtin.tensor"
    %max_unranked = irdl.base "!builtin.unranked_tensor"
    %max = irdl.any_of(%max_tensor, %max_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input, optional %min, optional %max)
    irdl.results(%output)
  }

  // Sqrt — Square root.
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Sqrt {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Neg — Negation.
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Neg {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Exp — Natural exponential.
  // inputs: input
  // outputs: output
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Exp {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input)
    irdl.results(%output)
  }

  // Log — Natural logarithm.
  // inputs: input
  // outputs: output
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Log {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input)
    irdl.results(%output)
  }

  // Abs — Absolute value.
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Abs {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Reciprocal — 1 / X.
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Reciprocal {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Floor — Round toward -inf.
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Floor {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Ceil — Round toward +inf.
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Ceil {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Round — Round half to even.
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Round {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Sin — Sine.
  // inputs: input
  // outputs: output
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Sin {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input)
    irdl.results(%output)
  }

  // Cos — Cosine.
  // inputs: input
  // outputs: output
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Cos {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input)
    irdl.results(%output)
  }

  // IsNaN — X != X, as bool.
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @IsNaN {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Not — Logical not (bool).
  // inputs: X
  // outputs: Y
  // attributes: (none)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  irdl.operation @Not {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X)
    irdl.results(%Y)
  }

  // Cast — Element type conversion to `to` (a TensorProto data type).
  // inputs: input
  // outputs: output
  // attributes: to: int (required)
  // pruning: elementwise: every dim of the result is the same dim of the input.
  // note: `to` is a string before opset 6.
  irdl.operation @Cast {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input)
    irdl.results(%output)
  }

  // CastLike — Element type conversion to the element type of target_type.
  // inputs: input, target_type
  // outputs: output
  // attributes: (none)
  // pruning: elementwise on input; target_type contributes only its element type.
  irdl.operation @CastLike {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %target_type_tensor = irdl.base "!builtin.tensor"
    %target_type_unranked = irdl.base "!builtin.unranked_tensor"
    %target_type = irdl.any_of(%target_type_tensor, %target_type_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input, %target_type)
    irdl.results(%output)
  }

  // Dropout — Dropout; the identity at inference.
  // inputs: data, ratio?, training_mode?
  // outputs: output, mask?
  // attributes: is_test: int (before opset 7), ratio: float (before opset 12),
  //   seed: int (opset 12+)
  // pruning: elementwise: output (and mask) dims are data dims.
  // note: ratio is an attribute before opset 12; ratio and training_mode are optional inputs from
  //   12.
  irdl.operation @Dropout {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %ratio_tensor = irdl.base "!builtin.tensor"
    %ratio_unranked = irdl.base "!builtin.unranked_tensor"
    %ratio = irdl.any_of(%ratio_tensor, %ratio_unranked, %unknown)
    %training_mode_tensor = irdl.base "!builtin.tensor"
    %training_mode_unranked = irdl.base "!builtin.unranked_tensor"
    %training_mode = irdl.any_of(%training_mode_tensor, %training_mode_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    %mask_tensor = irdl.base "!builtin.tensor"
    %mask_unranked = irdl.base "!builtin.unranked_tensor"
    %mask = irdl.any_of(%mask_tensor, %mask_unranked, %unknown)
    irdl.operands(%data, optional %ratio, optional %training_mode)
    irdl.results(%output, optional %mask)
  }

  // Identity — Identity (tensors; sequences from opset 14, optionals from opset 16).
  // inputs: input
  // outputs: output
  // attributes: (none)
  // pruning: identity.
  irdl.operation @Identity {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input_sequence = irdl.base @nn::@sequence
    %input_optional = irdl.base @nn::@optional
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown, %input_sequence, %input_optional)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output_sequence = irdl.base @nn::@sequence
    %output_optional = irdl.base @nn::@optional
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown,
                          %output_sequence, %output_optional)
    irdl.operands(%input)
    irdl.results(%output)
  }

  // === Softmax

  // Softmax — Softmax along `axis` (before opset 13: over all dims from `axis`, flattened).
  // inputs: input
  // outputs: output
  // attributes: axis: int
  // pruning: dims other than the softmax dims are identity; the softmax dims are reduced, so
  //   pruning them changes the result (mask and shrink differ).
  irdl.operation @Softmax {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input)
    irdl.results(%output)
  }

  // LogSoftmax — log(Softmax(input)) along `axis`.
  // inputs: input
  // outputs: output
  // attributes: axis: int
  // pruning: as Softmax.
  irdl.operation @LogSoftmax {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input)
    irdl.results(%output)
  }

  // === Binary elementwise

  // Add — A + B with broadcasting.
  // inputs: A, B
  // outputs: C
  // attributes: axis: int (before opset 7), broadcast: int (before opset 7)
  // pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
  //   whose size there is not 1.
  // note: `broadcast`/`axis` (before opset 7) give legacy unidirectional broadcasting.
  irdl.operation @Add {
    %unknown = irdl.base @nn::@unknown
    %A_tensor = irdl.base "!builtin.tensor"
    %A_unranked = irdl.base "!builtin.unranked_tensor"
    %A = irdl.any_of(%A_tensor, %A_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %C_tensor = irdl.base "!builtin.tensor"
    %C_unranked = irdl.base "!builtin.unranked_tensor"
    %C = irdl.any_of(%C_tensor, %C_unranked, %unknown)
    irdl.operands(%A, %B)
    irdl.results(%C)
  }

  // Sub — A - B with broadcasting.
  // inputs: A, B
  // outputs: C
  // attributes: axis: int (before opset 7), broadcast: int (before opset 7)
  // pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
  //   whose size there is not 1.
  irdl.operation @Sub {
    %unknown = irdl.base @nn::@unknown
    %A_tensor = irdl.base "!builtin.tensor"
    %A_unranked = irdl.base "!builtin.unranked_tensor"
    %A = irdl.any_of(%A_tensor, %A_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %C_tensor = irdl.base "!builtin.tensor"
    %C_unranked = irdl.base "!builtin.unranked_tensor"
    %C = irdl.any_of(%C_tensor, %C_unranked, %unknown)
    irdl.operands(%A, %B)
    irdl.results(%C)
  }

  // Mul — A * B with broadcasting.
  // inputs: A, B
  // outputs: C
  // attributes: axis: int (before opset 7), broadcast: int (before opset 7)
  // pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
  //   whose size there is not 1.
  irdl.operation @Mul {
    %unknown = irdl.base @nn::@unknown
    %A_tensor = irdl.base "!builtin.tensor"
    %A_unranked = irdl.base "!builtin.unranked_tensor"
    %A = irdl.any_of(%A_tensor, %A_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %C_tensor = irdl.base "!builtin.tensor"
    %C_unranked = irdl.base "!builtin.unranked_tensor"
    %C = irdl.any_of(%C_tensor, %C_unranked, %unknown)
    irdl.operands(%A, %B)
    irdl.results(%C)
  }

  // Div — A / B with broadcasting.
  // inputs: A, B
  // outputs: C
  // attributes: axis: int (before opset 7), broadcast: int (before opset 7)
  // pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
  //   whose size there is not 1.
  irdl.operation @Div {
    %unknown = irdl.base @nn::@unknown
    %A_tensor = irdl.base "!builtin.tensor"
    %A_unranked = irdl.base "!builtin.unranked_tensor"
    %A = irdl.any_of(%A_tensor, %A_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %C_tensor = irdl.base "!builtin.tensor"
    %C_unranked = irdl.base "!builtin.unranked_tensor"
    %C = irdl.any_of(%C_tensor, %C_unranked, %unknown)
    irdl.operands(%A, %B)
    irdl.results(%C)
  }

  // Pow — X ^ Y with broadcasting.
  // inputs: X, Y
  // outputs: Z
  // attributes: axis: int (before opset 7), broadcast: int (before opset 7)
  // pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
  //   whose size there is not 1.
  irdl.operation @Pow {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    %Z_tensor = irdl.base "!builtin.tensor"
    %Z_unranked = irdl.base "!builtin.unranked_tensor"
    %Z = irdl.any_of(%Z_tensor, %Z_unranked, %unknown)
    irdl.operands(%X, %Y)
    irdl.results(%Z)
  }

  // Equal — A == B with broadcasting (bool result).
  // inputs: A, B
  // outputs: C
  // attributes: axis: int (before opset 7), broadcast: int (before opset 7)
  // pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
  //   whose size there is not 1.
  irdl.operation @Equal {
    %unknown = irdl.base @nn::@unknown
    %A_tensor = irdl.base "!builtin.tensor"
    %A_unranked = irdl.base "!builtin.unranked_tensor"
    %A = irdl.any_of(%A_tensor, %A_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %C_tensor = irdl.base "!builtin.tensor"
    %C_unranked = irdl.base "!builtin.unranked_tensor"
    %C = irdl.any_of(%C_tensor, %C_unranked, %unknown)
    irdl.operands(%A, %B)
    irdl.results(%C)
  }

  // Less — A < B with broadcasting (bool result).
  // inputs: A, B
  // outputs: C
  // attributes: axis: int (before opset 7), broadcast: int (before opset 7)
  // pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
  //   whose size there is not 1.
  irdl.operation @Less {
    %unknown = irdl.base @nn::@unknown
    %A_tensor = irdl.base "!builtin.tensor"
    %A_unranked = irdl.base "!builtin.unranked_tensor"
    %A = irdl.any_of(%A_tensor, %A_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %C_tensor = irdl.base "!builtin.tensor"
    %C_unranked = irdl.base "!builtin.unranked_tensor"
    %C = irdl.any_of(%C_tensor, %C_unranked, %unknown)
    irdl.operands(%A, %B)
    irdl.results(%C)
  }

  // Greater — A > B with broadcasting (bool result).
  // inputs: A, B
  // outputs: C
  // attributes: axis: int (before opset 7), broadcast: int (before opset 7)
  // pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
  //   whose size there is not 1.
  irdl.operation @Greater {
    %unknown = irdl.base @nn::@unknown
    %A_tensor = irdl.base "!builtin.tensor"
    %A_unranked = irdl.base "!builtin.unranked_tensor"
    %A = irdl.any_of(%A_tensor, %A_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %C_tensor = irdl.base "!builtin.tensor"
    %C_unranked = irdl.base "!builtin.unranked_tensor"
    %C = irdl.any_of(%C_tensor, %C_unranked, %unknown)
    irdl.operands(%A, %B)
    irdl.results(%C)
  }

  // And — Logical and with broadcasting.
  // inputs: A, B
  // outputs: C
  // attributes: axis: int (before opset 7), broadcast: int (before opset 7)
  // pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
  //   whose size there is not 1.
  irdl.operation @And {
    %unknown = irdl.base @nn::@unknown
    %A_tensor = irdl.base "!builtin.tensor"
    %A_unranked = irdl.base "!builtin.unranked_tensor"
    %A = irdl.any_of(%A_tensor, %A_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %C_tensor = irdl.base "!builtin.tensor"
    %C_unranked = irdl.base "!builtin.unranked_tensor"
    %C = irdl.any_of(%C_tensor, %C_unranked, %unknown)
    irdl.operands(%A, %B)
    irdl.results(%C)
  }

  // Or — Logical or with broadcasting.
  // inputs: A, B
  // outputs: C
  // attributes: axis: int (before opset 7), broadcast: int (before opset 7)
  // pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
  //   whose size there is not 1.
  irdl.operation @Or {
    %unknown = irdl.base @nn::@unknown
    %A_tensor = irdl.base "!builtin.tensor"
    %A_unranked = irdl.base "!builtin.unranked_tensor"
    %A = irdl.any_of(%A_tensor, %A_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %C_tensor = irdl.base "!builtin.tensor"
    %C_unranked = irdl.base "!builtin.unranked_tensor"
    %C = irdl.any_of(%C_tensor, %C_unranked, %unknown)
    irdl.operands(%A, %B)
    irdl.results(%C)
  }

  // Where — condition ? X : Y with broadcasting over all three.
  // inputs: condition, X, Y
  // outputs: output
  // attributes: (none)
  // pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
  //   whose size there is not 1.
  irdl.operation @Where {
    %unknown = irdl.base @nn::@unknown
    %condition_tensor = irdl.base "!builtin.tensor"
    %condition_unranked = irdl.base "!builtin.unranked_tensor"
    %condition = irdl.any_of(%condition_tensor, %condition_unranked, %unknown)
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%condition, %X, %Y)
    irdl.results(%output)
  }

  // === Linear algebra

  // MatMul — numpy-style matrix product.
  // inputs: A, B
  // outputs: Y
  // attributes: (none)
  // pruning: contraction: A dim -1 couples with B dim -2; Y dim -1 is B dim -1; Y dim -2 is A
  //   dim -2; batch dims broadcast.
  irdl.operation @MatMul {
    %unknown = irdl.base @nn::@unknown
    %A_tensor = irdl.base "!builtin.tensor"
    %A_unranked = irdl.base "!builtin.unranked_tensor"
    %A = irdl.any_of(%A_tensor, %A_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%A, %B)
    irdl.results(%Y)
  }

  // Gemm — Y = alpha * op(A) * op(B) + beta * C, op = optional transpose.
  // inputs: A, B, C?
  // outputs: Y
  // attributes: alpha: float, beta: float, broadcast: int (before opset 7), transA: int,
  //   transB: int
  // pruning: contraction: op(A) dim 1 couples with op(B) dim 0; Y dim 1 is op(B) dim 1 and C
  //   (broadcast); Y dim 0 is op(A) dim 0.
  // note: C is required before opset 11.
  irdl.operation @Gemm {
    %unknown = irdl.base @nn::@unknown
    %A_tensor = irdl.base "!builtin.tensor"
    %A_unranked = irdl.base "!builtin.unranked_tensor"
    %A = irdl.any_of(%A_tensor, %A_unranked, %unknown)
    %B_tensor = irdl.base "!builtin.tensor"
    %B_unranked = irdl.base "!builtin.unranked_tensor"
    %B = irdl.any_of(%B_tensor, %B_unranked, %unknown)
    %C_tensor = irdl.base "!builtin.tensor"
    %C_unranked = irdl.base "!builtin.unranked_tensor"
    %C = irdl.any_of(%C_tensor, %C_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%A, %B, optional %C)
    irdl.results(%Y)
  }

  // === Shape and data movement

  // Flatten — Reshape to 2-D: dims [0, axis) and [axis, rank) are merged.
  // inputs: input
  // outputs: output
  // attributes: axis: int
  // pruning: merge: a dim becomes a block of its merged dim, stride = product of the later merged
  //   dims.
  irdl.operation @Flatten {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input)
    irdl.results(%output)
  }

  // Reshape — Reshape to `shape` (0 copies a dim unless allowzero, -1 infers one).
  // inputs: data, shape?
  // outputs: reshaped
  // attributes: allowzero: int (opset 14+), shape: ints (before opset 5)
  // pruning: merge/split of dims: a group survives only through whole blocks of a merged or split
  //   dim; the shape constant must be rewritten.
  // note: shape is an attribute before opset 5 and an input from 5.
  irdl.operation @Reshape {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %shape_tensor = irdl.base "!builtin.tensor"
    %shape_unranked = irdl.base "!builtin.unranked_tensor"
    %shape = irdl.any_of(%shape_tensor, %shape_unranked, %unknown)
    %reshaped_tensor = irdl.base "!builtin.tensor"
    %reshaped_unranked = irdl.base "!builtin.unranked_tensor"
    %reshaped = irdl.any_of(%reshaped_tensor, %reshaped_unranked, %unknown)
    irdl.operands(%data, optional %shape)
    irdl.results(%reshaped)
  }

  // Transpose — Permute dims by `perm` (default: reverse).
  // inputs: data
  // outputs: transposed
  // attributes: perm: ints
  // pruning: permutation: transposed dim i is data dim perm[i].
  irdl.operation @Transpose {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %transposed_tensor = irdl.base "!builtin.tensor"
    %transposed_unranked = irdl.base "!builtin.unranked_tensor"
    %transposed = irdl.any_of(%transposed_tensor, %transposed_unranked, %unknown)
    irdl.operands(%data)
    irdl.results(%transposed)
  }

  // Slice — Take [starts, ends) with steps along axes.
  // inputs: data, starts?, ends?, axes?, steps?
  // outputs: output
  // attributes: axes: ints (before opset 10), ends: ints (before opset 10),
  //   starts: ints (before opset 10)
  // pruning: dims along `axes` are ranges of data dims (starts/ends must be rewritten); other
  //   dims are identity.
  // note: starts, ends, axes are attributes before opset 10 and inputs from 10.
  irdl.operation @Slice {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %starts_tensor = irdl.base "!builtin.tensor"
    %starts_unranked = irdl.base "!builtin.unranked_tensor"
    %starts = irdl.any_of(%starts_tensor, %starts_unranked, %unknown)
    %ends_tensor = irdl.base "!builtin.tensor"
    %ends_unranked = irdl.base "!builtin.unranked_tensor"
    %ends = irdl.any_of(%ends_tensor, %ends_unranked, %unknown)
    %axes_tensor = irdl.base "!builtin.tensor"
    %axes_unranked = irdl.base "!builtin.unranked_tensor"
    %axes = irdl.any_of(%axes_tensor, %axes_unranked, %unknown)
    %steps_tensor = irdl.base "!builtin.tensor"
    %steps_unranked = irdl.base "!builtin.unranked_tensor"
    %steps = irdl.any_of(%steps_tensor, %steps_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%data, optional %starts, optional %ends, optional %axes, optional %steps)
    irdl.results(%output)
  }

  // Gather — Index data along `axis` with indices.
  // inputs: data, indices
  // outputs: output
  // attributes: axis: int
  // pruning: output dims are data dims before axis, then indices dims, then data dims after axis;
  //   data dim `axis` is addressed by index values.
  irdl.operation @Gather {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %indices_tensor = irdl.base "!builtin.tensor"
    %indices_unranked = irdl.base "!builtin.unranked_tensor"
    %indices = irdl.any_of(%indices_tensor, %indices_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%data, %indices)
    irdl.results(%output)
  }

  // GatherElements — Index data along `axis` elementwise with indices.
  // inputs: data, indices
  // outputs: output
  // attributes: axis: int
  // pruning: output dims are indices dims; data dim `axis` is addressed by index values.
  irdl.operation @GatherElements {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %indices_tensor = irdl.base "!builtin.tensor"
    %indices_unranked = irdl.base "!builtin.unranked_tensor"
    %indices = irdl.any_of(%indices_tensor, %indices_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%data, %indices)
    irdl.results(%output)
  }

  // Squeeze — Remove size-1 dims.
  // inputs: data, axes?
  // outputs: squeezed
  // attributes: axes: ints (before opset 13)
  // pruning: remaining dims are identity.
  // note: axes is an attribute before opset 13 and an optional input from 13.
  irdl.operation @Squeeze {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %axes_tensor = irdl.base "!builtin.tensor"
    %axes_unranked = irdl.base "!builtin.unranked_tensor"
    %axes = irdl.any_of(%axes_tensor, %axes_unranked, %unknown)
    %squeezed_tensor = irdl.base "!builtin.tensor"
    %squeezed_unranked = irdl.base "!builtin.unranked_tensor"
    %squeezed = irdl.any_of(%squeezed_tensor, %squeezed_unranked, %unknown)
    irdl.operands(%data, optional %axes)
    irdl.results(%squeezed)
  }

  // Unsqueeze — Insert size-1 dims.
  // inputs: data, axes?
  // outputs: expanded
  // attributes: axes: ints (before opset 13)
  // pruning: existing dims are identity.
  // note: axes is an attribute before opset 13 and an input from 13.
  irdl.operation @Unsqueeze {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %axes_tensor = irdl.base "!builtin.tensor"
    %axes_unranked = irdl.base "!builtin.unranked_tensor"
    %axes = irdl.any_of(%axes_tensor, %axes_unranked, %unknown)
    %expanded_tensor = irdl.base "!builtin.tensor"
    %expanded_unranked = irdl.base "!builtin.unranked_tensor"
    %expanded = irdl.any_of(%expanded_tensor, %expanded_unranked, %unknown)
    irdl.operands(%data, optional %axes)
    irdl.results(%expanded)
  }

  // Shape — The dims of data (optionally [start, end)) as a 1-D int64 tensor.
  // inputs: data
  // outputs: shape
  // attributes: end: int (opset 15+), start: int (opset 15+)
  // pruning: reads dims as values: data dims flowing into shape arithmetic are used as shape data.
  irdl.operation @Shape {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %shape_tensor = irdl.base "!builtin.tensor"
    %shape_unranked = irdl.base "!builtin.unranked_tensor"
    %shape = irdl.any_of(%shape_tensor, %shape_unranked, %unknown)
    irdl.operands(%data)
    irdl.results(%shape)
  }

  // Size — The element count of data as an int64 scalar.
  // inputs: data
  // outputs: size
  // attributes: (none)
  // pruning: reads dims as values.
  irdl.operation @Size {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %size_tensor = irdl.base "!builtin.tensor"
    %size_unranked = irdl.base "!builtin.unranked_tensor"
    %size = irdl.any_of(%size_tensor, %size_unranked, %unknown)
    irdl.operands(%data)
    irdl.results(%size)
  }

  // Expand — Broadcast input to shape.
  // inputs: input, shape
  // outputs: output
  // attributes: (none)
  // pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
  //   whose size there is not 1.
  irdl.operation @Expand {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %shape_tensor = irdl.base "!builtin.tensor"
    %shape_unranked = irdl.base "!builtin.unranked_tensor"
    %shape = irdl.any_of(%shape_tensor, %shape_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input, %shape)
    irdl.results(%output)
  }

  // Tile — Repeat input along each dim by repeats.
  // inputs: input, repeats, axis?
  // outputs: output
  // attributes: (none)
  // pruning: dims repeated once are identity; other dims become blocks.
  // note: opset 1 spells the inputs input, tiles, axis.
  irdl.operation @Tile {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %repeats_tensor = irdl.base "!builtin.tensor"
    %repeats_unranked = irdl.base "!builtin.unranked_tensor"
    %repeats = irdl.any_of(%repeats_tensor, %repeats_unranked, %unknown)
    %axis_tensor = irdl.base "!builtin.tensor"
    %axis_unranked = irdl.base "!builtin.unranked_tensor"
    %axis = irdl.any_of(%axis_tensor, %axis_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input, %repeats, optional %axis)
    irdl.results(%output)
  }

  // Pad — Pad data by pads (constant, reflect or edge).
  // inputs: data, pads?, constant_value?, axes?
  // outputs: output
  // attributes: mode: string, paddings: ints (before opset 2), pads: ints (before opset 11),
  //   value: float (before opset 11)
  // pruning: dims padded by zero are identity; padded dims get an offset.
  // note: pads and value are attributes before opset 11; pads, constant_value (and axes from 18)
  //   are inputs from 11.
  irdl.operation @Pad {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %pads_tensor = irdl.base "!builtin.tensor"
    %pads_unranked = irdl.base "!builtin.unranked_tensor"
    %pads = irdl.any_of(%pads_tensor, %pads_unranked, %unknown)
    %constant_value_tensor = irdl.base "!builtin.tensor"
    %constant_value_unranked = irdl.base "!builtin.unranked_tensor"
    %constant_value = irdl.any_of(%constant_value_tensor, %constant_value_unranked, %unknown)
    %axes_tensor = irdl.base "!builtin.tensor"
    %axes_unranked = irdl.base "!builtin.unranked_tensor"
    %axes = irdl.any_of(%axes_tensor, %axes_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%data, optional %pads, optional %constant_value, optional %axes)
    irdl.results(%output)
  }

  // Resize — Resize by scales or sizes (nearest, linear, cubic).
  // inputs: X, roi?, scales?, sizes?
  // outputs: Y
  // attributes: antialias: int (opset 18+), axes: ints (opset 18+),
  //   coordinate_transformation_mode: string (opset 11+), cubic_coeff_a: float (opset 11+),
  //   exclude_outside: int (opset 11+), extrapolation_value: float (opset 11+),
  //   keep_aspect_ratio_policy: string (opset 18+), mode: string, nearest_mode: string (opset 11+)
  // pruning: dims with scale 1 (usually N and C) are identity; scaled dims are resampled.
  // note: opset 10 has inputs X, scales (scales at position 1): such a node imports as
  //   `onnx.Resize`.
  irdl.operation @Resize {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %roi_tensor = irdl.base "!builtin.tensor"
    %roi_unranked = irdl.base "!builtin.unranked_tensor"
    %roi = irdl.any_of(%roi_tensor, %roi_unranked, %unknown)
    %scales_tensor = irdl.base "!builtin.tensor"
    %scales_unranked = irdl.base "!builtin.unranked_tensor"
    %scales = irdl.any_of(%scales_tensor, %scales_unranked, %unknown)
    %sizes_tensor = irdl.base "!builtin.tensor"
    %sizes_unranked = irdl.base "!builtin.unranked_tensor"
    %sizes = irdl.any_of(%sizes_tensor, %sizes_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X, optional %roi, optional %scales, optional %sizes)
    irdl.results(%Y)
  }

  // Upsample — Upsample by scales (deprecated in opset 10 for Resize).
  // inputs: X, scales?
  // outputs: Y
  // attributes: height_scale: float (before opset 7), mode: string,
  //   scales: floats (before opset 9), width_scale: float (before opset 7)
  // pruning: dims with scale 1 are identity; scaled dims are resampled.
  // note: scales is an attribute before opset 9 and an input from 9.
  irdl.operation @Upsample {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %scales_tensor = irdl.base "!builtin.tensor"
    %scales_unranked = irdl.base "!builtin.unranked_tensor"
    %scales = irdl.any_of(%scales_tensor, %scales_unranked, %unknown)
    %Y_tensor = irdl.base "!builtin.tensor"
    %Y_unranked = irdl.base "!builtin.unranked_tensor"
    %Y = irdl.any_of(%Y_tensor, %Y_unranked, %unknown)
    irdl.operands(%X, optional %scales)
    irdl.results(%Y)
  }

  // Range — 1-D sequence start, start + delta, ... below limit.
  // inputs: start, limit, delta
  // outputs: output
  // attributes: (none)
  // pruning: no channel dims (scalar inputs).
  irdl.operation @Range {
    %unknown = irdl.base @nn::@unknown
    %start_tensor = irdl.base "!builtin.tensor"
    %start_unranked = irdl.base "!builtin.unranked_tensor"
    %start = irdl.any_of(%start_tensor, %start_unranked, %unknown)
    %limit_tensor = irdl.base "!builtin.tensor"
    %limit_unranked = irdl.base "!builtin.unranked_tensor"
    %limit = irdl.any_of(%limit_tensor, %limit_unranked, %unknown)
    %delta_tensor = irdl.base "!builtin.tensor"
    %delta_unranked = irdl.base "!builtin.unranked_tensor"
    %delta = irdl.any_of(%delta_tensor, %delta_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%start, %limit, %delta)
    irdl.results(%output)
  }

  // Trilu — Upper or lower triangle of the last two dims.
  // inputs: input, k?
  // outputs: output
  // attributes: upper: int
  // pruning: the last two dims are positional; the others are identity.
  irdl.operation @Trilu {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %k_tensor = irdl.base "!builtin.tensor"
    %k_unranked = irdl.base "!builtin.unranked_tensor"
    %k = irdl.any_of(%k_tensor, %k_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input, optional %k)
    irdl.results(%output)
  }

  // CumSum — Cumulative sum along axis.
  // inputs: x, axis
  // outputs: y
  // attributes: exclusive: int, reverse: int
  // pruning: dim `axis` is a scan; other dims are identity.
  irdl.operation @CumSum {
    %unknown = irdl.base @nn::@unknown
    %x_tensor = irdl.base "!builtin.tensor"
    %x_unranked = irdl.base "!builtin.unranked_tensor"
    %x = irdl.any_of(%x_tensor, %x_unranked, %unknown)
    %axis_tensor = irdl.base "!builtin.tensor"
    %axis_unranked = irdl.base "!builtin.unranked_tensor"
    %axis = irdl.any_of(%axis_tensor, %axis_unranked, %unknown)
    %y_tensor = irdl.base "!builtin.tensor"
    %y_unranked = irdl.base "!builtin.unranked_tensor"
    %y = irdl.any_of(%y_tensor, %y_unranked, %unknown)
    irdl.operands(%x, %axis)
    irdl.results(%y)
  }

  // TopK — The K largest (or smallest) elements along `axis` and their indices.
  // inputs: X, K?
  // outputs: Values, Indices
  // attributes: axis: int, k: int (before opset 10), largest: int (opset 11+),
  //   sorted: int (opset 11+)
  // pruning: dim `axis` shrinks to K; other dims are identity in Values and Indices.
  // note: K is an attribute before opset 10 and an input from 10.
  irdl.operation @TopK {
    %unknown = irdl.base @nn::@unknown
    %X_tensor = irdl.base "!builtin.tensor"
    %X_unranked = irdl.base "!builtin.unranked_tensor"
    %X = irdl.any_of(%X_tensor, %X_unranked, %unknown)
    %K_tensor = irdl.base "!builtin.tensor"
    %K_unranked = irdl.base "!builtin.unranked_tensor"
    %K = irdl.any_of(%K_tensor, %K_unranked, %unknown)
    %Values_tensor = irdl.base "!builtin.tensor"
    %Values_unranked = irdl.base "!builtin.unranked_tensor"
    %Values = irdl.any_of(%Values_tensor, %Values_unranked, %unknown)
    %Indices_tensor = irdl.base "!builtin.tensor"
    %Indices_unranked = irdl.base "!builtin.unranked_tensor"
    %Indices = irdl.any_of(%Indices_tensor, %Indices_unranked, %unknown)
    irdl.operands(%X, optional %K)
    irdl.results(%Values, %Indices)
  }

  // === Reductions

  // ReduceMean — Mean over axes.
  // inputs: data, axes?
  // outputs: reduced
  // attributes: axes: ints (before opset 18), keepdims: int, noop_with_empty_axes: int (opset 18+)
  // pruning: reduced dims vanish (or become 1 with keepdims); others are identity; pruning a
  //   reduced dim changes the mean.
  // note: axes is an attribute before opset 18 and an optional input from 18.
  irdl.operation @ReduceMean {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %axes_tensor = irdl.base "!builtin.tensor"
    %axes_unranked = irdl.base "!builtin.unranked_tensor"
    %axes = irdl.any_of(%axes_tensor, %axes_unranked, %unknown)
    %reduced_tensor = irdl.base "!builtin.tensor"
    %reduced_unranked = irdl.base "!builtin.unranked_tensor"
    %reduced = irdl.any_of(%reduced_tensor, %reduced_unranked, %unknown)
    irdl.operands(%data, optional %axes)
    irdl.results(%reduced)
  }

  // ReduceSum — Sum over axes.
  // inputs: data, axes?
  // outputs: reduced
  // attributes: axes: ints (before opset 13), keepdims: int, noop_with_empty_axes: int (opset 13+)
  // pruning: reduced dims vanish (or become 1 with keepdims); others are identity.
  // note: axes is an attribute before opset 13 and an optional input from 13.
  irdl.operation @ReduceSum {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %axes_tensor = irdl.base "!builtin.tensor"
    %axes_unranked = irdl.base "!builtin.unranked_tensor"
    %axes = irdl.any_of(%axes_tensor, %axes_unranked, %unknown)
    %reduced_tensor = irdl.base "!builtin.tensor"
    %reduced_unranked = irdl.base "!builtin.unranked_tensor"
    %reduced = irdl.any_of(%reduced_tensor, %reduced_unranked, %unknown)
    irdl.operands(%data, optional %axes)
    irdl.results(%reduced)
  }

  // ReduceMax — Max over axes.
  // inputs: data, axes?
  // outputs: reduced
  // attributes: axes: ints (before opset 18), keepdims: int, noop_with_empty_axes: int (opset 18+)
  // pruning: reduced dims vanish (or become 1 with keepdims); others are identity.
  // note: axes is an attribute before opset 18 and an optional input from 18.
  irdl.operation @ReduceMax {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %axes_tensor = irdl.base "!builtin.tensor"
    %axes_unranked = irdl.base "!builtin.unranked_tensor"
    %axes = irdl.any_of(%axes_tensor, %axes_unranked, %unknown)
    %reduced_tensor = irdl.base "!builtin.tensor"
    %reduced_unranked = irdl.base "!builtin.unranked_tensor"
    %reduced = irdl.any_of(%reduced_tensor, %reduced_unranked, %unknown)
    irdl.operands(%data, optional %axes)
    irdl.results(%reduced)
  }

  // ReduceMin — Min over axes.
  // inputs: data, axes?
  // outputs: reduced
  // attributes: axes: ints (before opset 18), keepdims: int, noop_with_empty_axes: int (opset 18+)
  // pruning: reduced dims vanish (or become 1 with keepdims); others are identity.
  // note: axes is an attribute before opset 18 and an optional input from 18.
  irdl.operation @ReduceMin {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %axes_tensor = irdl.base "!builtin.tensor"
    %axes_unranked = irdl.base "!builtin.unranked_tensor"
    %axes = irdl.any_of(%axes_tensor, %axes_unranked, %unknown)
    %reduced_tensor = irdl.base "!builtin.tensor"
    %reduced_unranked = irdl.base "!builtin.unranked_tensor"
    %reduced = irdl.any_of(%reduced_tensor, %reduced_unranked, %unknown)
    irdl.operands(%data, optional %axes)
    irdl.results(%reduced)
  }

  // ReduceL2 — L2 norm over axes.
  // inputs: data, axes?
  // outputs: reduced
  // attributes: axes: ints (before opset 18), keepdims: int, noop_with_empty_axes: int (opset 18+)
  // pruning: reduced dims vanish (or become 1 with keepdims); others are identity.
  // note: axes is an attribute before opset 18 and an optional input from 18.
  irdl.operation @ReduceL2 {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %axes_tensor = irdl.base "!builtin.tensor"
    %axes_unranked = irdl.base "!builtin.unranked_tensor"
    %axes = irdl.any_of(%axes_tensor, %axes_unranked, %unknown)
    %reduced_tensor = irdl.base "!builtin.tensor"
    %reduced_unranked = irdl.base "!builtin.unranked_tensor"
    %reduced = irdl.any_of(%reduced_tensor, %reduced_unranked, %unknown)
    irdl.operands(%data, optional %axes)
    irdl.results(%reduced)
  }

  // ArgMax — Index of the max along `axis`.
  // inputs: data
  // outputs: reduced
  // attributes: axis: int, keepdims: int, select_last_index: int (opset 12+)
  // pruning: dim `axis` becomes an index value; other dims are identity.
  irdl.operation @ArgMax {
    %unknown = irdl.base @nn::@unknown
    %data_tensor = irdl.base "!builtin.tensor"
    %data_unranked = irdl.base "!builtin.unranked_tensor"
    %data = irdl.any_of(%data_tensor, %data_unranked, %unknown)
    %reduced_tensor = irdl.base "!builtin.tensor"
    %reduced_unranked = irdl.base "!builtin.unranked_tensor"
    %reduced = irdl.any_of(%reduced_tensor, %reduced_unranked, %unknown)
    irdl.operands(%data)
    irdl.results(%reduced)
  }

  // === Constants

  // Constant — A constant tensor from exactly one value* attribute.
  // inputs: (none)
  // outputs: output
  // attributes: sparse_value: sparse_tensor (opset 11+), value: tensor,
  //   value_float: float (opset 12+), value_floats: floats (opset 12+), value_int: int (opset 12+),
  //   value_ints: ints (opset 12+), value_string: string (opset 12+),
  //   value_strings: strings (opset 12+)
  irdl.operation @Constant {
    %unknown = irdl.base @nn::@unknown
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.results(%output)
  }

  // ConstantOfShape — A tensor of the shape given by input, filled with value.
  // inputs: input
  // outputs: output
  // attributes: value: tensor
  // pruning: the output shape is input's values (shape data).
  irdl.operation @ConstantOfShape {
    %unknown = irdl.base @nn::@unknown
    %input_tensor = irdl.base "!builtin.tensor"
    %input_unranked = irdl.base "!builtin.unranked_tensor"
    %input = irdl.any_of(%input_tensor, %input_unranked, %unknown)
    %output_tensor = irdl.base "!builtin.tensor"
    %output_unranked = irdl.base "!builtin.unranked_tensor"
    %output = irdl.any_of(%output_tensor, %output_unranked, %unknown)
    irdl.operands(%input)
    irdl.results(%output)
  }
}

// === Ops outside the dialect: `onnx.<OpType>`

// Unregistered ops that sp nevertheless prunes through: each ONNX op here has variadic
// inputs or outputs whose types differ (channel counts, broadcast shapes), which an IRDL 19
// variadic segment cannot hold. Always imported as `onnx.<OpType>`; not verified. Their
// coupling is listed as for nn ops.

// Concat — Concatenate inputs along `axis`.
// inputs: inputs...
// outputs: concat_result
// attributes: axis: int (required)
// pruning: concat_result dim `axis` is the inputs' dims `axis` at increasing offsets; other
//   dims are identity across all inputs.

// Split — Split input along `axis` into the outputs.
// inputs: input, split?
// outputs: outputs...
// attributes: axis: int, num_outputs: int (opset 18+), split: ints (before opset 13)
// pruning: each output's dim `axis` is a range of input dim `axis` (split sizes must be
//   rewritten); other dims are identity.
// note: split is an attribute before opset 13 (also an optional input at opset 1) and an optional
//   input from 13.

// Sum — Elementwise sum of all inputs, broadcasting.
// inputs: data_0...
// outputs: sum
// attributes: (none)
// pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
//   whose size there is not 1.

// Max — Elementwise max of all inputs, broadcasting.
// inputs: data_0...
// outputs: max
// attributes: (none)
// pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
//   whose size there is not 1.

// Min — Elementwise min of all inputs, broadcasting.
// inputs: data_0...
// outputs: min
// attributes: (none)
// pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
//   whose size there is not 1.

// Mean — Elementwise mean of all inputs, broadcasting.
// inputs: data_0...
// outputs: mean
// attributes: (none)
// pruning: numpy broadcasting: each result dim couples with the right-aligned dim of every input
//   whose size there is not 1.

// Einsum — Einstein summation given by `equation`.
// inputs: Inputs...
// outputs: Output
// attributes: equation: string (required)
// pruning: one letter is one dim: dims with the same letter couple; letters absent from the
//   output are contracted.
