# install.embed (label full): cmake --install to a temporary prefix, then the outside
# project examples/embed built against it with find_package(SP) and with pkg-config,
# run and checked against the installed sp-opt / sp-run (docs/install.md).
add_test(NAME install.embed
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/embed_test.sh ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR})
set_tests_properties(install.embed PROPERTIES LABELS full TIMEOUT 600)

# unit.test_sp_api (fast): the host C API (sp/sp.h) in-tree, linked statically.
add_executable(test_sp_api ${CMAKE_CURRENT_LIST_DIR}/test_sp_api.c)
sp_target_defaults(test_sp_api)
target_link_libraries(test_sp_api PRIVATE sp_api sp_runtime ${CMOCKA_LIB})
target_compile_definitions(test_sp_api PRIVATE SP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
set_target_properties(test_sp_api PROPERTIES LINKER_LANGUAGE CXX)
add_test(NAME unit.test_sp_api COMMAND test_sp_api)
set_tests_properties(unit.test_sp_api PROPERTIES LABELS fast)
