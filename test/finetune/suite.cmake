# sp-finetune and passes/training_bridge.c (the lit test is test/lit/passes/finetune.test).
# unit.test_training_bridge: the bridge on the shipped ResNet imported into MLIR (parameter
# -> op mapping, gradients equal to the ONNX trainer's, write-back). finetune.fashion: one
# sp-opt call prunes and fine-tunes the shipped model on Fashion-MNIST (Debian's
# dataset-fashion-mnist) and must recover far above the pruned-only accuracy.
if(TARGET sp_passes)
  add_executable(test_training_bridge ${CMAKE_CURRENT_LIST_DIR}/test_training_bridge.c)
  sp_target_defaults(test_training_bridge)
  target_link_libraries(test_training_bridge PRIVATE sp_passes ${CMOCKA_LIB})
  target_compile_definitions(test_training_bridge PRIVATE SP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  set_target_properties(test_training_bridge PROPERTIES LINKER_LANGUAGE CXX)
  add_test(NAME unit.test_training_bridge COMMAND test_training_bridge)
  set_tests_properties(unit.test_training_bridge PROPERTIES LABELS fast)
endif()
if(TARGET sp-opt AND TARGET sp-run)
  add_test(NAME finetune.fashion
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/prune_finetune_test.py
                   --sp-opt $<TARGET_FILE:sp-opt> --sp-run $<TARGET_FILE:sp-run>
                   --work ${CMAKE_CURRENT_BINARY_DIR}/finetune-fashion)
  set_tests_properties(finetune.fashion PROPERTIES LABELS "full;asan" TIMEOUT 600
                       SKIP_RETURN_CODE 77)
endif()
