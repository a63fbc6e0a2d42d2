# tools/install.mk - what is generated from the option table, make install,
# make uninstall and make deb (included by the top Makefile).
#
#   make             also writes, from gdb/pyxray/options.py (the one option
#                    table; commands added there appear with no edit here):
#                    build/man/pyxray.1 and build/man/pyxray-gdb.7
#                    (tools/gen-man), build/completion/pyxray (bash,
#                    tools/gen-completion), and build/gdbinit.d/pyxray.py,
#                    the gdb loader pointing at this checkout
#   make install     PREFIX=/usr/local DESTDIR= : the library
#                    (LIBDIR/libpyxray.so.VERSION, its SONAME link
#                    libpyxray.so.0, libpyxray.so and libpyxray.a,
#                    LIBDIR/pkgconfig/pyxray.pc), include/pyxray.h, the
#                    pyxray Python package, the CLI (BINDIR/pyxray), the gdb
#                    script and pyxray_gdb (DATADIR/pyxray), the loader that
#                    makes gdb load pyxray by itself (GDBINITDIR/pyxray.py),
#                    the man pages, bash completion and the docs
#   make uninstall   the same variables: removes exactly what install put
#   make deb         Debian packages (debian/) in build/deb, checked by
#                    lintian; DEB_BUILD_OPTIONS=nocheck skips the unit tests

LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
SHAREDIR = $(DATADIR)/pyxray
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/pyxray
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# The pyxray Python package goes beside the gdb scripts, where the CLI and
# gdb find it under any PREFIX; pyxray.pth in the directory python3
# searches under PREFIX (PYTHONDIR) lets `import pyxray` find it too.  The
# Debian package puts it in python3's dist-packages instead, with no .pth
# (PYTHON_PTH_DIR=) and no byte-compiling (PYCOMPILE=: dh_python3's job).
PYTHON_PACKAGE_DIR ?= $(SHAREDIR)
PYTHONDIR ?= $(shell $(PYTHON) tools/python-site-dir $(PREFIX))
PYTHON_PTH_DIR ?= $(PYTHONDIR)
PYCOMPILE ?= yes
# gdb reads every script in its system gdbinit directory at start: the
# loader there is what makes gdb load pyxray with no line in ~/.gdbinit.
# For PREFIX /usr or /usr/local it is gdb's own (`gdb --configuration`,
# /etc/gdb/gdbinit.d on Debian); for any other PREFIX, PREFIX/etc/gdb/
# gdbinit.d, which gdb loads with `gdb -ix FILE` (or GDBINITDIR=...).
GDB_SYSTEM_GDBINIT_DIR = $(or $(shell gdb --configuration 2>/dev/null | \
	sed -n 's/.*--with-system-gdbinit-dir=\([^ ]*\).*/\1/p'),/etc/gdb/gdbinit.d)
GDBINITDIR ?= $(if $(filter /usr /usr/local,$(PREFIX)),$(GDB_SYSTEM_GDBINIT_DIR),$(PREFIX)/etc/gdb/gdbinit.d)

.PHONY: generated deb

# ---- generated from the option table ------------------------------------------

GEN_SOURCES := $(PY_SRCS) gdb/pyxray_gdb/params.py
generated: $(BUILD)/man/pyxray.1 $(BUILD)/man/pyxray-gdb.7 $(BUILD)/completion/pyxray \
	$(BUILD)/gdbinit.d/pyxray.py

$(BUILD)/man/%: tools/gen-man $(GEN_SOURCES)
	@mkdir -p $(dir $@)
	$(PYTHON) tools/gen-man $* --version $(VERSION) --docdir "$(abspath docs)" \
		--gdbdir "$(abspath gdb)" --gdbinitdir "$(abspath $(BUILD)/gdbinit.d)" > $@.tmp && mv $@.tmp $@

$(BUILD)/completion/pyxray: tools/gen-completion $(GEN_SOURCES)
	@mkdir -p $(dir $@)
	$(PYTHON) tools/gen-completion > $@.tmp && mv $@.tmp $@

$(BUILD)/gdbinit.d/pyxray.py: gdb/pyxray-autoload.py
	@mkdir -p $(dir $@)
	sed 's|@PYXRAY_GDB_DIR@|$(abspath gdb)|' $< > $@.tmp && mv $@.tmp $@

# ---- install, uninstall ------------------------------------------------------------

