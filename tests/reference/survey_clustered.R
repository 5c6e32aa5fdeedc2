# Reference values for pingyi's intervals with forms as clusters (DESIGN §5
# "Evidence"), computed with R's survey package, independently of pingyi.
#
#   Rscript tests/reference/survey_clustered.R     (from the repository root;
#   Debian: apt-get install r-cran-survey)
#
# Writes, next to this script:
#   clustered_ratings.csv   the ratings (one row per response × subject × item),
#                           in the export format pingyi ingests;
#   clustered_reference.csv per cell: valid, raters (k), rate, its SE from
#                           svymean on svydesign(ids = ~response_id), n_eff
#                           and the Wilson bounds on it; the post-stratified
#                           rate and SE from svymean on postStratify(...) of
#                           that design, ps_n_eff and its Wilson bounds.
# tests/it/evidence.rs reads both (R is not needed to run the tests).

suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "fail")

here <- dirname(normalizePath(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))))
z <- 1.959963984540054

# One form: its id, subject, date, rater category and one letter per item
# rated (S 满意, N 不满意, A 不了解).
forms <- list()
form <- function(id, subject, date, category, answers) {
  letters <- strsplit(answers, "")[[1]]
  items <- c("总体评价", "效能提升", "服务态度")[seq_along(letters)]
  label <- c(S = "满意", N = "不满意", A = "不了解")[letters]
  forms[[length(forms) + 1]] <<- data.frame(
    response_id = id, subject_id = subject, date = date, category = category,
    item = items, rating = unname(label), stringsAsFactors = FALSE)
}
q1 <- "2012-02-01"
q2 <- "2012-05-01"
# S1 2012Q1: 12 forms of 3 items from the three quota groups of 机关, one
# answer 不了解.
s1 <- c("SSS", "SSN", "SNN", "SSS", "NNN", "SSA", "SSS", "SNS", "NNS", "SSS", "SNN", "SSS")
cats <- c(rep("服务对象", 6), rep("两代表一委员", 3), rep("离退休老干部", 3))
for (i in seq_along(s1)) form(sprintf("S1-Q1-%02d", i), "S1", q1, cats[i], s1[i])
# S1 2012Q2: 8 forms of 2 items (with Q1: the year's cell).
s1b <- c("SS", "SN", "NN", "SS", "SS", "NS", "SS", "NN")
for (i in seq_along(s1b)) form(sprintf("S1-Q2-%02d", i), "S1", q2, c("服务对象", "两代表一委员")[1 + i %% 2], s1b[i])
# S2 2012Q1: 10 forms with 1, 2 or 3 items (unequal cluster sizes); the
# first three of S1's forms also rate S2 (one form, two subjects of a township).
s2 <- c("S", "SN", "NNS", "N", "SS", "SSS", "S", "NS", "SNS", "SS")
for (i in seq_along(s2)) form(sprintf("S2-Q1-%02d", i), "S2", q1, c("服务对象", "离退休老干部")[1 + i %% 2], s2[i])
for (i in 1:3) form(sprintf("S1-Q1-%02d", i), "S2", q1, cats[i], c("SN", "NN", "SS")[i])
# S3 2012Q1: a single form (k = 1).
form("S3-Q1-01", "S3", q1, "服务对象", "SSN")
# S4 2012Q1: every rating satisfied (p = 1).
for (i in 1:5) form(sprintf("S4-Q1-%02d", i), "S4", q1, "服务对象", "SS")
# S5 2012Q1: 30 forms of 2 items from three groups, and a form that only
# answers 不了解 (not a rater).
s5 <- rep(c("SS", "SN", "NN", "SS", "SS", "NS"), 5)
cat5 <- rep(c("服务对象", "两代表一委员", "离退休老干部"), 10)
for (i in seq_along(s5)) form(sprintf("S5-Q1-%02d", i), "S5", q1, cat5[i], s5[i])
form("S5-Q1-99", "S5", q1, "服务对象", "AA")
# S6 2012Q2: DESIGN's worked example, one rating per form: 30/60/10 raters
# at 80/90/40% in the groups of quota 55/35/10.
k6 <- 0
for (g in list(list("服务对象", 30, 24), list("两代表一委员", 60, 54), list("离退休老干部", 10, 4))) {
  for (j in seq_len(g[[2]])) {
    k6 <- k6 + 1
    form(sprintf("S6-Q2-%03d", k6), "S6", q2, g[[1]], if (j <= g[[3]]) "S" else "N")
  }
}
ratings <- do.call(rbind, forms)

