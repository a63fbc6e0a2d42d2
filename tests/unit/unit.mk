# tests/unit/unit.mk - the engine's C unit tests (included by the top
# Makefile, which defines BUILD, ALL_CFLAGS, LIBS and the library rules).
#
#   make check-unit        build libpyxray.a and the tests in $(BUILD)/unit, run them
#   make check-unit-asan   the same with ASan/UBSan (leaks fail) in build-asan/
#
# Each test binary prints one line per failing check and ends with
# "N passed, N failed"; check-unit adds them up.

UNIT_DIR := tests/unit
UNIT_TEST_SRCS := $(wildcard $(UNIT_DIR)/test_*.c)
UNIT_HELPER_SRCS := $(UNIT_DIR)/synthetic_core.c
UNIT_HEADERS := $(wildcard $(UNIT_DIR)/*.h)
UNIT_TESTS = $(patsubst $(UNIT_DIR)/%.c,$(BUILD)/unit/%,$(UNIT_TEST_SRCS))
UNIT_ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer

.PHONY: check-unit check-unit-asan unit-tests

$(BUILD)/unit/%: $(UNIT_DIR)/%.c $(UNIT_HELPER_SRCS) $(UNIT_HEADERS) $(HEADERS) \
		$(BUILD)/libpyxray.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I$(UNIT_DIR) -o $@ $< $(UNIT_HELPER_SRCS) \
		$(BUILD)/libpyxray.a $(LIBS) -lm $(LDFLAGS)

unit-tests: $(UNIT_TESTS)

# Run every test binary even when one fails; sum the counts.
check-unit: unit-tests
	@passed=0; failed=0; bad=""; \
	for t in $(UNIT_TESTS); do \
		echo "== $$t"; \
		out=$$(./$$t 2>&1); rc=$$?; \
		printf '%s\n' "$$out" | grep -v '^[0-9]* passed, [0-9]* failed$$'; \
		line=$$(printf '%s\n' "$$out" | grep '^[0-9]* passed, [0-9]* failed$$' | tail -n 1); \
		if [ -z "$$line" ]; then \
			echo "$$t: no summary (crashed? exit $$rc)"; \
			failed=$$((failed + 1)); bad="$$bad $$t"; continue; \
		fi; \
		echo "$$line"; \
		set -- $$line; passed=$$((passed + $$1)); failed=$$((failed + $$3)); \
		if [ $$rc -ne 0 ]; then bad="$$bad $$t"; fi; \
		if [ $$rc -ne 0 ] && [ $$3 -eq 0 ]; then \
			echo "$$t: exit status $$rc (sanitizer report?)"; \
			failed=$$((failed + 1)); \
		fi; \
	done; \
	echo "unit tests: $$passed passed, $$failed failed"; \
	if [ -n "$$bad" ]; then echo "failing:$$bad"; exit 1; fi

check-unit-asan:
	$(MAKE) BUILD=build-asan CFLAGS='-O1 -g' EXTRA_CFLAGS='$(UNIT_ASAN_FLAGS)' \
		LDFLAGS='-fsanitize=address,undefined' lib
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		$(MAKE) BUILD=build-asan CFLAGS='-O1 -g' EXTRA_CFLAGS='$(UNIT_ASAN_FLAGS)' \
		LDFLAGS='-fsanitize=address,undefined' check-unit
