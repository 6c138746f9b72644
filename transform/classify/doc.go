// Package classify is the learned text classifier of the transform: it
// turns a record's free text into a taxonomy code with a confidence, from a
// model trained on a center's labelled history.
//
// Features are character n-grams (1 to 3 runes by default) of the
// normalised text, hashed into a fixed number of buckets, weighted by
// TF-IDF with sublinear term frequency and scaled to unit L2 length. The
// model is multinomial logistic regression trained by stochastic gradient
// descent with L2 regularisation and class weights inversely proportional
// to class frequency. Training is deterministic for a given seed and data.
//
// A Model file is gzip-compressed gob with a format number; it carries the
// labels (the taxonomy codes it predicts), the SHA-256 of its training data,
// the feature configuration and a version string, which the transform
// records as "model:<version>" in category_rule.
//
// The package is pure: no I/O besides the readers and writers it is given,
// no clock, no logging. It imports only the standard library. Reading data
// files and printing reports is the job of the command line (internal/app).
package classify
