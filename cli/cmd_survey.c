/* segkit survey: market segmentation from survey data. import reads responses with their
 * codebook (SPSS, Stata, or CSV with a codebook); weight rakes respondents to
 * population margins and stores the weights with the dataset; crosstab tabulates a
 * question by another with column letters and the chi-square test; size gives each
 * segment's share with its interval and projects it onto a population. The statistics are
 * the survey module's (include/segkit/survey.h), checked against R's survey package. */
#include <string.h>

#include "survey_cli.h"

static const cli_opt survey_opts[] = {
    {"codebook", CLI_OPT_VALUE, "FILE", "import: the codebook of CSV responses (CSV variable,question,type,code,label,missing, or the questionnaire JSON segkit generate writes)"},
    {"as", CLI_OPT_VALUE, "NAME", "import: the dataset to store the responses as; type: store the typed rows (id, segment) as this dataset"},
    {"bad-values", CLI_OPT_VALUE, "FILE", "import: write every value that did not fit its question to FILE (CSV)"},
    {"labels-exhaustive", CLI_OPT_FLAG, NULL, "import: an SPSS/Stata file's value labels list every valid code (others are bad values)"},
    {"dataset", CLI_OPT_VALUE, "NAME", "crosstab, size: the survey in the workspace (or give a FILE)"},
    {"margins", CLI_OPT_VALUE, "FILE", "weight: population margins, CSV variable,category,share (a category may be a range 18-24 or 65+ of a numeric column)"},
    {"id", CLI_OPT_VALUE, "COL", "import: the respondent id column (kept first, unique); weight: the id column (default: the first)"},
    {"trim", CLI_OPT_VALUE, "LO,HI", "weight: keep weights within LO..HI x the mean weight, raking again after trimming (e.g. 0.3,3)"},
    {"population", CLI_OPT_VALUE, "N", "weight: weights sum to N (default: the respondents); size, bridge: the people or companies in the market"},
    {"base-weight", CLI_OPT_VALUE, "COL", "weight: design weights to start from (default 1)"},
    {"weight-col", CLI_OPT_VALUE, "NAME", "weight: the column the weights are stored in (default weight)"},
    {"max-iter", CLI_OPT_VALUE, "N", "weight: raking cycles at most (default 100)"},
    {"by", CLI_OPT_VALUE, "COL", "crosstab: the column question or segment; size, profile: the segment"},
    {"weighted", CLI_OPT_FLAG, NULL, "crosstab, size: weight by the column 'weight' (what survey weight stores)"},
    {"weight", CLI_OPT_VALUE, "COL", "crosstab, size: weight by this column"},
    {"mean", CLI_OPT_FLAG, NULL, "crosstab: the question is a scale: its mean per column, with standard errors and letters"},
    {"adjust", CLI_OPT_VALUE, "M", "crosstab: correction of the column tests within a row: bonferroni (default), holm, none"},
    {"alpha", CLI_OPT_VALUE, "A", "crosstab: significance level of the column letters; profile: false-discovery rate (default 0.05)"},
    {"small-base", CLI_OPT_VALUE, "N", "crosstab: flag columns with a (weighted) base under N (default 30)"},
    {"conf", CLI_OPT_VALUE, "LEVEL", "size: confidence level of the intervals (default 0.95)"},
    {"serviceable", CLI_OPT_VALUE, "RULE", "size: who the business can serve, a rule over the survey's columns (e.g. 'region in (1, 2)'): adds SAM"},
    {"reachable", CLI_OPT_VALUE, "P", "size: share of the serviceable market it can reach (0..1, an assumption): adds SOM"},
    {"value", CLI_OPT_VALUE, "V", "size: a year's value per customer: the market in money"},
    {"segments", CLI_OPT_VALUE, "NAME", "profile, typing: take --by from this dataset, matched by the respondent id (the labels cluster fit --save stores)"},
    {"questions", CLI_OPT_VALUE, "Q,Q", "profile: the questions to profile (default: the codebook's coded questions, or columns with 2-20 answers); typing: the candidates (default: scales and numeric questions)"},
    {"top", CLI_OPT_VALUE, "N", "profile: distinguishing answers shown per segment (default 5)"},
    {"items", CLI_OPT_VALUE, "A,B|PREFIX*", "segment: the attitude battery (a list, or a prefix like 'att_*')"},
    {"method", CLI_OPT_VALUE, "M", "segment: kmeans (default), gmm, or lca (latent classes on the answers as categories)"},
    {"k", CLI_OPT_VALUE, "K|A..B", "segment: segments, or a range to sweep and recommend from (default 2..8)"},
    {"factors", CLI_OPT_VALUE, "N", "segment: components kept and rotated (default: eigenvalue > 1)"},
    {"on", CLI_OPT_VALUE, "WHAT", "segment: cluster the items (default) or the kept factors' scores"},
    {"missing", CLI_OPT_VALUE, "M", "segment: no answer to an item: mean (default) or drop the respondent"},
    {"names", CLI_OPT_VALUE, "A,B,...", "segment: a name per segment, kept with the model and as the labels' column 'segment'"},
    {"value-col", CLI_OPT_VALUE, "COL", "target: what a respondent is worth (e.g. monthly_budget): the value criterion"},
    {"fit-col", CLI_OPT_VALUE, "COL", "target: how well the offer fits (e.g. purchase_intent): the fit criterion"},
    {"segment", CLI_OPT_VALUE, "NAME", "target: the segment to profile (default: the best ranked)"},
    {"typing", CLI_OPT_VALUE, "MODEL", "target: a typing model to place --customers in the segments (their index and, with --subscriptions, LTV join the ranking)"},
    {"max-questions", CLI_OPT_VALUE, "N", "typing: golden questions at most (default 8)"},
    {"folds", CLI_OPT_VALUE, "N", "typing: cross-validation folds (default 5)"},
    {"save", CLI_OPT_VALUE, "NAME", "segment: keep the segmentation (model and labels dataset NAME); typing: keep the model as NAME (for survey type)"},
    {"out", CLI_OPT_VALUE, "FILE", "type: write the typed rows to FILE"},
    {"customers", CLI_OPT_VALUE, "NAME", "bridge, target: our customers (a dataset with the golden questions' answers)"},
    {"subscriptions", CLI_OPT_VALUE, "NAME", "bridge, target: their subscription history: MRR, churn and LTV per segment"},
    {"rates", CLI_OPT_VALUE, "RATES", "bridge: currency rates to the reporting currency (USD=1,EUR=1.08)"},
    {"as-of", CLI_OPT_VALUE, "DATE", "bridge: the day the customers' state is read on (default: the history's last day)"},
};

