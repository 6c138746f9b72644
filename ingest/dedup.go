package ingest

import (
	"hash/maphash"
	"strconv"

	"github.com/riskwatch/riskwatch/schemas"
)

// versionCache remembers, per partition, the content hash of the versions
// it has seen, to tell a redelivery (same bytes: harmless, passed through)
// from a producer that sent the same version of a case twice with different
// content (a conflict: dead-lettered, the first write stands).
//
// Memory is bounded: two generations of at most limit entries each; when
// the current one fills, the older is dropped. A conflict whose first copy
// is older than that, or arrived before a restart or rebalance, is not
// detected here; versions of a case share a partition (key = case id), so
// the cache sees them in order while it owns the partition.
// versionCacheEntries bounds each generation of a partition's cache: two
// generations of 64k versions take ~10 MB and cover weeks of a province's
// stream, long enough for the re-sends this is meant to catch.
const versionCacheEntries = 1 << 16

type versionCache struct {
	seed     maphash.Seed
	limit    int
	cur, old map[uint64]seenVersion
}

type seenVersion struct {
	content uint64
	offset  int64
}

func newVersionCache(limit int) *versionCache {
	return &versionCache{seed: maphash.MakeSeed(), limit: limit, cur: make(map[uint64]seenVersion, 1024)}
}

// check records the version and reports the offset of an earlier copy with
// different content, or -1.
func (c *versionCache) check(r *schemas.CaseRow, value []byte, offset int64) int64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(string(r.Source))
	h.WriteByte(0)
	h.WriteString(r.CaseID)
	h.WriteByte(0)
	h.WriteString(strconv.FormatUint(uint64(r.Version), 10))
	key := h.Sum64()
	content := maphash.Bytes(c.seed, value)
	if s, ok := c.cur[key]; ok {
		if s.content != content && s.offset != offset {
			return s.offset
		}
		return -1
	}
	if s, ok := c.old[key]; ok && s.content != content && s.offset != offset {
		return s.offset
	}
	if len(c.cur) >= c.limit {
		c.old, c.cur = c.cur, make(map[uint64]seenVersion, c.limit)
	}
	c.cur[key] = seenVersion{content: content, offset: offset}
	return -1
}
