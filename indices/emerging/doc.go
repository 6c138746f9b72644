// Package emerging finds emerging issues: bursts of similar complaints in one
// place within a short sliding window, whatever category each complaint was
// filed under. A water outage in one residential compound may arrive as
// 物业, 消费 and 其他 complaints; the per-category alarms of indices/alarm see
// a few cases in each series and stay quiet, while the texts are nearly the
// same.
//
// Where it sits: a job (jobs.EmergingDay) reads the masked summaries of the
// window and of the baseline period before it, calls Detect, and writes the
// clusters. The package reads nothing and writes nothing; it sees only
// masked text, never raw personal data.
//
// Method: each text is normalised (digits, Latin letters and punctuation
// dropped, so masked numbers and dates do not make texts alike), cut into
// character shingles and summarised by a MinHash signature. Locality-
// sensitive hashing over bands of the signature proposes candidate pairs
// within a place; a pair whose Jaccard similarity (of the shingle sets,
// computed exactly) reaches the threshold is linked, and the connected
// components are the clusters. A
// cluster is a burst when its size is improbable under the place's baseline:
// the number of earlier complaints in the same place similar to the
// cluster, per window length, is the Poisson mean, and the upper-tail
// probability of the cluster size must fall below Alpha. Places are
// independent: Detect searches them in parallel, a worker per processor,
// and returns their clusters in place order.
package emerging
