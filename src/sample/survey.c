/* The prospect survey: survey.csv (one row per respondent, coded answers), its codebook
 * (survey_codebook.json) and the planted truth (survey_truth.csv). Key design choice: the
 * attitude battery is drawn from five segment profiles (item means on 1-5) plus noise and
 * a per-respondent response style, then rounded and clamped, so the segments are what a
 * researcher would find with k-means on the items, and the firmographics, role, budget and
 * purchase intent differ by segment as they would in a real needs-based segmentation. The
 * codebook is the single description of the questions: survey.csv is written from the
 * same tables. Respondent r draws from stream (seed, SK__STREAM_SURVEY, r). */
#include <math.h>
#include <string.h>

#include "sample/sample_int.h"

#define N_SEGMENTS 5
#define N_ITEMS 15
#define N_TOOLS 6

#define MISSING_DONT_KNOW 98
#define MISSING_REFUSED 99
#define BUDGET_DONT_KNOW 9998

/* ==== segments =========================================================================== */

static const char *const segment_names[N_SEGMENTS] = {
    "Time-pressed automators", "Budget seekers", "Compliance-first", "Tech integrators",
    "Hands-on support seekers"};
static const double segment_shares[N_SEGMENTS] = {26, 24, 18, 17, 15};

/* Mean of each theme (3 items each: automation, price, security, integration, service). */
static const double theme_means[N_SEGMENTS][5] = {
    {4.4, 2.8, 3.0, 3.3, 2.5}, {2.7, 4.5, 2.1, 2.2, 3.0}, {3.1, 2.3, 4.6, 3.3, 3.4},
    {3.5, 2.6, 3.3, 4.6, 1.8}, {2.6, 3.4, 2.8, 1.8, 4.5}};
/* Items within a theme differ a little, as real items do. */
static const double item_offsets[3] = {0.0, -0.25, 0.2};
#define ITEM_NOISE_SD 0.65
#define STYLE_SD 0.25        /* acquiescence: a respondent's shift on every item */
#define P_ITEM_DONT_KNOW 0.01

static const char *const item_texts[N_ITEMS] = {
    "Manual invoicing takes too much of our team's time.",
    "I would pay more for a tool that automates routine billing tasks.",
    "Automatic payment reminders would noticeably improve our cash flow.",
    "Price is the most important factor when we choose software.",
    "We prefer free or low-cost tools, even if they do less.",
    "I would switch providers to save 10% on costs.",
    "Security certifications (e.g. SOC 2, ISO 27001) are a must for us.",
    "Our data must be stored in our own region.",
    "We need a detailed audit trail of every change.",
    "A new tool must integrate with our existing systems through an API.",
    "We like to customise our software with scripts and webhooks.",
    "Our IT team evaluates every new tool before we buy it.",
    "Fast, human customer support matters more to us than features.",
    "We want hands-on onboarding help from the vendor.",
    "I prefer talking to a person to reading documentation."};

static const char *const likert_labels[5] = {"Strongly disagree", "Disagree",
                                             "Neither agree nor disagree", "Agree",
                                             "Strongly agree"};

/* ==== single-choice questions ============================================================= */

typedef struct choice_question {
  const char *name;
  const char *text;
  int n;
  const char *const *labels;
  double weights[N_SEGMENTS][11]; /* by segment */
} choice_question;

static const char *const gender_labels[] = {"Female", "Male", "Non-binary / other",
                                            "Prefer not to say"};
static const char *const role_labels[] = {"Owner / founder",  "Finance / accounting",
                                          "Operations",       "IT / engineering",
                                          "Sales / marketing", "Other"};
static const char *const region_labels[] = {"North America", "UK & Ireland", "DACH",
                                            "France & Benelux", "Nordics", "Southern Europe",
                                            "Rest of world"};
static const char *const tool_labels[] = {"Spreadsheets", "Accounting software",
                                          "Dedicated billing platform", "In-house system",
                                          "None"};

