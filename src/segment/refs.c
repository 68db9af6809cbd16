/* Which segments a rule's text names with in_segment("NAME"), from its tokens alone.
 *
 * Compiling needs the rule's environment (its customers' fields, its linked tables), which a
 * stored rule may no longer fit, and which is costly to build for every stored segment; the
 * question "would removing segment X break this rule?" needs neither. The lexer already knows
 * string literals and comments, so a name inside a string ("in_segment(\"x\")" as text) or
 * after a '#' is not taken for a use. */
#include <string.h>

#include "segment/segment_int.h"

segkit_status segkit_rule_text_uses_segment(const char *text, const char *segment, bool *uses,
                                            segkit_error *err) {
  if (text == NULL || segment == NULL || uses == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_rule_text_uses_segment: NULL argument");
  }
  *uses = false;
  size_t len = strlen(text);
  if (len > SK__MAX_RULE_BYTES) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "rule is %zu bytes (expected at most %d)", len,
                            SK__MAX_RULE_BYTES);
  }
  sk__ctx cx = {.text = text, .text_len = len, .err = err};
  sk__token *toks = NULL;
  size_t n = 0;
  segkit_status s = sk__lex(&cx, &toks, &n);
  size_t want = strlen(segment);
  for (size_t i = 0; s == SEGKIT_OK && i + 2 < n && !*uses; i++) {
    const sk__token *t = &toks[i];
    *uses = t->kind == SK__TK_IDENT && t->text_len == 10 &&
            memcmp(t->text, "in_segment", 10) == 0 && toks[i + 1].kind == SK__TK_LPAREN &&
            toks[i + 2].kind == SK__TK_STRING && toks[i + 2].text_len == want &&
            memcmp(toks[i + 2].text, segment, want) == 0;
  }
  sk__arena_free(&cx.arena);
  return s;
}
