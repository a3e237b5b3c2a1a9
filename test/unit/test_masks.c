/* test_masks.c - the "sp.masks" metadata codec (sp/masks.h): ranges from
 * flags, format then parse gives the masks back, and malformed text is one
 * error saying what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp/masks.h"

static void test_ranges(void **state) {
  (void)state;
  const unsigned char flags[10] = {1, 1, 0, 1, 0, 0, 1, 1, 1, 1};
  int64_t ranges[20];
  assert_int_equal(sp_mask_ranges(flags, 10, ranges), 3);
  const int64_t want[6] = {0, 2, 3, 4, 6, 10};
  assert_memory_equal(ranges, want, sizeof want);
  const unsigned char none[3] = {0, 0, 0};
  assert_int_equal(sp_mask_ranges(none, 3, ranges), 0);
}

static void test_round_trip(void **state) {
  (void)state;
  sp_masks m = {0};
  const int64_t a[4] = {1, 2, 3, 4}, b[2] = {0, 7};
  assert_int_equal(sp_masks_add(&m, "conv \"1\".weight", 0, a, 2), 0);
  assert_int_equal(sp_masks_add(&m, "fc.weight", 1, b, 1), 0);
  assert_int_equal(sp_masks_add(&m, "empty", 2, NULL, 0), 0);
  char *text = sp_masks_format(&m);
  assert_non_null(text);
  assert_string_equal(text, "{\"version\":1,\"masks\":[{\"tensor\":\"conv \\\"1\\\".weight\","
                            "\"axis\":0,\"zeroed\":[[1,2],[3,4]]},{\"tensor\":\"fc.weight\","
                            "\"axis\":1,\"zeroed\":[[0,7]]},{\"tensor\":\"empty\",\"axis\":2,"
                            "\"zeroed\":[]}]}");
  sp_masks back;
  sp_error err = {{0}};
  if (sp_masks_parse(text, &back, &err))
    fail_msg("%s", err.message);
  assert_int_equal(back.n, 3);
  for (size_t i = 0; i < 3; ++i) {
    assert_string_equal(back.items[i].tensor, m.items[i].tensor);
    assert_int_equal(back.items[i].axis, m.items[i].axis);
    assert_int_equal(back.items[i].n_ranges, m.items[i].n_ranges);
    assert_memory_equal(back.items[i].ranges, m.items[i].ranges,
                        2 * m.items[i].n_ranges * sizeof(int64_t));
  }
  free(text);
  sp_masks_free(&back);
  sp_masks_free(&m);
}

static void test_malformed(void **state) {
  (void)state;
  static const struct {
    const char *text, *says;
  } cases[] = {
      {"[", "not a JSON object"},
      {"{\"version\":2,\"masks\":[]}", "\"version\" must be 1"},
      {"{\"version\":1}", "\"masks\" must be an array"},
      {"{\"version\":1,\"masks\":[{\"axis\":0,\"zeroed\":[]}]}", "entry 0 needs \"tensor\""},
      {"{\"version\":1,\"masks\":[{\"tensor\":\"w\",\"axis\":-1,\"zeroed\":[]}]}", "entry 0"},
      {"{\"version\":1,\"masks\":[{\"tensor\":\"w\",\"axis\":0.5,\"zeroed\":[]}]}", "entry 0"},
      {"{\"version\":1,\"masks\":[{\"tensor\":\"w\",\"axis\":0,\"zeroed\":[[2,2]]}]}",
       "'w' axis 0: range 0"},
      {"{\"version\":1,\"masks\":[{\"tensor\":\"w\",\"axis\":1,\"zeroed\":[[4,6],[1,2]]}]}",
       "'w' axis 1: range 1"},
      {"{\"version\":1,\"masks\":[{\"tensor\":\"w\",\"axis\":0,\"zeroed\":[[-1,2]]}]}", "range 0"},
      {"{\"version\":1,\"masks\":[{\"tensor\":\"w\",\"axis\":0,\"zeroed\":[[1,2,3]]}]}", "range 0"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
    sp_masks m;
    sp_error err = {{0}};
    assert_int_equal(sp_masks_parse(cases[i].text, &m, &err), -1);
    if (!strstr(err.message, cases[i].says))
      fail_msg("'%s': error '%s' does not say '%s'", cases[i].text, err.message, cases[i].says);
    assert_int_equal(m.n, 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ranges),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_malformed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
