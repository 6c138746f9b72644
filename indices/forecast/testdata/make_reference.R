# Reference fits for indices/forecast (run from this directory):
#   Rscript make_reference.R /work/shared/data
# Debian bookworm: R 4.2.2, r-cran-forecast 8.20, r-cran-mass 7.3-58.2.
# Writes the CSV files listed in SOURCES.md. No random numbers are used.
suppressMessages(library(forecast))
suppressMessages(library(MASS))
args <- commandArgs(trailingOnly = TRUE)
data <- if (length(args) > 0) args[1] else "../../../../shared/data"
options(digits = 15)
w <- function(df, f) write.csv(df, f, row.names = FALSE, quote = FALSE)

# --- series -----------------------------------------------------------
hep <- read.csv(file.path(data, "surveillance/hepatitisA.csv"))$observed
rota <- subset(read.csv(file.path(data, "surveillance/rotaBB.csv")), series == "00-04")$observed
campy <- read.csv(file.path(data, "surveillance/campyDE.csv"))
nycfiles <- Sys.glob(file.path(data, "complaints/nyc_council_constituent_services/nyc_council_constituent_services_20*.csv"))
nycdates <- as.Date(unlist(lapply(nycfiles, function(f) read.csv(f, colClasses = "character")$OPENDATE)))
nycdates <- nycdates[!is.na(nycdates) & nycdates >= as.Date("2019-01-07") & nycdates < as.Date("2022-12-26")]
# weeks starting on Monday 2019-01-07 … 2022-12-19 (207 weeks)
wk <- as.integer(floor(as.numeric(nycdates - as.Date("2019-01-07")) / 7))
nycw <- tabulate(wk + 1, nbins = 207)
d22 <- nycdates[nycdates >= as.Date("2022-01-03") & nycdates < as.Date("2022-12-19")]
nycd <- tabulate(as.integer(d22 - as.Date("2022-01-03")) + 1, nbins = 350)
series <- list(hepatitisA = list(y = hep, m = 1), rotaBB0004 = list(y = rota, m = 12),
               nycweekly = list(y = nycw, m = 1), nycdaily2022 = list(y = nycd, m = 7))
for (nm in names(series)) w(data.frame(t = seq_along(series[[nm]]$y), y = series[[nm]]$y), paste0("series_", nm, ".csv"))

# --- ETS --------------------------------------------------------------
etsref <- function(nm, model, damped, h = 8) {
  s <- series[[nm]]
  y <- ts(s$y, frequency = s$m)
  fit <- ets(y, model = model, damped = damped)
  tag <- paste0("ets_", nm, "_", model, ifelse(damped, "d", ""))
  st <- fit$states[1, ]
  p <- c(fit$par[intersect(c("alpha", "beta", "gamma", "phi"), names(fit$par))],
         sigma2 = fit$sigma2, mse = fit$mse, loglik = fit$loglik, st)
  w(data.frame(name = names(p), value = unname(p)), paste0(tag, "_params.csv"))
  w(data.frame(t = seq_along(s$y), y = s$y, fitted = as.numeric(fitted(fit))), paste0(tag, "_fitted.csv"))
  fc <- forecast(fit, h = h, level = c(80, 95))
  w(data.frame(h = 1:h, mean = as.numeric(fc$mean), lo80 = fc$lower[, 1], hi80 = fc$upper[, 1],
               lo95 = fc$lower[, 2], hi95 = fc$upper[, 2]), paste0(tag, "_forecast.csv"))
}
etsref("hepatitisA", "ANN", FALSE)
etsref("hepatitisA", "AAN", TRUE)
etsref("nycweekly", "ANN", FALSE)
etsref("nycweekly", "AAN", TRUE)
etsref("rotaBB0004", "ANA", FALSE)
etsref("rotaBB0004", "AAA", TRUE)
etsref("nycdaily2022", "ANA", FALSE)