static const choice_question q_gender = {
    "gender", "What is your gender?", 4, gender_labels,
    {{46, 50, 2, 2}, {46, 50, 2, 2}, {46, 50, 2, 2}, {46, 50, 2, 2}, {46, 50, 2, 2}}};
static const choice_question q_role = {
    "role", "Which best describes your role?", 6, role_labels,
    {{20, 45, 20, 5, 5, 5}, {50, 15, 15, 5, 10, 5}, {8, 35, 20, 25, 4, 8},
     {15, 10, 10, 55, 5, 5}, {30, 15, 35, 5, 8, 7}}};
static const choice_question q_region = {
    "region", "Where is your company based?", 7, region_labels,
    {{35, 15, 15, 10, 8, 8, 9}, {30, 12, 8, 10, 5, 20, 15}, {25, 12, 30, 12, 8, 6, 7},
     {40, 12, 12, 8, 12, 5, 11}, {30, 15, 12, 12, 6, 15, 10}}};
static const choice_question q_size = {
    "company_size", "How many people does your company employ?", 5, sk__size_names,
    {{15, 35, 30, 15, 5}, {55, 30, 10, 4, 1}, {5, 15, 25, 30, 25}, {15, 30, 30, 17, 8},
     {35, 35, 20, 8, 2}}};
static const choice_question q_industry = {
    "industry", "Which industry is your company in?", 11, sk__industry_names,
    {{8, 25, 22, 8, 8, 5, 8, 3, 4, 7, 2},
     {10, 5, 12, 20, 8, 5, 3, 8, 10, 6, 13},
     {5, 8, 8, 4, 10, 25, 30, 4, 2, 3, 1},
     {40, 4, 10, 12, 6, 4, 8, 3, 8, 4, 1},
     {4, 6, 12, 18, 12, 10, 4, 14, 6, 6, 8}}};
static const choice_question q_tool = {
    "current_tool", "What do you mainly use for invoicing today?", 5, tool_labels,
    {{45, 35, 8, 7, 5}, {50, 25, 5, 5, 15}, {15, 30, 20, 30, 5}, {15, 20, 20, 40, 5},
     {40, 35, 10, 5, 10}}};

static const char *const revenue_labels[] = {"Under $1M", "$1M-$10M", "$10M-$50M",
                                             "$50M-$250M", "$250M or more"};
static const char *const tools_used_labels[N_TOOLS] = {
    "Spreadsheets", "Accounting software", "CRM", "Payment processor", "ERP", "BI dashboards"};
static const double tools_used_p[N_SEGMENTS][N_TOOLS] = {
    {0.85, 0.70, 0.40, 0.50, 0.20, 0.30}, {0.90, 0.40, 0.25, 0.35, 0.05, 0.10},
    {0.60, 0.70, 0.50, 0.50, 0.55, 0.45}, {0.60, 0.50, 0.60, 0.70, 0.40, 0.60},
    {0.80, 0.60, 0.35, 0.40, 0.15, 0.15}};
static const double age_mean[N_SEGMENTS] = {41, 38, 47, 36, 44};
static const double budget_median[N_SEGMENTS] = {300, 60, 800, 500, 200};
static const double intent_mean[N_SEGMENTS] = {4.0, 2.6, 3.2, 3.5, 3.0};

/* Open answers; some hold commas, quotes, a line break or non-ASCII text, as real ones do,
 * so a reader must handle RFC 4180 quoting. */
