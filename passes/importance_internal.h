/* Criteria of sp-importance kept in their own files (importance_weights.c,
 * importance_grad.c); Importance.c dispatches to them. */
#ifndef SP_IMPORTANCE_INTERNAL_H
#define SP_IMPORTANCE_INTERNAL_H

#include "saliency.h"
#include "sp/groups.h"

/* Combines voter number `voters` (0 first) per-unit values v into s: the
 * sum, or the max (reduce=max); sp_importance_finish then divides the sum by
 * the voters for reduce=mean and returns the voter count. */
void sp_importance_vote(double *s, const double *v, int64_t units, int voters,
                        sp_importance_reduce r);
int sp_importance_finish(double *s, int64_t units, int voters, sp_importance_reduce r);

/* bn-scale: s[u] = mean |gamma| over unit u's channels of every
 * BatchNormalization scale in the group, combined by reduce. Returns the
 * number of scales that voted; 0 leaves s as it was. */
int sp_importance_bn_scale(const sp_group_info *gi, sp_importance_reduce reduce, double *s);

/* gate: s[u] = mean |g| over unit u's channels of every sp-insert-gates gate
 * (an initializer named sp.gate.*) in the group, combined by reduce. Returns
 * the number of gates that voted; 0 leaves s as it was. */
int sp_importance_gate(const sp_group_info *gi, sp_importance_reduce reduce, double *s);

/* fpgm: per producer weight of the group, s[u] = sum over the other units t
 * of ||filter_u - filter_t||_2, combined by reduce. Returns the number of
 * producer weights that voted; 0 leaves s as it was. */
int sp_importance_fpgm(const sp_group_info *gi, sp_importance_reduce reduce, double *s);

/* sp_importance_compute with the weights replaced by src's tensors (src
 * NULL: the weights themselves); with src each unit scores the l1 sum of its
 * slices of every member, reduced over the members. */
double **sp_importance_compute_from(sp_groups *g, const sp_importance_opts *o,
                                    const sp_saliency_source *src);

/* The op whose output channels weight member mb indexes (a Conv/Gemm/MatMul
 * reading it as its weight, along mb's dim), or a null op. */
MlirOperation sp_importance_producer(const sp_member *mb);

/* activation / apoz on the calibration sets of dir: for every prunable group
 * with a producer whose output (through a BatchNormalization) reaches a Relu,
 * scores[id][u] = mean |a| (activation; the producer's or BN's output when
 * there is no Relu) or 1 - the fraction of zeros (apoz) over unit u's
 * channels of that Relu's output, reduced over producers; other groups keep
 * scores[id]. 0, or -1 with one error emitted. */
int sp_importance_observed(MlirOperation module, sp_groups *g, const char *dir, int apoz,
                           sp_importance_reduce reduce, double **scores);

/* taylor over the data of args (sp_saliency_taylor): for every prunable
 * group, scores[id][u] = the sum over unit u's channels of |sum a * dL/da|
 * of each producer's output (or of the BatchNormalization reading it),
 * reduced over producers; groups without a producer keep scores[id]. 0, or
 * -1 with one error emitted. */
struct sp_pass_args;
int sp_importance_taylor(MlirOperation module, const struct sp_pass_args *args, sp_groups *g,
                         sp_importance_reduce reduce, double **scores);

#endif
