# Training (lib/train, sp-train): gradients and one optimizer step against
# PyTorch autograd on the shipped Fashion-MNIST ResNet (needs Debian's
# dataset-fashion-mnist and python3-torch).
if(TARGET sp-train)
  add_test(NAME train.torch
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/grad_test.py
                   --sp-train $<TARGET_FILE:sp-train>)
  set_tests_properties(train.torch PROPERTIES LABELS "full;asan" TIMEOUT 600)
  # the other backward kernels through small torch modules (pooling, attention)
  add_test(NAME train.ops
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/ops_grad_test.py
                   --sp-train $<TARGET_FILE:sp-train>)
  set_tests_properties(train.ops PROPERTIES LABELS "full;asan" TIMEOUT 600)
  # masks survive training: sp-prune{mode=mask} -> sp-train -> prune -> shrink
  add_test(NAME train.masks
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/masks_test.py
                   --sp-opt $<TARGET_FILE:sp-opt> --sp-train $<TARGET_FILE:sp-train>
                   --sp-run $<TARGET_FILE:sp-run>)
  set_tests_properties(train.masks PROPERTIES LABELS "full;asan" TIMEOUT 900)
  # --l1-bn and --group-lasso against PyTorch; group lasso shrinks whole units
  add_test(NAME train.regularize
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/regularize_test.py
                   --sp-opt $<TARGET_FILE:sp-opt> --sp-train $<TARGET_FILE:sp-train>)
  set_tests_properties(train.regularize PROPERTIES LABELS "full;asan" TIMEOUT 900)
endif()

# test/unit/test_masks.c (the sp.masks codec) comes from test/CMakeLists.txt's glob.
if(TARGET test_masks)
  target_link_libraries(test_masks PRIVATE sp_masks)
endif()
