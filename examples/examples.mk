# examples/examples.mk - `make demo` (included by the top Makefile).

.PHONY: demo

demo: all
	@examples/demo
