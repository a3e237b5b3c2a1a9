/* Criteria of sp-importance kept in their own files (importance_weights.c,
 * importance_grad.c); Importance.c dispatches to them. */
#ifndef SP_IMPORTANCE_INTERNAL_H
#define SP_IMPORTANCE_INTERNAL_H

#include "saliency.h"
#include "sp/groups.h"

/* bn-scale: s[u] = mean |gamma| over unit u's channels of every
 * BatchNormalization scale in the group, combined by reduce. Returns the
 * number of scales that voted; 0 leaves s as it was. */
int sp_importance_bn_scale(const sp_group_info *gi, sp_importance_reduce reduce, double *s);

/* fpgm: per producer weight of the group, s[u] = sum over the other units t
 * of ||filter_u - filter_t||_2, combined by reduce. Returns the number of
 * producer weights that voted; 0 leaves s as it was. */
int sp_importance_fpgm(const sp_group_info *gi, sp_importance_reduce reduce, double *s);

/* sp_importance_compute with the weights replaced by src's tensors (src
 * NULL: the weights themselves); with src each unit scores the l1 sum of its
 * slices of every member, reduced over the members. */
double **sp_importance_compute_from(sp_groups *g, const sp_importance_opts *o,
                                    const sp_saliency_source *src);

#endif
