# Thin wrapper around CMake so the README's commands are short.
#   make        build everything into build/
#   make test   build and run all tests, then again with ASan + UBSan, then
#               a build without MPI (local mode), then each libFuzzer
#               harness for a few thousand inputs; says why a test was
#               skipped (e.g. the cluster test when not root)
#   make fuzz   run the libFuzzer harnesses for FUZZ_SECONDS each (or only
#               FUZZ=name); see tests/fuzz/README.md
#   make demo   build, generate the sample dataset, run the quick start
#   make install [PREFIX=/usr/local] [DESTDIR=...]   build, then install the
#               libraries, header, tool, pkg-config file, CMake package and
#               man pages
BUILD       ?= build
ASAN_BUILD  ?= build-asan
FUZZ_BUILD  ?= build-fuzz
NOMPI_BUILD ?= build-nompi
CMAKE_ARGS ?=
FUZZ_SECONDS ?= 60
FUZZ ?=

.PHONY: all deps configure test test-asan test-nompi fuzz-build test-fuzz \
        fuzz demo install clean

all: configure
	cmake --build $(BUILD)

# DuckDB: configuring uses DUCKDB_ROOT or an installed DuckDB 1.4, and
# only without one runs scripts/fetch-duckdb.sh (cmake/SmallpondDuckDB.cmake).
deps:
	@scripts/bootstrap.sh

configure: deps
	@test -f $(BUILD)/build.ninja || \
	  cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DSP_DEVELOPER=ON $(CMAKE_ARGS)

# ctest shows nothing of a skipped test's output: say why each was skipped
# (its line with "SKIPPED: ", e.g. the cluster test when not root).
skipped = grep -hE '^([a-z.]+: )?SKIPPED: ' \
            $(1)/Testing/Temporary/LastTest.log \
            2>/dev/null | sed 's/^/skipped: /' || true

test: all
	@ctest --test-dir $(BUILD) --output-on-failure || \
	  { $(call skipped,$(BUILD)); exit 1; }
	@$(call skipped,$(BUILD))
	$(MAKE) test-asan
	$(MAKE) test-nompi
	$(MAKE) test-fuzz

test-asan: deps
	@test -f $(ASAN_BUILD)/build.ninja || \
	  cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	    -DSP_DEVELOPER=ON -DSP_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD)
	@ctest --test-dir $(ASAN_BUILD) --output-on-failure || \
	  { $(call skipped,$(ASAN_BUILD)); exit 1; }
	@$(call skipped,$(ASAN_BUILD))

# The harnesses build with clang alone, in a folder of their own.
fuzz-build: deps
	@test -f $(FUZZ_BUILD)/build.ninja || \
	  cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_C_COMPILER=clang \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSP_DEVELOPER=ON -DSP_FUZZ=ON \
	    $(CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD) --target sp_fuzzers

test-fuzz: fuzz-build
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure

fuzz: fuzz-build
	tests/fuzz/run.sh fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ)

demo: all
	@scripts/demo.sh $(BUILD)

# A build without MPI (-DSP_WITH_MPI=OFF): local mode, no MPI dependency.
test-nompi: deps
	@test -f $(NOMPI_BUILD)/build.ninja || \
	  cmake -S . -B $(NOMPI_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DSP_DEVELOPER=ON -DSP_WITH_MPI=OFF -DSP_BUILD_TESTS=OFF $(CMAKE_ARGS)
	cmake --build $(NOMPI_BUILD)
	sh tests/nompi/check.sh $(NOMPI_BUILD)

PREFIX ?= /usr/local
install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(NOMPI_BUILD) demo-data
