# mldeck_add_test(NAME name SOURCES ... LIBS ... [LABELS unit|integration|gui] [SERIAL])
# One executable per test class, run offscreen; integration tests read the
# MLDECK_TEST_REDIS_URL / MLDECK_TEST_PG_URL that the local stack exports.
function(mldeck_add_test)
    cmake_parse_arguments(T "SERIAL" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
    add_executable(${T_NAME} ${T_SOURCES})
    target_link_libraries(${T_NAME} PRIVATE mldeck_project_options mldeck_test_support Qt6::Test ${T_LIBS})
    add_dependencies(${T_NAME} mldeck-model-worker) # tests that run models start it
    add_test(NAME ${T_NAME} COMMAND ${T_NAME})
    if(NOT T_TIMEOUT)
        set(T_TIMEOUT 300)
    endif()
    set_tests_properties(${T_NAME} PROPERTIES
        LABELS "${T_LABELS}"
        TIMEOUT ${T_TIMEOUT}
        FAIL_REGULAR_EXPRESSION "SKIP   : " # a skipped test function is not a pass (Qt Test still exits with 0)
        ENVIRONMENT "QT_QPA_PLATFORM=offscreen;MLDECK_SOURCE_DIR=${PROJECT_SOURCE_DIR};MLDECK_BINARY_DIR=${PROJECT_BINARY_DIR}")
    if(T_SERIAL)
        set_tests_properties(${T_NAME} PROPERTIES RUN_SERIAL TRUE)
    endif()
endfunction()