static const char *const comments[N_SEGMENTS][4] = {
    {"Invoicing eats two days a month, automation would pay for itself.",
     "We chase late payments by hand; automatic reminders are a must.",
     "Our accountant says \"automate it\" every quarter.",
     "Less manual work, please.\nRight now it's copy & paste between three tools."},
    {"Too expensive for a team our size.", "Free tier or nothing, honestly.",
     "We'd switch for a 10% saving, no question.",
     "Price matters most; features are nice-to-have."},
    {"Data must stay in the EU — non-negotiable for our auditors.",
     "We need SOC 2 and ISO 27001 reports before any purchase.",
     "Audit trail, audit trail, audit trail.",
     "Compliance signs off on everything (takes months)."},
    {"Open API and webhooks, or we won't consider it.",
     "Must sync with our ERP, CRM and data warehouse.", "We script everything; give us a CLI.",
     "Über-fast exports and good docs matter to our IT team."},
    {"We want a real person on the phone when something breaks.",
     "Onboarding help would make the difference for us.",
     "Support in our language (Français, Deutsch) is important.",
     "Please don't make me read the manual — ça suffit."}};
#define P_COMMENT 0.45

/* ==== one respondent ======================================================================= */

typedef struct respondent {
  int segment;
  int age;
  int gender, role, region, size, industry, revenue, tool;
  int tools_used[N_TOOLS];
  int budget;
  int items[N_ITEMS];
  int intent;
  int comment;             /* index into comments[segment], or -1 */
} respondent;

static int clamp_int(double x, int lo, int hi) {
  double r = floor(x + 0.5);
  if (r < lo) {
    return lo;
  }
  return r > hi ? hi : (int)r;
}

static int choose_code(sk__rng *r, const choice_question *q, int segment) {
  return 1 + sk__rng_choose(r, q->weights[segment], q->n);
}

/* The attitude items of a respondent of segment s (the same model for prospects and for
 * customers). */
static void draw_items(sk__rng *r, int s, int *items) {
  double style = STYLE_SD * sk__rng_normal(r);
  for (int i = 0; i < N_ITEMS; i++) {
    double mean = theme_means[s][i / 3] + item_offsets[i % 3] + style;
    items[i] = clamp_int(mean + ITEM_NOISE_SD * sk__rng_normal(r), 1, 5);
    if (sk__rng_chance(r, P_ITEM_DONT_KNOW)) {
      items[i] = MISSING_DONT_KNOW;
    }
  }
}

static void draw_respondent(const sk__world *w, int64_t index, respondent *p) {
  sk__rng r;
  sk__rng_init(&r, w->opt.seed, SK__STREAM_SURVEY, (uint64_t)index);
  int s = sk__rng_choose(&r, segment_shares, N_SEGMENTS);
  p->segment = s;
  p->age = clamp_int(age_mean[s] + 9.0 * sk__rng_normal(&r), 18, 75);
  if (sk__rng_chance(&r, 0.02)) {
    p->age = MISSING_REFUSED;
  }
  p->gender = choose_code(&r, &q_gender, s);
  p->role = choose_code(&r, &q_role, s);
  p->region = choose_code(&r, &q_region, s);
  p->size = choose_code(&r, &q_size, s);
  p->industry = choose_code(&r, &q_industry, s);
  /* Revenue follows headcount: the band of the size, one either way now and then. */
  int rev = p->size + (int)sk__rng_below(&r, 3) - 1;
  p->revenue = rev < 1 ? 1 : (rev > 5 ? 5 : rev);
  double u = sk__rng_uniform(&r);
  if (u < 0.05) {
    p->revenue = MISSING_DONT_KNOW;
  } else if (u < 0.08) {
    p->revenue = MISSING_REFUSED;
  }
  p->tool = choose_code(&r, &q_tool, s);
  for (int t = 0; t < N_TOOLS; t++) {
    p->tools_used[t] = sk__rng_chance(&r, tools_used_p[s][t]) ? 1 : 0;
  }
  double budget = budget_median[s] * (0.6 + 0.2 * p->size) * exp(0.5 * sk__rng_normal(&r));
  p->budget = clamp_int(budget / 10.0, 0, 500) * 10;
  if (sk__rng_chance(&r, 0.06)) {
    p->budget = BUDGET_DONT_KNOW;
  }
  draw_items(&r, s, p->items);
  p->intent = clamp_int(intent_mean[s] + 0.9 * sk__rng_normal(&r), 1, 5);
  p->comment = sk__rng_chance(&r, P_COMMENT) ? (int)sk__rng_below(&r, 4) : -1;
}

