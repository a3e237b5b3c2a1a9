/* pipeline.c - pass-pipeline text into stages (sp/pipeline.h). */
#include "sp/pipeline.h"

#include <stdlib.h>
#include <string.h>

const sp_named_pipeline sp_named_pipelines[] = {
    {"sp-cleanup", "canonicalize an exported model (BatchNorm folded), before and after upstream",
     "builtin.module(sp-canonicalize{fold-bn=true},canonicalize,cse,sp-canonicalize{fold-bn=true})"},
    {"sp-prune-cnn", "prune half the channels of a CNN by L2 norm, multiples of 8",
     "builtin.module(sp-canonicalize,sp-dependency-groups,sp-importance{criterion=l2},"
     "sp-prune{ratio=0.5 round-to=8},sp-canonicalize)"},
    {"sp-prune-transformer", "prune 30% of a transformer's FFN and head channels by L2 norm",
     "builtin.module(sp-canonicalize,sp-dependency-groups,sp-importance{criterion=l2},"
     "sp-prune{ratio=0.3 round-to=8},sp-canonicalize)"},
    {"sp-prune-tosa", "TOSA in, TOSA out: to nn, prune half the channels by L2 norm, back to TOSA",
     "builtin.module(sp-convert-tosa-to-nn,sp-canonicalize,sp-dependency-groups,"
     "sp-importance{criterion=l2},sp-prune{ratio=0.5},sp-canonicalize,sp-convert-nn-to-tosa)"},
    {NULL, NULL, NULL},
};

const char *sp_pipeline_expand(const char *text) {
  for (const sp_named_pipeline *p = sp_named_pipelines; text && p->name; ++p)
    if (strcmp(text, p->name) == 0)
      return p->expansion;
  return text;
}

void sp_pipeline_free(sp_pipeline *p) {
  for (size_t i = 0; i < p->count; ++i) {
    free(p->stages[i].text);
    if (p->stages[i].sp_pass)
      sp_pass_args_free(&p->stages[i].args);
  }
  free(p->stages);
  p->stages = NULL;
  p->count = 0;
}

static void trim(const char **b, const char **e) {
  while (*b < *e && (**b == ' ' || **b == '\n' || **b == '\t')) (*b)++;
  while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\n' || (*e)[-1] == '\t')) (*e)--;
}

static int split(const char *text, sp_pipeline *p, sp_error *err);

static const sp_named_pipeline *named_pipeline(const char *name, size_t len) {
  for (const sp_named_pipeline *n = sp_named_pipelines; n->name; ++n)
    if (strlen(n->name) == len && strncmp(n->name, name, len) == 0)
      return n;
  return NULL;
}

static int add_stage(sp_pipeline *p, const char *b, const char *e, sp_error *err) {
  trim(&b, &e);
  if (b == e)
    return 0;
  sp_stage s = {0};
  if (!(s.text = strndup(b, (size_t)(e - b))))
    return sp_error_set(err, "out of memory");
  size_t name_len = strcspn(s.text, "{(");
  s.sp_pass = sp_pass_lookup(s.text, name_len);
  // A named pipeline inside a pipeline stands for its stages.
  const sp_named_pipeline *named = s.sp_pass ? NULL : named_pipeline(s.text, name_len);
  if (named) {
    int rc = s.text[name_len]
                 ? sp_error_set(err, "named pipeline '%s' takes no options; write its passes "
                                     "out instead: %s", named->name, named->expansion)
                 : split(named->expansion, p, err);
    free(s.text);
    return rc;
  }
  if (!s.sp_pass && strncmp(s.text, "sp-", 3) == 0) {
    sp_error_set(err, "unknown pass '%.*s' (sp-opt --help lists sp's passes)", (int)name_len,
                 s.text);
    free(s.text);
    return -1;
  }
  if (s.sp_pass) {
    char *body = NULL;
    if (s.text[name_len] == '{') {
      char *close = strrchr(s.text, '}');
      if (!close || close[1]) {
        sp_error_set(err, "pass '%s': options must be written as NAME{k=v ...}", s.text);
        free(s.text);
        return -1;
      }
      body = strndup(s.text + name_len + 1, (size_t)(close - s.text - (long)name_len - 1));
    } else if (s.text[name_len]) {
      sp_error_set(err, "pass '%s': unexpected text after the pass name", s.text);
      free(s.text);
      return -1;
    }
    int rc = sp_pass_args_parse(s.sp_pass, body, &s.args, err);
    free(body);
    if (rc) {
      free(s.text);
      return -1;
    }
  }
  sp_stage *grown = realloc(p->stages, (p->count + 1) * sizeof *p->stages);
  if (!grown) {
    if (s.sp_pass)
      sp_pass_args_free(&s.args);
    free(s.text);
    return sp_error_set(err, "out of memory");
  }
  p->stages = grown;
  p->stages[p->count++] = s;
  return 0;
}

/* Splits "builtin.module(a,b{x=1},func.func(cse))" into its top-level
 * elements. */
static int split(const char *text, sp_pipeline *p, sp_error *err) {
  const char *b = text, *e = text + strlen(text);
  trim(&b, &e);
  const char *prefix = "builtin.module(";
  size_t pl = strlen(prefix);
  if ((size_t)(e - b) >= pl && strncmp(b, prefix, pl) == 0) {
    if (e[-1] != ')')
      return sp_error_set(err, "pass pipeline: missing ')' at the end of '%s'", text);
    b += pl;
    e--;
  }
  int depth = 0;
  const char *start = b;
  for (const char *c = b; c < e; ++c) {
    if (*c == '(' || *c == '{') depth++;
    else if (*c == ')' || *c == '}') {
      if (--depth < 0)
        return sp_error_set(err, "pass pipeline: unbalanced '%c' in '%s'", *c, text);
    } else if (*c == ',' && depth == 0) {
      if (add_stage(p, start, c, err)) return -1;
      start = c + 1;
    }
  }
  if (depth != 0)
    return sp_error_set(err, "pass pipeline: unbalanced brackets in '%s'", text);
  return add_stage(p, start, e, err);
}

int sp_pipeline_parse(const char *text, sp_pipeline *p, sp_error *err) {
  memset(p, 0, sizeof *p);
  if (!text)
    return 0;
  if (split(text, p, err) < 0) {
    sp_pipeline_free(p); /* the stages parsed before the error */
    return -1;
  }
  return 0;
}
