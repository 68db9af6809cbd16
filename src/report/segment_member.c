/* The segment option: a stored segment's members, evaluated now, as a table the views
 * join to the subscription history (customer key, "member" / "rest").
 *
 * Evaluation itself (the rule, its linked datasets, in_segment() references) is the
 * segment module's one library call; this file only turns its bitset into the table. */
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

segkit_status sk__segment_membership(sk_ctx *c, const char *segment, segkit_table **out,
                                     segkit_error *err) {
  (void)c;
  (void)out;
  return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, "segment",
                             "segment '%s': evaluating stored segments in views is not wired "
                             "yet",
                             segment);
}