/* ==== survey.csv and survey_truth.csv ===================================================== */

static const char survey_header[] =
    "respondent_id,age,gender,role,region,company_size,industry,annual_revenue,current_tool,"
    "tools_used_1,tools_used_2,tools_used_3,tools_used_4,tools_used_5,tools_used_6,"
    "monthly_budget,att_01,att_02,att_03,att_04,att_05,att_06,att_07,att_08,att_09,att_10,"
    "att_11,att_12,att_13,att_14,att_15,purchase_intent,comment\n";

static char *put_int_field(char *p, int v) {
  p = sk__put_u64(p, (uint64_t)v);
  *p++ = ',';
  return p;
}

static char *survey_row(char *p, int64_t id, const respondent *r) {
  p = sk__put_u64(p, (uint64_t)id);
  *p++ = ',';
  const int fixed[] = {r->age, r->gender, r->role, r->region, r->size, r->industry, r->revenue,
                       r->tool};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    p = put_int_field(p, fixed[i]);
  }
  for (int t = 0; t < N_TOOLS; t++) {
    p = put_int_field(p, r->tools_used[t]);
  }
  p = put_int_field(p, r->budget);
  for (int i = 0; i < N_ITEMS; i++) {
    p = put_int_field(p, r->items[i]);
  }
  p = put_int_field(p, r->intent);
  if (r->comment >= 0) {
    const char *c = comments[r->segment][r->comment];
    p = sk__put_csv_field(p, c, strlen(c));
  }
  *p++ = '\n';
  return p;
}

static char *truth_row(char *p, int64_t id, const respondent *r) {
  p = sk__put_u64(p, (uint64_t)id);
  *p++ = ',';
  p = put_int_field(p, r->segment + 1);
  const char *name = segment_names[r->segment];
  p = sk__put_csv_field(p, name, strlen(name));
  *p++ = '\n';
  return p;
}

static segkit_status write_rows(const sk__world *w, sk__outfile *survey, sk__outfile *truth,
                                segkit_error *err) {
  segkit_status st = sk__outfile_write(survey, survey_header, strlen(survey_header), err);
  static const char truth_header[] = "respondent_id,segment,segment_name\n";
  if (st == SEGKIT_OK) {
    st = sk__outfile_write(truth, truth_header, strlen(truth_header), err);
  }
  for (int64_t i = 0; i < w->opt.n_respondents && st == SEGKIT_OK; i++) {
    respondent r;
    draw_respondent(w, i, &r);
    char line[1024];
    char *end = survey_row(line, i + 1, &r);
    st = sk__outfile_write(survey, line, (size_t)(end - line), err);
    if (st == SEGKIT_OK) {
      end = truth_row(line, i + 1, &r);
      st = sk__outfile_write(truth, line, (size_t)(end - line), err);
    }
  }
  return st;
}

/* ==== survey_codebook.json ================================================================ */

typedef struct json {
  sk__buf b;
  segkit_status st;
} json;

static void jraw(json *j, const char *s) {
  size_t n = strlen(s);
  if (j->st != SEGKIT_OK || sk__buf_reserve(&j->b, n) != SEGKIT_OK) {
    j->st = SEGKIT_ERR_NOMEM;
    return;
  }
  memcpy(j->b.data + j->b.len, s, n);
  j->b.len += n;
}

/* A JSON string: quotes, backslashes and control characters escaped; UTF-8 kept as is. */
static void jstr(json *j, const char *s) {
  size_t n = strlen(s);
  if (j->st != SEGKIT_OK || sk__buf_reserve(&j->b, 6 * n + 2) != SEGKIT_OK) {
    j->st = SEGKIT_ERR_NOMEM;
    return;
  }
  char *p = j->b.data + j->b.len;
  *p++ = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = (char)c;
    } else if (c == '\n') {
      *p++ = '\\';
      *p++ = 'n';
    } else if (c < 0x20) {
      static const char hex[] = "0123456789abcdef";
      memcpy(p, "\\u00", 4);
      p[4] = hex[c >> 4];
      p[5] = hex[c & 15];
      p += 6;
    } else {
      *p++ = (char)c;
    }
  }
  *p++ = '"';
  j->b.len = (size_t)(p - j->b.data);
}

