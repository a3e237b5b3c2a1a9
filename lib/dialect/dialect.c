#include "sp/dialect.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/IRDL.h>
#include <mlir-c/RegisterEverything.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/weights.h"

extern const char sp_nn_irdl_text[];

const char *sp_dialect_irdl_source(void) { return sp_nn_irdl_text; }

MlirContext sp_context_create(sp_error *err) {
  MlirContext ctx = mlirContextCreateWithThreading(false);
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(registry);
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  mlirContextLoadAllAvailableDialects(ctx);
  MlirModule irdl = mlirModuleCreateParse(ctx, sp_str(sp_nn_irdl_text));
  if (mlirModuleIsNull(irdl)) {
    mlirContextDestroy(ctx);
    sp_error_set(err, "internal error: the embedded nn.irdl.mlir does not parse");
    return (MlirContext){NULL};
  }
  MlirLogicalResult loaded = mlirLoadIRDLDialects(irdl);
  mlirModuleDestroy(irdl);
  if (mlirLogicalResultIsFailure(loaded)) {
    mlirContextDestroy(ctx);
    sp_error_set(err, "internal error: cannot load the nn dialect from IRDL");
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

int sp_dialect_has_op(MlirContext ctx, const char *op_type) {
  char name[256];
  if (snprintf(name, sizeof name, "nn.%s", op_type) >= (int)sizeof name)
    return 0;
  if (strcmp(op_type, "Generic") == 0 || strcmp(op_type, "Initializer") == 0 ||
      strcmp(op_type, "None") == 0)
    return 0;
  return mlirContextIsRegisteredOperation(ctx, sp_str(name));
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
