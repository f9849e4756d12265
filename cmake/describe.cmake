# Writes OUT from IN with PFNSIM_DESCRIBE = `git describe --always --dirty` of SRC (or
# "unknown"), and only when it changed: run at every build, so the version names the tree built.
set(PFNSIM_DESCRIBE "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty WORKING_DIRECTORY ${SRC}
                  OUTPUT_VARIABLE d OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                  RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND d)
    set(PFNSIM_DESCRIBE "${d}")
  endif()
endif()
configure_file(${IN} ${OUT} @ONLY)
