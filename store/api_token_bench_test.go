package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// BenchmarkAPITokenChecks compares, on 200 tokens (50 revoked), what the
// API can ask per request: the full token lookup by hash (api_tokens
// FINAL) and the token generation (max(version)), the revocation check a
// cached token needs.
func BenchmarkAPITokenChecks(b *testing.B) {
	ch := testenv.ClickHouse(b)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Addrs: []string{ch.Addr}, Database: testenv.FreshDatabase(b, "benchtok"), Username: "default",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	defer st.DropDatabase(ctx)
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 200; i++ {
		if err := st.APIInsertToken(ctx, store.APIToken{ID: fmt.Sprint("id", i), Hash: fmt.Sprintf("%064d", i), Name: "n", Role: "analyst",
			Created: now, Version: uint64(i + 1)}); err != nil {
			b.Fatal(err)
		}
		if i%4 == 0 {
			if _, err := st.APIRevokeToken(ctx, fmt.Sprint("id", i), now); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("lookup_by_hash", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, ok, err := st.APITokenByHash(ctx, fmt.Sprintf("%064d", i%200)); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("generation", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := st.APITokenGeneration(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
