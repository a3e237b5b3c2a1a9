/* sp/gates.h - learned gates (network slimming with explicit per-unit scales).
 *
 * sp-insert-gates multiplies each prunable Conv/Gemm output (after its
 * BatchNormalization when it has one) by an initializer of ones shaped
 * (1, C, 1, ...): an ONNX Mul that sp-train trains like any scale. The
 * initializer's name starts with SP_GATE_PREFIX; that is how sp-train
 * --gate-l1, sp-importance{criterion=gate} and sp-canonicalize (which folds
 * the gates back into the weights) recognise it. */
#ifndef SP_GATES_H
#define SP_GATES_H

#include <string.h>

#define SP_GATE_PREFIX "sp.gate."

static inline int sp_gate_name(const char *name, size_t len) {
  return name && len >= sizeof SP_GATE_PREFIX - 1 &&
         !memcmp(name, SP_GATE_PREFIX, sizeof SP_GATE_PREFIX - 1);
}

#endif
