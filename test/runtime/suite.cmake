# Runtime tests. The unit programs test/unit/test_runtime*.c are created by
# test/CMakeLists.txt's glob (linked with sp_onnx); they also need sp_runtime.
# test/unit/test_kernels.c is built here once per kernel set (test_kernels_avx2
# calls the avx2 set's functions) and skips itself (exit 77) on a CPU that
# cannot run that set.
# Full suite (label "full"): conformance over libonnx-testdata and the zoo against ONNX
# Runtime (needs test/ort/node_modules and the exported zoo, see test/zoo/suite.cmake).
if(TARGET sp_runtime)
  file(GLOB SP_RUNTIME_UNIT_TESTS CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_LIST_DIR}/../unit/test_runtime*.c)
  foreach(src ${SP_RUNTIME_UNIT_TESTS})
    get_filename_component(name ${src} NAME_WE)
    if(TARGET ${name})
      target_link_libraries(${name} PRIVATE sp_runtime)
    endif()
  endforeach()
  foreach(name test_train test_train_parallel)
    if(TARGET ${name})
      target_link_libraries(${name} PRIVATE sp_train)
    endif()
  endforeach()
  if(TARGET test_train_parallel)
    find_package(Threads REQUIRED)
    target_link_libraries(test_train_parallel PRIVATE Threads::Threads)
  endif()
  foreach(isa ${SP_KERNEL_ISAS})
    set(name test_kernels_${isa})
    add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/../unit/test_kernels.c)
    sp_target_defaults(${name})
    target_compile_definitions(${name} PRIVATE SP_KERNEL_ISA=${isa}
                               SP_KERNEL_ISA_NAME="${isa}")
    target_link_libraries(${name} PRIVATE sp_runtime ${CMOCKA_LIB})
    add_test(NAME unit.${name} COMMAND ${name})
    set_tests_properties(unit.${name} PROPERTIES LABELS fast SKIP_RETURN_CODE 77)
  endforeach()
endif()

if(TARGET sp-run)
  add_test(NAME runtime.conformance
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_conformance_runtime.py
                   --sp-run $<TARGET_FILE:sp-run> --jobs 2
                   --report ${CMAKE_BINARY_DIR}/runtime-conformance/report.txt)
  set_tests_properties(runtime.conformance PROPERTIES LABELS full TIMEOUT 1200)
  add_test(NAME runtime.zoo
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_zoo_runtime.py
                   --sp-run $<TARGET_FILE:sp-run> --zoo ${CMAKE_BINARY_DIR}/zoo
                   --work ${CMAKE_BINARY_DIR}/runtime-zoo)
  set_tests_properties(runtime.zoo PROPERTIES LABELS full TIMEOUT 1800
                       FIXTURES_REQUIRED sp_zoo)
  # the zoo once more on the portable kernels (the default run takes the best
  # set this CPU runs), so the path every other CPU may take is checked too
  add_test(NAME runtime.zoo.generic
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_zoo_runtime.py
                   --sp-run $<TARGET_FILE:sp-run> --zoo ${CMAKE_BINARY_DIR}/zoo
                   --work ${CMAKE_BINARY_DIR}/runtime-zoo-generic --isa generic)
  set_tests_properties(runtime.zoo.generic PROPERTIES LABELS full TIMEOUT 1800
                       FIXTURES_REQUIRED sp_zoo SKIP_RETURN_CODE 77)
  # the wider torchvision set that prune.export writes (SqueezeNet, GoogLeNet,
  # MNASNet, RegNetY, ResNeXt, EfficientNetV2, Swin-T, LRASPP) against ORT too
  add_test(NAME runtime.torchvision
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_zoo_runtime.py
                   --sp-run $<TARGET_FILE:sp-run> --zoo ${CMAKE_BINARY_DIR}/zoo-prune
                   --work ${CMAKE_BINARY_DIR}/runtime-zoo-prune)
  set_tests_properties(runtime.torchvision PROPERTIES LABELS full TIMEOUT 900
                       FIXTURES_REQUIRED sp_zoo_prune)
  foreach(isa ${SP_KERNEL_ISAS}) # every kernel set this CPU runs
    add_test(NAME runtime.graphs.${isa}
             COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/graph_test.py
                     --sp-run $<TARGET_FILE:sp-run> --isa ${isa})
    set_tests_properties(runtime.graphs.${isa} PROPERTIES LABELS fast SKIP_RETURN_CODE 77)
  endforeach()
  add_test(NAME runtime.cli COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_test.sh $<TARGET_FILE:sp-run>)
  set_tests_properties(runtime.cli PROPERTIES LABELS fast)
endif()
