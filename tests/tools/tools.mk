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
