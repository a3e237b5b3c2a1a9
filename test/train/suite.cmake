# Training (lib/train, sp-train): gradients and one optimizer step against
# PyTorch autograd on the shipped Fashion-MNIST ResNet (needs Debian's
# dataset-fashion-mnist and python3-torch); losses, schedules, optimizers,
# resume, seed and freezing on generated data (fast).

# The data layer (test/unit/test_data.c): the .npy parser on files numpy
# writes here first, TensorProto folders, normalisation, augmentation, the
# loader thread.
if(TARGET test_data)
  target_link_libraries(test_data PRIVATE sp_train)
  add_test(NAME train.npy_files
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/make_npy_files.py
                   ${CMAKE_CURRENT_BINARY_DIR}/npy_files)
  set_tests_properties(train.npy_files PROPERTIES LABELS "fast;asan" FIXTURES_SETUP npy_files)
  set_tests_properties(unit.test_data PROPERTIES LABELS "fast;asan" FIXTURES_REQUIRED npy_files
                       ENVIRONMENT SP_NPY_DIR=${CMAKE_CURRENT_BINARY_DIR}/npy_files)
endif()
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
  # sp-train --profile: forward and backward entries, gradients by liveness
  # well under the training arena
  add_test(NAME train.profile
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/profile_test.py
                   --sp-train $<TARGET_FILE:sp-train>)
  set_tests_properties(train.profile PROPERTIES LABELS "fast;asan" TIMEOUT 300)
  # the data sources end to end (.npy, input_N.pb folders, augmentation, the
  # loader thread byte-identical to none) on a small classifier
  add_test(NAME train.data
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/data_test.py
                   --sp-train $<TARGET_FILE:sp-train>)
  set_tests_properties(train.data PROPERTIES LABELS "fast;asan" TIMEOUT 300)
  # and on the shipped ResNet (a --limit run evaluated on Fashion-MNIST's test split)
  add_test(NAME train.data_example
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/data_test.py
                   --sp-train $<TARGET_FILE:sp-train> --example)
  set_tests_properties(train.data_example PROPERTIES LABELS full TIMEOUT 600)
  # losses (distillation, MSE), schedules and optimizers against PyTorch on a
  # tiny classifier and generated data (test/train/optim_test.py)
  add_test(NAME train.optim
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/optim_test.py
                   --sp-train $<TARGET_FILE:sp-train>)
  set_tests_properties(train.optim PROPERTIES LABELS "fast;asan" TIMEOUT 300)
  # --text: a character model's gradients against PyTorch, bits per character,
  # training, the loader thread and --resume on text (test/train/text_test.py)
  add_test(NAME train.text
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/text_test.py
                   --sp-train $<TARGET_FILE:sp-train>)
  set_tests_properties(train.text PROPERTIES LABELS "fast;asan" TIMEOUT 300)
  # --seed reproducibility, --resume bit for bit, --freeze (no PyTorch)
  add_test(NAME train.run
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_test.py
                   --sp-train $<TARGET_FILE:sp-train>)
  set_tests_properties(train.run PROPERTIES LABELS "fast;asan" TIMEOUT 300)
  # whole models (tiny GPT, encoder, ResNet-18) and the ops their exports
  # use, through grad_probe (any inputs, any output shape)
  add_executable(grad_probe ${CMAKE_CURRENT_LIST_DIR}/grad_probe.c)
  sp_target_defaults(grad_probe)
  target_link_libraries(grad_probe PRIVATE sp_train sp_runtime)
  add_test(NAME train.models
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/model_grad_test.py
                   --grad-probe $<TARGET_FILE:grad_probe>)
  set_tests_properties(train.models PROPERTIES LABELS "full;asan" TIMEOUT 600)
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
  # sp-insert-gates + --gate-l1: gradients, sparsity, prune and fold
  add_test(NAME train.gates
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/gate_test.py
                   --sp-opt $<TARGET_FILE:sp-opt> --sp-train $<TARGET_FILE:sp-train>)
  set_tests_properties(train.gates PROPERTIES LABELS "full;asan" TIMEOUT 900)
endif()

# Data-parallel sp-train (built when CMake finds MPI): 2 ranks give the
# weights one process gives after 10 steps.
if(TARGET sp_train_mpi AND MPIEXEC_EXECUTABLE)
  add_test(NAME train.mpi
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/mpi_test.py
                   --sp-train $<TARGET_FILE:sp-train> --mpirun ${MPIEXEC_EXECUTABLE})
  set_tests_properties(train.mpi PROPERTIES LABELS full TIMEOUT 600)
endif()

# test/unit/test_masks.c (the sp.masks codec) comes from test/CMakeLists.txt's glob.
if(TARGET test_masks)
  target_link_libraries(test_masks PRIVATE sp_masks)
endif()
