# nn <-> TOSA (docs/tosa.md): round trips nn -> TOSA -> nn compared in ONNX Runtime, and
# TOSA lowered and run with upstream tools only (mlir-opt-19, mlir-translate-19, clang-19)
# against ONNX Runtime. Needs test/ort/node_modules (make deps).
if(TARGET sp-opt)
  set(SP_TOSA_DRIVER ${CMAKE_CURRENT_LIST_DIR}/run_tosa.py)
  # The Fashion-MNIST ResNet as trained, and pruned to half its channels by sp-opt.
  add_test(NAME tosa.fashion
           COMMAND ${SP_PYTHON} ${SP_TOSA_DRIVER} --sp-opt $<TARGET_FILE:sp-opt>
                   --work ${CMAKE_BINARY_DIR}/tosa-work/fashion --llvm
                   ${PROJECT_SOURCE_DIR}/examples/fashion_resnet.onnx)
  add_test(NAME tosa.fashion_pruned
           COMMAND ${SP_PYTHON} ${SP_TOSA_DRIVER} --sp-opt $<TARGET_FILE:sp-opt>
                   --work ${CMAKE_BINARY_DIR}/tosa-work/fashion_pruned --llvm --prune 0.5
                   ${PROJECT_SOURCE_DIR}/examples/fashion_resnet.onnx)
  # The constructs the zoo's CNNs lack (test/tosa/make_models.py), BatchNormalization unfolded.
  add_test(NAME tosa.ops
           COMMAND ${SP_PYTHON} ${SP_TOSA_DRIVER} --sp-opt $<TARGET_FILE:sp-opt>
                   --work ${CMAKE_BINARY_DIR}/tosa-work/ops --llvm --keep-bn ops:ops_cnn ops:ops_seq)
  set_tests_properties(tosa.fashion tosa.fashion_pruned tosa.ops PROPERTIES LABELS full TIMEOUT 300)
  # Zoo models at a 64x64 input (the lowered loops are naive: seconds, not minutes).
  add_test(NAME tosa.zoo
           COMMAND ${SP_PYTHON} ${SP_TOSA_DRIVER} --sp-opt $<TARGET_FILE:sp-opt>
                   --work ${CMAKE_BINARY_DIR}/tosa-work/zoo
                   ${CMAKE_BINARY_DIR}/zoo/resnet18.onnx@64x64
                   ${CMAKE_BINARY_DIR}/zoo/mobilenet_v2.onnx@64x64
                   ${CMAKE_BINARY_DIR}/zoo/mobilenet_v3_small.onnx@64x64
                   ${CMAKE_BINARY_DIR}/zoo/efficientnet_b0.onnx@64x64
                   ${CMAKE_BINARY_DIR}/zoo/shufflenet_v2_x1_0.onnx@64x64
                   ${CMAKE_BINARY_DIR}/zoo/densenet121.onnx@64x64
                   ${CMAKE_BINARY_DIR}/zoo/convnext_tiny.onnx@64x64
                   ${CMAKE_BINARY_DIR}/zoo/resnet50.onnx@64x64
                   # VGG-16-BN's adaptive pool and ViT-B/16's position embedding fix
                   # 224x224 (25 s and 15 s); the small transformers at their own sizes.
                   ${CMAKE_BINARY_DIR}/zoo/vgg16_bn.onnx
                   ${CMAKE_BINARY_DIR}/zoo/vit_b_16.onnx
                   ${CMAKE_BINARY_DIR}/zoo/tiny_encoder.onnx
                   ${CMAKE_BINARY_DIR}/zoo/tiny_gpt.onnx)
  add_test(NAME tosa.zoo_pruned_llvm
           COMMAND ${SP_PYTHON} ${SP_TOSA_DRIVER} --sp-opt $<TARGET_FILE:sp-opt>
                   --work ${CMAKE_BINARY_DIR}/tosa-work/zoo_pruned --llvm --prune 0.5
                   ${CMAKE_BINARY_DIR}/zoo/resnet18.onnx@64x64
                   ${CMAKE_BINARY_DIR}/zoo/mobilenet_v2.onnx@64x64)
  # Token ids in, through tosa.gather/select to LLVM (seconds: the models are small).
  add_test(NAME tosa.transformers_llvm
           COMMAND ${SP_PYTHON} ${SP_TOSA_DRIVER} --sp-opt $<TARGET_FILE:sp-opt>
                   --work ${CMAKE_BINARY_DIR}/tosa-work/transformers --llvm
                   ${CMAKE_BINARY_DIR}/zoo/tiny_encoder.onnx
                   ${CMAKE_BINARY_DIR}/zoo/tiny_gpt.onnx)
  set_tests_properties(tosa.zoo tosa.zoo_pruned_llvm tosa.transformers_llvm PROPERTIES LABELS full TIMEOUT 900
                       FIXTURES_REQUIRED sp_zoo)
endif()
