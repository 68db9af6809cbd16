# Independent reference for segkit_varimax (tests/unit/test_cluster_varimax.c): R's own
# stats::varimax on the principal-component loadings of R's `attitude` data set (a survey
# of 30 clerical departments, 7 ratings), k = 2 and k = 3, with and without Kaiser
# normalisation. Loadings: eigenvectors of the correlation matrix x sqrt(eigenvalues)
# (prcomp(scale. = TRUE)), each column's sign fixed so its largest |value| is positive.
# Writes varimax_reference.txt (or the path given): blocks "case", "loadings" (p x k,
# row by row), "rotated", "rotmat".
# Run: Rscript varimax_reference.R [output]
args <- commandArgs(TRUE)
out <- if (length(args) > 0) args[1] else {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  file.path(dirname(f), "varimax_reference.txt")
}
pc <- prcomp(attitude, scale. = TRUE)
con <- file(out, "w")
for (k in 2:3) for (norm in c(TRUE, FALSE)) {
  L <- pc$rotation[, 1:k] %*% diag(pc$sdev[1:k])
  for (j in 1:k) if (L[which.max(abs(L[, j])), j] < 0) L[, j] <- -L[, j]
  v <- varimax(L, normalize = norm, eps = 1e-5)
  writeLines(sprintf("case k=%d normalize=%s", k, norm), con)
  for (name in c("loadings", "rotated", "rotmat")) {
    m <- switch(name, loadings = L, rotated = unclass(v$loadings), rotmat = v$rotmat)
    writeLines(paste(name, nrow(m), ncol(m)), con)
    for (i in seq_len(nrow(m))) writeLines(paste(sprintf("%.17g", m[i, ]), collapse = " "), con)
  }
}
close(con)