static int run_survey(cli_args *a) {
  const char *sub = a->n_positional > 0 ? a->positional[0] : "";
  if (strcmp(sub, "import") == 0) {
    return survey_import(a);
  }
  if (strcmp(sub, "weight") == 0) {
    return survey_weight(a);
  }
  if (strcmp(sub, "crosstab") == 0) {
    return survey_crosstab(a);
  }
  if (strcmp(sub, "size") == 0) {
    return survey_size(a);
  }
  if (strcmp(sub, "profile") == 0) {
    return survey_profile(a);
  }
  if (strcmp(sub, "typing") == 0) {
    return survey_typing(a);
  }
  if (strcmp(sub, "type") == 0) {
    return survey_type(a);
  }
  if (strcmp(sub, "bridge") == 0) {
    return survey_bridge(a);
  }
  if (strcmp(sub, "segment") == 0) {
    return survey_segment(a);
  }
  if (strcmp(sub, "target") == 0) {
    return survey_target(a);
  }
  return cli_usage_error("survey", "expected a subcommand: import, weight, crosstab, size, segment, profile, target, typing, type, bridge");
}

const cli_verb cli_verb_survey = {
    .name = "survey",
    .summary = "surveys: weights by raking, crosstabs with significance letters, segment sizes",
    .usage = "segkit survey import FILE [--codebook FILE] --as NAME [--id COL] | weight NAME "
             "--margins FILE [--trim LO,HI] | crosstab Q --by Q2 "
             "(--dataset NAME | FILE) [--weighted] | size --by SEGMENT (--dataset NAME | FILE) "
             "[--weighted] [--population N [--serviceable RULE] [--reachable P] [--value V]] | "
             "segment --items A,B,... (--dataset NAME | FILE) [--k A..B] [--save NAME] | profile --by SEGMENT (--dataset NAME | FILE) "
             "[--segments NAME] | target --by SEGMENT (--dataset NAME | FILE) [--value-col COL] "
             "[--fit-col COL] | typing --by SEGMENT (--dataset NAME | FILE) [--max-questions N] "
             "[--save NAME] | type MODEL (--dataset NAME | FILE) [--as NAME] | bridge MODEL "
             "--customers NAME [--population N] [--subscriptions NAME]",
    .description =
        "import reads survey responses: SPSS .sav/.zsav and Stata .dta with their labels and\n"
        "missing values, or CSV with --codebook; missing codes (don't know, refused) become\n"
        "no answer with the reason kept in COL_missing, values that do not fit a question are\n"
        "listed (file:line, respondent, question) and stored as no answer; the codebook is\n"
        "kept with the dataset and labels the answers in crosstab and size.\n"
        "weight rakes a survey dataset's respondents to population margins (iterative\n"
        "proportional fitting, as R's survey::rake; --trim as trimWeights) and stores the\n"
        "weights as its column 'weight'; it prints achieved against target margins, the\n"
        "design effect and the effective sample size, or with --format csv id,weight per\n"
        "respondent. crosstab tabulates a question by another (or by a segment): column\n"
        "percentages with the letters of the columns each is significantly above\n"
        "(two-proportion z-tests, Bonferroni within a row by default), bases with small ones\n"
        "flagged, and the chi-square test (Pearson; Rao-Scott when weighted). JSON: {\"rows\":\n"
        "[{\"label\", \"cells\": [{\"count\", \"col_pct\", \"row_pct\", \"higher_than\"}]}],\n"
        "\"columns\": [...], \"chi2\", \"df\", \"p\"}. size gives each segment's share with a\n"
        "logit interval (svyciprop) and, with --population, the market: TAM (share x N),\n"
        "SAM (in the segment and --serviceable), SOM (SAM x --reachable), each with its\n"
        "interval, and in money with --value.\n"
        "segment finds needs-based segments in an attitude battery: principal components\n"
        "with varimax-rotated loadings (the battery's factors), then k-means or a mixture on\n"
        "the items or the factors, one k or a sweep that recommends; --save keeps it.\n"
        "profile, size, target and typing take the segments from --by (a column, or with\n"
        "--segments NAME one of the labels a segmentation stored), or a saved segmentation as\n"
        "their first argument (survey profile MODEL).\n"
        "profile compares every segment with the rest on every question: shares, index\n"
        "(segment % / total % x 100), z-tests corrected by Benjamini-Hochberg over all of\n"
        "them, and per segment the answers that most set it apart.\n"
        "target ranks the segments on size, value and fit and writes the chosen one's ideal\n"
        "customer profile from its distinguishing answers, each clause with its evidence.\n"
        "typing chooses up to --max-questions golden questions (scales and numbers) that\n"
        "type respondents into the segments (forward selection, cross-validated linear\n"
        "discriminant analysis), with the accuracy of a held-out part; type classifies new\n"
        "respondents or customers who answered them. bridge types our customers into the\n"
        "market's segments and prints, per segment, its market share and size, our\n"
        "customers in it, the index of our share against the market's and the penetration.",
    .opts = survey_opts,
    .n_opts = sizeof survey_opts / sizeof survey_opts[0],
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_survey,
};
