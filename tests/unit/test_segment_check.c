/* The rule language's front end: every parse and type error message, where it points
 * (line, column, caret excerpt) and its "did you mean" suggestion, the limits, and what
 * compiles. Expected messages are the documented ones (docs/rules.md); columns were
 * counted by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "segment_testkit.h"

typedef struct fixture {
  segkit_table *cust, *ev, *tx, *notes;
  segkit_rule_env *env;
} fixture;

static int setup(void **state) {
  static const char *const cn[] = {"id", "plan", "mrr", "seats", "active", "signup", "last_seen", "ph.ecog"};
  static const segkit_type ct[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_FLOAT64,
                                   SEGKIT_TYPE_INT64, SEGKIT_TYPE_BOOL,   SEGKIT_TYPE_DATE,
                                   SEGKIT_TYPE_TIMESTAMP, SEGKIT_TYPE_INT64};
  static const char *const cc[] = {"1", "pro", "1", "1", "true", "2025-01-01", "2025-01-01", "1"};
  static const char *const en[] = {"customer_id", "name", "ts", "feature"};
  static const segkit_type et[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_TIMESTAMP,
                                   SEGKIT_TYPE_STRING};
  static const char *const ec[] = {"1", "login", "2025-01-02", "x"};
  static const char *const tn[] = {"customer_id", "amount", "kind", "day"};
  static const segkit_type tt[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING,
                                   SEGKIT_TYPE_DATE};
  static const char *const tc[] = {"1", "5", "charge", "2025-01-02"};
  static const char *const nn[] = {"customer_id", "text"};
  static const segkit_type nt[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING};
  static const char *const nc[] = {"1", "hello"};
  fixture *f = calloc(1, sizeof *f);
  f->cust = sgt_table(8, cn, ct, 1, cc);
  f->ev = sgt_table(4, en, et, 1, ec);
  f->tx = sgt_table(4, tn, tt, 1, tc);
  f->notes = sgt_table(2, nn, nt, 1, nc);
  segkit_error err;
  assert_int_equal(segkit_rule_env_new(f->cust, "id", 0, &f->env, &err), SEGKIT_OK);
  assert_int_equal(segkit_rule_env_link(f->env, "events", f->ev, "customer_id", "ts", &err), SEGKIT_OK);
  assert_int_equal(segkit_rule_env_link(f->env, "transactions", f->tx, "customer_id", "day", &err), SEGKIT_OK);
  assert_int_equal(segkit_rule_env_link(f->env, "notes", f->notes, "customer_id", NULL, &err), SEGKIT_OK);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  segkit_rule_env_free(f->env);
  segkit_table_free(f->cust);
  segkit_table_free(f->ev);
  segkit_table_free(f->tx);
  segkit_table_free(f->notes);
  free(f);
  return 0;
}

typedef struct err_case {
  const char *rule;
  segkit_status code;
  const char *message;
} err_case;

static void expect_errors(const segkit_rule_env *env, const err_case *cases, size_t n) {
  for (size_t i = 0; i < n; i++) {
    segkit_rule *rule = NULL;
    segkit_error err;
    segkit_rule_diag diag;
    segkit_status s = segkit_rule_compile(env, cases[i].rule, &rule, &diag, &err);
    if (s == SEGKIT_OK) {
      segkit_rule_free(rule);
      fail_msg("%s: compiled, expected %s", cases[i].rule, cases[i].message);
    }
    assert_null(rule);
    if (s != cases[i].code || strcmp(err.message, cases[i].message) != 0) {
      fail_msg("%s:\n got      %s %s\n expected %s %s", cases[i].rule, segkit_status_name(s),
               err.message, segkit_status_name(cases[i].code), cases[i].message);
    }
  }
}

static void segment_check_unknown_names(void **state) {
  static const err_case cases[] = {
      {"plan == \"pro\" and palnn == 1", SEGKIT_ERR_TYPE,
       "rule:1:19: unknown field 'palnn' (did you mean 'plan'?)"},
      {"palnn == 1", SEGKIT_ERR_TYPE, "rule:1:1: unknown field 'palnn' (did you mean 'plan'?)"},
      {"Seats > 1", SEGKIT_ERR_TYPE, "rule:1:1: unknown field 'Seats' (did you mean 'seats'?)"},
      {"sigunp > date(\"2025-01-01\")", SEGKIT_ERR_TYPE,
       "rule:1:1: unknown field 'sigunp' (did you mean 'signup'?)"},
      {"xyzzy == 1", SEGKIT_ERR_TYPE, "rule:1:1: unknown field 'xyzzy' (expected a column of the customers)"},
      {"`ph ecog` == 1", SEGKIT_ERR_TYPE, "rule:1:1: unknown field 'ph ecog' (did you mean 'ph.ecog'?)"},
      {"events > 1", SEGKIT_ERR_TYPE,
       "rule:1:1: 'events' is a linked table, not a field (expected an aggregate such as "
       "count(events) or exists(events where ...))"},
      {"lowr(plan) == \"x\"", SEGKIT_ERR_TYPE, "rule:1:1: unknown function 'lowr' (did you mean 'lower'?)"},
      {"cnt(events) > 1", SEGKIT_ERR_TYPE, "rule:1:1: unknown function 'cnt' (did you mean 'count'?)"},
      {"frobnicate(plan)", SEGKIT_ERR_TYPE,
       "rule:1:1: unknown function 'frobnicate' (expected one of the functions in docs/rules.md)"},
      {"count(event) > 1", SEGKIT_ERR_TYPE,
       "rule:1:7: unknown linked table 'event' (did you mean 'events'?)"},
      {"count(zzz) > 1", SEGKIT_ERR_TYPE,
       "rule:1:7: unknown linked table 'zzz' (expected one of the linked tables, e.g. 'events')"},
      {"sum(transactions.amout) > 1", SEGKIT_ERR_TYPE,
       "rule:1:18: unknown column 'amout' in 'transactions' (did you mean 'amount'?)"},
      {"sum(transactions.zzz) > 1", SEGKIT_ERR_TYPE,
       "rule:1:18: unknown column 'zzz' in 'transactions' (expected a column of the linked table)"},
      {"count(events where nme == \"x\") > 1", SEGKIT_ERR_TYPE,
       "rule:1:20: unknown field 'nme' in the where clause (did you mean 'name'?)"},
      {"count(events where seat > 1) > 1", SEGKIT_ERR_TYPE,
       "rule:1:20: unknown field 'seat' in the where clause (did you mean 'seats'?)"},
      {"plan == \"pro\"\n  and sseats > 1", SEGKIT_ERR_TYPE,
       "rule:2:7: unknown field 'sseats' (did you mean 'seats'?)"},
  };
  expect_errors(((fixture *)*state)->env, cases, sizeof cases / sizeof cases[0]);
}

static void segment_check_types(void **state) {
  static const err_case cases[] = {
      {"plan == 1", SEGKIT_ERR_TYPE,
       "rule:1:6: '==' cannot compare string with int64 (expected two values of the same kind: "
       "numbers, strings, bools, dates/timestamps or durations)"},
      {"signup > 30d", SEGKIT_ERR_TYPE,
       "rule:1:8: '>' cannot compare date with duration (expected two values of the same kind: "
       "numbers, strings, bools, dates/timestamps or durations)"},
      {"seats in (1, \"a\")", SEGKIT_ERR_TYPE,
       "rule:1:14: 'in' cannot compare int64 with string (expected two values of the same kind: "
       "numbers, strings, bools, dates/timestamps or durations)"},
      {"null in (\"a\", 1)", SEGKIT_ERR_TYPE,
       "rule:1:15: 'in' cannot compare string with int64 (expected two values of the same kind: "
       "numbers, strings, bools, dates/timestamps or durations)"},
      {"coalesce(null, plan, active) is null", SEGKIT_ERR_TYPE,
       "rule:1:22: 'coalesce' cannot compare string with bool (expected two values of the same "
       "kind: numbers, strings, bools, dates/timestamps or durations)"},
      {"null between 1 and \"b\"", SEGKIT_ERR_TYPE,
       "rule:1:20: 'between' cannot compare int64 with string (expected two values of the same "
       "kind: numbers, strings, bools, dates/timestamps or durations)"},
      {"seats between 1 and plan", SEGKIT_ERR_TYPE,
       "rule:1:21: 'between' cannot compare int64 with string (expected two values of the same "
       "kind: numbers, strings, bools, dates/timestamps or durations)"},
      {"plan + 1 > 2", SEGKIT_ERR_TYPE,
       "rule:1:6: '+' cannot apply to string and int64 (expected numbers, or a date/timestamp and "
       "a duration)"},
      {"signup - 1 > 2", SEGKIT_ERR_TYPE,
       "rule:1:8: '-' cannot apply to date and int64 (expected numbers, a date/timestamp minus a "
       "duration, or two dates/timestamps)"},
      {"signup * 2 > 2", SEGKIT_ERR_TYPE,
       "rule:1:8: '*' cannot apply to date and int64 (expected numbers)"},
      {"-plan == \"a\"", SEGKIT_ERR_TYPE,
       "rule:1:1: unary '-' cannot apply to string (expected a number or a duration)"},
      {"seats", SEGKIT_ERR_TYPE, "rule:1:1: the rule is int64 (expected bool: a condition such as x > 1)"},
      {"seats and active", SEGKIT_ERR_TYPE, "rule:1:1: 'and' operand is int64 (expected bool)"},
      {"active or 1", SEGKIT_ERR_TYPE, "rule:1:11: 'or' operand is int64 (expected bool)"},
      {"not seats", SEGKIT_ERR_TYPE, "rule:1:5: 'not' operand is int64 (expected bool)"},
      {"signup - signup > 6mo", SEGKIT_ERR_TYPE,
       "rule:1:19: calendar duration '6mo' can only be added to or subtracted from a date or "
       "timestamp (expected a duration in s, min, h, d or w)"},
      {"6mo is null", SEGKIT_ERR_TYPE,
       "rule:1:1: calendar duration '6mo' can only be added to or subtracted from a date or "
       "timestamp (expected a duration in s, min, h, d or w)"},
      {"6mo + signup > now()", SEGKIT_ERR_TYPE,
       "rule:1:1: write the date first when adding a calendar duration (expected DATE + 6mo)"},
      {"lower(seats) == \"x\"", SEGKIT_ERR_TYPE, "rule:1:7: argument 1 of lower() is int64 (expected string)"},
      {"starts_with(plan, 1)", SEGKIT_ERR_TYPE, "rule:1:19: argument 2 of starts_with() is int64 (expected string)"},
      {"lower(plan, plan) == \"x\"", SEGKIT_ERR_TYPE, "rule:1:1: lower() takes 1 argument, got 2"},
      {"contains(plan)", SEGKIT_ERR_TYPE, "rule:1:1: contains() takes 2 arguments, got 1"},
      {"now(1) > signup", SEGKIT_ERR_TYPE, "rule:1:1: now() takes 0 arguments, got 1"},
      {"round(mrr, 1, 2) > 1", SEGKIT_ERR_TYPE, "rule:1:1: round() takes 1 to 2 arguments, got 3"},
      {"round(mrr, seats) > 1", SEGKIT_ERR_TYPE,
       "rule:1:12: argument 2 of round() must be a whole number literal 0-15 (expected the number "
       "of decimals)"},
      {"abs(plan) > 1", SEGKIT_ERR_TYPE, "rule:1:5: argument 1 of abs() is string (expected a number)"},
      {"days_since(seats) > 1", SEGKIT_ERR_TYPE,
       "rule:1:12: argument 1 of days_since() is int64 (expected a date or timestamp)"},
      {"coalesce(seats, plan) == 1", SEGKIT_ERR_TYPE,
       "rule:1:17: 'coalesce' cannot compare int64 with string (expected two values of the same "
       "kind: numbers, strings, bools, dates/timestamps or durations)"},
      {"matches(plan, plan)", SEGKIT_ERR_TYPE,
       "rule:1:15: argument 2 of matches() must be a string literal (expected a POSIX extended "
       "regular expression, compiled once)"},
      {"signup > date(\"2025-02-30\")", SEGKIT_ERR_TYPE,
       "rule:1:15: invalid date \"2025-02-30\" (expected \"YYYY-MM-DD\", a real day of years 1-9999)"},
      {"signup > date(plan)", SEGKIT_ERR_TYPE,
       "rule:1:15: argument 1 of date() must be a string literal (expected \"YYYY-MM-DD\")"},
      {"last_seen > timestamp(\"yesterday\")", SEGKIT_ERR_TYPE,
       "rule:1:23: invalid timestamp \"yesterday\" (expected ISO 8601, as \"2025-01-31T10:00:00Z\")"},
      {"in_segment(plan)", SEGKIT_ERR_TYPE,
       "rule:1:12: argument 1 of in_segment() must be a string literal (expected a segment name)"},
  };
  expect_errors(((fixture *)*state)->env, cases, sizeof cases / sizeof cases[0]);
}

static void segment_check_aggregates(void **state) {
  static const err_case cases[] = {
      {"sum(transactions) > 1", SEGKIT_ERR_TYPE,
       "rule:1:5: sum() needs a column (expected sum(transactions.COLUMN))"},
      {"sum(events.name) > 1", SEGKIT_ERR_TYPE,
       "rule:1:12: sum() cannot aggregate string column 'name' (expected an int64 or float64 column)"},
      {"max(events.feature) > 1", SEGKIT_ERR_TYPE,
       "rule:1:12: max() cannot aggregate string column 'feature' (expected a number, date or "
       "timestamp column)"},
      {"count(notes, last 3d) > 1", SEGKIT_ERR_TYPE,
       "rule:1:1: 'notes' has no time column (expected one given to segkit_rule_env_link for a "
       "'last DURATION' window)"},
      {"last(notes.customer_id) > 1", SEGKIT_ERR_TYPE,
       "rule:1:1: 'notes' has no time column (expected one given to segkit_rule_env_link for "
       "first() and last())"},
      {"count(events, last 1mo) > 0", SEGKIT_ERR_PARSE,
       "rule:1:20: a window must be an exact duration (expected s, min, h, d or w; 6mo is a "
       "calendar span)"},
      {"count(events, first 3d) > 0", SEGKIT_ERR_PARSE,
       "rule:1:15: unexpected 'first' (expected 'last' and a duration, as in last 90d)"},
      {"count(events, last) > 0", SEGKIT_ERR_PARSE,
       "rule:1:19: unexpected ')' (expected a duration after 'last', as in last 90d)"},
      {"count(events where count(events) > 1) > 0", SEGKIT_ERR_TYPE,
       "rule:1:20: aggregates cannot be nested inside where (expected columns of 'events')"},
      {"count(events where ts) > 0", SEGKIT_ERR_TYPE, "rule:1:20: where clause is timestamp (expected bool)"},
      {"exists(events where in_segment(\"vip\"))", SEGKIT_ERR_TYPE,
       "rule:1:21: in_segment() cannot be used inside where (expected it outside the aggregate)"},
      {"count(1) > 0", SEGKIT_ERR_PARSE,
       "rule:1:7: unexpected '1' (expected a linked table, as in count(events))"},
      {"sum(1) > 0", SEGKIT_ERR_PARSE,
       "rule:1:5: unexpected '1' (expected a linked table's column, as in sum(transactions.amount))"},
      {"count(events name) > 0", SEGKIT_ERR_PARSE,
       "rule:1:14: unexpected 'name' (expected ')', 'where' or ', last DURATION')"},
      {"transactions.amount > 1", SEGKIT_ERR_PARSE,
       "rule:1:1: a linked table's column can only be used inside an aggregate (expected "
       "sum(transactions.COLUMN), last(...), ... or `transactions.name` for a field with a dot)"},
      {"used(1)", SEGKIT_ERR_PARSE,
       "rule:1:6: unexpected '1' (expected a feature name as a string, as in used(\"export\"))"},
      {"used(\"x\", within 30d signup)", SEGKIT_ERR_PARSE,
       "rule:1:22: unexpected 'signup' (expected 'of' and a date field, as in within 30d of signup)"},
      {"used(\"x\", within soon of signup)", SEGKIT_ERR_PARSE,
       "rule:1:18: unexpected 'soon' (expected a duration after 'within', as in within 30d of signup)"},
      {"used(\"x\" 1)", SEGKIT_ERR_PARSE,
       "rule:1:10: unexpected '1' (expected ')' or ', within DURATION of FIELD' or ', last DURATION')"},
      {"count(events where zzz > 1) > 1", SEGKIT_ERR_TYPE,
       "rule:1:20: unknown field 'zzz' in the where clause (expected a column of the linked table "
       "or of the customers)"},
      {"used(\"x\", within 30d of sigup)", SEGKIT_ERR_TYPE,
       "rule:1:25: unknown field 'sigup' (did you mean 'signup'?)"},
  };
  expect_errors(((fixture *)*state)->env, cases, sizeof cases / sizeof cases[0]);
}

static void segment_check_syntax(void **state) {
  static const err_case cases[] = {
      {"seats > 30q", SEGKIT_ERR_PARSE,
       "rule:1:11: unknown duration unit 'q' (expected s, min, h, d, w, mo or y after a whole number)"},
      {"last_seen > now() - 30m", SEGKIT_ERR_PARSE,
       "rule:1:23: unknown duration unit 'm' (expected s, min, h, d, w, mo or y after a whole number)"},
      {"last_seen > now() - 1.5d", SEGKIT_ERR_PARSE,
       "rule:1:24: unknown duration unit 'd' (expected s, min, h, d, w, mo or y after a whole number)"},
      {"seats > 1234567890123456789012345678901234567890123456789012345678901234567890", SEGKIT_ERR_PARSE,
       "rule:1:9: number too long (expected at most 63 characters)"},
      {"coalesce() == 1", SEGKIT_ERR_TYPE, "rule:1:1: coalesce() takes 1 to 64 arguments, got 0"},
      {"mrr > 1e309", SEGKIT_ERR_PARSE,
       "rule:1:7: number out of range (expected at most 1.7976931348623157e308)"},
      {"seats > 99999999999999999999", SEGKIT_ERR_PARSE,
       "rule:1:9: integer out of range (expected at most 9223372036854775807)"},
      {"signup + 99999999y > signup", SEGKIT_ERR_PARSE,
       "rule:1:10: duration out of range (expected at most 100000 years)"},
      {"plan == \"pro", SEGKIT_ERR_PARSE, "rule:1:9: unterminated string (expected a closing \")"},
      {"plan == \"a\\qb\"", SEGKIT_ERR_PARSE,
       "rule:1:11: unknown escape in string (expected \\\" \\\\ \\n \\t or \\r)"},
      {"`ph.ecog > 1", SEGKIT_ERR_PARSE, "rule:1:1: unterminated quoted name (expected a closing `)"},
      {"`` > 1", SEGKIT_ERR_PARSE, "rule:1:1: empty quoted name (expected a field name between the backticks)"},
      {"plan == 'pro'", SEGKIT_ERR_PARSE,
       "rule:1:9: unexpected ' (expected \"...\" for a string or `...` for a field name)"},
      {"seats @ 1", SEGKIT_ERR_PARSE, "rule:1:7: unexpected character '@' (expected an expression)"},
      {"seats ! 1", SEGKIT_ERR_PARSE, "rule:1:7: unexpected '!' (expected != or the keyword not)"},
      {"seats > \x01", SEGKIT_ERR_PARSE, "rule:1:9: unexpected byte 0x01 (expected an expression)"},
      {"", SEGKIT_ERR_PARSE, "rule:1:1: empty rule (expected an expression)"},
      {"  # just a comment", SEGKIT_ERR_PARSE, "rule:1:1: empty rule (expected an expression)"},
      {"(seats > 1", SEGKIT_ERR_PARSE, "rule:1:11: unexpected end of rule (expected ')')"},
      {"seats > 1)", SEGKIT_ERR_PARSE,
       "rule:1:10: unexpected ')' (expected 'and', 'or' or the end of the rule)"},
      {"seats >", SEGKIT_ERR_PARSE, "rule:1:8: unexpected end of rule (expected an expression)"},
      {"seats > and", SEGKIT_ERR_PARSE, "rule:1:9: unexpected 'and' (expected an expression)"},
      {"1 < seats < 3", SEGKIT_ERR_PARSE,
       "rule:1:11: comparisons do not chain (expected 'and' between two comparisons)"},
      {"seats is 1", SEGKIT_ERR_PARSE, "rule:1:10: unexpected '1' (expected null or not null after 'is')"},
      {"seats is not 1", SEGKIT_ERR_PARSE, "rule:1:14: unexpected '1' (expected null after 'is not')"},
      {"seats between 1 or 3", SEGKIT_ERR_PARSE,
       "rule:1:17: unexpected 'or' (expected 'and' in between LOW and HIGH)"},
      {"seats in 1, 2", SEGKIT_ERR_PARSE,
       "rule:1:10: unexpected '1' (expected '(' and a list of values after in)"},
      {"seats in (1 2)", SEGKIT_ERR_PARSE,
       "rule:1:13: unexpected '2' (expected ',' or ')' in the list after in)"},
      {"seats in ()", SEGKIT_ERR_PARSE, "rule:1:11: unexpected ')' (expected an expression)"},
      {"lower(plan plan) == \"x\"", SEGKIT_ERR_PARSE,
       "rule:1:12: unexpected 'plan' (expected ',' or ')' after a function argument)"},
  };
  expect_errors(((fixture *)*state)->env, cases, sizeof cases / sizeof cases[0]);
}

static void segment_check_diag_excerpt(void **state) {
  fixture *f = *state;
  segkit_rule *rule = NULL;
  segkit_error err;
  segkit_rule_diag diag;
  assert_int_equal(segkit_rule_compile(f->env, "plan == \"pro\" and palnn == 1", &rule, &diag, &err),
                   SEGKIT_ERR_TYPE);
  assert_int_equal(diag.line, 1);
  assert_int_equal(diag.column, 19);
  assert_int_equal(diag.length, 5);
  assert_string_equal(diag.excerpt, "plan == \"pro\" and palnn == 1\n                  ^^^^^");
  assert_int_equal(err.line, 1);
  assert_int_equal(err.column, 19);
  char buf[1024];
  segkit_error_format(&err, buf, sizeof buf);
  assert_string_equal(buf, "rule:1:19: unknown field 'palnn' (did you mean 'plan'?)");
  /* second line, tab shown as a space so the caret lines up */
  assert_int_equal(segkit_rule_compile(f->env, "seats > 1\n\tand sseats > 1", &rule, &diag, &err),
                   SEGKIT_ERR_TYPE);
  assert_int_equal(diag.line, 2);
  assert_int_equal(diag.column, 6);
  assert_string_equal(diag.excerpt, " and sseats > 1\n     ^^^^^^");
  /* end of rule: one caret past the last character */
  assert_int_equal(segkit_rule_compile(f->env, "seats >", &rule, &diag, &err), SEGKIT_ERR_PARSE);
  assert_string_equal(diag.excerpt, "seats >\n       ^");
  /* a whole aggregate underlined */
  assert_int_equal(segkit_rule_compile(f->env, "count(notes, last 3d) > 1", &rule, &diag, &err),
                   SEGKIT_ERR_TYPE);
  assert_string_equal(diag.excerpt, "count(notes, last 3d) > 1\n^^^^^^^^^^^^^^^^^^^^^");
  /* diag may be NULL */
  assert_int_equal(segkit_rule_compile(f->env, "palnn == 1", &rule, NULL, &err), SEGKIT_ERR_TYPE);
  assert_null(rule);
}

