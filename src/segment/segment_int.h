/* segment_int.h: internals of the segment rule language, shared by its files.
 *
 * The pipeline reads like the file list: lexer.c (text -> tokens) -> parser.c (tokens ->
 * AST in an arena) -> check.c (names resolved, types inferred, suggestions on error) ->
 * compile.c (typed AST -> register bytecode) -> vm.c (bytecode over batches of rows) and
 * aggregate.c (per-customer aggregates over linked fact tables); sql.c turns the typed AST
 * into PostgreSQL. env.c holds the environment and the fact-table indexes; diag.c the
 * error messages with excerpt and caret. Nothing here is public API. */
#ifndef SEGKIT_SEGMENT_INT_H
#define SEGKIT_SEGMENT_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core_int.h"
#include "segkit/segment.h"

/* Rows per batch of the evaluator: registers of 1024 values stay in L1/L2. */
#define SK__BATCH 1024
/* Limits promised by segkit_rule_compile. */
#define SK__MAX_RULE_BYTES (64 * 1024)
#define SK__MAX_DEPTH 256
/* Height of the AST (long and-chains are deep without being nested): bounds recursion. */
#define SK__MAX_HEIGHT 2048

/* ---- arena (arena.c) -------------------------------------------------------------- */

/* Bump allocator for per-parse memory: everything a parse makes is freed in one call. */
typedef struct sk__arena_chunk sk__arena_chunk;
typedef struct sk__arena {
  sk__arena_chunk *head;
} sk__arena;

void *sk__arena_alloc(sk__arena *a, size_t n);
char *sk__arena_strndup(sk__arena *a, const char *s, size_t n);
void sk__arena_free(sk__arena *a);

/* ---- value types of the language --------------------------------------------------- */

typedef enum sk__vtype {
  SK__V_NULL = 0, /* the type of the literal null: fits anywhere */
  SK__V_BOOL,
  SK__V_INT,
  SK__V_FLOAT,
  SK__V_STRING,
  SK__V_DATE,      /* days since 1970-01-01, held as int64 in registers */
  SK__V_TIMESTAMP, /* microseconds since 1970-01-01T00:00:00Z */
  SK__V_DURATION,  /* microseconds; calendar months only in literals (node->months) */
  SK__V_COUNT
} sk__vtype;

const char *sk__vtype_name(sk__vtype t);

/* ---- tokens (lexer.c) ------------------------------------------------------------- */

typedef enum sk__tok_kind {
  SK__TK_EOF = 0,
  SK__TK_IDENT,
  SK__TK_QIDENT, /* `quoted name` */
  SK__TK_STRING,
  SK__TK_INT,
  SK__TK_FLOAT,
  SK__TK_DURATION,
  SK__TK_LPAREN,
  SK__TK_RPAREN,
  SK__TK_COMMA,
  SK__TK_DOT,
  SK__TK_EQ,
  SK__TK_NE,
  SK__TK_LT,
  SK__TK_LE,
  SK__TK_GT,
  SK__TK_GE,
  SK__TK_PLUS,
  SK__TK_MINUS,
  SK__TK_STAR,
  SK__TK_SLASH,
  SK__TK_AND,
  SK__TK_OR,
  SK__TK_NOT,
  SK__TK_IN,
  SK__TK_BETWEEN,
  SK__TK_IS,
  SK__TK_NULL,
  SK__TK_TRUE,
  SK__TK_FALSE
} sk__tok_kind;

typedef struct sk__token {
  sk__tok_kind kind;
  uint32_t pos; /* byte offset in the rule */
  uint32_t len; /* bytes of the token in the rule */
  char *text;   /* identifier or decoded string (arena); NULL otherwise */
  size_t text_len;
  int64_t i;      /* INT; DURATION: microseconds (or months when months != 0) */
  int64_t months; /* DURATION in mo / y: calendar months */
  double f;       /* FLOAT */
} sk__token;

/* ---- diagnostics (diag.c) ---------------------------------------------------------- */

/* Everything the front end needs while it works on one rule. */
typedef struct sk__ctx {
  const char *text;
  size_t text_len;
  sk__arena arena;
  segkit_rule_diag *diag;
  segkit_error *err;
  const segkit_rule_env *env;
} sk__ctx;