static void jint(json *j, int64_t v) {
  char tmp[24];
  char *p = tmp;
  if (v < 0) {
    *p++ = '-';
    v = -v;
  }
  p = sk__put_u64(p, (uint64_t)v);
  *p = '\0';
  jraw(j, tmp);
}

/* "key": "value" members of an object; the key is a number rendered as a string. */
static void jlabel(json *j, int code, const char *label, bool first) {
  char key[16];
  char *p = sk__put_u64(key, (uint64_t)code);
  *p = '\0';
  jraw(j, first ? "" : ", ");
  jstr(j, key);
  jraw(j, ": ");
  jstr(j, label);
}

static void question_head(json *j, const char *name, const char *type, const char *text,
                          bool first) {
  jraw(j, first ? "\n    {" : ",\n    {");
  jraw(j, "\"name\": ");
  jstr(j, name);
  jraw(j, ", \"column\": ");
  jstr(j, name);
  jraw(j, ", \"type\": ");
  jstr(j, type);
  jraw(j, ",\n     \"text\": ");
  jstr(j, text);
}

static void missing_codes(json *j, int code, const char *label, int code2, const char *label2) {
  jraw(j, ",\n     \"missing\": {");
  jlabel(j, code, label, true);
  if (label2 != NULL) {
    jlabel(j, code2, label2, false);
  }
  jraw(j, "}");
}

static void choice_entry(json *j, const choice_question *q) {
  question_head(j, q->name, "single_choice", q->text, false);
  jraw(j, ",\n     \"values\": {");
  for (int i = 0; i < q->n; i++) {
    jlabel(j, i + 1, q->labels[i], i == 0);
  }
  jraw(j, "}}");
}

