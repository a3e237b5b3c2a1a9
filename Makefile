# Entry points for developers and CI. `make test` is what CI runs first.
#   deps   install missing Debian packages and ONNX Runtime (npm)   .ci/install-deps
#   build  configure and build into build/ (RelWithDebInfo)
#   test   deps + build, then every ctest test (fast and full)
#   check  build with -Werror, then the fast tests only (lit, unit)
#   run    deps + build, then examples/run.sh
#   asan   AddressSanitizer/UBSan build in build-asan/, fast tests + label asan (prune.regression)
#   fuzz   clang-19 libFuzzer build in build-fuzz/, the fuzz tests
#   march  the whole project built with -Werror for -march=x86-64-v2, -v3 and -v4 in
#          build-march-*/ (compile and link only: the warnings another CPU would raise)
#   clean  remove the build trees

BUILD      ?= build
JOBS       ?= 2
BUILD_TYPE ?= RelWithDebInfo
# Warnings are errors for developers and CI (make check, WERROR=ON), never by default.
WERROR     ?= OFF
CTEST      := ctest --output-on-failure

.PHONY: deps build test check run asan fuzz march clean

deps:
	@.ci/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSP_WERROR=$(WERROR)
	cmake --build $(BUILD) --parallel $(JOBS)

test: build
	$(CTEST) --test-dir $(BUILD)

check: WERROR = ON
check: build
	$(CTEST) --test-dir $(BUILD) -L fast

run: build
	@if [ -x examples/run.sh ]; then examples/run.sh; \
	else echo "make run: examples/run.sh does not exist yet"; fi

asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSP_SANITIZE=ON -DSP_WERROR=$(WERROR)
	cmake --build build-asan --parallel $(JOBS)
	$(CTEST) --test-dir build-asan -L 'fast|asan'

fuzz: deps
	CC=clang-19 CXX=clang++-19 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSP_FUZZ=ON -DSP_WERROR=$(WERROR)
	@# Only the fuzz_* executables: the fuzz tests need nothing else.
	targets=$$(cmake --build build-fuzz --target help | sed -n 's/^\.\.\. \(fuzz_[A-Za-z0-9_]*\)$$/\1/p'); \
	cmake --build build-fuzz --parallel $(JOBS) $${targets:+--target $$targets}
	$(CTEST) --test-dir build-fuzz -R fuzz

MARCH_LEVELS ?= x86-64-v2 x86-64-v3 x86-64-v4
march: deps
	@for level in $(MARCH_LEVELS); do \
	  echo "== -march=$$level -Werror"; \
	  cmake -S . -B build-march-$$level -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSP_WERROR=ON \
	        -DCMAKE_C_FLAGS=-march=$$level -DCMAKE_CXX_FLAGS=-march=$$level >/dev/null && \
	  cmake --build build-march-$$level --parallel $(JOBS) >build-march-$$level/build.log 2>&1 || \
	    { tail -n 40 build-march-$$level/build.log; echo "march: -march=$$level failed"; exit 1; }; \
	done; echo "march: $(MARCH_LEVELS) built warning-free"

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-march-*
