# sp-canonicalize on the zoo (label full): every model through
# sp-canonicalize{fold-bn=true}: onnx.checker, ONNX Runtime outputs equal to the
# original within 1e-4 (batch 1 and 2), a fixed point after canonicalize and cse;
# prints the Reshapes whose target is not a constant before/after.
if(TARGET sp-opt)
  add_test(NAME canon.zoo
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_canon_zoo.py
                   --sp-opt $<TARGET_FILE:sp-opt> --zoo ${CMAKE_BINARY_DIR}/zoo
                   --work ${CMAKE_BINARY_DIR}/canon-work)
  set_tests_properties(canon.zoo PROPERTIES LABELS full TIMEOUT 1800 FIXTURES_REQUIRED sp_zoo)
endif()