quota_group <- c(服务对象 = "服务对象和群众代表", 两代表一委员 = "两代表一委员", 离退休老干部 = "离退休老干部")
quota <- c(服务对象和群众代表 = 0.55, 两代表一委员 = 0.35, 离退休老干部 = 0.10)
township <- c(S1 = "中枢镇", S2 = "中枢镇", S3 = "金马镇", S4 = "金马镇", S5 = "旧城镇", S6 = "白水镇")
ratings$period <- ifelse(ratings$date == q1, "2012Q1", "2012Q2")
ratings$valid <- ratings$rating != "不了解"
ratings$y <- as.numeric(ratings$rating == "满意")
ratings$quota_group <- unname(quota_group[ratings$category])
ratings$township <- unname(township[ratings$subject_id])

wilson <- function(p, n) {
  d <- 1 + z^2 / n
  centre <- (p + z^2 / (2 * n)) / d
  half <- z * sqrt(p * (1 - p) / n + z^2 / (4 * n^2)) / d
  c(max(0, centre - half), min(1, centre + half))
}

# DESIGN's rule for n_eff from survey's variance.
n_eff <- function(p, v, k, m) {
  if (k < 2 || p == 0 || p == 1 || is.na(v) || v == 0) return(k)
  min(max(p * (1 - p) / v, k), m)
}

cell <- function(table, group, period, rows) {
  d <- rows[rows$valid, ]
  k <- length(unique(d$response_id))
  m <- nrow(d)
  present <- sort(unique(d$quota_group))
  if (k < 2) {
    # survey refuses a design of one cluster: no variance; n_eff = k = 1 and
    # the post-stratified rate by its definition, Kish's size 1.
    p <- mean(d$y)
    pg <- tapply(d$y, d$quota_group, mean)[present]
    pp <- sum(quota[present] * pg) / sum(quota[present])
    ci <- wilson(p, 1)
    pci <- wilson(pp, 1)
    return(data.frame(table = table, group = group, period = period, valid = m, raters = k,
                      rate = p, se = NA, n_eff = 1, ci_low = ci[1], ci_high = ci[2],
                      rate_ps = pp, ps_se = NA, ps_n_eff = 1, ps_ci_low = pci[1], ps_ci_high = pci[2]))
  }
  des <- svydesign(ids = ~response_id, data = d, weights = rep(1, m))
  est <- svymean(~y, des)
  p <- unname(coef(est))
  v <- unname(vcov(est)[1, 1])
  ne <- n_eff(p, v, k, m)
  ci <- wilson(p, ne)
  # Post-stratified to the quotas of the groups present.
  pop <- data.frame(quota_group = present, Freq = unname(quota[present]))
  ps <- postStratify(des, ~quota_group, pop)
  pest <- svymean(~y, ps)
  pp <- unname(coef(pest))
  pv <- unname(vcov(pest)[1, 1])
  w <- tapply(weights(ps), d$response_id, sum)
  kish <- sum(w)^2 / sum(w^2)
  pne <- if (pp == 0 || pp == 1 || is.na(pv) || pv == 0) kish else pp * (1 - pp) / pv
  pci <- wilson(pp, pne)
  data.frame(table = table, group = group, period = period, valid = m, raters = k,
             rate = p, se = sqrt(v), n_eff = ne, ci_low = ci[1], ci_high = ci[2],
             rate_ps = pp, ps_se = sqrt(pv), ps_n_eff = pne,
             ps_ci_low = pci[1], ps_ci_high = pci[2])
}

out <- list()
for (s in sort(unique(ratings$subject_id))) {
  for (per in sort(unique(ratings$period[ratings$subject_id == s]))) {
    out[[length(out) + 1]] <- cell("subject_period", s, per, ratings[ratings$subject_id == s & ratings$period == per, ])
  }
  out[[length(out) + 1]] <- cell("grades", s, "2012", ratings[ratings$subject_id == s, ])
}
for (t in sort(unique(ratings$township))) {
  for (per in sort(unique(ratings$period[ratings$township == t]))) {
    out[[length(out) + 1]] <- cell("township", t, per, ratings[ratings$township == t & ratings$period == per, ])
  }
}
out[[length(out) + 1]] <- cell("headline", "全县", "all", ratings)
reference <- do.call(rbind, out)

export <- data.frame(
  问卷编号 = ratings$response_id, 被评议对象编号 = ratings$subject_id, 评议日期 = ratings$date,
  评议人类别 = ratings$category, 评议方式 = "群众测评", 评议途径 = "测评表", 评议内容 = ratings$item,
  评价 = ratings$rating, check.names = FALSE)
write.csv(export, file.path(here, "clustered_ratings.csv"), row.names = FALSE, fileEncoding = "UTF-8", quote = FALSE)
write.csv(reference, file.path(here, "clustered_reference.csv"), row.names = FALSE, quote = FALSE)
cat(sprintf("R %s, survey %s: %d cells\n", getRversion(), packageVersion("survey"), nrow(reference)))
