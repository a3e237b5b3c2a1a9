#include "sp/dialect.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Func.h>
#include <mlir-c/Dialect/IRDL.h>
#include <mlir-c/RegisterEverything.h>
#include <mlir-c/Transforms.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/weights.h"

extern const char sp_nn_irdl_text[];

const char *sp_dialect_irdl_source(void) { return sp_nn_irdl_text; }

int sp_dialect_load(MlirContext ctx, sp_error *err) {
  // ONNX ops the dialect cannot verify or does not know are "onnx.<OpType>".
  mlirContextSetAllowUnregisteredDialects(ctx, true);
  if (!mlirDialectIsNull(mlirContextGetOrLoadDialect(ctx, sp_str("nn"))))
    return 0; // loaded before: IRDL would define the ops a second time
  MlirDialectHandle func = mlirGetDialectHandle__func__();
  MlirDialectHandle irdl_dialect = mlirGetDialectHandle__irdl__();
  mlirDialectHandleLoadDialect(func, ctx);
  mlirDialectHandleLoadDialect(irdl_dialect, ctx);
  MlirModule irdl = mlirModuleCreateParse(ctx, sp_str(sp_nn_irdl_text));
  if (mlirModuleIsNull(irdl))
    return sp_error_set(err, "internal error: the embedded nn.irdl.mlir does not parse");
  MlirLogicalResult loaded = mlirLoadIRDLDialects(irdl);
  mlirModuleDestroy(irdl);
  if (mlirLogicalResultIsFailure(loaded))
    return sp_error_set(err, "internal error: cannot load the nn dialect from IRDL");
  return 0;
}

MlirContext sp_context_create(sp_error *err) {
  // Upstream passes (canonicalize, cse, ...) by name in --pass-pipeline.
  static int passes_registered;
  if (!passes_registered) {
    mlirRegisterAllPasses();
    passes_registered = 1;
  }
  MlirContext ctx = mlirContextCreateWithThreading(false);
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(registry);
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  // Load only what sp's IR uses; the registry loads others (for upstream
  // passes) on demand. Loading every dialect cost ~25 ms per run.
  if (sp_dialect_load(ctx, err)) {
    mlirContextDestroy(ctx);
    return (MlirContext){NULL};
  }
  return ctx;
}

void sp_context_destroy(MlirContext ctx) {
  if (mlirContextIsNull(ctx))
    return;
  mlirContextDestroy(ctx);
  // After the context: MLIR calls blob deleters while it is torn down.
  sp_weights_release_context(ctx);
}

/* --- op signatures from the IRDL text ---------------------------------- */

typedef struct signature_entry {
  char name[64];
  sp_op_signature signature;
} signature_entry;

static signature_entry *signatures;
static size_t num_signatures;

// Reads "irdl.operands(%a, optional %b)" starting at open (just past '(').
static int parse_segments(const char *open, sp_segment_kind *kinds) {
  int n = 0;
  const char *close = strchr(open, ')');
  if (!close || close == open)
    return 0;
  for (const char *p = open; p < close && n < SP_MAX_SEGMENTS;) {
    while (p < close && (*p == ' ' || *p == ','))
      p++;
    if (p >= close)
      break;
    sp_segment_kind k = SP_SEGMENT_SINGLE;
    if (strncmp(p, "optional ", 9) == 0)
      k = SP_SEGMENT_OPTIONAL;
    else if (strncmp(p, "variadic ", 9) == 0)
      k = SP_SEGMENT_VARIADIC;
    kinds[n++] = k;
    while (p < close && *p != ',')
      p++;
  }
  return n;
}

static int count_non_single(const sp_segment_kind *kinds, int n) {
  int c = 0;
  for (int i = 0; i < n; ++i)
    c += kinds[i] != SP_SEGMENT_SINGLE;
  return c;
}

// The IRDL file is ours and regular: each "irdl.operation @Name" is followed
// by at most one irdl.operands(...) and one irdl.results(...).
static void load_signatures(void) {
  if (signatures)
    return;
  size_t cap = 128;
  signatures = calloc(cap, sizeof *signatures);
  const char *text = sp_nn_irdl_text;
  for (const char *p = strstr(text, "irdl.operation @"); p;) {
    const char *name = p + strlen("irdl.operation @");
    const char *next = strstr(name, "irdl.operation @");
    const char *end = next ? next : name + strlen(name);
    if (num_signatures == cap)
      signatures = realloc(signatures, (cap *= 2) * sizeof *signatures);
    signature_entry *e = &signatures[num_signatures];
    memset(e, 0, sizeof *e);
    size_t len = strcspn(name, " {\n");
    snprintf(e->name, sizeof e->name, "%.*s", (int)len, name);
    const char *ops = strstr(name, "irdl.operands(");
    if (ops && ops < end)
      e->signature.num_operands = parse_segments(ops + 14, e->signature.operands);
    const char *res = strstr(name, "irdl.results(");
    if (res && res < end)
      e->signature.num_results = parse_segments(res + 13, e->signature.results);
    e->signature.operand_segments_attr =
        count_non_single(e->signature.operands, e->signature.num_operands) > 1;
    e->signature.result_segments_attr =
        count_non_single(e->signature.results, e->signature.num_results) > 1;
    num_signatures++;
    p = next;
  }
}

