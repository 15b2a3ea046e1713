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