static void segment_check_regex_and_used(void **state) {
  fixture *f = *state;
  segkit_rule *rule = NULL;
  segkit_error err;
  assert_int_equal(segkit_rule_compile(f->env, "matches(plan, \"(\")", &rule, NULL, &err), SEGKIT_ERR_TYPE);
  assert_true(strncmp(err.message, "rule:1:15: invalid regular expression: ", 39) == 0);
  assert_non_null(strstr(err.message, "(expected POSIX extended syntax)"));
  /* nested repetitions multiply regcomp's work: bounded */
  static const err_case complex[] = {
      {"matches(plan, \"(a{1000}){1000}\")", SEGKIT_ERR_LIMIT,
       "rule:1:15: regular expression too complex (expected at most 1024 bytes, no repetition of "
       "a repetition such as a+*, and at most 20000 pattern nodes once + and {m,n} are expanded)"},
      {"matches(plan, \"x{2,30001}\")", SEGKIT_ERR_LIMIT,
       "rule:1:15: regular expression too complex (expected at most 1024 bytes, no repetition of "
       "a repetition such as a+*, and at most 20000 pattern nodes once + and {m,n} are expanded)"},
      {"matches(plan, \"^x++*++++++\")", SEGKIT_ERR_LIMIT,
       "rule:1:15: regular expression too complex (expected at most 1024 bytes, no repetition of "
       "a repetition such as a+*, and at most 20000 pattern nodes once + and {m,n} are expanded)"},
      {"matches(plan, \"((((((((((((((((x+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)\")", SEGKIT_ERR_LIMIT,
       "rule:1:15: regular expression too complex (expected at most 1024 bytes, no repetition of "
       "a repetition such as a+*, and at most 20000 pattern nodes once + and {m,n} are expanded)"},
  };
  expect_errors(f->env, complex, 4);
  static const err_case backref[] = {
      {"matches(plan, \"(a*)*\\\\1\")", SEGKIT_ERR_TYPE,
       "rule:1:15: backreferences are not supported in regular expressions (expected POSIX "
       "extended syntax, without \\1-\\9)"},
  };
  expect_errors(f->env, backref, 1);
  static const char *const fine[] = {
      "matches(plan, \"^[0-9]{3}-[0-9]{4}$\")", "matches(plan, \"[{]{1000}\\\\{99999\")",
      "matches(plan, \".{1,1000}\")", "matches(plan, \"[a-z]+@[a-z]+(\\\\.[a-z]+)+$\")",
      "matches(plan, \"(a|b+|c{2,5})*x?\")", "matches(plan, \"[\\\\1]\\\\.\")"};
  for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
    if (segkit_rule_compile(f->env, fine[i], &rule, NULL, &err) != SEGKIT_OK) {
      fail_msg("%s: %s", fine[i], err.message);
    }
    segkit_rule_free(rule);
  }
  /* used() needs events with a feature column: an env without them */
  segkit_rule_env *env = NULL;
  assert_int_equal(segkit_rule_env_new(f->cust, "id", 0, &env, &err), SEGKIT_OK);
  static const err_case cases[] = {
      {"used(\"x\")", SEGKIT_ERR_TYPE,
       "rule:1:1: used() needs a linked table 'events' with a column 'feature' (expected "
       "exists(TABLE where ...) otherwise)"},
      {"count(events) > 0", SEGKIT_ERR_TYPE,
       "rule:1:7: unknown linked table 'events' (expected a table linked to the customers; none is)"},
  };
  expect_errors(env, cases, 2);
  /* events without a time column: used() works, its within form does not */
  assert_int_equal(segkit_rule_env_link(env, "events", f->ev, "customer_id", NULL, &err), SEGKIT_OK);
  assert_int_equal(segkit_rule_compile(env, "used(\"x\")", &rule, NULL, &err), SEGKIT_OK);
  segkit_rule_free(rule);
  static const err_case no_time[] = {
      {"used(\"x\", within 30d of signup)", SEGKIT_ERR_TYPE,
       "rule:1:1: used(..., within ...) needs 'events' linked with a time column (expected a "
       "time column in segkit_rule_env_link)"},
  };
  expect_errors(env, no_time, 1);
  segkit_rule_env_free(env);
}

