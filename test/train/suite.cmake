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
endif()

# Data-parallel sp-train (built when CMake finds MPI): 2 ranks give the
# weights one process gives after 10 steps.
if(TARGET sp_train_mpi AND MPIEXEC_EXECUTABLE)
  add_test(NAME train.mpi
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/mpi_test.py
                   --sp-train $<TARGET_FILE:sp-train> --mpirun ${MPIEXEC_EXECUTABLE})
  set_tests_properties(train.mpi PROPERTIES LABELS full TIMEOUT 600)
endif()
