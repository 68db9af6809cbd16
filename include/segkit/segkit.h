/* segkit/segkit.h: the whole public API of libsegkit in one include.
 * Each module's header says what it is for and who owns what. */
#ifndef SEGKIT_SEGKIT_H
#define SEGKIT_SEGKIT_H

#include "segkit/error.h"
#include "segkit/version.h"
#include "segkit/datetime.h"
#include "segkit/table.h"
#include "segkit/io.h"
#include "segkit/workspace.h"
#include "segkit/describe.h"
#include "segkit/sample.h"
#include "segkit/survival.h"
#include "segkit/metrics.h"
#include "segkit/billing.h"
#include "segkit/segment.h"
#include "segkit/segeval.h"
#include "segkit/family.h"
#include "segkit/cluster.h"
#include "segkit/export.h"
#include "segkit/clv.h"
#include "segkit/survey.h"
#include "segkit/survey_file.h"
#include "segkit/insight.h"
#include "segkit/server.h"
#include "segkit/report.h"


#endif
