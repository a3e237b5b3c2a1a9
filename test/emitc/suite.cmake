# emit-c: `sp-translate --emit-c` on Fashion ResNet and zoo models (original and
# pruned at 0.3/0.7), the generated C built with -Wall -Wextra -Werror -std=c99,
# linked with examples/emit_c/main.c and compared to ONNX Runtime.
# Needs test/ort/node_modules (make deps) and the zoo (fixture sp_zoo).
if(TARGET sp-translate AND TARGET sp-opt)
  add_test(NAME emitc
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_emitc.py
                   --sp-translate $<TARGET_FILE:sp-translate> --sp-opt $<TARGET_FILE:sp-opt>
                   --kernels-dir ${CMAKE_BINARY_DIR}/lib --include ${PROJECT_SOURCE_DIR}/include
                   --zoo ${CMAKE_BINARY_DIR}/zoo --work ${CMAKE_BINARY_DIR}/emitc-work)
  set_tests_properties(emitc PROPERTIES LABELS full TIMEOUT 600 FIXTURES_REQUIRED sp_zoo)
endif()

# emit-c on the ONNX node tests (libonnx-testdata) of every op it supports, all cases
# compiled into one driver, and AveragePool ceil_mode windows past the padding (emit-c
# and sp-run against torch). About 20 s.
if(TARGET sp-translate AND TARGET sp-run AND EXISTS /usr/share/libonnx-testdata/data/node)
  add_test(NAME emitc.conformance
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_emitc_conformance.py
                   --sp-translate $<TARGET_FILE:sp-translate> --sp-run $<TARGET_FILE:sp-run>
                   --kernels-dir ${CMAKE_BINARY_DIR}/lib --include ${PROJECT_SOURCE_DIR}/include
                   --work ${CMAKE_BINARY_DIR}/emitc-conformance)
  set_tests_properties(emitc.conformance PROPERTIES LABELS full TIMEOUT 300)
endif()
