# Thin front for the CMake build. `make test` and `make demo` set up a fresh Debian machine first.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# make test SANITIZE=1: the same suite, built with ASan and UBSan in build-sanitize/ (CPU only).
ifeq ($(SANITIZE),1)
BUILD := build-sanitize
CMAKE_FLAGS += -DLETHE_SANITIZE=ON -DLETHE_CUDA=OFF
endif
# make test TEST_FILES='*test_a.cpp,*test_b.cpp': only the test cases of those sources (doctest -sf).
TEST_FILES ?=
# The tests that read files and command lines, for CI's sanitizer run (make test-inputs).
INPUT_TEST_FILES := *test_bad_inputs.cpp,*test_safetensors.cpp,*test_cli.cpp,*test_toy_cli.cpp,*test_resumable_run.cpp,*test_png.cpp,*test_report.cpp
# make fuzz: each libFuzzer target for FUZZ_SECONDS (tools/fuzz.sh).
FUZZ_SECONDS ?= 60

.PHONY: all setup configure build test test-inputs demo bench bench-compare weights clean fuzz

all: build

setup:
	@tools/setup.sh

configure: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@tools/fetch_mnist.sh data/mnist $(BUILD)/lethe || \
	  echo "make test: could not fetch MNIST; the tests that need it are skipped"
ifeq ($(TEST_FILES),)
	@cd $(BUILD) && ctest --output-on-failure
else
	@cd $(BUILD) && ./lethe_tests -sf='$(TEST_FILES)'
endif

# CI's sanitizer run: the input-facing tests built with ASan + UBSan (the whole suite takes
# about 35 minutes on 2 cores; these take a few).
test-inputs:
	@$(MAKE) --no-print-directory test SANITIZE=1 TEST_FILES='$(INPUT_TEST_FILES)'

fuzz:
	@tools/fuzz.sh $(FUZZ_SECONDS)

demo: build
	@$(BUILD)/lethe demo

bench: build
	@$(BUILD)/lethe bench ops
	@$(BUILD)/lethe bench unet --mode train --layers
	@$(BUILD)/lethe bench unet --mode sample --layers

# Lethe against PyTorch (Debian's python3-torch, installed on first use) on the same U-Net steps,
# alternating, with the ratios. ROUNDS and STEPS trade time for steadier medians.
ROUNDS ?= 3
STEPS ?= 3
PRECISIONS ?= fp32,bf16
bench-compare: build
	@tools/reference/setup_torch.sh
	@/usr/bin/python3 tools/reference/bench_compare.py --lethe $(BUILD)/lethe \
	  --rounds $(ROUNDS) --steps $(STEPS) --precisions $(PRECISIONS)

# Reproduces weights/mnist-s-vp.safetensors (add DEVICE=cuda on a GPU machine).
DEVICE ?= cpu
weights: build
	@tools/fetch_mnist.sh data/mnist $(BUILD)/lethe
	@resume=$$(test -f runs/mnist-s-vp/checkpoint.safetensors && echo --resume); \
	  $(BUILD)/lethe train --device $(DEVICE) --config mnist-s --steps 5500 --warmup 500 \
	  --ema 0.999 --batch 128 --checkpoint-every 500 --out runs/mnist-s-vp $$resume
	@$(BUILD)/lethe export runs/mnist-s-vp/checkpoint.safetensors weights/mnist-s-vp.safetensors

clean:
	rm -rf $(BUILD)
