# The README's commands. Each installs what is missing first, so a fresh
# machine needs nothing else.
BUILD ?= build
ASAN_BUILD ?= build-asan
FAULTS_BUILD ?= build-faults
JOBS ?= $(shell nproc)
HOST ?= 127.0.0.1
PORT ?= 8080
ARGS ?=

.PHONY: deps build test test-fast test-sanitizers test-faults run deb bench torture fuzz format clean

deps:
	@scripts/install-deps

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Every suite, then the same suites again under ASan and UBSan, then the
# nemesis against a build with deliberate bugs (it must catch each).
test: test-fast test-sanitizers test-faults

test-fast: build
	cd $(BUILD) && ctest --output-on-failure

test-sanitizers: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFRIDGEBANK_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure

test-faults: build
	cmake -S . -B $(FAULTS_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFRIDGEBANK_FAULTS=ON \
	  -DFRIDGEBANK_TESTS=OFF >/dev/null
	cmake --build $(FAULTS_BUILD) -j $(JOBS) --target fridgebank-server
	test/faults_test.sh $(FAULTS_BUILD)/bin/fridgebank-server $(BUILD)/bin/fridgebank-load

run: build
	$(BUILD)/bin/fridgebank-server --host $(HOST) --port $(PORT) $(ARGS)

# The Debian package: $(BUILD)/fridgebank_VERSION_ARCH.deb (cmake/package.cmake).
deb: build
	cd $(BUILD) && cpack -G DEB
	@ls $(BUILD)/fridgebank_*.deb

bench: build
	bench/run.sh

# Long nemesis runs (DURATION=10m) of drink and bank, each checked, each
# drawn with its faults marked: bench/results/torture-{drink,bank}.png.
DURATION ?= 10m
torture: build
	@mkdir -p bench/results
	for s in drink bank; do rm -rf bench/results/torture-$$s-data; \
	  $(BUILD)/bin/fridgebank-load --scenario $$s --nemesis kill,term,pause --duration $(DURATION) \
	    --spawn "$(CURDIR)/$(BUILD)/bin/fridgebank-server --data-dir $(CURDIR)/bench/results/torture-$$s-data" \
	    --history bench/results/torture-$$s.jsonl --plot bench/results/torture-$$s.png || exit 1; \
	done

# libFuzzer (clang-14, ASan, UBSan): each target for FUZZ_SECONDS from its
# seed corpus (test/fuzz/corpus/*); new inputs land in $(FUZZ_BUILD)/corpus.
# Fails on any crash, leak, timeout or broken property. `make test` replays
# the seed corpora in every build.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz: deps
	scripts/install-deps clang-14 libclang-rt-14-dev
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFRIDGEBANK_FUZZ=ON \
	  -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fridgebank_fuzz_request fridgebank_fuzz_json
	test/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FAULTS_BUILD)
