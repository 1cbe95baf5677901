//! Affine logistic calibration of scores into log-likelihood ratios (the BOSARIS objective).