static int write_codebook_questions(json *j) {
  int n = 0;
  question_head(j, "age", "numeric", "How old are you?", true);
  jraw(j, ", \"unit\": \"years\", \"min\": 18, \"max\": 75");
  missing_codes(j, MISSING_REFUSED, "Refused", 0, NULL);
  jraw(j, "}");
  n++;
  const choice_question *firmo[] = {&q_gender, &q_role, &q_region, &q_size, &q_industry};
  for (size_t i = 0; i < sizeof firmo / sizeof firmo[0]; i++) {
    choice_entry(j, firmo[i]);
    n++;
  }
  question_head(j, "annual_revenue", "single_choice", "What is your company's annual revenue?",
                false);
  jraw(j, ",\n     \"values\": {");
  for (int i = 0; i < 5; i++) {
    jlabel(j, i + 1, revenue_labels[i], i == 0);
  }
  jraw(j, "}");
  missing_codes(j, MISSING_DONT_KNOW, "Don't know", MISSING_REFUSED, "Refused");
  jraw(j, "}");
  n++;
  choice_entry(j, &q_tool);
  n++;

  jraw(j, ",\n    {\"name\": \"tools_used\", \"type\": \"multiple_choice\",\n     \"text\": ");
  jstr(j, "Which of these tools does your company use? (select all that apply)");
  jraw(j, ",\n     \"options\": [");
  for (int t = 0; t < N_TOOLS; t++) {
    char col[32] = "tools_used_";
    char *p = sk__put_u64(col + strlen(col), (uint64_t)t + 1);
    *p = '\0';
    jraw(j, t == 0 ? "{\"column\": " : ", {\"column\": ");
    jstr(j, col);
    jraw(j, ", \"label\": ");
    jstr(j, tools_used_labels[t]);
    jraw(j, "}");
  }
  jraw(j, "],\n     \"values\": {\"0\": \"Not selected\", \"1\": \"Selected\"}}");
  n++;

  question_head(j, "monthly_budget", "numeric",
                "Roughly how much would you spend per month on invoicing software (USD)?", false);
  jraw(j, ", \"unit\": \"USD per month\", \"min\": 0, \"max\": 5000");
  missing_codes(j, BUDGET_DONT_KNOW, "Don't know", 0, NULL);
  jraw(j, "}");
  n++;

  for (int i = 0; i < N_ITEMS; i++) {
    char name[8] = "att_";
    name[4] = (char)('0' + (i + 1) / 10);
    name[5] = (char)('0' + (i + 1) % 10);
    name[6] = '\0';
    question_head(j, name, "likert", item_texts[i], false);
    jraw(j, ",\n     \"battery\": \"attitudes\", \"scale\": {\"min\": 1, \"max\": 5}");
    jraw(j, ",\n     \"values\": {");
    for (int v = 0; v < 5; v++) {
      jlabel(j, v + 1, likert_labels[v], v == 0);
    }
    jraw(j, "}");
    missing_codes(j, MISSING_DONT_KNOW, "Don't know", 0, NULL);
    jraw(j, "}");
    n++;
  }
  question_head(j, "purchase_intent", "likert",
                "How likely are you to buy a new invoicing tool in the next 12 months?", false);
  jraw(j, ", \"scale\": {\"min\": 1, \"max\": 5},\n     \"values\": {");
  static const char *const intent_labels[5] = {"Very unlikely", "Unlikely", "Not sure",
                                               "Likely", "Very likely"};
  for (int v = 0; v < 5; v++) {
    jlabel(j, v + 1, intent_labels[v], v == 0);
  }
  jraw(j, "}}");
  n++;
  question_head(j, "comment", "open_text",
                "Is there anything else you would like to tell us about invoicing?", false);
  jraw(j, "}");
  n++;
  return n;
}

static segkit_status write_codebook(const sk__world *w, sk__outfile *f, int64_t *n_questions,
                                    segkit_error *err) {
  json j;
  memset(&j, 0, sizeof j);
  jraw(&j, "{\n  \"title\": ");
  jstr(&j, "Prospect survey: billing and invoicing software (segkit sample data)");
  jraw(&j, ",\n  \"id_column\": \"respondent_id\",\n  \"n_respondents\": ");
  jint(&j, w->opt.n_respondents);
  jraw(&j, ",\n  \"types\": [\"single_choice\", \"multiple_choice\", \"likert\", "
           "\"numeric\", \"open_text\"],\n  \"questions\": [");
  int n = write_codebook_questions(&j);
  jraw(&j, "\n  ]\n}\n");
  segkit_status st = j.st;
  if (st != SEGKIT_OK) {
    sk__buf_free(&j.b);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the survey codebook");
  }
  st = sk__outfile_write(f, j.b.data, j.b.len, err);
  sk__buf_free(&j.b);
  *n_questions = n;
  return st;
}