/* Report an error at text[pos .. pos+len): err->message "rule:L:C: ...", the diag
 * excerpt with carets. Returns code. */
segkit_status sk__fail(sk__ctx *cx, segkit_status code, uint32_t pos, uint32_t len,
                       const char *fmt, ...) SEGKIT_PRINTF(5, 6);
/* Optimal string alignment distance, capped: returns cap + 1 when over cap. */
size_t sk__edit_distance(const char *a, size_t na, const char *b, size_t nb, size_t cap);
/* Best suggestion for `name` among candidates (NULL when none is close enough). */
typedef struct sk__suggest {
  const char *name;
  size_t len;
  const char *best;
  size_t best_dist;
} sk__suggest;
void sk__suggest_init(sk__suggest *s, const char *name, size_t len);
void sk__suggest_offer(sk__suggest *s, const char *candidate);

segkit_status sk__lex(sk__ctx *cx, sk__token **out, size_t *n_out);

/* ---- AST (parser.c) ------------------------------------------------------------- */

typedef enum sk__node_kind {
  SK__N_LIT = 0, /* literal: type says which */
  SK__N_NOW,
  SK__N_FIELD,   /* a customer column, or inside where a fact column */
  SK__N_UNARY,   /* op: SK__TK_NOT or SK__TK_MINUS */
  SK__N_BINARY,  /* op: a token kind */
  SK__N_IN,      /* args[0] in (args[1..]); negate for not in */
  SK__N_BETWEEN, /* args[0] between args[1] and args[2]; negate for not between */
  SK__N_ISNULL,  /* args[0] is null; negate for is not null */
  SK__N_CALL,    /* scalar function */
  SK__N_AGG      /* aggregate over a linked table */
} sk__node_kind;

typedef enum sk__agg_kind {
  SK__A_COUNT = 0,
  SK__A_SUM,
  SK__A_MIN,
  SK__A_MAX,
  SK__A_AVG,
  SK__A_FIRST,
  SK__A_LAST,
  SK__A_EXISTS
} sk__agg_kind;

typedef enum sk__func {
  SK__F_STARTS_WITH = 0,
  SK__F_ENDS_WITH,
  SK__F_CONTAINS,
  SK__F_LOWER,
  SK__F_UPPER,
  SK__F_LENGTH,
  SK__F_MATCHES,
  SK__F_ABS,
  SK__F_ROUND,
  SK__F_DAYS_SINCE,
  SK__F_COALESCE,
  SK__F_YEAR,
  SK__F_MONTH,
  SK__F_IN_SEGMENT,
  SK__F_DATE,
  SK__F_TIMESTAMP,
  SK__F_COUNT_
} sk__func;

typedef struct sk__node sk__node;
struct sk__node {
  sk__node_kind kind;
  int op;           /* UNARY / BINARY: token kind */
  bool negate;      /* not in, not between, is not null */
  uint32_t pos, len; /* where in the rule (for messages) */
  sk__vtype type;   /* filled by the checker */
  /* literals */
  int64_t i; /* INT, BOOL, DATE, TIMESTAMP, DURATION (us) */
  int64_t months; /* DURATION: calendar months (mo, y); then i is 0 */
  double f;
  const char *s; /* STRING literal, FIELD / CALL / AGG name */
  size_t s_len;
  /* children */
  sk__node **args;
  size_t n_args;
  /* FIELD, resolved */
  bool in_fact;  /* column of the fact table (inside where) rather than the customer table */
  long col;
  /* CALL */
  sk__func func;
  int segment_ref; /* in_segment: index into the rule's segment refs */
  int regex;       /* matches: index into the rule's regexes */
  /* AGG */
  sk__agg_kind agg;
  const char *table; /* linked table name as written */
  size_t table_len;
  uint32_t table_pos;
  const char *agg_col_name; /* sum(t.col): col; NULL for count(t) / exists(t) */
  size_t agg_col_len;
  uint32_t agg_col_pos;
  sk__node *where;  /* NULL when none */
  bool has_window;
  int64_t window_us;
  int link;     /* resolved linked table */
  long agg_col; /* resolved column, -1 for none */
  int slot;     /* aggregate slot in the rule */
  int depth;    /* height of the subtree, bounded so later passes may recurse */
};

segkit_status sk__parse(sk__ctx *cx, const sk__token *toks, size_t n_toks, sk__node **out);

