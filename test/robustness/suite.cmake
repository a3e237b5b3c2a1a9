# Robustness probes (issue 10): every test/robustness/*_test.py is one ctest test,
# label fast (each probe is one short command); make asan runs them on the
# sanitizer build too (label asan).
file(GLOB SP_ROBUSTNESS_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*_test.py)
foreach(script ${SP_ROBUSTNESS_TESTS})
  get_filename_component(name ${script} NAME_WE)
  string(REGEX REPLACE "_test$" "" name ${name})
  add_test(NAME robustness.${name}
           COMMAND ${SP_PYTHON} ${script} --build ${CMAKE_BINARY_DIR})
  set_tests_properties(robustness.${name} PROPERTIES LABELS "fast;asan" TIMEOUT 300)
endforeach()
