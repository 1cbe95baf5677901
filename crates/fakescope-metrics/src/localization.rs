//! Temporal localization: AP at IoU thresholds and AR at proposal counts (AV-Deepfake1M, LAV-DF).
