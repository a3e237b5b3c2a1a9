# tutorial.run: every ```sh block of docs/tutorial.md run in order in one shell
# (torchvision ResNet-18 export and prune; the shipped Fashion-MNIST ResNet's
# sensitivity, prune, fine-tune on Debian's dataset-fashion-mnist and report),
# then checks of what it promises (MACs, accuracy recovered, reports' bars, the
# fine-tuned model compiled with --emit-c agreeing with sp-run).
if(TARGET sp-report AND TARGET sp-opt AND TARGET sp-run AND TARGET sp-train AND TARGET sp-translate)
  add_test(NAME tutorial.run
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_tutorial.py
                   --source ${PROJECT_SOURCE_DIR} --tools $<TARGET_FILE_DIR:sp-opt>
                   --kernels-dir ${CMAKE_BINARY_DIR}/lib
                   --work ${CMAKE_CURRENT_BINARY_DIR}/tutorial-run)
  set_tests_properties(tutorial.run PROPERTIES LABELS full TIMEOUT 600)
endif()
