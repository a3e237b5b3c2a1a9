# install.embed (label full): cmake --install to a temporary prefix, then the outside
# project examples/embed built against it with find_package(SP) and with pkg-config,
# run and checked against the installed sp-opt / sp-run (docs/install.md).
add_test(NAME install.embed
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/embed_test.sh ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR})
set_tests_properties(install.embed PROPERTIES LABELS full TIMEOUT 600)
