# Silhouettes from R's cluster package (Maechler et al.), an implementation independent of
# scikit-learn, for segkit's score tests.
#   Rscript tests/data/cluster/make_reference.R IRIS_CSV LABELS_CSV OUT_DIR
# LABELS_CSV is iris_labels.csv written by make_reference.py. Writes iris_silhouette_R.csv:
# labeling, mean silhouette width, and the widths of rows 1..5 (17 significant digits).
library(cluster)
args <- commandArgs(trailingOnly = TRUE)
iris <- read.csv(args[1])
x <- as.matrix(iris[, 1:4])
labels <- read.csv(args[2], comment.char = "", check.names = FALSE)
names(labels)[1] <- sub("^# ", "", names(labels)[1])
d <- dist(x)
out <- file(file.path(args[3], "iris_silhouette_R.csv"), "w")
writeLines("# labeling,mean width,width of rows 1..5 (cluster::silhouette)", out)
for (name in names(labels)) {
  s <- silhouette(labels[[name]] + 1L, d)
  w <- s[, "sil_width"]
  writeLines(paste(c(name, sprintf("%.17g", c(mean(w), w[1:5]))), collapse = ","), out)
}
close(out)
