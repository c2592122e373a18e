# KlinikDesa — the commands a newcomer needs. See README.md.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_JOBS ?= 3
CMAKE_FLAGS ?=
DEMO ?= 1
FUZZ_SECONDS ?= 300

# ccache keys on paths relative to the checkout, so clones in other folders share the cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps configure build test fuzz run clean format sanitize bench

all: build

deps:
	@bash tools/dev/deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The fuzz.* tests' run counts are listed after ctest's summary (README.md, "Fuzzing").
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(CTEST_JOBS) --timeout 600; status=$$?; \
	  cat fuzz-runs/*.runs 2>/dev/null; exit $$status

# Each libFuzzer target for FUZZ_SECONDS, its corpus growing in $(BUILD_DIR)/fuzz-runs/ from run
# to run.
fuzz: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target klinik_fuzz
	cd $(BUILD_DIR) && KLINIK_FUZZ_SECONDS=$(FUZZ_SECONDS) KLINIK_FUZZ_KEEP_CORPUS=1 \
	  ctest -L fuzz --no-tests=error --output-on-failure -j $(CTEST_JOBS) \
	  --timeout $$(( $(FUZZ_SECONDS) + 600 )); status=$$?; cat fuzz-runs/*.runs 2>/dev/null; exit $$status

run: build
	DEMO=$(DEMO) bash tools/dev/run.sh $(BUILD_DIR) $(RUN_ARGS)

# Benchmarks (bench/README.md): one pass on PostgreSQL, one on SQLite, each with its own Kafka
# and PostgreSQL; the report goes to bench/results/<date>.md and .json.
BENCH_PG_ARGS ?=
BENCH_SQLITE_ARGS ?= --registrations 30000 --screenings 15000 --pharmacy 20000 --e2e-rates 0,100 --e2e-seconds 20,30
bench: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target klinik-bench klinik-loadgen
	@mkdir -p $(BUILD_DIR)/bench-passes
	$(BUILD_DIR)/bench/klinik-bench run --backend postgres $(BENCH_PG_ARGS) --out $(BUILD_DIR)/bench-passes/postgres.json
	$(BUILD_DIR)/bench/klinik-bench run --backend sqlite $(BENCH_SQLITE_ARGS) --out $(BUILD_DIR)/bench-passes/sqlite.json
	$(BUILD_DIR)/bench/klinik-bench report --results-dir bench/results $(BUILD_DIR)/bench-passes/postgres.json $(BUILD_DIR)/bench-passes/sqlite.json

sanitize:
	$(MAKE) test BUILD_DIR=build-sanitize CMAKE_FLAGS=-DKLINIK_SANITIZE=ON

format:
	git ls-files '*.cc' '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
