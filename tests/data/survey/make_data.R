# Synthetic survey for the survey-module tests: 1,500 respondents whose sample is skewed
# against known population margins (young people, the West and men are under-represented),
# so raking has real work to do. Deterministic: set.seed(20261126) with R's default
# generators (Mersenne-Twister, Inversion, Rejection), so R >= 3.6 writes the same file.
# Run: Rscript make_data.R [OUTDIR]   (OUTDIR defaults to this script's folder)
# Writes respondents.csv (id,age,region,gender,segment,brand,q1,base_w) and
# margins.csv (variable,category,share: the margins contract of segkit survey weighting).
# The committed files are the data; make_reference.R reads them, it does not regenerate.
args <- commandArgs(trailingOnly = TRUE)
outdir <- if (length(args) >= 1) args[1] else {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}
RNGkind("Mersenne-Twister", "Inversion", "Rejection")
set.seed(20261126)
n <- 1500
age_l <- c("18-24", "25-34", "35-44", "45-54", "55+")
region_l <- c("North", "South", "East", "West")
gender_l <- c("Female", "Male")
seg_l <- c("Achievers", "Balancers", "Cautious", "Drifters")
brand_l <- c("Alpha", "Beta", "Gamma", "Other")

age <- sample(age_l, n, replace = TRUE, prob = c(0.05, 0.13, 0.18, 0.24, 0.40))
region <- sample(region_l, n, replace = TRUE, prob = c(0.34, 0.27, 0.25, 0.14))
gender <- sample(gender_l, n, replace = TRUE, prob = c(0.60, 0.40))
ai <- match(age, age_l)
# Segment depends on age (young lean Achievers/Balancers, old lean Cautious).
seg_p <- rbind(c(0.45, 0.30, 0.10, 0.15), c(0.40, 0.30, 0.12, 0.18), c(0.30, 0.30, 0.20, 0.20),
               c(0.20, 0.30, 0.30, 0.20), c(0.12, 0.25, 0.45, 0.18))
segment <- vapply(ai, function(a) sample(seg_l, 1, prob = seg_p[a, ]), "")
si <- match(segment, seg_l)
brand_p <- rbind(c(0.50, 0.20, 0.20, 0.10), c(0.30, 0.35, 0.20, 0.15), c(0.25, 0.25, 0.35, 0.15),
                 c(0.30, 0.30, 0.25, 0.15))
brand <- vapply(si, function(s) sample(brand_l, 1, prob = brand_p[s, ]), "")
q1_p <- rbind(c(0.03, 0.07, 0.20, 0.40, 0.30), c(0.05, 0.15, 0.35, 0.30, 0.15),
              c(0.15, 0.25, 0.35, 0.20, 0.05), c(0.10, 0.20, 0.40, 0.20, 0.10))
q1 <- vapply(si, function(s) sample(1:5, 1, prob = q1_p[s, ]), 0L)
# Design weight: the North was over-sampled by design (weight 0.8), the West under (1.5).
base_w <- ifelse(region == "North", 0.8, ifelse(region == "West", 1.5, 1.0))
d <- data.frame(id = seq_len(n), age = age, region = region, gender = gender,
                segment = segment, brand = brand, q1 = q1, base_w = base_w)
write.csv(d, file.path(outdir, "respondents.csv"), row.names = FALSE, quote = FALSE)
m <- data.frame(variable = c(rep("age", 5), rep("region", 4), rep("gender", 2)),
                category = c(age_l, region_l, gender_l),
                share = c(0.12, 0.18, 0.17, 0.18, 0.35, 0.25, 0.30, 0.20, 0.25, 0.51, 0.49))
write.csv(m, file.path(outdir, "margins.csv"), row.names = FALSE, quote = FALSE)
