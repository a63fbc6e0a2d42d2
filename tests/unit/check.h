/* check.h - a tiny test framework for the engine's unit tests.
 *
 * Each test binary defines test functions and runs them from main():
 *
 *	int main(void)
 *	{
 *		RUN(test_something);
 *		return check_finish();
 *	}
 *
 * A failing check prints one line, "file:line: test: what failed", and the
 * run ends with exactly "N passed, N failed"; check_finish() returns the
 * exit status (non-zero when anything failed).
 */
#ifndef PYX_CHECK_H
#define PYX_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pyxray.h"

static int check_passed, check_failed;
static const char *check_test = "?";

/* Count one check; print a line if it failed.  Returns cond. */
__attribute__((format(printf, 4, 5), unused))
static bool check_report(bool cond, const char *file, int line,
			 const char *fmt, ...)
{
	if (cond) {
		check_passed++;
		return true;
	}
	check_failed++;
	printf("%s:%d: %s: ", file, line, check_test);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return false;
}

#define CHECK(cond) \
	check_report((cond), __FILE__, __LINE__, "CHECK(%s) failed", #cond)

/* The comparisons are expressions: they evaluate to whether they held. */
#define CHECK_EQ_INT(a, b) \
	check_eq_int_((long long)(a), (long long)(b), __FILE__, __LINE__, #a, #b)
#define CHECK_EQ_U64(a, b) \
	check_eq_u64_((a), (b), __FILE__, __LINE__, #a, #b)
#define CHECK_STR_EQ(a, b) \
	check_str_eq_((a), (b), __FILE__, __LINE__, #a, #b)
/* Does string s contain needle? */
#define CHECK_STR_CONTAINS(s, needle) \
	check_str_contains_((s), (needle), __FILE__, __LINE__, #s)

__attribute__((unused))
static bool check_eq_int_(long long a, long long b, const char *file, int line,
			  const char *as, const char *bs)
{
	return check_report(a == b, file, line, "%s == %s failed: %lld != %lld",
			    as, bs, a, b);
}

__attribute__((unused))
static bool check_eq_u64_(unsigned long long a, unsigned long long b,
			  const char *file, int line, const char *as, const char *bs)
{
	return check_report(a == b, file, line, "%s == %s failed: 0x%llx != 0x%llx",
			    as, bs, a, b);
}

__attribute__((unused))
static bool check_str_eq_(const char *a, const char *b, const char *file, int line,
			  const char *as, const char *bs)
{
	return check_report(a && b && strcmp(a, b) == 0, file, line,
			    "%s == %s failed: \"%s\" != \"%s\"", as, bs,
			    a ? a : "(null)", b ? b : "(null)");
}

__attribute__((unused))
static bool check_str_contains_(const char *s, const char *needle, const char *file,
				int line, const char *ss)
{
	return check_report(s && strstr(s, needle), file, line,
			    "%s contains \"%s\" failed: \"%s\"", ss, needle,
			    s ? s : "(null)");
}

/* An engine call that must succeed; the error (if any) is printed and
 * destroyed.  Evaluates to true on success. */
#define CHECK_OK(expr) check_ok_((expr), __FILE__, __LINE__, #expr)

__attribute__((unused))
static bool check_ok_(struct pyx_error *err, const char *file, int line,
		      const char *what)
{
	bool ok = check_report(err == NULL, file, line, "%s failed: [%s] %s",
			       what, err ? pyx_error_code_name(pyx_error_code(err)) : "",
			       pyx_error_message(err));
	pyx_error_destroy(err);
	return ok;
}

/* An engine call that must fail with code; evaluates to the error (to
 * look at further) or NULL.  The caller destroys it. */
#define CHECK_ERR(expr, code) check_err_((expr), (code), __FILE__, __LINE__, #expr)

__attribute__((unused))
static struct pyx_error *check_err_(struct pyx_error *err, enum pyx_error_code code,
				    const char *file, int line, const char *what)
{
	if (!err) {
		check_report(false, file, line, "%s succeeded; expected error %s",
			     what, pyx_error_code_name(code));
		return NULL;
	}
	check_report(pyx_error_code(err) == code, file, line,
		     "%s: error %s (%s); expected %s", what,
		     pyx_error_code_name(pyx_error_code(err)), pyx_error_message(err),
		     pyx_error_code_name(code));
	return err;
}

#define RUN(test) do {            \
	check_test = #test;       \
	test();                   \
	check_test = "?";         \
} while (0)

__attribute__((unused))
static int check_finish(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	fflush(stdout);
	return check_failed ? 1 : 0;
}

#endif
