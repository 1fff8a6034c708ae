# fbw - the First Block Cache workbench.
#
#   make deps                  install the Debian packages (as root) and PyTorch into .venv
#   make                       build ./fbw
#   make test                  build and run every test (unit, reference, end-to-end), then the
#                              same suite on the CUDA variant ./fbw-cuda when .venv-cuda exists
#   make asan                  build ./fbw-asan and the tests with ASan/UBSan, and run the tests
#   make demo                  build and run the main job (a generation with and without the cache)
#   make bench                 the performance figures: fbw bench, malloc before/after, the peer
#   make sweep-bench           the sweep runner's wall time and overhead on a 4x3 sweep
#   make plot-examples         the example plots in docs/plots/ (a sweep of the default model)
#   make hitrates              FBCache hit rates, samplers x schedulers (tools/hit-table.sh)
#   make card                  the default model's card figures (tools/model-card.sh)
#   make gpu-check             on a lent GPU machine: build there, CUDA vs CPU, XL call timings
#   make LIBTORCH=<torch dir>  build against another PyTorch 2.6+ install (its site-packages/torch)

# libtorch is PyTorch 2.x's, from the torch package of a Python environment: .venv (made by
# make deps) unless LIBTORCH names another torch/ directory.  tools/torch-check.sh refuses
# anything older than 2.6 and says how to fix it; a CUDA build (lib/libtorch_cuda.so) turns on the
# shim's CUDA paths.  The rpath lets ./fbw run without activating the environment.
VENV     ?= .venv
LIBTORCH ?= $(firstword $(wildcard $(VENV)/lib/python3*/site-packages/torch))
CC       ?= gcc
CXX      ?= g++
BUILD    ?= build
BIN      ?= fbw

