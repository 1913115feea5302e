# Thin front for the CMake build. `make test` and `make demo` set up a fresh Debian machine first.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all setup configure build test demo bench clean

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

demo: build
	@$(BUILD)/lethe demo

bench: build
	@$(BUILD)/lethe bench ops

clean:
	rm -rf $(BUILD)
