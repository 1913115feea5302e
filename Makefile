# Thin front for the CMake build. `make test` and `make demo` set up a fresh Debian machine first.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# make test SANITIZE=1: the same suite, built with ASan and UBSan in build-sanitize/ (CPU only).
ifeq ($(SANITIZE),1)
BUILD := build-sanitize
CMAKE_FLAGS += -DLETHE_SANITIZE=ON -DLETHE_CUDA=OFF
endif
# make fuzz: each libFuzzer target for FUZZ_SECONDS (tools/fuzz.sh).
FUZZ_SECONDS ?= 60

.PHONY: all setup configure build test demo bench bench-compare weights clean fuzz

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
	@cd $(BUILD) && ctest --output-on-failure

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
bench-compare: build
	@tools/reference/setup_torch.sh
	@/usr/bin/python3 tools/reference/bench_compare.py --lethe $(BUILD)/lethe \
	  --rounds $(ROUNDS) --steps $(STEPS)

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