static void segment_check_limits(void **state) {
  fixture *f = *state;
  segkit_rule *rule = NULL;
  segkit_error err;
  size_t n = 70 * 1024;
  char *big = malloc(n + 1);
  memset(big, ' ', n);
  memcpy(big, "true", 4);
  big[n] = '\0';
  assert_int_equal(segkit_rule_compile(f->env, big, &rule, NULL, &err), SEGKIT_ERR_LIMIT);
  assert_string_equal(err.message, "rule is 71680 bytes (expected at most 65536)");
  /* 300 nested parentheses */
  size_t o = 0;
  for (int i = 0; i < 300; i++) {
    big[o++] = '(';
  }
  memcpy(big + o, "true", 4);
  o += 4;
  for (int i = 0; i < 300; i++) {
    big[o++] = ')';
  }
  big[o] = '\0';
  assert_int_equal(segkit_rule_compile(f->env, big, &rule, NULL, &err), SEGKIT_ERR_LIMIT);
  assert_string_equal(err.message, "rule:1:257: rule nested too deeply (expected at most 256 levels)");
  /* 200 levels are fine */
  o = 0;
  for (int i = 0; i < 200; i++) {
    big[o++] = '(';
  }
  memcpy(big + o, "true", 4);
  o += 4;
  for (int i = 0; i < 200; i++) {
    big[o++] = ')';
  }
  big[o] = '\0';
  assert_int_equal(segkit_rule_compile(f->env, big, &rule, NULL, &err), SEGKIT_OK);
  segkit_rule_free(rule);
  /* 3000 not's in a row: nested too */
  o = 0;
  for (int i = 0; i < 3000; i++) {
    memcpy(big + o, "not ", 4);
    o += 4;
  }
  memcpy(big + o, "true", 5);
  assert_int_equal(segkit_rule_compile(f->env, big, &rule, NULL, &err), SEGKIT_ERR_LIMIT);
  /* a chain of 3000 additions is too long; of 1000 it is fine */
  for (int len = 1000; len <= 3000; len += 2000) {
    o = 0;
    memcpy(big, "seats", 5);
    o = 5;
    for (int i = 0; i < len; i++) {
      memcpy(big + o, " + 1", 4);
      o += 4;
    }
    memcpy(big + o, " > 0", 5);
    segkit_status s = segkit_rule_compile(f->env, big, &rule, NULL, &err);
    if (len == 1000) {
      assert_int_equal(s, SEGKIT_OK);
      segkit_rule_free(rule);
    } else {
      assert_int_equal(s, SEGKIT_ERR_LIMIT);
      assert_string_equal(err.message,
                          "rule:1:8199: rule has too long a chain of operators (expected at "
                          "most 2048 in a row)"); /* at the 2049th '+' */
    }
  }
  free(big);
}

