/* Vocabularies of the sample data: countries with their currency, cities, surnames and
 * legal forms (the source of the non-ASCII text: "Zürich", "Société Lefèvre SARL"),
 * industries, channels, plans and list prices, product features. Everything is static
 * const data, so the tables are shared by all threads without locking. Weights are
 * relative; they need not sum to one. */
#include "sample/sample_int.h"

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- countries -------------------------------------------------------------------------- */

static const char *const en_surnames[] = {
    "Smith", "Johnson", "Carter", "Miller", "Brooks", "Hayes", "Walker", "Bennett",
    "Foster", "Reed", "Parker", "Collins", "Morgan", "Turner", "Ellis", "Hughes"};
static const char *const us_forms[] = {"Inc", "LLC", "Corp", "Co"};
static const char *const gb_forms[] = {"Ltd", "LLP", "plc"};
static const char *const ca_forms[] = {"Inc", "Ltd", "Ltée"};
static const char *const au_forms[] = {"Pty Ltd", "Ltd"};
static const char *const de_surnames[] = {"Müller", "Schröder", "Weiß", "Köhler", "Bäcker",
                                          "Schmidt", "Wagner", "Krüger", "Hoffmann", "Groß"};
static const char *const de_forms[] = {"GmbH", "AG", "GmbH & Co. KG"};
static const char *const ch_forms[] = {"AG", "GmbH", "SA", "Sàrl"};
static const char *const fr_surnames[] = {"Lefèvre", "Dubois", "Moreau", "Girard", "Bérenger",
                                          "Lemaître", "Roussel", "Fontaine", "Mercier"};
static const char *const fr_forms[] = {"SARL", "SA", "SAS"};
static const char *const nl_surnames[] = {"de Vries", "Jansen", "van Dijk", "Bakker", "Visser",
                                          "de Boer", "Mulder"};
static const char *const nl_forms[] = {"B.V.", "N.V."};
static const char *const be_forms[] = {"BV", "NV", "SRL"};
static const char *const se_surnames[] = {"Åström", "Sjöberg", "Lindqvist", "Öberg", "Nyström",
                                          "Bergström", "Håkansson"};
static const char *const nordic_forms[] = {"AB", "AS", "ApS", "Oy"};
static const char *const dk_surnames[] = {"Jørgensen", "Sørensen", "Nielsen", "Møller",
                                          "Kristensen"};
static const char *const es_surnames[] = {"García", "Muñoz", "Peña", "Ibáñez", "Castaño",
                                          "Romero", "Navarro"};
static const char *const es_forms[] = {"S.L.", "S.A."};
static const char *const it_surnames[] = {"Rossi", "Bianchi", "Esposito", "Ricci", "Marino",
                                          "Gallo", "Conti"};
static const char *const it_forms[] = {"S.r.l.", "S.p.A."};
static const char *const pl_surnames[] = {"Kowalski", "Wiśniewski", "Wójcik", "Łukasik",
                                          "Zieliński", "Dąbrowski"};
static const char *const pl_forms[] = {"sp. z o.o.", "S.A."};
static const char *const br_surnames[] = {"Gonçalves", "Araújo", "Simões", "Conceição",
                                          "Silva", "Loureiro"};
static const char *const br_forms[] = {"Ltda.", "S.A."};
static const char *const ie_surnames[] = {"O'Brien", "Murphy", "Ó Súilleabháin", "Kelly",
                                          "O'Connor", "Byrne"};
static const char *const jp_surnames[] = {"Tanaka", "Suzuki", "Satō", "Itō", "Yamamoto",
                                          "Kōno"};
static const char *const jp_forms[] = {"K.K.", "G.K."};
static const char *const in_surnames[] = {"Sharma", "Patel", "Iyer", "Reddy", "Banerjee",
                                          "Nair"};
static const char *const in_forms[] = {"Pvt Ltd", "LLP"};

static const char *const us_cities[] = {"New York", "San Francisco", "Austin", "Chicago",
                                        "Seattle", "Boston", "Denver", "Atlanta"};
static const char *const gb_cities[] = {"London", "Manchester", "Edinburgh", "Bristol",
                                        "Leeds"};
static const char *const de_cities[] = {"Berlin", "München", "Köln", "Düsseldorf", "Hamburg",
                                        "Nürnberg"};
static const char *const fr_cities[] = {"Paris", "Lyon", "Orléans", "Nîmes", "Toulouse"};
static const char *const ca_cities[] = {"Toronto", "Montréal", "Québec", "Vancouver"};
static const char *const nl_cities[] = {"Amsterdam", "Rotterdam", "Utrecht", "Den Haag"};
static const char *const ch_cities[] = {"Zürich", "Genève", "Basel", "Bern"};
static const char *const se_cities[] = {"Stockholm", "Göteborg", "Malmö", "Uppsala"};
static const char *const es_cities[] = {"Madrid", "Barcelona", "Málaga", "Córdoba"};
static const char *const it_cities[] = {"Milano", "Roma", "Torino", "Forlì"};
static const char *const au_cities[] = {"Sydney", "Melbourne", "Brisbane"};
static const char *const br_cities[] = {"São Paulo", "Rio de Janeiro", "Belo Horizonte"};
static const char *const pl_cities[] = {"Warszawa", "Kraków", "Łódź", "Gdańsk"};
static const char *const ie_cities[] = {"Dublin", "Cork", "Galway"};
static const char *const at_cities[] = {"Wien", "Graz", "Linz"};
static const char *const be_cities[] = {"Bruxelles", "Antwerpen", "Liège"};
static const char *const dk_cities[] = {"København", "Aarhus", "Odense"};
static const char *const no_cities[] = {"Oslo", "Bergen", "Tromsø"};
static const char *const jp_cities[] = {"Tōkyō", "Ōsaka", "Kyōto"};
static const char *const in_cities[] = {"Bengaluru", "Mumbai", "Pune"};

