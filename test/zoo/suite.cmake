# Model zoo: zoo.export writes the PyTorch-exported models into ${CMAKE_BINARY_DIR}/zoo
# (cached: re-exported only when export_zoo.py changes), then `zoo` round-trips each
# through sp-translate, compares ORT outputs and checks sp-model-stats' counts.
# Needs test/ort/node_modules (make deps).
set(SP_ZOO_DIR ${CMAKE_BINARY_DIR}/zoo)
add_test(NAME zoo.export
         COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/export_zoo.py ${SP_ZOO_DIR})
set_tests_properties(zoo.export PROPERTIES LABELS full TIMEOUT 900 FIXTURES_SETUP sp_zoo)
if(TARGET sp-translate AND TARGET sp-opt)
  add_test(NAME zoo
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_zoo.py
                   --sp-translate $<TARGET_FILE:sp-translate> --sp-opt $<TARGET_FILE:sp-opt>
                   --zoo ${SP_ZOO_DIR} --work ${CMAKE_BINARY_DIR}/zoo-work)
  set_tests_properties(zoo PROPERTIES LABELS full TIMEOUT 1800 FIXTURES_REQUIRED sp_zoo)
else()
  message(STATUS "zoo test disabled: no sp-translate/sp-opt target")
endif()