/* Everything the reference (docs/rules.md) shows compiles. */
static void segment_check_accepts(void **state) {
  static const char *const ok[] = {
      "plan == \"pro\" and seats > 1 and not active",
      "`ph.ecog` >= 1 and `plan` in (\"a\", \"b\")",
      "signup + 6mo < now() and signup - 1y > date(\"2000-01-01\")",
      "last_seen > now() - 14d and now() - last_seen < 2w",
      "count(events where name == \"login\" and ts > now() - 14d) == 0",
      "sum(transactions.amount where kind == \"charge\", last 90d) > 500",
      "days_since(last(events.ts)) > 30 or first(events.ts) is null",
      "used(\"invoice_automation\", within 30d of signup)",
      "exists(events where feature == \"x\" and ts <= signup + 30d)",
      "coalesce(sum(transactions.amount), 0) == 0",
      "avg(transactions.amount, last 4w) between 1 and 2.5",
      "in_segment(\"annual-pro\") or in_segment(\"x\")",
      "null is null and not (null == null) is null",
      "matches(plan, \"^(pro|team)$\") and length(lower(plan)) < 10",
      "count(events, last 1d) > -1",
  };
  fixture *f = *state;
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    segkit_rule *rule = NULL;
    segkit_error err;
    if (segkit_rule_compile(f->env, ok[i], &rule, NULL, &err) != SEGKIT_OK) {
      fail_msg("%s: %s", ok[i], err.message);
    }
    segkit_rule_free(rule);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(segment_check_unknown_names, setup, teardown),
      cmocka_unit_test_setup_teardown(segment_check_types, setup, teardown),
      cmocka_unit_test_setup_teardown(segment_check_aggregates, setup, teardown),
      cmocka_unit_test_setup_teardown(segment_check_syntax, setup, teardown),
      cmocka_unit_test_setup_teardown(segment_check_diag_excerpt, setup, teardown),
      cmocka_unit_test_setup_teardown(segment_check_regex_and_used, setup, teardown),
      cmocka_unit_test_setup_teardown(segment_check_limits, setup, teardown),
      cmocka_unit_test_setup_teardown(segment_check_accepts, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
