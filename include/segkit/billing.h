/* segkit/billing.h: Stripe billing exports turned into segkit's canonical tables.
 *
 * Users bring Stripe data as API objects (a list object {"object":"list","data":[...]},
 * a JSON array of objects, one object, or JSON Lines) of types customer, subscription,
 * invoice, charge and refund, or as the dashboard's CSV exports of customers and of
 * subscriptions. A segkit_stripe_import collects any number of such files and, at
 * _finish, gives three tables:
 *   customers      customer_id, created_at, email, name, country, currency, meta_<key>...
 *   subscriptions  one row per subscription item (or per span of constant terms when
 *                  invoices give the history), in the columns segkit_mrr_compute reads by
 *                  default (segkit_mrr_columns_default, segkit/metrics.h)
 *   transactions   the columns of docs/sample-data.md's transactions.csv
 * Every rule (minor units, which end date, discounts, refunds) is in docs/billing.md.
 *
 * Objects that are malformed or of an unsupported type do not stop an import: each is
 * kept in the list of skipped objects (file, line or array index, object id, reason, raw
 * JSON) so the caller can report it and quarantine it (segkit_stripe_import_rejects gives
 * them in the segkit_reject shape segkit_workspace_import takes). Only a file that cannot
 * be read, or is neither JSON nor a recognised dashboard CSV, is an error.
 *
 * Ownership: segkit_stripe_import_new returns a handle the caller frees with
 * segkit_stripe_import_free; the tables _finish returns belong to the caller (free each
 * with segkit_table_free). Skip records and rejects borrow from the handle: they stay
 * valid until the next _add_* call (which may grow the list) or, for rejects, the next
 * _rejects call after an _add_*, and at the latest until the handle is freed. A handle is
 * used by one thread at a time; different handles are independent. Nothing here prints. */
#ifndef SEGKIT_BILLING_H
#define SEGKIT_BILLING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/io.h"
#include "segkit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct segkit_stripe_import segkit_stripe_import;

/* The three output tables. */
typedef enum segkit_stripe_table {
  SEGKIT_STRIPE_CUSTOMERS = 0,
  SEGKIT_STRIPE_SUBSCRIPTIONS,
  SEGKIT_STRIPE_TRANSACTIONS,
  SEGKIT_STRIPE_N_TABLES
} segkit_stripe_table;

/* "customers", "subscriptions", "transactions"; NULL out of range. */
SEGKIT_API const char *segkit_stripe_table_name(segkit_stripe_table t);

/* Object types counted by the import. */
typedef enum segkit_stripe_object {
  SEGKIT_STRIPE_OBJ_CUSTOMER = 0,
  SEGKIT_STRIPE_OBJ_SUBSCRIPTION,
  SEGKIT_STRIPE_OBJ_INVOICE,
  SEGKIT_STRIPE_OBJ_CHARGE,
  SEGKIT_STRIPE_OBJ_REFUND,
  SEGKIT_STRIPE_OBJ_CSV_CUSTOMER,     /* a row of a dashboard customers export */
  SEGKIT_STRIPE_OBJ_CSV_SUBSCRIPTION, /* a row of a dashboard subscriptions export */
  SEGKIT_STRIPE_OBJ_OTHER,            /* any other "object" value, or none */
  SEGKIT_STRIPE_N_OBJECTS
} segkit_stripe_object;

/* "customer", "subscription", "invoice", "charge", "refund", "csv_customer",
 * "csv_subscription", "other"; NULL out of range. */
SEGKIT_API const char *segkit_stripe_object_name(segkit_stripe_object o);

/* Why an object (or part of one) was skipped. */
typedef enum segkit_stripe_skip_kind {
  SEGKIT_STRIPE_SKIP_MALFORMED = 0, /* a field of the wrong type or a required one missing */
  SEGKIT_STRIPE_SKIP_UNSUPPORTED,   /* an object type this import does not read */
  SEGKIT_STRIPE_SKIP_DUPLICATE,     /* an id already imported (the first one is kept) */
  SEGKIT_STRIPE_SKIP_NOT_PAID,      /* a charge that is not paid / succeeded: no row */
  SEGKIT_STRIPE_SKIP_WARNING,       /* imported, but part of it was ignored (reason says) */
  SEGKIT_STRIPE_SKIP_KIND_COUNT
} segkit_stripe_skip_kind;

