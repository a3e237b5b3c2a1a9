# libFuzzer targets (-DSP_FUZZ=ON with clang only): the ONNX reader, the pass
# pipeline parser, MLIR input files (resources included), sp-run's input
# binding and sp-train's .npy header parser.
# The ONNX and support sources are compiled again into the fuzzer with its
# instrumentation, so the normal libraries (and gcc builds) are untouched.
if(SP_FUZZ AND CMAKE_C_COMPILER_ID MATCHES "Clang")
  get_filename_component(SP_FUZZ_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
  file(GLOB SP_FUZZ_LIB_SOURCES CONFIGURE_DEPENDS
       ${SP_FUZZ_ROOT}/lib/onnx/*.c ${SP_FUZZ_ROOT}/lib/support/*.c)
  # the sp.masks codec (cJSON) is not on the reader's path; sp_masks has it
  list(REMOVE_ITEM SP_FUZZ_LIB_SOURCES ${SP_FUZZ_ROOT}/lib/support/masks.c)
  set(SP_FUZZ_FLAGS -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
                    -fno-sanitize-recover=undefined)
  add_executable(fuzz_onnx_reader ${CMAKE_CURRENT_LIST_DIR}/fuzz_onnx_reader.c
                                  ${SP_FUZZ_LIB_SOURCES})
  sp_target_defaults(fuzz_onnx_reader)
  target_compile_options(fuzz_onnx_reader PRIVATE ${SP_FUZZ_FLAGS})
  target_link_options(fuzz_onnx_reader PRIVATE ${SP_FUZZ_FLAGS})
  # Generated protobuf-c tables only: the parser itself is libprotobuf-c.
  target_link_libraries(fuzz_onnx_reader PRIVATE sp_onnx_proto m)

  set(SP_FUZZ_DIR ${CMAKE_CURRENT_BINARY_DIR}/fuzz)
  add_test(NAME fuzz.onnx_reader.seeds
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/make_onnx_seeds.py
                   ${SP_FUZZ_DIR}/onnx_reader_seeds)
  set_tests_properties(fuzz.onnx_reader.seeds PROPERTIES
                       LABELS full FIXTURES_SETUP onnx_reader_seeds)
  set(SP_FUZZ_SECONDS 60 CACHE STRING "Seconds the fuzz.* tests run")
  # New inputs go to the first directory (kept between runs); seeds and the
  # inputs of fixed crashes (regressions/) are read.
  add_test(NAME fuzz.onnx_reader
           COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
                   $<TARGET_FILE:fuzz_onnx_reader>
                   -max_total_time=${SP_FUZZ_SECONDS} -timeout=10
                   -rss_limit_mb=2048 -print_final_stats=1
                   ${SP_FUZZ_DIR}/onnx_reader_corpus
                   ${SP_FUZZ_DIR}/onnx_reader_seeds
                   ${CMAKE_CURRENT_LIST_DIR}/regressions/onnx_reader)
  set_tests_properties(fuzz.onnx_reader PROPERTIES
                       LABELS full FIXTURES_REQUIRED onnx_reader_seeds
                       TIMEOUT 600)
  file(MAKE_DIRECTORY ${SP_FUZZ_DIR}/onnx_reader_corpus)

  # The text fuzzers (pipeline, MLIR input) and the runtime's input binding.
  # The sources under test are compiled into each target with the fuzzer's
  # instrumentation; what they call beyond that (MLIR, the kernel sets) comes
  # from the clang-built libraries of this build tree.
  add_test(NAME fuzz.text.seeds
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/make_text_seeds.py
                   ${SP_FUZZ_ROOT} ${SP_FUZZ_DIR}/text_seeds)
  set_tests_properties(fuzz.text.seeds PROPERTIES LABELS full FIXTURES_SETUP text_seeds)
  add_test(NAME fuzz.run.seeds
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/make_run_seeds.py
                   ${SP_FUZZ_DIR}/run_binding)
  set_tests_properties(fuzz.run.seeds PROPERTIES LABELS full FIXTURES_SETUP run_seeds)

  # sp_fuzz_target(NAME SOURCES... LIBS ...): one libFuzzer program
  function(sp_fuzz_target name)
    cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
    add_executable(${name} ${F_SOURCES})
    sp_target_defaults(${name})
    target_compile_options(${name} PRIVATE ${SP_FUZZ_FLAGS})
    target_link_options(${name} PRIVATE ${SP_FUZZ_FLAGS})
    target_link_libraries(${name} PRIVATE ${F_LIBS})
    set_target_properties(${name} PROPERTIES LINKER_LANGUAGE CXX)
  endfunction()
  # sp_fuzz_test(NAME TARGET FIXTURE ENV CORPUS... ): runs it for SP_FUZZ_SECONDS over
  # a kept corpus (first directory), the seeds and regressions/
  function(sp_fuzz_test name target fixture env)
    file(MAKE_DIRECTORY ${SP_FUZZ_DIR}/${name}_corpus)
    add_test(NAME fuzz.${name}
             COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
                     ${env} $<TARGET_FILE:${target}>
                     -max_total_time=${SP_FUZZ_SECONDS} -timeout=10 -max_len=65536
                     -rss_limit_mb=2048 -print_final_stats=1
                     ${SP_FUZZ_DIR}/${name}_corpus ${ARGN})
    set_tests_properties(fuzz.${name} PROPERTIES LABELS full FIXTURES_REQUIRED ${fixture}
                         TIMEOUT 600)
  endfunction()

  sp_fuzz_target(fuzz_pipeline
                 SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_pipeline.c
                         ${SP_FUZZ_ROOT}/passes/pipeline.c ${SP_FUZZ_ROOT}/passes/registry.c
                 LIBS sp_passes)
  sp_fuzz_test(pipeline fuzz_pipeline text_seeds "" ${SP_FUZZ_DIR}/text_seeds/pipeline
               ${CMAKE_CURRENT_LIST_DIR}/regressions/pipeline)

  sp_fuzz_target(fuzz_mlir_input
                 SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_mlir_input.c
                         ${SP_FUZZ_ROOT}/tools/tool_common.c
                         ${SP_FUZZ_ROOT}/lib/translate/export.c ${SP_FUZZ_ROOT}/lib/dialect/weights.c
                 LIBS sp_translate sp_dialect sp_cli)
  sp_fuzz_test(mlir_input fuzz_mlir_input text_seeds "" ${SP_FUZZ_DIR}/text_seeds/mlir
               ${CMAKE_CURRENT_LIST_DIR}/regressions/mlir_input)

  file(GLOB SP_FUZZ_RUNTIME_SOURCES CONFIGURE_DEPENDS ${SP_FUZZ_ROOT}/lib/runtime/*.c)
  sp_fuzz_target(fuzz_run_binding
                 SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_run_binding.c ${SP_FUZZ_RUNTIME_SOURCES}
                 LIBS sp_runtime)
  target_include_directories(fuzz_run_binding PRIVATE ${OPENBLAS_INCLUDE})
  foreach(isa ${SP_KERNEL_ISAS})
    string(TOUPPER ${isa} ISA)
    target_compile_definitions(fuzz_run_binding PRIVATE SP_HAVE_ISA_${ISA})
  endforeach()
  sp_fuzz_test(run_binding fuzz_run_binding run_seeds
               SP_FUZZ_RUN_MODEL=${SP_FUZZ_DIR}/run_binding/model.onnx
               ${SP_FUZZ_DIR}/run_binding/seeds ${CMAKE_CURRENT_LIST_DIR}/regressions/run_binding)

  # .npy headers (lib/train/npy.c; it needs only sp_error); seeds are the files
  # numpy writes for unit.test_data, valid and refused ones
  add_test(NAME fuzz.npy.seeds
           COMMAND ${SP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/../train/make_npy_files.py
                   ${SP_FUZZ_DIR}/npy_seeds)
  set_tests_properties(fuzz.npy.seeds PROPERTIES LABELS full FIXTURES_SETUP npy_seeds)
  sp_fuzz_target(fuzz_npy
                 SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_npy.c ${SP_FUZZ_ROOT}/lib/train/npy.c
                         ${SP_FUZZ_ROOT}/lib/support/error.c)
  sp_fuzz_test(npy fuzz_npy npy_seeds "" ${SP_FUZZ_DIR}/npy_seeds
               ${CMAKE_CURRENT_LIST_DIR}/regressions/npy)
endif()
