# R's survival package on the same file as segkit_bench km: Kaplan-Meier by group
# (survfit) and the log-rank test (survdiff), timed with system.time after the read.
args <- commandArgs(trailingOnly = TRUE)
suppressMessages(library(survival))
d <- read.csv(args[1])
t <- system.time({
  fit <- survfit(Surv(d[[args[2]]], d[[args[3]]]) ~ d[[args[4]]])
  lr <- survdiff(Surv(d[[args[2]]], d[[args[3]]]) ~ d[[args[4]]])
})
med <- unname(summary(fit)$table[1, "median"])
cat(sprintf('{"op":"km","rows":%d,"seconds":%.4f,"chi2":%.6f,"median0":%.6g}\n',
            nrow(d), t[["elapsed"]], lr$chisq, med))
