# examples/examples.mk - `make demo` (included by the top Makefile).

.PHONY: demo

# tools/deps installs gdb and the interpreter the demo runs, when missing.
demo: all
	@tools/deps demo
	@examples/demo