/* "malformed", "unsupported", "duplicate", "not_paid", "warning"; NULL out of range. */
SEGKIT_API const char *segkit_stripe_skip_kind_name(segkit_stripe_skip_kind k);

typedef struct segkit_stripe_skip {
  segkit_stripe_skip_kind kind;
  const char *file;        /* the file given to _add_file (or the source name) */
  int64_t line;            /* 1-based line (JSON Lines, CSV), 0 if not known */
  int64_t index;           /* 0-based index in the array / list data, -1 if none */
  const char *object_type; /* the "object" value, "csv_subscription", ... or "" */
  const char *object_id;   /* the object's id, or "" when unknown */
  const char *reason;      /* e.g. "subscription sub_1: items.data[0].price.unit_amount
                              is a string, expected an integer" */
  const char *raw;         /* the object as JSON text (or the CSV row), for quarantine */
  size_t raw_len;
  int table; /* segkit_stripe_table the object would have fed, -1 if none */
} segkit_stripe_skip;

/* Counts: objects read per type, rows per output table, charges by outcome. */
typedef struct segkit_stripe_counts {
  int64_t objects[SEGKIT_STRIPE_N_OBJECTS];
  int64_t skipped[SEGKIT_STRIPE_SKIP_KIND_COUNT];
  int64_t rows[SEGKIT_STRIPE_N_TABLES]; /* filled by _finish */
  int64_t charges_paid;
  int64_t charges_not_paid;
  int64_t refunds_implied; /* refund rows made from amount_refunded without refund objects */
  int64_t files;
} segkit_stripe_counts;

SEGKIT_API segkit_status segkit_stripe_import_new(segkit_stripe_import **out, segkit_error *err);
/* NULL is a no-op. */
SEGKIT_API void segkit_stripe_import_free(segkit_stripe_import *imp);

/* Add a file: Stripe JSON (list object, array, single object, JSON Lines) or a dashboard
 * CSV export of customers or subscriptions, detected from the content. Errors: the file
 * cannot be read (SEGKIT_ERR_IO), is larger than 1 GiB (SEGKIT_ERR_LIMIT), is not JSON and
 * not a recognised CSV (SEGKIT_ERR_PARSE with the line and column), out of memory. Bad
 * objects inside a good file are skipped, not errors. After an error the handle still
 * holds what earlier files added (and whatever this file added before the error). */
SEGKIT_API segkit_status segkit_stripe_import_add_file(segkit_stripe_import *imp, const char *path,
                                                       segkit_error *err);
/* The same on bytes in memory; name is used in messages and skip records. */
SEGKIT_API segkit_status segkit_stripe_import_add_buffer(segkit_stripe_import *imp,
                                                         const char *name, const char *data,
                                                         size_t size, segkit_error *err);

/* Build the three tables from everything added. out[i] is the table of
 * segkit_stripe_table i; each belongs to the caller. Written only on success. May be called
 * once per handle (SEGKIT_ERR_USAGE the second time). */
SEGKIT_API segkit_status segkit_stripe_import_finish(segkit_stripe_import *imp,
                                                     segkit_table *out[SEGKIT_STRIPE_N_TABLES],
                                                     segkit_error *err);

SEGKIT_API const segkit_stripe_counts *segkit_stripe_import_counts(const segkit_stripe_import *imp);
/* Skipped objects in the order met; *n gets their number. */
SEGKIT_API const segkit_stripe_skip *segkit_stripe_import_skipped(const segkit_stripe_import *imp,
                                                                  size_t *n);
/* The malformed objects that would have fed `table`, as rejects for
 * segkit_import_request.rejects (reason SEGKIT_REJECT_BAD_JSON for JSON, BAD_VALUE for CSV
 * rows; message = the skip reason; raw = the object). Built at the first call after the last
 * _add_*; NULL with *n = 0 when there are none or on out-of-memory (*n = 0 then too). */
SEGKIT_API const segkit_reject *segkit_stripe_import_rejects(segkit_stripe_import *imp,
                                                             segkit_stripe_table table, size_t *n);

/* Minor units per major unit of a currency per Stripe's lists (case ignored): 1 for the
 * zero-decimal currencies (JPY, KRW, VND, CLP, ...), 1000 for BHD, JOD, KWD, OMR, TND, 100
 * for every other code. */
SEGKIT_API int64_t segkit_stripe_minor_per_major(const char *currency);

#ifdef __cplusplus
}
#endif
#endif
