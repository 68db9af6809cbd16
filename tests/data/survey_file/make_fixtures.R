# Writes the SPSS and Stata fixtures of the survey_file tests with haven (Debian
# r-cran-haven): labelled variables, SPSS user-missing values and ranges, Stata tagged
# missing values (.a .b), a string variable, system-missing cells.
# Usage: Rscript make_fixtures.R OUTDIR
suppressMessages(library(haven))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "."

sat_labels <- c("Very dissatisfied" = 1, "Dissatisfied" = 2, "Neutral" = 3,
                "Satisfied" = 4, "Very satisfied" = 5, "Don't know" = 98, "Refused" = 99)
q1 <- labelled_spss(c(5, 4, 98, 1, 3, 99, 2, NA),
                    labels = sat_labels, na_values = c(98, 99),
                    label = "How satisfied are you with the service?")
gender <- labelled_spss(c(1, 2, 2, 1, 3, 2, 1, 1),
                        labels = c("Female" = 1, "Male" = 2, "Other" = 3),
                        label = "Gender")
age <- labelled_spss(c(34, 51, 999, 27.5, 62, 45, NA, 19),
                     na_values = 999, label = "Age in years")
rec <- labelled_spss(c(1, 0, -9, 1, -2, 1, 0, 1),
                     labels = c("No" = 0, "Yes" = 1, "Refused" = -9),
                     na_range = c(-9, -1), label = "Would you recommend us?")
# region: labels 1-2 only and a 3 (unlabelled: kept unless labels are declared exhaustive).
region <- labelled_spss(c(1, 2, 3, 1, 2, 2, 1, 1),
                        labels = c("North" = 1, "South" = 2), label = "Region")
# brand: labelled, but a 1.5 in the data: with haven's measure (scale) it stays numeric.
brand <- labelled_spss(c(1, 2, 4, 1, 2, 1.5, 2, 1),
                       labels = c("Acme" = 1, "Globex" = 2), label = "Preferred brand")
comment <- c("great", "", "too slow", "ok", "n/a", "fine", "", "love it")
attr(comment, "label") <- "Any comments?"
id <- c(1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008)
attr(id, "label") <- "Respondent id"
sav <- data.frame(id = id, q1 = q1, gender = gender, age = age, rec = rec, brand = brand,
                  region = region)
sav$comment <- comment
attr(sav$q1, "format.spss") <- "F8.0"
write_sav(sav, file.path(out, "panel.sav"))
write_sav(sav, file.path(out, "panel.zsav"), compress = "zsav")

dq1 <- labelled(c(5, 4, tagged_na("a"), 1, 3, tagged_na("b"), 2, NA),
                labels = c("Very dissatisfied" = 1, "Dissatisfied" = 2, "Neutral" = 3,
                           "Satisfied" = 4, "Very satisfied" = 5,
                           "Don't know" = tagged_na("a"), "Refused" = tagged_na("b")),
                label = "How satisfied are you with the service?")
dgender <- labelled(c(1, 2, 2, 1, 3, 2, 1, 1),
                    labels = c("Female" = 1, "Male" = 2, "Other" = 3), label = "Gender")
dage <- c(34, 51, tagged_na("c"), 27.5, 62, 45, NA, 19)
attr(dage, "label") <- "Age in years"
dbrand <- labelled(c(1, 2, 4, 1, 2, 1.5, 2, 1), labels = c("Acme" = 1, "Globex" = 2),
                   label = "Preferred brand")
dregion <- labelled(c(1, 2, 3, 1, 2, 2, 1, 1), labels = c("North" = 1, "South" = 2),
                    label = "Region")
dta <- data.frame(id = id, q1 = dq1, gender = dgender, brand = dbrand, region = dregion)
dta$age <- dage
dta$comment <- comment
write_dta(dta, file.path(out, "panel.dta"), version = 14)
