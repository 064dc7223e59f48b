# hpod: one build for the server, the trainer and their tests.
# Targets: all deps test unit integration browser demo bench fmt lint clean.
# Objects go to build/, programs to bin/. V=1 shows full commands.

CC      ?= gcc
SAN     ?=
OPT     ?= -O2 -g
# override: flags given on the command line add to these, never drop them.
override CFLAGS  += $(OPT) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -MMD -MP $(SAN)
override LDFLAGS += $(SAN)
BUILD   ?= build
BIN     ?= bin

PKGS       := libmicrohttpd jansson libpq libcurl zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Debian's OpenBLAS carries LAPACK's Fortran routines (dpotrf_ and friends).
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null)
BLAS_LIBS   := $(shell pkg-config --libs openblas 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# The trainer: a library (every trainer/*.c but the CLI) and bin/hpod-train.
NN_SRC  := $(filter-out trainer/cli.c,$(wildcard trainer/*.c))
NN_OBJ  := $(NN_SRC:%.c=$(BUILD)/%.o)
NN_LIB  := $(BUILD)/libnn.a
# GCC 12 leaves the trainer's element-wise loops (optimiser, pooling,
# activations) scalar at -O2; -O3 vectorises them, and -fno-math-errno
# lets sqrtf vectorise too (only errno differs, never a value). No
# fast-math, so results do not change. NN_OPT= turns it off (debugging).
NN_OPT  ?= -O3 -fno-math-errno
$(NN_OBJ): override CFLAGS += $(NN_OPT)

# The server: a library (every server file but main.c) and bin/hpod.
SRV_SRC := $(filter-out server/main.c,$(wildcard server/*.c server/*/*.c))
SRV_OBJ := $(SRV_SRC:%.c=$(BUILD)/%.o)
SRV_LIB := $(BUILD)/libhpod.a

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test unit unit-bins integration browser demo bench fmt lint clean web

all: $(BIN)/hpod $(BIN)/hpod-train web

# The dashboard's chart library: npm installs the version package-lock.json
# pins, and web/vendor.sh copies it to web/vendor/ (never committed).
web: web/vendor/uPlot.esm.js

web/vendor/uPlot.esm.js: web/package.json web/package-lock.json web/vendor.sh
	$(Q)web/vendor.sh

deps:
	$(Q)scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC  $<")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $(BLAS_CFLAGS) -iquote server -iquote trainer -c $< -o $@

$(NN_LIB): $(NN_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(SRV_LIB): $(SRV_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/hpod: $(BUILD)/server/main.o $(SRV_LIB)
	@mkdir -p $(BIN)
	@$(if $(Q),echo "  LD  $@")
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) $(BLAS_LIBS) -lpthread -lm

$(BIN)/hpod-train: $(BUILD)/trainer/cli.o $(NN_LIB)
	@mkdir -p $(BIN)
	@$(if $(Q),echo "  LD  $@")
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) $(BLAS_LIBS) -lpthread -lm

$(BUILD)/tests/%: tests/unit/%.c tests/unit/suite_run.h $(SRV_LIB) $(NN_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC  $<")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $(BLAS_CFLAGS) $(CHECK_CFLAGS) -iquote server -iquote trainer \
	    $< $(SRV_LIB) $(NN_LIB) -o $@ $(LDFLAGS) $(CHECK_LIBS) $(PKG_LIBS) $(BLAS_LIBS) -lpthread -lm

# `make test` is the one test command: dependencies, build, then every suite.
# The build runs in a second make, which reads pkg-config's flags afresh:
# on a new machine they only exist once deps has installed the packages.
test: deps
	$(Q)$(MAKE) --no-print-directory all unit-bins
	$(Q)tests/run.sh

unit-bins: $(UNIT_BIN)

unit: all $(UNIT_BIN)
	$(Q)tests/run.sh unit

integration: all
	$(Q)tests/run.sh integration

browser: all
	$(Q)tests/run.sh browser

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bench/run.sh

fmt:
	$(Q)clang-format -i $(wildcard server/*.[ch] server/*/*.[ch] trainer/*.[ch] tests/unit/*.[ch])

lint:
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,performance \
	    --suppress=missingIncludeSystem -Iserver -Itrainer server trainer

clean:
	rm -rf $(BUILD) $(BIN)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
