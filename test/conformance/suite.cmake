# ONNX conformance round trip: every libonnx-testdata case through
# sp-translate --import-onnx / --export-onnx, checked with onnx.checker and ONNX Runtime.
# Artifacts of failing cases and report.txt (every failure and skip) land in
# ${CMAKE_BINARY_DIR}/conformance. Needs test/ort/node_modules (make deps).
if(TARGET sp-translate)
  add_test(NAME conformance
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_conformance.py
                   --sp-translate $<TARGET_FILE:sp-translate> --jobs 2
                   --work ${CMAKE_BINARY_DIR}/conformance
                   --report ${CMAKE_BINARY_DIR}/conformance/report.txt)
  set_tests_properties(conformance PROPERTIES LABELS full TIMEOUT 900)
else()
  message(STATUS "conformance test disabled: no sp-translate target")
endif()