# --- seasonal naive ----------------------------------------------------
sn <- snaive(ts(hep, frequency = 52), h = 60, level = c(80, 95))
w(data.frame(h = 1:60, mean = as.numeric(sn$mean), lo80 = sn$lower[, 1], hi80 = sn$upper[, 1],
             lo95 = sn$lower[, 2], hi95 = sn$upper[, 2]), "snaive_hepatitisA_m52.csv")

# --- negative binomial GLM ---------------------------------------------
# Design: intercept, trend (t − n)/52, Fourier pairs sin/cos(2πk·t/52), and
# optional extra columns; stored with the response so the Go test refits it.
nbref <- function(nm, y, extra = NULL, K = 2) {
  n <- length(y); t <- seq_len(n)
  X <- data.frame(intercept = 1, trend = (t - n) / 52)
  for (k in 1:K) { X[[paste0("sin", k)]] <- sin(2 * pi * k * t / 52); X[[paste0("cos", k)]] <- cos(2 * pi * k * t / 52) }
  if (!is.null(extra)) X <- cbind(X, extra)
  fit <- glm.nb(y ~ . - 1, data = cbind(y = y, X))
  w(cbind(y = y, X), paste0("glmnb_", nm, "_data.csv"))
  se <- sqrt(diag(vcov(fit)))
  w(data.frame(name = c(names(coef(fit)), "theta", "theta_se", "twologlik"),
               value = c(unname(coef(fit)), fit$theta, fit$SE.theta, fit$twologlik),
               se = c(unname(se), NA, NA, NA)), paste0("glmnb_", nm, "_coef.csv"))
}
nbref("hepatitisA", hep)
nbref("nycweekly", nycw)
nbref("campyDE", campy$case, extra = data.frame(newyears = campy$newyears, christmas = campy$christmas))

# --- NB quantiles --------------------------------------------------------
g <- expand.grid(p = c(0.025, 0.1, 0.5, 0.9, 0.975), mu = c(0.3, 2.5, 17, 240.5), size = c(0.8, 4, 55))
g$q <- qnbinom(g$p, size = g$size, mu = g$mu)
g$qpois <- qpois(g$p, g$mu)
w(g, "qnbinom.csv")

# --- MinT with shrinkage -------------------------------------------------
# shrink.estim as in hts (earowang/hts R/MinT.R, Schäfer & Strimmer 2005).
shrink.estim <- function(x, tar) {
  p <- ncol(x); n <- nrow(x)
  covm <- crossprod(x) / n
  corm <- cov2cor(covm)
  xs <- scale(x, center = FALSE, scale = sqrt(diag(covm)))
  v <- (1 / (n * (n - 1))) * (crossprod(xs^2) - 1 / n * (crossprod(xs))^2)
  diag(v) <- 0
  corapn <- cov2cor(tar)
  d <- (corm - corapn)^2
  lambda <- sum(v) / sum(d)
  lambda <- max(min(lambda, 1), 0)
  list(cov = lambda * tar + (1 - lambda) * covm, lambda = lambda)
}
# Hierarchy: node 1 total; 2, 3 counties; 4, 5 under 2; 6, 7 under 3.
S <- rbind(c(1, 1, 1, 1), c(1, 1, 0, 0), c(0, 0, 1, 1), diag(4))
tt <- 1:30
res <- sapply(1:7, function(j) sin(tt * j * 0.7 + j) * (1 + j / 3) + cos(tt * 0.3) * (j %% 3))
yhat <- c(100, 48, 57, 20, 25, 30, 24)
sh <- shrink.estim(res, diag(diag(crossprod(res) / nrow(res))))
Wi <- solve(sh$cov)
rec <- S %*% solve(t(S) %*% Wi %*% S) %*% t(S) %*% Wi %*% yhat
w(as.data.frame(res), "mint_residuals.csv")
w(data.frame(node = 1:7, base = yhat, mint = as.numeric(rec), bu = as.numeric(S %*% yhat[4:7])), "mint_reconciled.csv")
w(data.frame(name = "lambda", value = sh$lambda), "mint_lambda.csv")