TORCH_LIBDIR := $(LIBTORCH)/lib
TORCH_INC    := -isystem $(LIBTORCH)/include -isystem $(LIBTORCH)/include/torch/csrc/api/include
TORCH_IS_CUDA := $(wildcard $(TORCH_LIBDIR)/libtorch_cuda.so)
# A CUDA wheel carries the CUDA runtime's headers and library beside torch (nvidia/cu*/); a CUDA
# toolkit has them under CUDA_HOME, which also supplies what a wheel leaves out (crt/*.h).
CUDA_HOME    ?= /usr/local/cuda
comma        := ,
cuda_first    = $(firstword $(foreach p,$(1),$(wildcard $(p))))
CUDA_INC     := $(dir $(call cuda_first,$(LIBTORCH)/../nvidia/*/include/cuda_runtime_api.h \
                  $(LIBTORCH)/../nvidia/cuda_runtime/include/cuda_runtime_api.h)) \
                $(wildcard $(CUDA_HOME)/include)
CUDA_RT      := $(call cuda_first,$(LIBTORCH)/../nvidia/*/lib/libcudart.so.* \
                  $(LIBTORCH)/../nvidia/cuda_runtime/lib/libcudart.so.* \
                  $(CUDA_HOME)/lib64/libcudart.so)
TORCH_CUDA_FLAGS := $(if $(TORCH_IS_CUDA),-DFBW_CUDA=1 $(addprefix -isystem ,$(CUDA_INC)))
# The shim's CUDA events call the CUDA runtime directly, so it is linked by name too.
TORCH_CUDA   := $(if $(TORCH_IS_CUDA),-ltorch_cuda -lc10_cuda $(CUDA_RT) \
                  -Wl$(comma)-rpath$(comma)$(abspath $(dir $(CUDA_RT))))
TORCH_LIBS   := -L$(TORCH_LIBDIR) -Wl,-rpath,$(abspath $(TORCH_LIBDIR)) -Wl,--no-as-needed \
                -ltorch -ltorch_cpu -lc10 $(TORCH_CUDA) -Wl,--as-needed

WARN     := -Wall -Wextra -Werror
OPT      ?= -O2 -g
SAN      ?=
# Headers and libraries outside the system's paths (tools/gpu-check.sh points these at Debian
# packages it unpacked into a private prefix on a GPU machine); empty by default.
EXTRA_CFLAGS  ?=
EXTRA_LDFLAGS ?=
CFLAGS   := -std=c11 $(OPT) $(WARN) -D_GNU_SOURCE -I. $(SAN) -MMD -MP $(EXTRA_CFLAGS)
CXXFLAGS := -std=c++20 $(OPT) $(WARN) -Wno-unused-parameter -I. $(TORCH_INC) $(TORCH_CUDA_FLAGS) \
            $(SAN) -MMD -MP
LDLIBS   := $(EXTRA_LDFLAGS) $(TORCH_LIBS) -lsqlite3 -lncursesw -ljansson -lpng -lz -lm -lpthread \
            -lstdc++
TEST_LDLIBS := -lcmocka

# Every .c in a library layer is part of libfbw; cli/ holds the binary's entry points.
LIB_SRC  := $(sort $(wildcard util/*.c core/*.c train/*.c bench/*.c db/*.c plots/*.c tui/*.c))
SHIM_SRC := core/shim/tensor_torch.cpp
CLI_SRC  := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/*/*_test.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(SHIM_SRC:%.cpp=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/%)
TEST_SUPPORT := $(BUILD)/tests/support.o $(BUILD)/tests/toy.o

.PHONY: all torch-check deps demo test test-cuda asan bench sweep-bench plot-examples hitrates \
        card clean check-layers
.SECONDARY: $(TEST_SUPPORT)
all: $(BIN)

$(BIN): $(BUILD)/libfbw.a $(CLI_OBJ)
	$(CC) $(SAN) -o $@ $(CLI_OBJ) $(BUILD)/libfbw.a $(LDLIBS)

$(BUILD)/libfbw.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.cpp | torch-check
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(BUILD)/libfbw.a $(TEST_SUPPORT)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(TEST_SUPPORT) $(BUILD)/libfbw.a $(LDLIBS) $(TEST_LDLIBS)

deps:
	@tools/deps.sh

# Refuses a missing or pre-2.6 libtorch before anything is compiled against it.
torch-check:
	@tools/torch-check.sh "$(LIBTORCH)" >/dev/null

# make test runs the suite on this build, then again on the CUDA variant (built against
# .venv-cuda's CUDA libtorch, which FBW_CUDA=1 make deps installs) so that the shim's CUDA paths
# compile, link and pass the CPU suite; without .venv-cuda it says it skipped that and why.
TEST_CUDA_VARIANT ?= 1
test: $(BIN) $(TEST_BIN) check-layers
	@FBW=./$(BIN) tools/run-tests.sh $(TEST_BIN)
	@if [ "$(TEST_CUDA_VARIANT)" = 1 ]; then $(MAKE) --no-print-directory test-cuda; fi

test-cuda:
	@if [ -d .venv-cuda/lib ]; then \
	    echo "=== the CUDA variant: ./fbw-cuda against .venv-cuda's libtorch, the CPU suite"; \
	    $(MAKE) --no-print-directory BUILD=build-cuda BIN=fbw-cuda VENV=.venv-cuda \
	        TEST_CUDA_VARIANT=0 test; \
	else \
	    echo "test-cuda: SKIPPED: no .venv-cuda, so the CUDA variant was not built or tested" \
	         "(FBW_CUDA=1 make deps installs PyTorch's CUDA build there, several GB)"; \
	fi

check-layers:
	@tools/check-layers.sh

asan:
	$(MAKE) BUILD=build-asan BIN=fbw-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" TEST_CUDA_VARIANT=0 test

demo: $(BIN)
	@FBW=./$(BIN) tools/demo.sh

bench: $(BIN)
	@FBW=./$(BIN) tools/bench.sh

sweep-bench: $(BIN)
	@FBW=./$(BIN) tools/sweep-bench.sh

plot-examples: $(BIN)
	@FBW=./$(BIN) tools/plot-examples.sh

hitrates: $(BIN)
	@FBW=./$(BIN) tools/hit-table.sh

# The default model's card figures (tools/model-card.sh), from models/.
card: $(BIN)
	@FBW=./$(BIN) tools/model-card.sh models/default.safetensors models/loss.csv models

# The one check for a lent GPU machine (tools/gpu-check.sh: builds ./fbw-gpu against that
# machine's PyTorch, CPU vs CUDA f32/bf16, call timings of a DiT-XL/2-shaped model);
# GPU_CHECK_ARGS=--cpu-dry-run tries everything but CUDA here.
.PHONY: gpu-check
gpu-check:
	@bash tools/gpu-check.sh $(GPU_CHECK_ARGS)

clean:
	rm -rf build build-asan build-cuda fbw fbw-asan fbw-cuda

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
