# Thin wrapper around CMake so the README's commands are short.
#   make        build everything into build/
#   make test   build and run all tests, then again with ASan + UBSan
#   make demo   build, generate the sample dataset, run the quick start
BUILD      ?= build
ASAN_BUILD ?= build-asan
CMAKE_ARGS ?=

.PHONY: all deps configure test test-asan demo clean

all: configure
	cmake --build $(BUILD)

deps:
	@scripts/bootstrap.sh
	@scripts/fetch-duckdb.sh >/dev/null

configure: deps
	@test -f $(BUILD)/build.ninja || \
	  cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DSP_DEVELOPER=ON $(CMAKE_ARGS)

test: all
	ctest --test-dir $(BUILD) --output-on-failure
	$(MAKE) test-asan

test-asan: deps
	@test -f $(ASAN_BUILD)/build.ninja || \
	  cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	    -DSP_DEVELOPER=ON -DSP_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure

demo: all
	@scripts/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) demo-data