const sp_op_signature *sp_dialect_signature(const char *op_type) {
  load_signatures();
  if (strcmp(op_type, "None") == 0 || strcmp(op_type, "Initializer") == 0)
    return NULL;
  for (size_t i = 0; i < num_signatures; ++i)
    if (strcmp(signatures[i].name, op_type) == 0)
      return &signatures[i].signature;
  return NULL;
}

MlirNamedAttribute sp_named(MlirContext ctx, const char *name,
                            MlirAttribute attr) {
  return mlirNamedAttributeGet(mlirIdentifierGet(ctx, sp_str(name)), attr);
}

typedef struct text_buffer {
  char *data;
  size_t len, cap;
} text_buffer;

static void append_text(MlirStringRef s, void *user) {
  text_buffer *b = user;
  if (b->len + s.length + 1 > b->cap) {
    size_t cap = (b->len + s.length + 1) * 2;
    char *data = realloc(b->data, cap);
    if (!data)
      return;
    b->data = data;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s.data, s.length);
  b->len += s.length;
  b->data[b->len] = 0;
}

char *sp_print_attribute(MlirAttribute attr) {
  text_buffer b = {0};
  mlirAttributePrint(attr, append_text, &b);
  return b.data ? b.data : strdup("");
}

char *sp_print_type(MlirType type) {
  text_buffer b = {0};
  mlirTypePrint(type, append_text, &b);
  return b.data ? b.data : strdup("");
}

char *sp_print_location(MlirLocation loc) {
  text_buffer b = {0};
  mlirLocationPrint(loc, append_text, &b);
  return b.data ? b.data : strdup("");
}

// Decodes the MLIR string literal at s (just after its opening quote);
// *end is set past the closing quote.
static char *unquote(const char *s, const char **end) {
  size_t n = strlen(s);
  char *out = malloc(n + 1);
  size_t j = 0, i = 0;
  for (; i < n && s[i] != '"'; ++i) {
    if (s[i] == '\\' && i + 1 < n) {
      char c = s[i + 1];
      if (c == '\\' || c == '"') {
        out[j++] = c;
        i++;
      } else if (i + 2 < n) {
        unsigned v = 0;
        sscanf(s + i + 1, "%2x", &v);
        out[j++] = (char)v;
        i += 2;
      }
    } else {
      out[j++] = s[i];
    }
  }
  out[j] = 0;
  *end = s + (i < n ? i + 1 : n);
  return out;
}

char *sp_location_name(MlirLocation loc, int *is_node_name) {
  // The C API has no location accessors; the printed form is stable:
  // loc("name"), loc("name"(child)), loc("file":1:2), loc(fused[...]).
  char *text = sp_print_location(loc);
  char *result = NULL;
  if (is_node_name)
    *is_node_name = 0;
  const char *quote = strchr(text, '"');
  if (quote) {
    const char *end;
    char *name = unquote(quote + 1, &end);
    if (*end == ':') {
      int line = 0, col = 0;
      sscanf(end + 1, "%d:%d", &line, &col);
      size_t n = strlen(name) + 32;
      result = malloc(n);
      snprintf(result, n, "%s:%d:%d", name, line, col);
      free(name);
    } else {
      result = name;
      if (is_node_name)
        *is_node_name = strncmp(text, "loc(\"", 5) == 0;
    }
  }
  free(text);
  return result;
}

intptr_t sp_op_input(MlirOperation op, int pos) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, sp_str("operand_segment_sizes"));
  if (mlirAttributeIsNull(a))
    return pos < mlirOperationGetNumOperands(op) ? pos : -1;
  intptr_t at = 0;
  for (intptr_t i = 0; i < mlirDenseArrayGetNumElements(a); ++i) {
    int32_t n = mlirDenseI32ArrayGetElement(a, i);
    if (i == pos)
      return n ? at : -1;
    at += n;
  }
  return -1;
}

const char *sp_op_result_name(MlirOperation op, intptr_t i, size_t *len) {
  MlirAttribute names = mlirOperationGetAttributeByName(op, sp_str("onnx.names"));
  if (mlirAttributeIsNull(names) || !mlirAttributeIsAArray(names) ||
      i >= mlirArrayAttrGetNumElements(names))
    return NULL;
  MlirAttribute name = mlirArrayAttrGetElement(names, i);
  if (!mlirAttributeIsAString(name))
    return NULL;
  MlirStringRef s = mlirStringAttrGetValue(name);
  if (len)
    *len = s.length;
  return s.data;
}

MlirOperation sp_find_main(MlirOperation module) {
  MlirOperation found = {NULL};
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
    if (name.length != 9 || strncmp(name.data, "func.func", 9) != 0)
      continue;
    MlirStringRef sym = mlirStringAttrGetValue(
        mlirOperationGetAttributeByName(op, sp_str("sym_name")));
    if (mlirOperationIsNull(found) || (sym.length == 4 && strncmp(sym.data, "main", 4) == 0))
      found = op;
  }
  return found;
}
