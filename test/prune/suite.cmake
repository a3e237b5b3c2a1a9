# Prune zoo: every zoo model pruned at ratios 0.1..0.9 (0.3 and 0.7 for the big
# ones): sp-opt succeeds, onnx.checker passes, ONNX Runtime runs it, params and
# MACs fall, and mode=mask vs mode=shrink outputs agree (the oracle).
# Needs the zoo (zoo.export fixture) and test/ort/node_modules.
if(TARGET sp-opt)
  add_test(NAME prune.zoo
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_prune_zoo.py
                   --sp-opt $<TARGET_FILE:sp-opt> --zoo ${CMAKE_BINARY_DIR}/zoo
                   --work ${CMAKE_BINARY_DIR}/prune-zoo-work)
  set_tests_properties(prune.zoo PROPERTIES LABELS full TIMEOUT 1800 FIXTURES_REQUIRED sp_zoo)
endif()

# Regression models (grouped conv, depthwise multiplier, GroupNorm): exported by
# torch, must prune (not pin) and pass the same checks at ratio 0.5.
if(TARGET sp-opt)
  add_test(NAME prune.regression
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_regression.py
                   --sp-opt $<TARGET_FILE:sp-opt> --work ${CMAKE_BINARY_DIR}/prune-regression-work)
  set_tests_properties(prune.regression PROPERTIES LABELS "full;asan" TIMEOUT 600)
endif()
