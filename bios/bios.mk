# Osprey BIOS: built with the host gcc (-m16, freestanding) into a 128 KiB
# image: 64 KiB of zeros (the E segment, which POST uses for tables) and the
# F segment linked by bios/bios.ld.  Included by the top-level Makefile.
BIOS_SRCS := $(sort $(wildcard bios/*.c))
BIOS_ASMS := $(sort $(wildcard bios/*.S))
BIOS_OBJS := $(BIOS_SRCS:bios/%.c=$(BUILD)/bios/%.o) $(BIOS_ASMS:bios/%.S=$(BUILD)/bios/%.o)
BIOS_VERSION := $(shell cat VERSION 2>/dev/null || echo 0)
BIOS_CFLAGS := -m16 -march=i686 -Os -std=gnu11 -ffreestanding -fno-pic -fno-pie \
               -fno-stack-protector -fno-jump-tables -fno-asynchronous-unwind-tables \
               -fno-strict-aliasing -fno-common -mgeneral-regs-only -mno-red-zone \
               -fno-tree-loop-distribute-patterns $(WARN) $(BIOS_WERROR) \
               -DOSPREY_BIOS_VERSION='"$(BIOS_VERSION)"'

$(BUILD)/bios/%.o: bios/%.c bios/bios.h
	@mkdir -p $(dir $@)
	$(CC) $(BIOS_CFLAGS) -c -o $@ $<

$(BUILD)/bios/%.o: bios/%.S
	@mkdir -p $(dir $@)
	$(CC) -m16 -c -o $@ $<

$(BUILD)/bios/osprey-bios.elf: $(BIOS_OBJS) bios/bios.ld
	$(CC) -m16 -nostdlib -static -no-pie -Wl,--no-dynamic-linker -Wl,-T,bios/bios.ld \
	    -Wl,--build-id=none -Wl,--no-warn-rwx-segments -o $@ $(BIOS_OBJS)

$(BUILD)/bios/osprey-bios.bin: $(BUILD)/bios/osprey-bios.elf
	objcopy -O binary $< $@.fseg
	head -c 65536 /dev/zero > $@.tmp
	cat $@.fseg >> $@.tmp
	test $$(stat -c %s $@.tmp) -eq 131072
	mv $@.tmp $@
	rm -f $@.fseg

# The VGA BIOS (bios/vgabios): an option ROM for the standard VGA's ROM BAR, linked at offset
# 0 of its segment, with VBE from bios/vbe.c and fonts generated from Debian's console fonts
# (console-setup-linux; scripts/install-deps.sh) by bios/vgabios/psf2font.py.
VGABIOS_FONT_DIR ?= /usr/share/consolefonts
VGABIOS_FONTS := font8x16=$(VGABIOS_FONT_DIR)/Uni2-VGA16.psf.gz \
                 font8x14=$(VGABIOS_FONT_DIR)/Uni2-VGA14.psf.gz \
                 font8x8=$(VGABIOS_FONT_DIR)/Uni2-VGA8.psf.gz
VGABIOS_OBJS := $(BUILD)/bios/vgabios/vgaentry.o $(BUILD)/bios/vgabios/vgabios.o \
                $(BUILD)/bios/vgabios/vbe.o $(BUILD)/bios/vgabios/string.o \
                $(BUILD)/bios/vgabios/fonts.o

$(BUILD)/bios/vgabios/fonts.c: bios/vgabios/psf2font.py
	@mkdir -p $(dir $@)
	@for f in $(VGABIOS_FONTS); do test -r "$${f#*=}" || { \
	    echo "vgabios: $${f#*=} missing: install console-setup-linux" \
	         "(scripts/install-deps.sh)" >&2; exit 1; }; done
	python3 bios/vgabios/psf2font.py $@.tmp $(VGABIOS_FONTS)
	mv $@.tmp $@

$(BUILD)/bios/vgabios/fonts.o: $(BUILD)/bios/vgabios/fonts.c
	$(CC) $(BIOS_CFLAGS) -c -o $@ $<

$(BUILD)/bios/vgabios/%.o: bios/vgabios/%.c bios/bios.h
	@mkdir -p $(dir $@)
	$(CC) $(BIOS_CFLAGS) -DVGABIOS -c -o $@ $<

$(BUILD)/bios/vgabios/%.o: bios/%.c bios/bios.h
	@mkdir -p $(dir $@)
	$(CC) $(BIOS_CFLAGS) -DVGABIOS -c -o $@ $<

$(BUILD)/bios/vgabios/%.o: bios/vgabios/%.S
	@mkdir -p $(dir $@)
	$(CC) -m16 -c -o $@ $<

$(BUILD)/bios/osprey-vgabios.elf: $(VGABIOS_OBJS) bios/vgabios/vgabios.ld
	$(CC) -m16 -nostdlib -static -no-pie -Wl,--no-dynamic-linker -Wl,-T,bios/vgabios/vgabios.ld \
	    -Wl,--build-id=none -Wl,--no-warn-rwx-segments -o $@ $(VGABIOS_OBJS)

$(BUILD)/bios/osprey-vgabios.bin: $(BUILD)/bios/osprey-vgabios.elf bios/vgabios/romfinish.py
	objcopy -O binary $< $@.raw
	python3 bios/vgabios/romfinish.py $@.raw $$(nm $< | awk '$$3 == "rom_end" {print $$1}') $@
	rm -f $@.raw

all: $(BUILD)/bios/osprey-vgabios.bin
