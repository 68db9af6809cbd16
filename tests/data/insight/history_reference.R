# Independent reference for `segkit insights` on a subscription history, part 2 of 2: the
# statistics, from R (survey's svyratio for NRR and its standard error, prop.test for churn
# per customer-month, the Wald test of two independent estimates, p.adjust for
# Benjamini-Hochberg; for LTV = (A / B) / (C / D), survey's svytotal of the eight
# per-customer sums of segment and rest over one design of every customer active in the
# window, and svycontrast's delta method for log LTV of each side and for the log of their
# ratio, which carries the covariance of customers seen on both sides). Input:
# history_reference.py's churn.csv, nrr.csv and ltv.csv; output one row per comparison. Values of a column with two values are compared once (the first), as
# segkit does, since the second is the same comparison mirrored.
# Run: Rscript history_reference.R DIR MIN_N OUT.csv
suppressMessages(library(survey))
args <- commandArgs(TRUE)
dir <- args[1]
min_n <- as.numeric(args[2])
churn <- read.csv(file.path(dir, "churn.csv"), stringsAsFactors = FALSE)
nrr <- read.csv(file.path(dir, "nrr.csv"), stringsAsFactors = FALSE)
ltv <- read.csv(file.path(dir, "ltv.csv"), stringsAsFactors = FALSE)
custs <- sort(unique(ltv$cust))
# LTV of value v of column col against the rest: estimates, log standard errors, the
# covariance of the logs and the Wald p of the log ratio
ltv_compare <- function(col, v) {
  d <- ltv[ltv$column == col, ]
  side <- function(keep, x) {
    s <- tapply(d[[x]][keep], factor(d$cust[keep], levels = custs), sum)
    s[is.na(s)] <- 0
    as.numeric(s)
  }
  w <- data.frame(cust = custs)
  for (x in c("a", "b", "c", "d")) {
    w[[paste0(x, "S")]] <- side(d$value == v, x)
    w[[paste0(x, "R")]] <- side(d$value != v, x)
  }
  des <- suppressWarnings(svydesign(ids = ~cust, data = w))
  tot <- svytotal(~aS + bS + cS + dS + aR + bR + cR + dR, des)
  k <- svycontrast(tot, list(s = quote(log(aS / bS * dS / cS)),
                             r = quote(log(aR / bR * dR / cR)),
                             diff = quote(log(aS / bS * dS / cS) - log(aR / bR * dR / cR))))
  e <- coef(k)
  v2 <- vcov(k)
  c(value = exp(e[["s"]]), se = sqrt(v2["s", "s"]), rest_value = exp(e[["r"]]),
    rest_se = sqrt(v2["r", "r"]), cov = v2["s", "r"],
    p = 2 * pnorm(-abs(e[["diff"]] / sqrt(v2["diff", "diff"]))))
}
out <- NULL
for (col in unique(churn$column)) {
  vals <- sort(unique(churn$value[churn$column == col]))
  if (length(vals) == 2) vals <- vals[1]
  for (v in vals) {
    s <- churn[churn$column == col & churn$value == v & churn$side == "segment", ]
    r <- churn[churn$column == col & churn$value == v & churn$side == "rest", ]
    small <- s$customers < min_n || r$customers < min_n
    pt <- suppressWarnings(prop.test(c(s$events, r$events), c(s$trials, r$trials),
                                     correct = FALSE))
    ci <- suppressWarnings(prop.test(s$events, s$trials, correct = FALSE)$conf.int)
    out <- rbind(out, data.frame(measure = "monthly_churn", column = col, segment = v,
                                 customers = s$customers, rest_customers = r$customers,
                                 value = s$events / s$trials, se = NA,
                                 rest_value = r$events / r$trials, rest_se = NA,
                                 ci_low = ci[1], ci_high = ci[2], small = small,
                                 p = if (small) NA else pt$p.value, cov = NA))
    l <- ltv_compare(col, v)
    out <- rbind(out, data.frame(measure = "ltv", column = col, segment = v,
                                 customers = s$customers, rest_customers = r$customers,
                                 value = l[["value"]] / 100, se = l[["se"]],
                                 rest_value = l[["rest_value"]] / 100, rest_se = l[["rest_se"]],
                                 ci_low = l[["value"]] / 100 * exp(-qnorm(0.975) * l[["se"]]),
                                 ci_high = l[["value"]] / 100 * exp(qnorm(0.975) * l[["se"]]),
                                 small = small, p = if (small) NA else l[["p"]],
                                 cov = l[["cov"]]))
    d <- nrr[nrr$column == col & nrr$value == v, ]
    est <- list()
    for (side in c("segment", "rest")) {
      x <- d[d$side == side, ]
      des <- suppressWarnings(svydesign(ids = ~1, data = x))
      sr <- svyratio(~y, ~x, des)
      est[[side]] <- c(coef(sr), sqrt(vcov(sr)), nrow(x))
    }
    small <- est$segment[3] < min_n || est$rest[3] < min_n
    z <- (est$segment[1] - est$rest[1]) / sqrt(est$segment[2]^2 + est$rest[2]^2)
    out <- rbind(out, data.frame(measure = "nrr", column = col, segment = v,
                                 customers = est$segment[3], rest_customers = est$rest[3],
                                 value = est$segment[1], se = est$segment[2],
                                 rest_value = est$rest[1], rest_se = est$rest[2],
                                 ci_low = max(0, est$segment[1] - qnorm(0.975) * est$segment[2]),
                                 ci_high = est$segment[1] + qnorm(0.975) * est$segment[2],
                                 small = small, p = if (small) NA else 2 * pnorm(-abs(z)),
                                 cov = 0))
  }
}
out$p_adjusted <- NA
t <- !is.na(out$p)
out$p_adjusted[t] <- p.adjust(out$p[t], method = "BH")
write.csv(out, args[3], row.names = FALSE)