segkit_status sk__survey_write(const sk__world *w, sk__outfile *survey, sk__outfile *codebook,
                               sk__outfile *truth, segkit_sample_summary *sum,
                               segkit_error *err) {
  segkit_status st = write_rows(w, survey, truth, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  sum->rows[SEGKIT_SAMPLE_SURVEY] = w->opt.n_respondents;
  sum->rows[SEGKIT_SAMPLE_SURVEY_TRUTH] = w->opt.n_respondents;
  return write_codebook(w, codebook, &sum->rows[SEGKIT_SAMPLE_SURVEY_CODEBOOK], err);
}

/* ==== customer_survey.csv ================================================================== */

/* The company's own customers are not the market: automators and integrators, who buy
 * billing software to save time, are over-represented; budget seekers are rare (the
 * product is not the cheapest). The bridge (segkit survey bridge) should find this mix
 * against the market's segment_shares. Order as segment_names. */
static const double customer_segment_shares[N_SEGMENTS] = {40, 5, 20, 25, 10};
#define P_CUSTOMER_ANSWERS 0.3

segkit_status sk__customer_survey_write(const sk__world *w, sk__outfile *f,
                                        segkit_sample_summary *sum, segkit_error *err) {
  char line[512];
  char *p = line;
  static const char head[] = "customer_id";
  memcpy(p, head, sizeof head - 1);
  p += sizeof head - 1;
  for (int i = 0; i < N_ITEMS; i++) {
    p += snprintf(p, 16, ",att_%02d", i + 1);
  }
  *p++ = '\n';
  segkit_status st = sk__outfile_write(f, line, (size_t)(p - line), err);
  int64_t rows = 0;
  for (int64_t c = 1; c <= w->opt.n_customers && st == SEGKIT_OK; c++) {
    sk__rng r;
    sk__rng_init(&r, w->opt.seed, SK__STREAM_CUSTOMER_SURVEY, (uint64_t)c);
    if (!sk__rng_chance(&r, P_CUSTOMER_ANSWERS)) {
      continue;
    }
    int s = sk__rng_choose(&r, customer_segment_shares, N_SEGMENTS);
    int items[N_ITEMS];
    draw_items(&r, s, items);
    p = line + snprintf(line, 32, "%lld", (long long)c);
    for (int i = 0; i < N_ITEMS; i++) {
      /* a customer survey tool leaves "don't know" blank rather than coding it 98 */
      p = items[i] == MISSING_DONT_KNOW ? p + snprintf(p, 4, ",")
                                        : p + snprintf(p, 8, ",%d", items[i]);
    }
    *p++ = '\n';
    st = sk__outfile_write(f, line, (size_t)(p - line), err);
    rows++;
  }
  sum->rows[SEGKIT_SAMPLE_CUSTOMER_SURVEY] = rows;
  return st;
}

/* ==== survey_margins.csv ==================================================================== */

/* The market the survey was drawn from has more budget seekers than the sample reached
 * (micro businesses answer surveys less): order as segment_names. survey_margins.csv
 * gives the population's company-size and region shares under this mix, computed from the
 * same per-segment answer weights the respondents are drawn with, so raking the sample to
 * them moves its segment shares from segment_shares towards these. */
static const double market_segment_shares[N_SEGMENTS] = {22, 34, 14, 16, 14};

static segkit_status write_margin(sk__outfile *f, const choice_question *q, int64_t *rows,
                                  segkit_error *err) {
  double total = 0;
  for (int s = 0; s < N_SEGMENTS; s++) {
    total += market_segment_shares[s];
  }
  segkit_status st = SEGKIT_OK;
  for (int c = 0; c < q->n && st == SEGKIT_OK; c++) {
    double share = 0;
    for (int s = 0; s < N_SEGMENTS; s++) {
      double row = 0;
      for (int k = 0; k < q->n; k++) {
        row += q->weights[s][k];
      }
      share += market_segment_shares[s] / total * q->weights[s][c] / row;
    }
    char line[256];
    char *p = line + snprintf(line, 64, "%s,", q->name);
    p = sk__put_csv_field(p, q->labels[c], strlen(q->labels[c]));
    p += snprintf(p, 32, ",%.6f\n", share);
    st = sk__outfile_write(f, line, (size_t)(p - line), err);
    (*rows)++;
  }
  return st;
}

segkit_status sk__survey_margins_write(sk__outfile *f, segkit_sample_summary *sum,
                                       segkit_error *err) {
  static const char head[] = "variable,category,share\n";
  int64_t rows = 0;
  segkit_status st = sk__outfile_write(f, head, sizeof head - 1, err);
  if (st == SEGKIT_OK) {
    st = write_margin(f, &q_size, &rows, err);
  }
  if (st == SEGKIT_OK) {
    st = write_margin(f, &q_region, &rows, err);
  }
  sum->rows[SEGKIT_SAMPLE_SURVEY_MARGINS] = rows;
  return st;
}
