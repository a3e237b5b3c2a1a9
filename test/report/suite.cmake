# report.render: sp-report's HTML page for the shipped ResNet pruned by half,
# checked as text (one bar per prunable layer, counted from
# sp-dependency-groups{export=}; bar lengths against the ONNX files; one
# sensitivity curve per group) and rendered by headless Chromium (Debian's
# chromium) into a PNG that must not be blank. Error cases are the lit test
# test/lit/tools/sp-report.test.
if(TARGET sp-report AND TARGET sp-opt)
  add_test(NAME report.render
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/render_test.py
                   --sp-opt $<TARGET_FILE:sp-opt> --sp-report $<TARGET_FILE:sp-report>
                   --model ${PROJECT_SOURCE_DIR}/examples/fashion_resnet.onnx
                   --work ${CMAKE_CURRENT_BINARY_DIR}/report-render)
  set_tests_properties(report.render PROPERTIES LABELS full TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()
