/* clv_cli.h: the parts of segkit clv kept in files of their own. */
#ifndef SEGKIT_CLI_CLV_CLI_H
#define SEGKIT_CLI_CLV_CLI_H

#include "cli.h"
#include "segkit/clv.h"

/* clv fit --model sbg on a subscription history (--dataset NAME or the FILE after "fit"):
 * one fit per --by segment and one over all customers, printed; 0 or an exit code. */
int cli_clv_fit_history(cli_args *a, const segkit_clv_fit_options *o);

#endif
