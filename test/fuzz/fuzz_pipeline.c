/* fuzz_pipeline.c - libFuzzer target: arbitrary text through the pass
 * pipeline parser (sp_pipeline_parse: splitting, sp pass lookup, option
 * parsing and range checks) and, with the first byte choosing a pass, through
 * one pass's option parser directly. Errors must be one line; a parsed
 * pipeline must name a registered pass or be upstream text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp/pipeline.h"

static size_t count_passes(void) {
  size_t n = 0;
  for (const sp_pass_info *p = sp_pass_registry(); p->argument; ++p)
    ++n;
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  sp_error err = {{0}};
  sp_pipeline p;
  if (sp_pipeline_parse(text, &p, &err) == 0) {
    for (size_t i = 0; i < p.count; ++i)
      if (!p.stages[i].text || !*p.stages[i].text ||
          (!p.stages[i].sp_pass && !strncmp(p.stages[i].text, "sp-", 3)))
        abort(); // an empty stage, or an sp-* name that is no pass
    sp_pipeline_free(&p);
  } else if (strchr(err.message, '\n') || p.count || p.stages) {
    abort(); // errors are one line and leave nothing behind
  }
  // one pass's option body: "ratio=0.5 round-to=8"
  size_t n = count_passes();
  if (size && n) {
    const sp_pass_info *info = &sp_pass_registry()[data[0] % n];
    sp_pass_args args;
    if (sp_pass_args_parse(info, text + 1, &args, &err) == 0) {
      for (size_t i = 0; i < info->num_options; ++i)
        if (args.values[i]) // typed accessors accept what parsing let through
          switch (info->options[i].kind) {
          case SP_OPTION_FLOAT: sp_pass_arg_float(&args, info->options[i].name); break;
          case SP_OPTION_INT: sp_pass_arg_int(&args, info->options[i].name); break;
          case SP_OPTION_BOOL: sp_pass_arg_bool(&args, info->options[i].name); break;
          default: sp_pass_arg_string(&args, info->options[i].name); break;
          }
      sp_pass_args_free(&args);
    } else if (strchr(err.message, '\n')) {
      abort();
    }
  }
  free(text);
  return 0;
}
