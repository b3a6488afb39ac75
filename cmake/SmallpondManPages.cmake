# Makes the man pages from the tool's own --help text (one source): run as
#   cmake -DTOOL=<smallpond> -DOUT=<folder> -DVERSION=<x.y.z> -P this file
# It writes smallpond.1 and smallpond-<command>.1 for each command, the
# help text as a NAME line, then the text as it prints, unfilled.

file(MAKE_DIRECTORY "${OUT}")

# Text as roff: backslashes escaped, lines that start with '.' or '\''
# guarded by a zero-width character.
function(sp_roff text out)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

function(sp_page name command what)
  execute_process(COMMAND "${TOOL}" ${command} --help
                  OUTPUT_VARIABLE help RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${TOOL} ${command} --help failed: ${rc}")
  endif()
  sp_roff("${help}" body)
  string(TOUPPER "${name}" title)
  file(WRITE "${OUT}/${name}.1"
    ".TH ${title} 1 \"\" \"smallpond ${VERSION}\" \"smallpond\"\n"
    ".SH NAME\n${name} \\- ${what}\n"
    ".SH DESCRIPTION\n.nf\n${body}.fi\n"
    ".SH SEE ALSO\nsmallpond(1), the README and docs/ of the source\n")
endfunction()

sp_page(smallpond "" "distributed data processing on DuckDB")
sp_page(smallpond-run run "run a DataFrame pipeline given as options")
sp_page(smallpond-sql sql "run one SQL query over files and named tables")
sp_page(smallpond-status status "a job's state and progress")
sp_page(smallpond-jobs jobs "the jobs under the data root")
sp_page(smallpond-gc gc "remove what old jobs left")
sp_page(smallpond-report report "a job's report as one HTML file")
sp_page(smallpond-gensort gensort "make sort-benchmark records")
sp_page(smallpond-valsort valsort "check that records are sorted and complete")
