# SNAPFLOW_SANITIZE=address,undefined (or thread) instruments everything, third-party code we
# compile included, which is why it is the one global compile option.
if(SNAPFLOW_SANITIZE)
  add_compile_options(-fsanitize=${SNAPFLOW_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${SNAPFLOW_SANITIZE})
  # ThreadSanitizer: TBB's header code is not instrumented (cmake/tsan_ignore.txt says why).
  if(SNAPFLOW_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    add_compile_options(-fsanitize-ignorelist=${CMAKE_CURRENT_LIST_DIR}/tsan_ignore.txt)
  endif()
endif()
if(SNAPFLOW_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SNAPFLOW_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
