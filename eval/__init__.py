"""The evaluation harness: datasets, metrics and the calibration of answer thresholds."""
