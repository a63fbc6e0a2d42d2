# tests/tools/tools.mk - helper programs for the test suites (included by
# tests/tests.mk; the top Makefile defines BUILD, PYTHON, ALL_CFLAGS,
# HEADERS, LIBS and the library rules):
#
#   make build/check-layout-dwarf
#   make check-layout-dwarf
#
# check-layout-dwarf MODULE TABLE [LABEL] cross-checks every offset and size
# of one layout table against the DWARF of a CPython build; the phony
# target of the same name runs it against every interpreter found here
# (tests/tools/check-layouts-all).

TOOLS_DIR := tests/tools

.PHONY: check-layout-dwarf

$(BUILD)/tests/layout_names.h: src/runtime/layout_ids.h $(TOOLS_DIR)/gen_layout_names.py
	@mkdir -p $(dir $@)
	$(PYTHON) $(TOOLS_DIR)/gen_layout_names.py src/runtime/layout_ids.h $@

$(BUILD)/check-layout-dwarf: $(TOOLS_DIR)/check_layout_dwarf.c \
		$(BUILD)/tests/layout_names.h $(HEADERS) $(BUILD)/libpyxray.a
	$(CC) $(ALL_CFLAGS) -I$(BUILD)/tests -o $@ $< $(BUILD)/libpyxray.a \
		$(LIBS) $(LDFLAGS)

check-layout-dwarf: $(BUILD)/check-layout-dwarf
	$(TOOLS_DIR)/check-layouts-all $(BUILD)/check-layout-dwarf

# pyx-drive: answers through the public API in a loop (robust.exp); the
# suites use the ASan/UBSan build, build-asan/pyx-drive (make drive-asan).
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer

.PHONY: drive-asan test-tools

# What the gdb suites need besides the CLI and the library.
test-tools: $(BUILD)/pyx-drive drive-asan

$(BUILD)/pyx-drive: $(TOOLS_DIR)/pyx_drive.c include/pyxray.h $(BUILD)/libpyxray.a
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libpyxray.a $(LIBS) $(LDFLAGS)

drive-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan CFLAGS='-O1 -g' \
		EXTRA_CFLAGS='$(ASAN_FLAGS)' LDFLAGS='-fsanitize=address,undefined' \
		build-asan/pyx-drive
