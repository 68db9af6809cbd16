# Reference values for the survey-module tests (tests/unit/test_survey_*.c), computed with
# R's survey package (Debian r-cran-survey) and base R's chisq.test / prop.test: an
# implementation independent of segkit.
# Run: Rscript make_reference.R [OUTDIR]   (OUTDIR defaults to this script's folder)
# Reads respondents.csv and margins.csv (written once by make_data.R) and writes:
#  - rake_R.csv: per respondent, raked weights
#      w_rake       rake() from weight 1 to the margins, total n (1,500)
#      w_base       rake() from base_w, population total 2,000,000
#      w_trim       rake(), then rounds of trimWeights(lower = 0.4 mean, upper = 2.5 mean,
#                   strict = TRUE) and rake() again, until the raked weights lie within the
#                   bounds (1e-9 relative slack) or 200 rounds; total n
#  - survey_R.txt: one "key value value ..." line each (crosstab, means, shares; below).
# rake() is run to a tight fixed point (epsilon 1e-13 of the total, maxit 10,000), so the
# weights are the raking solution itself and any correct implementation agrees to ~1e-9.
# test_survey_rscript.c reruns this script when Rscript and the survey package are present
# and compares with the committed files.
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
srcdir <- {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}
outdir <- if (length(args) >= 1) args[1] else srcdir
d <- read.csv(file.path(srcdir, "respondents.csv"), stringsAsFactors = FALSE)
m <- read.csv(file.path(srcdir, "margins.csv"), stringsAsFactors = FALSE)
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))
n <- nrow(d)

pop_margins <- function(total) {
  lapply(c("age", "region", "gender"), function(v) {
    mv <- m[m$variable == v, ]
    out <- data.frame(mv$category, mv$share * total)
    names(out) <- c(v, "Freq")
    out
  })
}
samp <- list(~age, ~region, ~gender)
ctl <- list(maxit = 10000, epsilon = 1e-13)
do_rake <- function(des, total) rake(des, samp, pop_margins(total), control = ctl)

# ---- raking ----------------------------------------------------------------------------
des1 <- do_rake(svydesign(ids = ~1, weights = rep(1, n), data = d), n)
w_rake <- weights(des1)
des2 <- do_rake(svydesign(ids = ~1, weights = ~base_w, data = d), 2e6)
w_base <- weights(des2)
lo <- 0.4
up <- 2.5
des3 <- do_rake(svydesign(ids = ~1, weights = rep(1, n), data = d), n)
rounds <- 0
repeat {
  w <- weights(des3)
  mw <- mean(w)
  if (all(w >= lo * mw * (1 - 1e-9) & w <= up * mw * (1 + 1e-9)) || rounds >= 200) break
  des3 <- trimWeights(des3, lower = lo * mw, upper = up * mw, strict = TRUE)
  des3 <- do_rake(des3, n)
  rounds <- rounds + 1
}
w_trim <- weights(des3)
write.csv(data.frame(id = d$id, w_rake = num(w_rake), w_base = num(w_base), w_trim = num(w_trim)),
          file.path(outdir, "rake_R.csv"), row.names = FALSE, quote = FALSE)

kish <- function(w) length(w) * sum(w^2) / sum(w)^2
out <- c(
  paste("trim_rounds", rounds),
  paste("trim_min_max", num(min(w_trim)), num(max(w_trim))),
  paste("deff_rake", num(kish(w_rake))),
  paste("neff_rake", num(n / kish(w_rake))),
  paste("deff_base", num(kish(w_base))),
  paste("deff_trim", num(kish(w_trim))))

# ---- crosstab brand (rows) x segment (columns) -------------------------------------------
brand_l <- c("Alpha", "Beta", "Gamma", "Other")
seg_l <- c("Achievers", "Balancers", "Cautious", "Drifters")
d$brand <- factor(d$brand, levels = brand_l)
d$segment <- factor(d$segment, levels = seg_l)
tab <- table(d$brand, d$segment)
ct <- chisq.test(tab, correct = FALSE)
out <- c(out,
  paste("u_counts", paste(as.vector(t(tab)), collapse = " ")),
  paste("u_chi2", num(ct$statistic)),
  paste("u_df", ct$parameter),
  paste("u_p", num(ct$p.value)))
