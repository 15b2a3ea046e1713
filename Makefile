# Osprey top-level Makefile.  Out-of-tree build into $(BUILD) (default build/).
# Sources are found by directory, so adding a .c file needs no Makefile edit.
# Unit tests are tests/unit/test-*.c, each linked against all library objects.

BUILD ?= build
CONFIG_MK := $(BUILD)/config.mk
ifeq ($(filter clean distclean help,$(MAKECMDGOALS)),)
ifeq ($(wildcard $(CONFIG_MK)),)
$(error $(CONFIG_MK) not found: run ./configure first (or ./configure --builddir=$(BUILD)))
endif
include $(CONFIG_MK)
endif

CC ?= gcc
PYTHON ?= python3
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers
CFLAGS_ALL := -std=gnu11 -D_GNU_SOURCE $(WARN) $(OPT_CFLAGS) -I. -I$(BUILD) -MMD -MP \
              $(PIXMAN_CFLAGS) $(PNG_CFLAGS) $(ZLIB_CFLAGS) $(SDL_CFLAGS) $(VNC_CFLAGS) \
              $(SLIRP_CFLAGS) $(CFLAGS)
LIBS_ALL := $(SDL_LIBS) $(VNC_LIBS) $(PIXMAN_LIBS) $(PNG_LIBS) $(ZLIB_LIBS) $(SLIRP_LIBS) \
            -lm -lpthread -lutil

# Files that need an optional library are listed here and left out when it is off.
OPTIONAL_SDL := $(wildcard ui/sdl*.c)
OPTIONAL_VNC := $(wildcard ui/vnc*.c)
OPTIONAL_PNG := $(wildcard ui/png*.c)
OPTIONAL_SLIRP := $(wildcard net/slirp*.c)
DISABLED :=
ifneq ($(CONFIG_SDL),y)
DISABLED += $(OPTIONAL_SDL)
endif
ifneq ($(CONFIG_VNC),y)
DISABLED += $(OPTIONAL_VNC)
endif
ifneq ($(CONFIG_PNG),y)
DISABLED += $(OPTIONAL_PNG)
endif
ifneq ($(CONFIG_SLIRP),y)
DISABLED += $(OPTIONAL_SLIRP)
endif

LIB_DIRS := core cpu accel hw block net ui
LIB_SRCS := $(filter-out core/main.c $(DISABLED), \
              $(shell find $(LIB_DIRS) -name '*.c' 2>/dev/null | sort))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/core/main.o

UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
UNIT_SUPPORT := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_SUPPORT_OBJS := $(UNIT_SUPPORT:%.c=$(BUILD)/obj/%.o)

TOOL_SRCS := $(wildcard tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tools/%.c=$(BUILD)/%)

.PHONY: all check check-sanitizers fuzz-cpu clean distclean help
all: $(BUILD)/osprey $(TOOL_BINS) $(UNIT_BINS) $(BUILD)/bios/osprey-bios.bin

# The firmware (bios/bios.mk): Osprey's own BIOS, built from source.
BIOS_WERROR := $(filter -Werror,$(OPT_CFLAGS) $(CFLAGS))
include bios/bios.mk

$(BUILD)/osprey: $(MAIN_OBJ) $(LIB_OBJS)
	$(CC) $(OPT_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_ALL)

$(BUILD)/%: tools/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(OPT_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS_ALL)

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_SUPPORT_OBJS) $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_ALL)

$(BUILD)/obj/%.o: %.c $(BUILD)/config.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

# make check: unit tests, then qtest device tests; one closing summary line.
check: all
	@$(PYTHON) tests/run-tests.py --build $(BUILD)

# The same suite under AddressSanitizer and UBSan, in its own build directory.
check-sanitizers:
	./configure --builddir=build-san --enable-sanitizers --enable-werror >/dev/null
	$(MAKE) BUILD=build-san check

# Differential CPU fuzzing against the host CPU for as long as asked:
#   make fuzz-cpu X86DIFF_INSNS=100000000 [X86DIFF_SEED=n]
fuzz-cpu: $(BUILD)/tests/unit/test-x86-diff
	X86DIFF_INSNS=$${X86DIFF_INSNS:-20000000} $<

# Debian's Linux on Osprey (-accel tcg, and the interpreter backend) and on Debian's
# qemu-system-x86_64, alternating, with the ratios (tests/bench/bench.py; BENCH_REPS=n).
.PHONY: bench
bench: $(BUILD)/osprey
	OSPREY=$(abspath $(BUILD))/osprey OSPREY_BUILD=$(abspath $(BUILD)) $(PYTHON) tests/bench/bench.py

clean:
	rm -rf $(BUILD)/obj $(BUILD)/tests $(BUILD)/osprey $(TOOL_BINS)

distclean:
	rm -rf build build-san

help:
	@echo "targets: all check check-sanitizers fuzz-cpu clean distclean"

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/obj/tests/unit/%.d)
