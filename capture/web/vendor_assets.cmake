# Installs the web UI's third-party files (package.json, pinned by package-lock.json with
# integrity hashes) with `npm ci` into WORK_DIR and copies the files the UI loads into OUT_DIR,
# which embed_assets.cmake serves under /ui/vendor/. Run at build time by capture/CMakeLists.txt
# when package.json or the lock file change. Only the build needs npm and the registry (or npm's
# cache); the binary carries the files, so nothing is fetched when the UI runs.
#   cmake -DNPM=npm -DSOURCE_DIR=capture/web -DWORK_DIR=... -DOUT_DIR=... -P vendor_assets.cmake
foreach(var NPM SOURCE_DIR WORK_DIR OUT_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "vendor_assets.cmake: -D${var}= is required")
  endif()
endforeach()
file(MAKE_DIRECTORY "${WORK_DIR}")
foreach(name package.json package-lock.json .npmrc)
  file(COPY_FILE "${SOURCE_DIR}/${name}" "${WORK_DIR}/${name}" ONLY_IF_DIFFERENT)
endforeach()
# --ignore-scripts: no package code runs at install time; --prefer-offline: npm's cache first.
execute_process(
  COMMAND "${NPM}" ci --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error
  WORKING_DIRECTORY "${WORK_DIR}"
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "npm ci in ${WORK_DIR} (capture/web/package-lock.json) failed: ${out}")
endif()
# file: as served under /ui/vendor/ = path under node_modules
set(files
    "uPlot.iife.min.js=uplot/dist/uPlot.iife.min.js"
    "uPlot.min.css=uplot/dist/uPlot.min.css"
    "uPlot.LICENSE.txt=uplot/LICENSE")
file(REMOVE_RECURSE "${OUT_DIR}")
file(MAKE_DIRECTORY "${OUT_DIR}")
foreach(pair IN LISTS files)
  string(REPLACE "=" ";" pair "${pair}")
  list(GET pair 0 served)
  list(GET pair 1 installed)
  if(NOT EXISTS "${WORK_DIR}/node_modules/${installed}")
    message(FATAL_ERROR "npm ci did not install node_modules/${installed}")
  endif()
  file(COPY_FILE "${WORK_DIR}/node_modules/${installed}" "${OUT_DIR}/${served}")
endforeach()
