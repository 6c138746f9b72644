package store

import (
	"context"
	"fmt"
	"time"
)

// ReportSubscription is one row of report_subscriptions.
type ReportSubscription struct {
	ID, Owner, OwnerKind, OwnerScope, Region, Kind string
	Channels                                       []string
	Created                                        time.Time
	Removed                                        bool
	Version                                        uint64
}

const subscriptionColumns = "id, owner, owner_kind, owner_scope, region, kind, channels, created, removed, version"

// WriteReportSubscription stores a subscription (or a new version of one:
// a removal is a version with Removed set).
func (s *Store) WriteReportSubscription(ctx context.Context, r ReportSubscription) error {
	var rm uint8
	if r.Removed {
		rm = 1
	}
	if r.Channels == nil {
		r.Channels = []string{}
	}
	return s.insertColumns(ctx, "report_subscriptions", subscriptionColumns, []any{
		[]string{r.ID}, []string{r.Owner}, []string{r.OwnerKind}, []string{r.OwnerScope}, []string{r.Region}, []string{r.Kind},
		[][]string{r.Channels}, []time.Time{r.Created}, []uint8{rm}, []uint64{r.Version}})
}

// ReportSubscriptions returns the newest version of every subscription
// that is not removed, oldest first.
func (s *Store) ReportSubscriptions(ctx context.Context) ([]ReportSubscription, error) {
	rows, err := s.conn.Query(ctx, "SELECT "+subscriptionColumns+" FROM report_subscriptions FINAL WHERE removed = 0 ORDER BY created, id")
	if err != nil {
		return nil, fmt.Errorf("cannot read the report subscriptions: %w", err)
	}
	defer rows.Close()
	var out []ReportSubscription
	for rows.Next() {
		var r ReportSubscription
		var rm uint8
		if err := rows.Scan(&r.ID, &r.Owner, &r.OwnerKind, &r.OwnerScope, &r.Region, &r.Kind, &r.Channels, &r.Created, &rm, &r.Version); err != nil {
			return nil, fmt.Errorf("cannot read a report subscription: %w", err)
		}
		r.Removed = rm == 1
		out = append(out, r)
	}
	return out, rows.Err()
}
