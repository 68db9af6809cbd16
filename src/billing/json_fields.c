/* Typed getters over jansson values that know where they are.
 *
 * Every field of a Stripe object is read through one of these, with the dotted path of
 * the object it is in, so a wrong value is reported as precisely as "subscription sub_1:
 * items.data[0].price.unit_amount is a string, expected an integer". Key design choice:
 * absent and null are the same ("no value") and are never an error here; whether a field
 * is required is the caller's decision, and only the first problem of an object is kept,
 * since later ones are often consequences of it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "billing/billing_json.h"
#include "segkit/datetime.h"

const char *sk__bill_json_kind(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT:
    return "an object";
  case JSON_ARRAY:
    return "an array";
  case JSON_STRING:
    return "a string";
  case JSON_INTEGER:
    return "an integer";
  case JSON_REAL:
    return "a number with a fraction";
  case JSON_TRUE:
  case JSON_FALSE:
    return "a boolean";
  default:
    return "null";
  }
}

bool sk__bill_fail_type(sk__bill_jx *x, const char *path, const char *key, const json_t *v,
                        const char *expected) {
  if (!x->bad) {
    snprintf(x->msg, sizeof x->msg, "%s %s: %s%s%s is %s, expected %s", x->type,
             x->id != NULL ? x->id : "(no id)", path, *path != '\0' ? "." : "", key,
             sk__bill_json_kind(v), expected);
    x->bad = true;
  }
  return false;
}

bool sk__bill_fail_missing(sk__bill_jx *x, const char *path, const char *key, const char *what) {
  if (!x->bad) {
    snprintf(x->msg, sizeof x->msg, "%s %s: %s%s%s is missing (%s)", x->type,
             x->id != NULL ? x->id : "(no id)", path, *path != '\0' ? "." : "", key, what);
    x->bad = true;
  }
  return false;
}

/* String or absent/null (*out = NULL). */
bool sk__bill_j_str(sk__bill_jx *x, json_t *o, const char *path, const char *key,
                    const char **out) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (v == NULL || json_is_null(v)) {
    return true;
  }
  if (!json_is_string(v)) {
    return sk__bill_fail_type(x, path, key, v, "a string");
  }
  *out = json_string_value(v);
  return true;
}

/* Integer (an integral real is accepted: some tools re-encode 1999 as 1999.0). */
bool sk__bill_j_int(sk__bill_jx *x, json_t *o, const char *path, const char *key,
                    sk__bill_opt_i64 *out) {
  json_t *v = json_object_get(o, key);
  out->has = false;
  out->v = 0;
  if (v == NULL || json_is_null(v)) {
    return true;
  }
  if (json_is_integer(v)) {
    out->has = true;
    out->v = json_integer_value(v);
    return true;
  }
  if (json_is_real(v)) {
    double d = json_real_value(v);
    if (d == floor(d) && fabs(d) < 9e15) {
      out->has = true;
      out->v = (int64_t)d;
      return true;
    }
  }
  return sk__bill_fail_type(x, path, key, v, "an integer");
}

bool sk__bill_j_bool(sk__bill_jx *x, json_t *o, const char *path, const char *key, bool *has,
                     bool *out) {
  json_t *v = json_object_get(o, key);
  *has = false;
  *out = false;
  if (v == NULL || json_is_null(v)) {
    return true;
  }
  if (!json_is_boolean(v)) {
    return sk__bill_fail_type(x, path, key, v, "true or false");
  }
  *has = true;
  *out = json_is_true(v);
  return true;
}

bool sk__bill_j_number(sk__bill_jx *x, json_t *o, const char *path, const char *key, bool *has,
                       double *out) {
  json_t *v = json_object_get(o, key);
  *has = false;
  *out = 0;
  if (v == NULL || json_is_null(v)) {
    return true;
  }
  if (!json_is_number(v)) {
    return sk__bill_fail_type(x, path, key, v, "a number");
  }
  *has = true;
  *out = json_number_value(v);
  return true;
}

/* Object or absent/null (*out = NULL). */
bool sk__bill_j_obj(sk__bill_jx *x, json_t *o, const char *path, const char *key, json_t **out) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (v == NULL || json_is_null(v)) {
    return true;
  }
  if (!json_is_object(v)) {
    return sk__bill_fail_type(x, path, key, v, "an object");
  }
  *out = v;
  return true;
}

/* A reference: an id string, or the expanded object (its "id"). */
bool sk__bill_j_ref(sk__bill_jx *x, json_t *o, const char *path, const char *key,
                    const char **out) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (v == NULL || json_is_null(v)) {
    return true;
  }
  if (json_is_string(v)) {
    *out = json_string_value(v);
    return true;
  }
  if (json_is_object(v) && json_is_string(json_object_get(v, "id"))) {
    *out = json_string_value(json_object_get(v, "id"));
    return true;
  }
  return sk__bill_fail_type(x, path, key, v, "an id string or an expanded object with an id");
}

/* Unix seconds -> microseconds. Stripe timestamps are seconds since 1970; anything
 * outside years 1970..9999 is refused rather than overflowed. */
bool sk__bill_j_time(sk__bill_jx *x, json_t *o, const char *path, const char *key,
                     sk__bill_opt_i64 *out) {
  if (!sk__bill_j_int(x, o, path, key, out)) {
    return false;
  }
  if (out->has) {
    if (out->v < 0 || out->v > INT64_C(253402300799)) {
      if (!x->bad) {
        snprintf(x->msg, sizeof x->msg,
                 "%s %s: %s%s%s is %lld, expected Unix seconds between 1970 and 9999", x->type,
                 x->id != NULL ? x->id : "(no id)", path, *path != '\0' ? "." : "", key,
                 (long long)out->v);
        x->bad = true;
      }
      return false;
    }
    out->v *= SEGKIT_US_PER_SEC;
  }
  return true;
}

/* ASCII case-insensitive equality of currency codes (no locale involved). */
int sk__bill_strcasecmp_ascii(const char *a, const char *b) {
  for (;; a++, b++) {
    int ca = (unsigned char)*a;
    int cb = (unsigned char)*b;
    ca = ca >= 'A' && ca <= 'Z' ? ca + 32 : ca;
    cb = cb >= 'A' && cb <= 'Z' ? cb + 32 : cb;
    if (ca != cb || ca == 0) {
      return ca - cb;
    }
  }
}
