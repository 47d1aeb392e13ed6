# prompteval: a plain Makefile, as git has.
#
#   make              build ./prompteval (installs the missing Debian
#                     packages the build needs, and no test tool)
#   make test         unit tests, end-to-end cases, conformance, fuzzing,
#                     formatting, then the same suite under ASan and UBSan
#                     (installs the test tools first)
#   make fuzz         the fuzz targets for longer (FUZZ_SECONDS in all,
#                     default 1200)
#   make demo         the main job on the bundled prompts (adds python3)
#   make bench        benchmarks (not part of make test)
#   make install      PREFIX=/usr/local DESTDIR= (the binary, the man
#                     page and the bash and zsh completions)
#   DEVELOPER=1       adds -Werror
#   SANITIZE=address,undefined   builds with the sanitizers

PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions
CC = cc
PKGS = libcurl libcjson libpcre2-8 yaml-0.1 libcrypto md4c libutf8proc

# Debian packages, in three lists so that each target installs only what
# it uses.  The build: the compiler and the -dev packages of the libraries
# the binary links (OpenMP's libgomp comes with gcc).  make, make all and
# make deps install these, and so does every target that builds.
DEBS = gcc make pkg-config libc6-dev libcurl4-openssl-dev libcjson-dev \
       libpcre2-dev libyaml-dev libssl-dev libmd4c-dev libutf8proc-dev
# make demo and make bench also run Python scripts.
SCRIPT_DEBS = python3
# The test tools, installed by make test only: cmocka for the unit tests,
# clang's libFuzzer, clang-format, xmllint for the JUnit schema, curl and
# Python for the runs against the fake server, openssl for the private CA
# of the TLS test, Chromium and Node for the browser test, valgrind for
# memcheck, and for tests/cli-tests.sh script(1) (bsdutils) for a
# pseudo-terminal, mandoc and man-db for the man page, zsh for its
# completion, for tests/workflow-tests.sh PyYAML to read the
# workflows, git, and jq (gh's --jq language), and for the JSON Schema
# Test Suite the documents its tests name that the copy beside the
# project lacks: its remotes/ (libtest-json-schema-acceptance-perl ships
# them) and the 2020-12 metaschemas (python3-jsonschema ships them).
UNIT_DEBS = libcmocka-dev
FUZZ_DEBS = clang libclang-rt-dev
TEST_DEBS = $(UNIT_DEBS) $(FUZZ_DEBS) clang-format libxml2-utils curl \
	    openssl $(SCRIPT_DEBS) chromium nodejs valgrind bsdutils mandoc \
	    man-db zsh python3-yaml git jq libtest-json-schema-acceptance-perl \
	    python3-jsonschema
# npm comes with some nodejs builds (NodeSource's conflicts with Debian's
# npm package); Debian's own nodejs needs the npm package beside it.
TEST_DEBS += $(if $(shell command -v npm 2>/dev/null),,npm)

WARNINGS = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wvla
CFLAGS = -O2 -g
# One include root, the top of the tree: "harness/core/buf.h".
BASE_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	      $(WARNINGS) -fopenmp -iquote .
ifdef DEVELOPER
BASE_CFLAGS += -Werror
endif

# Sanitized builds live in their own directory so both can coexist.
ifdef SANITIZE
BUILD = build/san
BASE_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	       -fno-sanitize-recover=all
SAN_LDFLAGS = -fsanitize=$(SANITIZE)
PROG = $(BUILD)/prompteval
else
BUILD = build/default
PROG = prompteval
endif

-include build/config.mk

