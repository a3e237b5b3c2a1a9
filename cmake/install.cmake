# `cmake --install build --prefix P` (docs/install.md): the tools, libSPPlugin.so, libsp.so and
# libsp_runtime.so with their static archives, the public headers under
# include/sp/, a CMake package (find_package(SP CONFIG): SP::sp, SP::runtime)
# and pkg-config files (sp.pc, sp-runtime.pc). Everything is relocatable: the
# package and .pc files find the prefix from their own location.
include(CMakePackageConfigHelpers)

# Installed tools and libraries find libsp*.so next to them and LLVM/MLIR where
# they were linked from.
set_target_properties(sp-opt sp-translate sp-run sp-train sp_runtime_shared sp_shared
  PROPERTIES INSTALL_RPATH "$ORIGIN/../lib" INSTALL_RPATH_USE_LINK_PATH TRUE)

install(TARGETS sp-opt sp-translate sp-run sp-train RUNTIME DESTINATION bin)
# The mlir-opt plugin (docs/plugin.md): loaded by path, not linked against.
if(TARGET SPPlugin)
  install(TARGETS SPPlugin LIBRARY DESTINATION lib)
endif()
install(TARGETS sp_shared sp_runtime_shared EXPORT SPTargets
        LIBRARY DESTINATION lib ARCHIVE DESTINATION lib)
# Static archives for programs that link sp statically (with MLIR's static
# C API libraries, as the tools do).
install(FILES $<TARGET_FILE:sp_support> $<TARGET_FILE:sp_onnx_proto> $<TARGET_FILE:sp_onnx>
              $<TARGET_FILE:sp_kernels> $<TARGET_FILE:sp_runtime> $<TARGET_FILE:sp_masks> $<TARGET_FILE:sp_train>
              $<TARGET_FILE:sp_dialect> $<TARGET_FILE:sp_translate> $<TARGET_FILE:sp_passes>
              $<TARGET_FILE:sp_api>
        DESTINATION lib/sp)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/sp DESTINATION include
        FILES_MATCHING PATTERN "*.h")
# sp/onnx.h includes "onnx/onnx.pb-c.h", found next to it.
install(FILES ${PROJECT_BINARY_DIR}/gen/onnx/onnx.pb-c.h DESTINATION include/sp/onnx)

set(SP_CMAKE_DIR lib/cmake/SP)
set_target_properties(sp_shared PROPERTIES EXPORT_NAME sp)
set_target_properties(sp_runtime_shared PROPERTIES EXPORT_NAME runtime)
install(EXPORT SPTargets NAMESPACE SP:: DESTINATION ${SP_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/SPConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/SPConfig.cmake INSTALL_DESTINATION ${SP_CMAKE_DIR})
# 0.x: a minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/SPConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/SPConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/SPConfigVersion.cmake
        DESTINATION ${SP_CMAKE_DIR})

set(SP_MLIR_INCLUDE_DIR ${MLIR_INCLUDE_DIRS})
configure_file(${PROJECT_SOURCE_DIR}/cmake/sp.pc.in ${PROJECT_BINARY_DIR}/cmake/sp.pc @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/sp-runtime.pc.in
               ${PROJECT_BINARY_DIR}/cmake/sp-runtime.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/sp.pc ${PROJECT_BINARY_DIR}/cmake/sp-runtime.pc
        DESTINATION lib/pkgconfig)
