# Reference values for tests/unit/test_survival_ecog.c, computed with R's survival package
# (Debian r-cran-survival), an implementation independent of segkit.
# Run: Rscript make_reference.R [OUTDIR]     (OUTDIR defaults to this script's folder)
# test_survival_rscript.c reruns it into a temporary folder when Rscript is available and
# compares with the committed files, so a change in R's answers (or in this script) shows.
# Data: survival::lung, the same rows as ../../../../shared/data/survival/lung.csv.
#  - km_lung_ecog_R.csv: summary(survfit(Surv(time, status) ~ ph.ecog), censored = TRUE)
#    over the rows with ph.ecog in 0, 1, 2 (drops the NA row and the single ph.ecog 3).
#  - km_lung_months_R.csv: pooled curve with durations in months (time / 30.4375, doubles).
#  - logrank_lung_ecog_R.txt: survdiff(Surv(time, status) ~ ph.ecog) on the same rows, and
#    print.survfit's medians; one "name value value ..." line each.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
outdir <- if (length(args) >= 1) args[1] else {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}
data(cancer, package = "survival")
d <- lung[!is.na(lung$ph.ecog) & lung$ph.ecog <= 2, ]
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))

fit <- survfit(Surv(time, status) ~ ph.ecog, data = d)
s <- summary(fit, censored = TRUE)
km <- data.frame(strata = as.character(s$strata), time = num(s$time), n.risk = s$n.risk,
                 n.event = s$n.event, n.censor = s$n.censor, surv = num(s$surv),
                 std.err = num(s$std.err), lower = num(s$lower), upper = num(s$upper))
write.csv(km, file.path(outdir, "km_lung_ecog_R.csv"), row.names = FALSE, quote = FALSE)

fm <- survfit(Surv(time / 30.4375, status) ~ 1, data = lung)
sm <- summary(fm, censored = TRUE)
write.csv(data.frame(time = num(sm$time), n.risk = sm$n.risk, n.event = sm$n.event,
                     n.censor = sm$n.censor, surv = num(sm$surv), std.err = num(sm$std.err),
                     lower = num(sm$lower), upper = num(sm$upper)),
          file.path(outdir, "km_lung_months_R.csv"), row.names = FALSE, quote = FALSE)

sd <- survdiff(Surv(time, status) ~ ph.ecog, data = d)
df <- length(sd$n) - 1
con <- file(file.path(outdir, "logrank_lung_ecog_R.txt"), "w")
writeLines(c(
  paste("groups", paste(names(sd$n), collapse = " ")),
  paste("n", paste(as.integer(sd$n), collapse = " ")),
  paste("observed", paste(num(sd$obs), collapse = " ")),
  paste("expected", paste(num(sd$exp), collapse = " ")),
  paste("chisq", num(sd$chisq)),
  paste("df", df),
  paste("p", num(pchisq(sd$chisq, df, lower.tail = FALSE))),
  paste("median", paste(num(summary(fit)$table[, "median"]), collapse = " ")),
  paste("median_months_all", num(summary(fm)$table["median"]))), con)
close(con)

# Two grouping columns (segkit survival --by sex,ph.ecog): strata of sex x ph.ecog over the
# rows with a ph.ecog (R drops the NA row, as segkit does).
d2 <- lung[!is.na(lung$ph.ecog), ]
f2 <- survfit(Surv(time, status) ~ sex + ph.ecog, data = d2)
s2 <- summary(f2, censored = TRUE)
write.csv(data.frame(strata = gsub(", ", ";", as.character(s2$strata)), time = num(s2$time), n.risk = s2$n.risk,
                     n.event = s2$n.event, n.censor = s2$n.censor, surv = num(s2$surv),
                     std.err = num(s2$std.err), lower = num(s2$lower), upper = num(s2$upper)),
          file.path(outdir, "km_lung_sex_ecog_R.csv"), row.names = FALSE, quote = FALSE)
sd2 <- survdiff(Surv(time, status) ~ sex + ph.ecog, data = d2)
df2 <- sum(sd2$exp > 0) - 1
con <- file(file.path(outdir, "logrank_lung_sex_ecog_R.txt"), "w")
writeLines(c(
  paste("groups", paste(gsub(" ", "", names(sd2$n)), collapse = " ")),
  paste("n", paste(as.integer(sd2$n), collapse = " ")),
  paste("chisq", num(sd2$chisq)),
  paste("df", df2),
  paste("p", num(pchisq(sd2$chisq, df2, lower.tail = FALSE))),
  paste("median", paste(num(summary(f2)$table[, "median"]), collapse = " "))), con)
close(con)

# Comparing sex at equal ph.ecog (segkit_logrank_stratified, segkit_cox_two_groups): the
# log-rank test within ph.ecog strata, and Cox models of sex (2 vs 1, Efron ties) without
# and with strata(ph.ecog), over the rows with a ph.ecog.
sds <- survdiff(Surv(time, status) ~ sex + strata(ph.ecog), data = d2)
c0 <- coxph(Surv(time, status) ~ sex, data = d2)
c1 <- coxph(Surv(time, status) ~ sex + strata(ph.ecog), data = d2)
con <- file(file.path(outdir, "cox_lung_sex_R.txt"), "w")
writeLines(c(
  paste("strat_observed", paste(num(sds$obs), collapse = " ")),
  paste("strat_expected", paste(num(sds$exp), collapse = " ")),
  paste("strat_chisq", num(sds$chisq)),
  paste("cox_beta", num(coef(c0))),
  paste("cox_se", num(sqrt(vcov(c0)[1, 1]))),
  paste("cox_loglik", paste(num(c0$loglik), collapse = " ")),
  paste("cox_strata_beta", num(coef(c1))),
  paste("cox_strata_se", num(sqrt(vcov(c1)[1, 1]))),
  paste("cox_strata_loglik", paste(num(c1$loglik), collapse = " ")),
  paste("cox_strata_ci", paste(num(summary(c1)$conf.int[1, c("lower .95", "upper .95")]), collapse = " "))), con)
close(con)
