/* The RFM segment rule table: the default eleven named segments and the lookup from a
 * customer's (r, f, m) scores to its segment. Key design choice: the rules are data, turned
 * into a 125-entry table (one entry per score triple) once per computation, so assigning a
 * million customers is one array read each and a caller's own rule table costs the same.
 *
 * The default table is the one of the `rfm` R package (Hebbali, rsquaredacademy/rfm,
 * vignette "RFM - Transaction Level Data", section "Segments"), with the changes
 * docs/segments.md explains: in the package's first-match order New Customers, Promising,
 * Can't Lose Them and Lost can never match (earlier, wider rules cover them), so the
 * narrow rules are moved before the wide rules that contain them, and Lost (identical
 * ranges to Hibernating there) is taken as its description says, the lowest scores 1-1-1. */
#include "family/family_int.h"

static const segkit_rfm_rule k_default_rules[] = {
    {"Champions", 4, 5, 4, 5, 4, 5},
    {"Loyal", 2, 5, 3, 5, 3, 5},
    {"New", 4, 5, 1, 1, 1, 1},
    {"Promising", 3, 4, 1, 1, 1, 1},
    {"Potential Loyalist", 3, 5, 1, 3, 1, 3},
    {"Need Attention", 2, 3, 2, 3, 2, 3},
    {"About to Sleep", 2, 3, 1, 2, 1, 2},
    {"Cannot Lose Them", 1, 1, 4, 5, 4, 5},
    {"At Risk", 1, 2, 2, 5, 2, 5},
    {"Lost", 1, 1, 1, 1, 1, 1},
    {"Hibernating", 1, 2, 1, 2, 1, 2},
};

const segkit_rfm_rule *segkit_rfm_rules_default(size_t *n) {
  if (n != NULL) {
    *n = sizeof k_default_rules / sizeof k_default_rules[0];
  }
  return k_default_rules;
}
