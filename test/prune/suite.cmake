# Prune zoo: every zoo model pruned at ratios 0.1, 0.3, 0.5, 0.7 and 0.9: sp-opt
# succeeds, onnx.checker passes, ONNX Runtime runs it, params and
# MACs fall, and mode=mask vs mode=shrink outputs agree (the oracle).
# Needs the zoo (zoo.export fixture) and test/ort/node_modules.
if(TARGET sp-opt)
  add_test(NAME prune.zoo
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_prune_zoo.py
                   --sp-opt $<TARGET_FILE:sp-opt> --zoo ${CMAKE_BINARY_DIR}/zoo
                   --work ${CMAKE_BINARY_DIR}/prune-zoo-work)
  set_tests_properties(prune.zoo PROPERTIES LABELS full TIMEOUT 1800 FIXTURES_REQUIRED sp_zoo)
endif()

# Regression models (grouped conv, depthwise multiplier, GroupNorm; issue 12's LSTM,
# GRU, strided Slice, channel Gather/Pad/means, Einsum): exported by torch, must
# prune (not pin) and pass the same checks at ratio 0.5; channel means exactly.
if(TARGET sp-opt)
  add_test(NAME prune.regression
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_regression.py
                   --sp-opt $<TARGET_FILE:sp-opt> --work ${CMAKE_BINARY_DIR}/prune-regression-work)
  set_tests_properties(prune.regression PROPERTIES LABELS "full;asan" TIMEOUT 600)
endif()

# The wider set (test/zoo/export_zoo.py --set prune, cached like the zoo): Fire and
# Inception concats, grouped convs with SE, ResNeXt, EfficientNetV2, Swin's run-time
# shape arithmetic, a segmentation head; pruned at every ratio with the zoo's checks.
if(TARGET sp-opt)
  add_test(NAME prune.export
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/../zoo/export_zoo.py
                   ${CMAKE_BINARY_DIR}/zoo-prune --set prune)
  set_tests_properties(prune.export PROPERTIES LABELS full TIMEOUT 900
                       FIXTURES_SETUP sp_zoo_prune)
  add_test(NAME prune.torchvision
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_prune_zoo.py
                   --sp-opt $<TARGET_FILE:sp-opt> --zoo ${CMAKE_BINARY_DIR}/zoo-prune
                   --every-model
                   --work ${CMAKE_BINARY_DIR}/prune-torchvision-work)
  set_tests_properties(prune.torchvision PROPERTIES LABELS full TIMEOUT 1800
                       FIXTURES_REQUIRED sp_zoo_prune)
endif()
