/* clv_cli.h: the parts of segkit clv kept in files of their own. */
#ifndef SEGKIT_CLI_CLV_CLI_H
#define SEGKIT_CLI_CLV_CLI_H

#include "cli.h"
#include "segkit/clv.h"

/* clv fit --model sbg on a subscription history (--dataset NAME or the FILE after "fit"):
 * one fit per --by segment and one over all customers, printed; 0 or an exit code. */
int cli_clv_fit_history(cli_args *a, const segkit_clv_fit_options *o);

/* One sBG per segment of r (its --by split at each customer's first paying month) and one
 * over all customers, from r's month-end MRR (keep_customer_mrr) of the subscriptions it
 * was computed from; customers already paying before r's range are left out and counted.
 * Printed in format; 0 or an exit code (reported). A segment that cannot be fitted (no
 * churn seen) is printed as such; so is the overall fit unless overall_required, when it
 * is an error. The demo's step 9 and clv fit use it. */
int cli_clv_sbg_segments(const segkit_table *subscriptions, const segkit_mrr_result *r,
                         const char *customer_column, const segkit_clv_fit_options *o,
                         bool overall_required, cli_format format);

#endif