/* ---- environment (env.c) ---------------------------------------------------------- */

/* A string column's dictionary as views, indexed by code, for loading strings fast. */
typedef struct sk__strview {
  const char *p;
  uint32_t n;
} sk__strview;

typedef struct sk__link {
  char *name;
  const segkit_table *facts;
  long cust_col;
  long time_col; /* -1 when none */
  /* Fact rows grouped by customer row, stable (table order within a customer):
   * rows perm[off[c] .. off[c+1]) belong to customer row c. */
  uint64_t *off;
  uint32_t *perm;
  int32_t *owner; /* owner[fact row] = customer row, or -1 */
  sk__strview **views; /* per fact column, for STRING columns; NULL otherwise */
  bool borrowed;       /* off, perm and owner are a segkit_link_index's, not the link's */
} sk__link;

typedef struct sk__segbits {
  char *name;
  uint64_t *bits;
} sk__segbits;

struct segkit_rule_env {
  const segkit_table *customers;
  long key_col;
  size_t n_rows;
  int64_t now_us;
  sk__strview **views; /* per customer column, STRING only */
  sk__link *links;
  size_t n_links;
  sk__segbits *segments;
  size_t n_segments;
};

int sk__env_find_link(const segkit_rule_env *env, const char *name, size_t len);
const sk__segbits *sk__env_find_segment(const segkit_rule_env *env, const char *name);
/* Views of every entry of a STRING column's dictionary (malloc'd), NULL on NOMEM. */
sk__strview *sk__dict_views(const segkit_column *c);

/* ---- checking (check.c) ----------------------------------------------------------- */

/* What the checker collects about a rule beside the typed AST. */
typedef struct sk__rule_info {
  sk__node **aggs; /* aggregate nodes by slot */
  size_t n_aggs, cap_aggs;
  char **segment_refs;
  size_t n_segment_refs, cap_segment_refs;
  regex_t *regexes;
  size_t n_regexes, cap_regexes;
} sk__rule_info;

segkit_status sk__check(sk__ctx *cx, sk__node *root, sk__rule_info *info);
/* Function table lookups for the checker and the SQL writer. */
const char *sk__func_name(sk__func f);
bool sk__func_lookup(const char *name, size_t len, sk__func *out);
bool sk__agg_lookup(const char *name, size_t len, sk__agg_kind *out);
const char *sk__agg_name(sk__agg_kind a);
void sk__offer_function_names(sk__suggest *s);

/* ---- bytecode (compile.c, vm.c) ----------------------------------------------------- */

typedef enum sk__op {
  SK__OP_CONST = 0,  /* dst = imm / fimm / str for every row, valid when a (per batch:
                      * registers are reused) */
  SK__OP_LOAD,       /* dst = column a of scope c: 0 customers, 1 fact table, 2 the
                      * customer owning each fact row */
  SK__OP_LOAD_AGG,   /* dst = aggregate slot a */
  SK__OP_SEGMENT,    /* dst = bit of segment ref a */
  SK__OP_CMPC_I64,   /* dst = column a of scope c (int64/timestamp) <b> imm: fused */
  SK__OP_CMPC_I32,   /* date column */
  SK__OP_CMPC_F64,
  SK__OP_CMPC_CODE,  /* string column: table lookup on its code; null rows: table[table_n-1] */
  SK__OP_LOAD_DICT,  /* dst = dictionary entry (start + i) of string column a; the entry
                      * past the last is null (compile-time folding, compile.c) */
  SK__OP_CAST_F,     /* dst = (double) a (int register) */
  SK__OP_DATE_TO_TS, /* dst = a * us_per_day (null on overflow) */
  SK__OP_NEG,        /* dst = -a; imm: 1 float */
  SK__OP_ARITH,      /* dst = a <b> c, numeric, b = token kind; imm: 1 float */
  SK__OP_ADD_MONTHS, /* dst = a + imm months, a date (imm2=0) or timestamp (imm2=1) */
  SK__OP_CMP,        /* dst = a <b> c; imm: 0 int, 1 float, 2 string, 3 bool */
  SK__OP_AND,        /* dst = a and c, three-valued */
  SK__OP_OR,         /* dst = a or c */
  SK__OP_NOT,        /* dst = not a */
  SK__OP_ISNULL,     /* dst = a is null (b = 1: is not null) */
  SK__OP_IN,         /* dst = a in (list regs args[0..n)) : imm kind as CMP */
  SK__OP_IN_CONST,   /* dst = a in (constants `values`, sorted for kinds 0, 1, 3);
                      * imm kind as CMP; imm2: 1 when the list holds a null */
  SK__OP_COALESCE,   /* dst = first valid of args */
  SK__OP_FUNC        /* dst = function b (sk__func) of args; imm: 1 float argument;
                      * imm2: 1 date argument; c: regex; a, fimm: round's decimals */
} sk__op;