ALL_CFLAGS = $(BASE_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
LIBS = $(PKG_LIBS) -fopenmp -lm

HARNESS_SRC = $(filter-out harness/cli/main.c,$(wildcard harness/*/*.c))
LIB_SRC = $(HARNESS_SRC) $(wildcard evaluators/*.c) $(wildcard reports/*.c)
# The python: checks' worker script, built into the binary as a C array
# (evaluators/workers.h declares it).
WORKER_C = $(BUILD)/gen/python_worker.c
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o) $(WORKER_C:.c=.o)
MAIN_OBJ = $(BUILD)/harness/cli/main.o
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
DEPFILES = $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)

.PHONY: FORCE fakellm all deps deps-scripts deps-unit deps-fuzz deps-test \
	print-deps print-test-deps test fuzz check-format format demo bench \
	install uninstall clean unit-bins fuzz-bins

# The man page and the shell completions are made from the binary's own
# option tables (docs/gen-man.sh, docs/gen-completion.sh), so they are
# never out of date: ./prompteval.1 beside ./prompteval, and
# $(BUILD)/completion/.
MAN = $(PROG).1
COMPLETIONS = $(BUILD)/completion/prompteval.bash $(BUILD)/completion/_prompteval

all: deps $(PROG) $(MAN) $(COMPLETIONS)

deps:
	@sh tests/deps.sh $(DEBS)
deps-scripts:
	@sh tests/deps.sh $(SCRIPT_DEBS)
deps-unit:
	@sh tests/deps.sh $(UNIT_DEBS)
deps-fuzz:
	@sh tests/deps.sh $(FUZZ_DEBS)
deps-test:
	@sh tests/deps.sh $(TEST_DEBS)

# The package lists, one name a line (tests/check-build-deps.sh reads them).
print-deps:
	@printf '%s\n' $(DEBS)
print-test-deps:
	@printf '%s\n' $(TEST_DEBS)

build/config.mk: Makefile tests/deps.sh
	@sh tests/deps.sh $(DEBS)
	@mkdir -p build
	@{ echo "PKG_CFLAGS = $$(pkg-config --cflags $(PKGS))"; \
	   echo "PKG_LIBS = $$(pkg-config --libs $(PKGS))"; } > $@.tmp
	@mv $@.tmp $@

# Objects depend on the flags they were built with, so DEVELOPER=1 and
# SANITIZE= rebuild what they change.
FLAGS_FILE = $(BUILD)/cflags
$(FLAGS_FILE): FORCE
	@mkdir -p $(BUILD)
	@echo '$(ALL_CFLAGS)' | cmp -s - $@ || echo '$(ALL_CFLAGS)' > $@
FORCE:

$(BUILD)/%.o: %.c build/config.mk $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# od and sed (coreutils) write it; it ends in a NUL.
$(BUILD)/gen/python_worker.c: evaluators/python_worker.py
	@mkdir -p $(dir $@)
	@{ echo '/* Made by the Makefile from evaluators/python_worker.py. */'; \
	   echo 'const unsigned char pe_python_worker[] = {'; \
	   od -An -v -tx1 $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	   echo '0x00 };'; } >$@.tmp && mv $@.tmp $@
$(BUILD)/gen/python_worker.o: $(BUILD)/gen/python_worker.c build/config.mk \
		$(FLAGS_FILE)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libprompteval.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(PROG): $(MAIN_OBJ) $(BUILD)/libprompteval.a
	$(CC) $(ALL_CFLAGS) $(SAN_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libprompteval.a \
		| deps-unit
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_LDFLAGS) -o $@ $< $(BUILD)/libprompteval.a \
		$(LIBS) -lcmocka

unit-bins: $(UNIT_BIN)

# The fake LLM server for tests and benchmarks (loopback only).
FAKELLM_SRC = $(wildcard tests/fakellm/*.c)
$(BUILD)/tests/fakellm: $(FAKELLM_SRC) $(wildcard tests/fakellm/*.h) \
		build/config.mk $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_LDFLAGS) -o $@ $(FAKELLM_SRC) $(PKG_LIBS)
fakellm: $(BUILD)/tests/fakellm

$(MAN): $(PROG) docs/prompteval.1.in docs/gen-man.sh
	sh docs/gen-man.sh ./$(PROG) docs/prompteval.1.in >$@.tmp && mv $@.tmp $@
$(BUILD)/completion/prompteval.bash: $(PROG) docs/gen-completion.sh
	@mkdir -p $(dir $@)
	sh docs/gen-completion.sh ./$(PROG) bash >$@.tmp && mv $@.tmp $@
$(BUILD)/completion/_prompteval: $(PROG) docs/gen-completion.sh
	@mkdir -p $(dir $@)
	sh docs/gen-completion.sh ./$(PROG) zsh >$@.tmp && mv $@.tmp $@

# Fuzz targets need clang's libFuzzer.  The library is compiled once
# (instrumented, without libFuzzer's main) and linked into every target.
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_LIB_SRC = $(filter-out harness/cli/% harness/run/runner.c \
		       harness/load/responses.c,$(LIB_SRC))
FUZZ_LIB_OBJ = $(FUZZ_LIB_SRC:%.c=build/fuzz/obj/%.o) \
	       build/fuzz/obj/gen/python_worker.o
FUZZ_CFLAGS = $(filter-out -fopenmp,$(BASE_CFLAGS)) $(PKG_CFLAGS) -O1 -g
build/fuzz/obj/%.o: %.c build/config.mk | deps-fuzz
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
		-MMD -MP -c -o $@ $<
build/fuzz/obj/gen/python_worker.o: $(WORKER_C) \
		| deps-fuzz
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c -o $@ $<
build/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h tests/unit/*.h) \
		$(FUZZ_LIB_OBJ) \
		| deps-fuzz
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< \
		$(FUZZ_LIB_OBJ) $(PKG_LIBS) -lm
fuzz-bins: $(FUZZ_BIN)
# Named only by a pattern rule, the objects would count as intermediate
# and be removed after each link, so one changed file rebuilt them all.
.SECONDARY: $(FUZZ_LIB_OBJ)

# make test fuzzes for 30 s in all; this runs the same targets for longer.
FUZZ_SECONDS ?= 1200
fuzz: fuzz-bins
	@sh tests/run-fuzz.sh $(FUZZ_SECONDS)

build/bench/%: bench/%.c $(BUILD)/libprompteval.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libprompteval.a \
		$(LIBS)

bench: all fakellm deps-scripts build/bench/score
	./build/bench/score prompts 20000
	python3 bench/run.py ./prompteval $(BUILD)/tests/fakellm
	python3 bench/load.py ./prompteval

test: deps deps-test
	@bash tests/run-all.sh

check-format:
	@sh tests/check-format.sh

format:
	clang-format -i harness/*/*.[ch] evaluators/*.[ch] reports/*.[ch] \
		tests/unit/*.[ch] tests/fuzz/*.c tests/fakellm/*.[ch] bench/*.c \
		2>/dev/null || true

# The main job on the bundled prompts, against the fake LLM server.
demo: all fakellm deps-scripts
	@mkdir -p out
	@sh tests/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(PROG) $(DESTDIR)$(BINDIR)/prompteval
	install -m 0644 $(MAN) $(DESTDIR)$(MANDIR)/man1/prompteval.1
	install -m 0644 $(BUILD)/completion/prompteval.bash \
		$(DESTDIR)$(BASHCOMPDIR)/prompteval
	install -m 0644 $(BUILD)/completion/_prompteval \
		$(DESTDIR)$(ZSHCOMPDIR)/_prompteval

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/prompteval \
		$(DESTDIR)$(MANDIR)/man1/prompteval.1 \
		$(DESTDIR)$(BASHCOMPDIR)/prompteval \
		$(DESTDIR)$(ZSHCOMPDIR)/_prompteval

clean:
	rm -rf build prompteval prompteval.1

-include $(DEPFILES) $(FUZZ_LIB_OBJ:.o=.d)