D = $(DESTDIR)
DOC_FILES := README.md $(wildcard docs/*.md)
DOC_IMAGES := $(wildcard docs/images/*)

install: all
	install -d $(D)$(LIBDIR) $(D)$(PKGCONFIGDIR) $(D)$(INCLUDEDIR) $(D)$(BINDIR) \
		$(D)$(SHAREDIR)/pyxray_gdb $(D)$(PYTHON_PACKAGE_DIR)/pyxray $(D)$(GDBINITDIR) \
		$(D)$(MANDIR)/man1 $(D)$(MANDIR)/man7 $(D)$(COMPLETIONDIR) $(D)$(DOCDIR)/docs/images
	install -m 644 $(BUILD)/libpyxray.so $(D)$(LIBDIR)/libpyxray.so.$(VERSION)
	ln -sf libpyxray.so.$(VERSION) $(D)$(LIBDIR)/libpyxray.so.$(SOVERSION)
	ln -sf libpyxray.so.$(SOVERSION) $(D)$(LIBDIR)/libpyxray.so
	install -m 644 $(BUILD)/libpyxray.a $(D)$(LIBDIR)/libpyxray.a
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' tools/pyxray.pc.in > $(D)$(PKGCONFIGDIR)/pyxray.pc
	chmod 644 $(D)$(PKGCONFIGDIR)/pyxray.pc
	install -m 644 include/pyxray.h $(D)$(INCLUDEDIR)/pyxray.h
	install -m 644 gdb/pyxray-gdb.py $(D)$(SHAREDIR)/pyxray-gdb.py
	install -m 644 gdb/pyxray_gdb/*.py $(D)$(SHAREDIR)/pyxray_gdb/
	install -m 644 gdb/pyxray/*.py $(D)$(PYTHON_PACKAGE_DIR)/pyxray/
	$(if $(PYCOMPILE),"$(PYTHON_EXE)" -m compileall -q -d $(PYTHON_PACKAGE_DIR)/pyxray \
		$(D)$(PYTHON_PACKAGE_DIR)/pyxray)
	$(if $(PYTHON_PTH_DIR),install -d $(D)$(PYTHON_PTH_DIR) && \
		echo "$(PYTHON_PACKAGE_DIR)" > $(D)$(PYTHON_PTH_DIR)/pyxray.pth)
	tools/write-launcher $(D)$(BINDIR)/pyxray "$(PYTHON_EXE)" "$(PYTHON_PACKAGE_DIR)"
	sed 's|@PYXRAY_GDB_DIR@|$(SHAREDIR)|' gdb/pyxray-autoload.py > $(D)$(GDBINITDIR)/pyxray.py
	chmod 644 $(D)$(GDBINITDIR)/pyxray.py
	for page in man1/pyxray.1 man7/pyxray-gdb.7; do \
		$(PYTHON) tools/gen-man $${page#*/} --version $(VERSION) --docdir $(DOCDIR) \
			--gdbdir $(SHAREDIR) --gdbinitdir $(GDBINITDIR) > $(D)$(MANDIR)/$$page || exit 1; \
	done
	$(PYTHON) tools/gen-completion > $(D)$(COMPLETIONDIR)/pyxray
	chmod 644 $(D)$(MANDIR)/man1/pyxray.1 $(D)$(MANDIR)/man7/pyxray-gdb.7 $(D)$(COMPLETIONDIR)/pyxray
	install -m 644 README.md $(D)$(DOCDIR)/README.md
	install -m 644 $(filter docs/%,$(DOC_FILES)) $(D)$(DOCDIR)/docs/
	$(if $(DOC_IMAGES),install -m 644 $(DOC_IMAGES) $(D)$(DOCDIR)/docs/images/)
	@case "$(GDBINITDIR)" in "$(GDB_SYSTEM_GDBINIT_DIR)") ;; *) \
		echo "gdb loads pyxray with: gdb -ix $(GDBINITDIR)/pyxray.py (or install with PREFIX=/usr/local)";; esac

uninstall:
	rm -f $(D)$(LIBDIR)/libpyxray.so.$(VERSION) $(D)$(LIBDIR)/libpyxray.so.$(SOVERSION) \
		$(D)$(LIBDIR)/libpyxray.so $(D)$(LIBDIR)/libpyxray.a $(D)$(PKGCONFIGDIR)/pyxray.pc \
		$(D)$(INCLUDEDIR)/pyxray.h $(D)$(BINDIR)/pyxray $(D)$(GDBINITDIR)/pyxray.py \
		$(D)$(MANDIR)/man1/pyxray.1 $(D)$(MANDIR)/man7/pyxray-gdb.7 $(D)$(COMPLETIONDIR)/pyxray
	$(if $(PYTHON_PTH_DIR),rm -f $(D)$(PYTHON_PTH_DIR)/pyxray.pth)
	rm -rf $(D)$(PYTHON_PACKAGE_DIR)/pyxray $(D)$(SHAREDIR)/pyxray_gdb $(D)$(DOCDIR)
	rm -f $(D)$(SHAREDIR)/pyxray-gdb.py
	-rmdir $(D)$(SHAREDIR) 2>/dev/null

# ---- Debian packages -----------------------------------------------------------------

# Built from a copy of the tree (what git tracks, and new files it does not
# ignore) in build/deb/pyxray-VERSION, so that dpkg-buildpackage's output
# (which it writes beside the tree) and debian/'s scratch files stay in
# build/deb.  lintian must find no error and no warning.
DEB_DIR = $(BUILD)/deb
deb:
	@tools/deps deb
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/pyxray-$(VERSION)
	tools/copy-tree $(DEB_DIR)/pyxray-$(VERSION)
	cd $(DEB_DIR)/pyxray-$(VERSION) && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -n 30 ../build.log; exit 1; }
	lintian --allow-root --fail-on error,warning --tag-display-limit 0 \
		$(DEB_DIR)/pyxray_$(VERSION)_$$(dpkg-architecture -qDEB_HOST_ARCH).changes
	@ls $(DEB_DIR)/*.deb
