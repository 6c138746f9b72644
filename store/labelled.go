package store

import (
	"context"
	"fmt"
	"time"
)

// LabelledCase is the text and category of a case whose category staff
// set at the source (category_rule "given"), for training the classifier.
// The texts are the stored ones, masked.
type LabelledCase struct {
	Category, CategoryText, Summary string
}

// StaffLabelledCases returns the latest version of every case reported on
// or after the local day of since whose category came with the record
// rather than from our rules, in case order.
func (s *Store) StaffLabelledCases(ctx context.Context, since time.Time) ([]LabelledCase, error) {
	rows, err := s.conn.Query(ctx, `SELECT category, category_text, summary FROM cases FINAL
WHERE category_rule = 'given' AND reported_date >= toDate(?) ORDER BY source, case_id`, day(since))
	if err != nil {
		return nil, fmt.Errorf("cannot read staff-labelled cases: %w", err)
	}
	defer rows.Close()
	var out []LabelledCase
	for rows.Next() {
		var c LabelledCase
		if err := rows.Scan(&c.Category, &c.CategoryText, &c.Summary); err != nil {
			return nil, fmt.Errorf("cannot read staff-labelled cases: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read staff-labelled cases: %w", err)
	}
	return out, nil
}
