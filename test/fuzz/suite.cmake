# libFuzzer target for the ONNX reader: -DSP_FUZZ=ON with clang only.
# The ONNX and support sources are compiled again into the fuzzer with its
# instrumentation, so the normal libraries (and gcc builds) are untouched.
if(SP_FUZZ AND CMAKE_C_COMPILER_ID MATCHES "Clang")
  get_filename_component(SP_FUZZ_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
  file(GLOB SP_FUZZ_LIB_SOURCES CONFIGURE_DEPENDS
       ${SP_FUZZ_ROOT}/lib/onnx/*.c ${SP_FUZZ_ROOT}/lib/support/*.c)
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
                   ${CMAKE_CURRENT_LIST_DIR}/regressions)
  set_tests_properties(fuzz.onnx_reader PROPERTIES
                       LABELS full FIXTURES_REQUIRED onnx_reader_seeds
                       TIMEOUT 600)
  file(MAKE_DIRECTORY ${SP_FUZZ_DIR}/onnx_reader_corpus)
endif()
