# Training (lib/train, sp-train): gradients and one optimizer step against
# PyTorch autograd on the shipped Fashion-MNIST ResNet (needs Debian's
# dataset-fashion-mnist and python3-torch); losses, schedules, optimizers,
# resume, seed and freezing on generated data (fast).
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
  # losses (distillation, MSE), schedules and optimizers against PyTorch on a
  # tiny classifier and generated data (test/train/optim_test.py)
  add_test(NAME train.optim
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/optim_test.py
                   --sp-train $<TARGET_FILE:sp-train>)
  set_tests_properties(train.optim PROPERTIES LABELS "fast;asan" TIMEOUT 300)
  # --seed reproducibility, --resume bit for bit, --freeze (no PyTorch)
  add_test(NAME train.run
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_test.py
                   --sp-train $<TARGET_FILE:sp-train>)
  set_tests_properties(train.run PROPERTIES LABELS "fast;asan" TIMEOUT 300)
endif()
