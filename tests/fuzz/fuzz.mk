# tests/fuzz/fuzz.mk - libFuzzer targets over core files and over the
# engine's decoders (included by tests/tests.mk).
#
#   make fuzz                  build both, then run each FUZZ_SECONDS (60)
#   make fuzz FUZZ_SECONDS=N   ... for N seconds each; fails on any finding
#   make fuzz-build            only build them (build-fuzz/)
#
# The engine is built again with clang, -fsanitize=fuzzer-no-link,address,
# undefined (UBSan findings abort), in build-fuzz/.  Seeds are generated
# (build-fuzz/seeds, by tests/fuzz/make_seeds.c); what a run finds worth
# keeping goes to build-fuzz/corpus; findings to build-fuzz/findings.
# tests/fuzz/run-fuzzers does the running and prints, per fuzzer, the
# executions, libFuzzer's cov and ft, and the findings.  make check runs
# each for a few seconds.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR := tests/fuzz
FUZZ_BUILD := build-fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_TARGETS := $(FUZZ_BUILD)/fuzz_core $(FUZZ_BUILD)/fuzz_decoders

.PHONY: fuzz fuzz-build fuzz-lib

fuzz-lib:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) CFLAGS='-O1 -g' \
		EXTRA_CFLAGS='-fsanitize=fuzzer-no-link $(FUZZ_SAN)' \
		LDFLAGS='-fsanitize=address,undefined' $(FUZZ_BUILD)/libpyxray.a

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_DIR)/fuzz_%.c $(FUZZ_DIR)/fuzz_image.h $(HEADERS) fuzz-lib
	$(FUZZ_CC) $(BASE_CFLAGS) $(WARN) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) -I$(FUZZ_DIR) \
		-o $@ $< $(FUZZ_BUILD)/libpyxray.a $(LIBS)

# The seed writer is an ordinary program on the ordinary build.
$(BUILD)/make-seeds: $(FUZZ_DIR)/make_seeds.c $(FUZZ_DIR)/fuzz_image.h tests/unit/synthetic_core.c \
		$(HEADERS) $(BUILD)/libpyxray.a
	$(CC) $(ALL_CFLAGS) -Itests/unit -I$(FUZZ_DIR) -o $@ $< tests/unit/synthetic_core.c \
		$(BUILD)/libpyxray.a $(LIBS) $(LDFLAGS)

fuzz-build: $(FUZZ_TARGETS) $(BUILD)/make-seeds

fuzz: lib
	@$(FUZZ_DIR)/run-fuzzers $(FUZZ_SECONDS)