#define COUNTRY(code, w, cur, cities, surnames, forms) \
  {code, w, cur, cities, N_OF(cities), surnames, N_OF(surnames), forms, N_OF(forms)}

const sk__country sk__countries[] = {
    COUNTRY("US", 30, SK__USD, us_cities, en_surnames, us_forms),
    COUNTRY("GB", 10, SK__GBP, gb_cities, en_surnames, gb_forms),
    COUNTRY("DE", 10, SK__EUR, de_cities, de_surnames, de_forms),
    COUNTRY("FR", 7, SK__EUR, fr_cities, fr_surnames, fr_forms),
    COUNTRY("CA", 5, SK__USD, ca_cities, en_surnames, ca_forms),
    COUNTRY("NL", 4, SK__EUR, nl_cities, nl_surnames, nl_forms),
    COUNTRY("CH", 3, SK__EUR, ch_cities, de_surnames, ch_forms),
    COUNTRY("SE", 3, SK__EUR, se_cities, se_surnames, nordic_forms),
    COUNTRY("ES", 4, SK__EUR, es_cities, es_surnames, es_forms),
    COUNTRY("IT", 4, SK__EUR, it_cities, it_surnames, it_forms),
    COUNTRY("AU", 4, SK__USD, au_cities, en_surnames, au_forms),
    COUNTRY("BR", 3, SK__USD, br_cities, br_surnames, br_forms),
    COUNTRY("PL", 3, SK__EUR, pl_cities, pl_surnames, pl_forms),
    COUNTRY("IE", 2, SK__EUR, ie_cities, ie_surnames, gb_forms),
    COUNTRY("AT", 2, SK__EUR, at_cities, de_surnames, de_forms),
    COUNTRY("BE", 2, SK__EUR, be_cities, nl_surnames, be_forms),
    COUNTRY("DK", 1.5, SK__EUR, dk_cities, dk_surnames, nordic_forms),
    COUNTRY("NO", 1.5, SK__EUR, no_cities, dk_surnames, nordic_forms),
    COUNTRY("JP", 2, SK__USD, jp_cities, jp_surnames, jp_forms),
    COUNTRY("IN", 3, SK__USD, in_cities, in_surnames, in_forms),
};
const int sk__n_countries = N_OF(sk__countries);

/* ---- firmographics ---------------------------------------------------------------------- */

const char *const sk__size_names[SK__N_SIZES] = {"1-10", "11-50", "51-200", "201-1000",
                                                 "1000+"};

const char *const sk__industry_names[] = {
    "Software",      "Accounting",           "Professional services", "Retail & e-commerce",
    "Manufacturing", "Healthcare",           "Financial services",    "Education",
    "Media",         "Logistics",            "Non-profit"};
const double sk__industry_weights[] = {16, 9, 14, 12, 9, 8, 7, 6, 6, 7, 6};
const int sk__n_industries = N_OF(sk__industry_names);
const int sk__industry_accounting = 1;

const char *const sk__channel_names[] = {"organic_search", "paid_search", "referral", "partner",
                                         "outbound_sales", "content",     "social"};
const int sk__n_channels = N_OF(sk__channel_names);

/* ---- plans and prices --------------------------------------------------------------------- */

const char *const sk__plan_names[SK__N_PLANS] = {"starter", "pro", "business", "enterprise"};
const char *const sk__currency_codes[SK__N_CURRENCIES] = {"USD", "EUR", "GBP"};

/* Per seat; annual is ten months' price ("two months free"), the usual SaaS convention. */
const int32_t sk__price_cents[SK__N_PLANS][2][SK__N_CURRENCIES] = {
    {{1200, 1100, 990}, {12000, 11000, 9900}},
    {{2900, 2700, 2400}, {29000, 27000, 24000}},
    {{5900, 5500, 4900}, {59000, 55000, 49000}},
    {{9900, 9200, 8200}, {99000, 92000, 82000}},
};

/* ---- company names ---------------------------------------------------------------------- */

const char *const sk__company_nouns[] = {
    "Analytics", "Logistics", "Consulting", "Software", "Partners", "Labs",    "Studio",
    "Systems",   "Foods",     "Health",     "Solutions", "Works",   "Digital", "Capital",
    "Design",    "Energy",    "Robotics",   "Media",     "Supply",  "Ventures"};
const int sk__n_company_nouns = N_OF(sk__company_nouns);

const char *const sk__company_adjectives[] = {
    "Blue",  "Northern", "Bright", "Silver", "Granite", "Summit",  "Harbor", "Evergreen",
    "Rapid", "Crystal",  "Golden", "Urban",  "Pioneer", "Coastal", "Vertex", "Lumen"};
const int sk__n_company_adjectives = N_OF(sk__company_adjectives);

/* ---- product features --------------------------------------------------------------------- */

const char *const sk__feature_names[] = {"dashboards", "reports", "invoice_automation",
                                         "integrations", "api", "export", "team_management"};
const double sk__feature_weights[] = {30, 25, 0, 12, 8, 15, 10};
const int sk__n_features = N_OF(sk__feature_names);
const int sk__feature_invoice_automation = 2;
