/* Option parsing for verbs: GNU-style long options (--name VALUE, --name=VALUE, flags,
 * repeatable options), positional arguments anywhere, and "--" to end options. Written
 * here rather than with getopt_long so the same table drives parsing, `--help` text and
 * docs/cli.md, and so repeated options keep every value. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_opt global_opts[] = {
    {"workspace", CLI_OPT_VALUE, "PATH", "workspace file (default $SEGKIT_WORKSPACE or ./segkit.db)"},
    {"format", CLI_OPT_VALUE, "FMT", "output format: table, csv or json (default table)"},
    {"threads", CLI_OPT_VALUE, "N", "worker threads (default: all cores)"},
    {"quiet", CLI_OPT_FLAG, NULL, "no progress or notes on stderr"},
    {"help", CLI_OPT_FLAG, NULL, "show this help"},
};
static const size_t n_global_opts = sizeof global_opts / sizeof global_opts[0];

int cli_usage_error(const char *verb, const char *fmt, ...) {
  fprintf(stderr, "segkit %s: ", verb);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n(see `segkit help %s`)\n", verb);
  return CLI_EXIT_USAGE;
}

static long find_opt(const cli_opt *spec, size_t n, const char *name, size_t name_len) {
  for (size_t i = 0; i < n; i++) {
    if (strlen(spec[i].name) == name_len && strncmp(spec[i].name, name, name_len) == 0) {
      return (long)i;
    }
  }
  return -1;
}

static int apply_global(const cli_verb *verb, cli_args *out, const char *name, const char *value) {
  if (strcmp(name, "workspace") == 0) {
    out->workspace = value;
  } else if (strcmp(name, "format") == 0) {
    if (strcmp(value, "table") == 0) {
      out->format = CLI_FORMAT_TABLE;
    } else if (strcmp(value, "csv") == 0) {
      out->format = CLI_FORMAT_CSV;
    } else if (strcmp(value, "json") == 0) {
      out->format = CLI_FORMAT_JSON;
    } else {
      return cli_usage_error(verb->name, "--format must be table, csv or json, not '%s'", value);
    }
  } else if (strcmp(name, "threads") == 0) {
    char *end = NULL;
    errno = 0;
    long t = strtol(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || t < 0 || t > 256) {
      return cli_usage_error(verb->name, "--threads must be a number from 0 to 256, not '%s'", value);
    }
    out->threads = (int)t;
  } else if (strcmp(name, "quiet") == 0) {
    out->quiet = true;
  } else if (strcmp(name, "help") == 0) {
    out->help = true;
  }
  return 0;
}

int cli_parse(const cli_verb *verb, int argc, char **argv, cli_args *out) {
  memset(out, 0, sizeof *out);
  if (verb->n_opts + verb->n_more_opts + verb->n_shared_opts > CLI_MAX_OPTS) {
    return cli_usage_error(verb->name, "internal: too many options");
  }
  for (size_t i = 0; i < verb->n_opts; i++) {
    out->spec[out->n_spec++] = verb->opts[i];
  }
  for (size_t i = 0; i < verb->n_more_opts; i++) {
    out->spec[out->n_spec++] = verb->more_opts[i];
  }
  for (size_t i = 0; i < verb->n_shared_opts; i++) {
    out->spec[out->n_spec++] = verb->shared_opts[i];
  }
  bool options_done = false;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
      if (out->n_positional == CLI_MAX_POSITIONAL) {
        return cli_usage_error(verb->name, "too many arguments");
      }
      out->positional[out->n_positional++] = arg;
      continue;
    }
    if (strcmp(arg, "--") == 0) {
      options_done = true;
      continue;
    }
    if (strcmp(arg, "-h") == 0) {
      out->help = true;
      continue;
    }
    if (arg[1] != '-') {
      return cli_usage_error(verb->name, "unknown option '%s' (options are spelled --name)", arg);
    }
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t name_len = eq != NULL ? (size_t)(eq - name) : strlen(name);
    const char *inline_value = eq != NULL ? eq + 1 : NULL;
    long gi = find_opt(global_opts, n_global_opts, name, name_len);
    long vi = find_opt(out->spec, out->n_spec, name, name_len);
    const cli_opt *o = vi >= 0 ? &out->spec[vi] : gi >= 0 ? &global_opts[gi] : NULL;
    if (o == NULL) {
      return cli_usage_error(verb->name, "unknown option '--%.*s'", (int)name_len, name);
    }
    const char *value = NULL;
    if (o->kind == CLI_OPT_FLAG) {
      if (inline_value != NULL) {
        return cli_usage_error(verb->name, "--%s takes no value", o->name);
      }
    } else if (inline_value != NULL) {
      value = inline_value;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return cli_usage_error(verb->name, "--%s needs a value (%s)", o->name,
                             o->metavar != NULL ? o->metavar : "VALUE");
    }
    if (vi < 0) {
      int rc = apply_global(verb, out, o->name, value);
      if (rc != 0) {
        return rc;
      }
      continue;
    }
    out->seen[vi] = 1;
    if (o->kind == CLI_OPT_VALUE) {
      out->value[vi] = value;
    } else if (o->kind == CLI_OPT_MULTI) {
      if (out->n_multi[vi] == CLI_MAX_VALUES) {
        return cli_usage_error(verb->name, "--%s given more than %d times", o->name, CLI_MAX_VALUES);
      }
      out->multi[vi][out->n_multi[vi]++] = value;
    }
  }
  return 0;
}

static long index_of(const cli_args *a, const char *name) {
  return find_opt(a->spec, a->n_spec, name, strlen(name));
}

bool cli_has(const cli_args *a, const char *name) {
  long i = index_of(a, name);
  return i >= 0 && a->seen[i];
}

const char *cli_get(const cli_args *a, const char *name) {
  long i = index_of(a, name);
  return i >= 0 ? a->value[i] : NULL;
}

size_t cli_get_multi(const cli_args *a, const char *name, const char *const **values) {
  long i = index_of(a, name);
  if (i < 0) {
    *values = NULL;
    return 0;
  }
  *values = a->multi[i];
  return a->n_multi[i];
}

bool cli_get_int(const cli_args *a, const char *name, int64_t lo, int64_t hi, int64_t *out) {
  const char *v = cli_get(a, name);
  if (v == NULL) {
    return true;
  }
  char *end = NULL;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || x < lo || x > hi) {
    fprintf(stderr, "segkit: --%s must be a whole number from %lld to %lld, not '%s'\n", name,
            (long long)lo, (long long)hi, v);
    return false;
  }
  *out = x;
  return true;
}

const char *cli_workspace_path(const cli_args *a) {
  if (a->workspace != NULL) {
    return a->workspace;
  }
  const char *env = getenv("SEGKIT_WORKSPACE");
  if (env != NULL && env[0] != '\0') {
    return env;
  }
  return "segkit.db";
}

static void print_opts(const cli_opt *opts, size_t n, FILE *f) {
  for (size_t i = 0; i < n; i++) {
    char left[64];
    if (opts[i].kind == CLI_OPT_FLAG) {
      snprintf(left, sizeof left, "--%s", opts[i].name);
    } else {
      snprintf(left, sizeof left, "--%s %s%s", opts[i].name,
               opts[i].metavar != NULL ? opts[i].metavar : "VALUE",
               opts[i].kind == CLI_OPT_MULTI ? " ..." : "");
    }
    fprintf(f, "  %-28s %s\n", left, opts[i].help);
  }
}

void cli_print_verb_help(const cli_verb *verb, FILE *f) {
  fprintf(f, "usage: %s\n\n%s\n", verb->usage, verb->summary);
  if (verb->description != NULL) {
    fprintf(f, "\n%s\n", verb->description);
  }
  if (verb->n_opts > 0) {
    fprintf(f, "\noptions:\n");
    print_opts(verb->opts, verb->n_opts, f);
  }
  if (verb->n_more_opts > 0) {
    fprintf(f, "\nsubscription options (as for segkit mrr):\n");
    print_opts(verb->more_opts, verb->n_more_opts, f);
  }
  if (verb->n_shared_opts > 0) {
    fprintf(f, "\nreading options:\n");
    print_opts(verb->shared_opts, verb->n_shared_opts, f);
  }
  fprintf(f, "\nglobal options:\n");
  print_opts(global_opts, n_global_opts, f);
  fprintf(f, "\nexit codes: 0 ok, 2 usage, 3 data, 4 environment, 5 internal\n");
}

int cli_exit_code(segkit_status st) { return segkit_status_exit_class(st); }

int cli_report(const segkit_error *err) {
  char buf[2048];
  segkit_error_format(err, buf, sizeof buf);
  fprintf(stderr, "segkit: %s\n", buf);
  return cli_exit_code(err->code);
}

bool cli_get_fraction(const cli_args *a, const char *verb, const char *flag, double *out) {
  const char *text = cli_get(a, flag);
  if (text == NULL) {
    return true;
  }
  char *end = NULL;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || !(v > 0 && v < 1)) {
    cli_usage_error(verb, "--%s must be a number between 0 and 1, not '%s'", flag, text);
    return false;
  }
  *out = v;
  return true;
}

const char *cli_p_text(double p, char buf[32]) {
  if (p < 1e-300) {
    snprintf(buf, 32, "< 1e-300");
  } else {
    snprintf(buf, 32, "= %.2g", p);
  }
  return buf;
}

bool cli_get_real(const cli_args *a, const char *verb, const char *flag, double lo, double hi,
                  double *out) {
  const char *text = cli_get(a, flag);
  if (text == NULL) {
    return true;
  }
  char *end = NULL;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= lo && v <= hi)) {
    cli_usage_error(verb, "--%s must be a number from %g to %g, not '%s'", flag, lo, hi, text);
    return false;
  }
  *out = v;
  return true;
}

bool cli_get_level(const cli_args *a, const char *verb, double *level) {
  return cli_get_fraction(a, verb, "conf", level);
}

bool cli_split_list(char *buf, const char **out, size_t max, size_t *n) {
  *n = 0;
  for (char *p = buf; p != NULL;) {
    char *comma = strchr(p, ',');
    if (comma != NULL) {
      *comma = '\0';
    }
    if (*p == '\0' || *n == max) {
      return false;
    }
    out[(*n)++] = p;
    p = comma != NULL ? comma + 1 : NULL;
  }
  return true;
}

size_t cli_popcount_and(const uint64_t *x, const uint64_t *y, size_t words) {
  size_t n = 0;
  for (size_t i = 0; i < words; i++) {
    n += (size_t)__builtin_popcountll(x[i] & y[i]);
  }
  return n;
}