/* Kind of a register's storage. */
typedef enum sk__rkind { SK__R_I64 = 0, SK__R_F64, SK__R_STR, SK__R_BOOL } sk__rkind;

typedef struct sk__insn {
  sk__op op;
  sk__rkind kind; /* of dst when emitted (registers are reused with other kinds later) */
  int dst;
  int a, b, c;
  int64_t imm, imm2;
  double fimm;
  int *args; /* IN / COALESCE / FUNC argument registers */
  int n_args;
  uint8_t *table; /* CMPC_CODE: per dictionary code 0 false, 1 true, 2 null (owned) */
  const char *str; /* CONST string: bytes in the rule's arena, NUL-terminated */
  void *values;    /* IN_CONST: int64_t, double or sk__strview[n_values] (owned) */
  size_t n_values;
  uint32_t table_n;
} sk__insn;

typedef struct sk__program {
  sk__insn *code;
  size_t n_code, cap_code;
  sk__rkind *reg_kind;
  int n_regs, cap_regs;
  int result; /* register with the program's bool result */
  bool fact;  /* runs over a fact table (a where clause) */
  int link;   /* which, when fact */
} sk__program;

segkit_status sk__compile_program(const segkit_rule_env *env, const sk__rule_info *info,
                                  sk__node *root, bool fact, int link, sk__program *out,
                                  segkit_error *err);
void sk__program_free(sk__program *p);

/* Aggregate results: one value per customer row. */
typedef struct sk__agg_result {
  int64_t *i;
  double *f;
  uint8_t *valid;
} sk__agg_result;

/* One thread's registers. */
typedef struct sk__scratch sk__scratch;
typedef struct sk__vm {
  const sk__program *prog;
  void **vals;          /* per register: SK__BATCH values (int64, double, strview or uint8) */
  uint8_t **valid;      /* per register: 1 = has a value */
  sk__scratch *scratch; /* lower()/upper() output of the current batch (vm.c) */
} sk__vm;

/* What a program reads: the env, the rule's aggregates, regexes and segments. */
typedef struct sk__run {
  const segkit_rule_env *env;
  const segkit_rule *rule;
  const regex_t *regexes;
  const sk__agg_result *aggs;
  const uint64_t *const *segment_bits;
} sk__run;

segkit_status sk__vm_init(sk__vm *vm, const sk__program *p);
void sk__vm_free(sk__vm *vm);
/* Run over rows [start, start+n), n <= SK__BATCH; result in register prog->result.
 * Returns false on out-of-memory (scratch growth). */
bool sk__vm_run(sk__vm *vm, const sk__run *run, size_t start, size_t n);

/* ---- the rule ------------------------------------------------------------------- */

struct segkit_rule {
  char *text;
  sk__arena arena; /* the AST */
  sk__node *root;
  sk__rule_info info;
  sk__program main;
  sk__program *where; /* per aggregate slot; .code NULL when no where */
  size_t n_links_at_compile;
};

/* Aggregates (aggregate.c): compute every slot's per-customer values. */
segkit_status sk__aggregates_compute(const segkit_rule *rule, const segkit_rule_env *env,
                                     const uint64_t *const *segment_bits, int n_threads,
                                     sk__agg_result *out, segkit_error *err);
void sk__aggregates_free(sk__agg_result *r, size_t n);

/* Threads come from core (sk__worker_count, sk__run_workers); below ~64 K rows a thread
 * costs more than it saves. */
static inline int sk__thread_count(int asked, size_t n_items) {
  return sk__worker_count(asked, n_items, 65536);
}

/* Calendar arithmetic: days + months, clamped to the last day of the month. */
int32_t sk__add_months_days(int32_t days, int64_t months);
int64_t sk__add_months_us(int64_t us, int64_t months);

#endif
