# mod_length_required
#
#   make            build .libs/mod_length_required.so with apxs
#   make run        build, then a private Apache on 127.0.0.1:8411 (Ctrl-C stops)
#   make test       the Apache::Test suite (as root it runs as an unprivileged user)
#   make test-valgrind  part of the suite with httpd -X under valgrind
#   make fuzz       libFuzzer on every parser (FUZZ_SECONDS per parser)
#   make install    apxs -i, plus conf/ into Debian's mods-available
#   make bench      side-by-side benchmarks (bench/run; see bench/README.md)
#   make deb        the Debian package, from a clean copy, into build/ (lintian)
#   make test-package  (root) install the .deb into this machine's Apache,
#                   try it on 127.0.0.1:86xx, purge it, check nothing is left
#   make clean

APXS    ?= apxs
MODULE  = mod_length_required
SO      = .libs/$(MODULE).so
# The module file first: apxs names the .so after it.
SRCS    = $(MODULE).c lr_judge.c lr_upload.c lr_strict.c lr_buffer.c \
          lr_quota_conf.c lr_quota.c lr_quota_store.c lr_qstore_shm.c \
          lr_qstore_memcache.c lr_qstore_redis.c lr_qstore_redis_conn.c \
          lr_qstore_breaker.c lr_errbody.c lr_metrics.c lr_policy.c \
          lr_request.c lr_stats.c lr_util.c
# Redis is reached through hiredis (libhiredis-dev), memcached through
# libmemcached and its pool (libmemcached-dev).
LIBS    = -lhiredis -lmemcached -lmemcachedutil
HDRS    = lr_features.h lr_policy.h lr_request.h lr_stats.h lr_quota.h \
          lr_qstore.h lr_qstore_redis.h lr_private.h lr_util.h
CWARN   = -Wc,-Wall -Wc,-Wextra -Wc,-Wno-unused-parameter -Wc,-Wshadow \
          -Wc,-Wstrict-prototypes -Wc,-Wmissing-prototypes \
          -Wc,-Werror=implicit-function-declaration

# The project's one version string: VERSION is the only place to change it.
# It reaches the C code as the string macro LR_VERSION (the quotes survive
# two shells: apxs's and libtool's), and debian/changelog via make deb.
VERSION := $(shell cat VERSION)
CWARN   += -Wc,-DLR_VERSION='\"$(VERSION)\"'

.PHONY: all run test test-valgrind fuzz bench install clean

all: $(SO)

$(SO): $(SRCS) $(HDRS)
	@./scripts/deps build
	$(APXS) -c $(CWARN) $(SRCS) $(LIBS)

run:
	@./scripts/deps demo
	@$(MAKE) --no-print-directory all
	./scripts/demo

test:
	@./scripts/deps test
	@$(MAKE) --no-print-directory all
	./scripts/check-layers
	./scripts/run-tests $(TEST_ARGS)

# The part of the suite that runs under valgrind: everything except what
# depends on timing or on several processes (restarts, lingering close,
# the prefork status server), which valgrind's slowness would distort.
VALGRIND_TESTS ?= judge/basic.t judge/format.t judge/tighten.t \
                  strict/smuggling.t strict/h2c.t httpd/core.t \
                  routes/files.t routes/rewrite.t routes/errordoc.t \
                  metrics/methods.t metrics/escaping.t \
                  upload/ietf.t upload/malformed.t

test-valgrind:
	@./scripts/deps valgrind
	@$(MAKE) --no-print-directory all
	LR_RUNNER=valgrind.sh ./scripts/run-tests $(TEST_ARGS) $(VALGRIND_TESTS)

FUZZ_SECONDS ?= 60

fuzz:
	@./scripts/deps fuzz
	./fuzz/run $(FUZZ_SECONDS)

bench:
	@./scripts/deps bench
	@$(MAKE) --no-print-directory all
	./bench/run $(BENCH_ARGS)

install: $(SO)
	$(APXS) -i -n length_required $(SO)
	@if [ -d /etc/apache2/mods-available ]; then \
	    install -m 644 conf/length_required.load conf/length_required.conf \
	        /etc/apache2/mods-available/ && \
	    echo "Installed; enable with: a2enmod length_required && systemctl reload apache2"; \
	fi

clean:
	rm -rf .libs *.la *.lo *.slo *.o fuzz/build t/logs t/logs.failed t/conf/httpd.conf \
	    t/conf/extra.conf t/conf/apache_test_config.pm t/htdocs/index.html

# A new version string must rebuild the module that reports it.
$(SO): VERSION

# The Debian package libapache2-mod-length-required (scripts/build-deb).
.PHONY: deb
deb:
	@./scripts/deps deb
	./scripts/build-deb

# Root only: it installs and purges the package (scripts/test-package).
.PHONY: test-package
test-package:
	./scripts/test-package
