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
  # whole models (tiny GPT, encoder, ResNet-18) and the ops their exports
  # use, through grad_probe (any inputs, any output shape)
  add_executable(grad_probe ${CMAKE_CURRENT_LIST_DIR}/grad_probe.c)
  sp_target_defaults(grad_probe)
  target_link_libraries(grad_probe PRIVATE sp_train sp_runtime)
  add_test(NAME train.models
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/model_grad_test.py
                   --grad-probe $<TARGET_FILE:grad_probe>)
  set_tests_properties(train.models PROPERTIES LABELS "full;asan" TIMEOUT 600)
endif()