# Column-proportion tests: for each row r and column pair a < b, prop.test(correct = FALSE)
# (pooled two-proportion test, X-squared = z^2); values listed row by row, pairs in order
# (1,2) (1,3) (1,4) (2,3) (2,4) (3,4).
pairs <- combn(4, 2)
ptest <- function(x, nn) {
  r <- suppressWarnings(prop.test(x, nn, correct = FALSE))
  c(r$statistic, r$p.value)
}
ux <- c()
up_ <- c()
for (r in 1:4) for (k in seq_len(ncol(pairs))) {
  a <- pairs[1, k]
  b <- pairs[2, k]
  v <- ptest(c(tab[r, a], tab[r, b]), c(sum(tab[, a]), sum(tab[, b])))
  ux <- c(ux, v[1])
  up_ <- c(up_, v[2])
}
# Holm within each row, across its 6 column pairs (p.adjust).
uholm <- unlist(lapply(split(up_, rep(1:4, each = 6)), p.adjust, method = "holm"))
out <- c(out, paste("u_prop_x2", paste(num(ux), collapse = " ")),
         paste("u_prop_p", paste(num(up_), collapse = " ")),
         paste("u_prop_p_holm", paste(num(uholm), collapse = " ")))

# Weighted by w_rake, taken as fixed weights (svydesign(ids = ~1, weights = ~w)).
d$w <- w_rake
dw <- svydesign(ids = ~1, weights = ~w, data = d)
wt <- svytable(~brand + segment, dw)
rs <- svychisq(~brand + segment, dw, statistic = "Chisq")
out <- c(out,
  paste("w_counts", paste(num(as.vector(t(wt))), collapse = " ")),
  paste("w_chi2_pearson", num(rs$statistic)),
  paste("w_df", rs$parameter),
  paste("w_p", num(rs$p.value)))
# Weighted column-proportion tests on the effective base of each column
# (Kish: (sum w)^2 / sum w^2 over the column's respondents), prop.test on x = p * n_eff.
neff <- tapply(d$w, d$segment, function(w) sum(w)^2 / sum(w^2))
colp <- sweep(wt, 2, colSums(wt), "/")
wx <- c()
wp <- c()
for (r in 1:4) for (k in seq_len(ncol(pairs))) {
  a <- pairs[1, k]
  b <- pairs[2, k]
  v <- ptest(c(colp[r, a] * neff[a], colp[r, b] * neff[b]), c(neff[a], neff[b]))
  wx <- c(wx, v[1])
  wp <- c(wp, v[2])
}
out <- c(out, paste("w_neff", paste(num(neff), collapse = " ")),
         paste("w_prop_x2", paste(num(wx), collapse = " ")),
         paste("w_prop_p", paste(num(wp), collapse = " ")))

# ---- means of q1 by segment ----------------------------------------------------------------
mu <- svyby(~q1, ~segment, dw, svymean)
ma <- svymean(~q1, dw)
du <- svydesign(ids = ~1, weights = rep(1, n), data = d)
muu <- svyby(~q1, ~segment, du, svymean)
out <- c(out,
  paste("w_mean", paste(num(coef(mu)), collapse = " ")),
  paste("w_mean_se", paste(num(SE(mu)), collapse = " ")),
  paste("w_mean_all", num(coef(ma)), num(SE(ma))),
  paste("u_mean", paste(num(coef(muu)), collapse = " ")),
  paste("u_mean_se", paste(num(SE(muu)), collapse = " ")))

# ---- segment shares with a logit interval (svyciprop, method = "logit") ------------------------
sh <- c()
for (s in seg_l) {
  dw <- update(dw, ind = as.numeric(segment == s))
  ci <- svyciprop(~ind, dw, method = "logit", level = 0.95)
  sh <- c(sh, coef(ci), SE(ci), confint(ci)[1], confint(ci)[2])
}
out <- c(out, paste("w_share", paste(num(sh), collapse = " ")))

writeLines(out, file.path(outdir, "survey_R.txt"))
