package transform

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/riskwatch/riskwatch/schemas"
)

// Category rules recorded in CaseRow.CategoryRule besides "keyword:<kw>".
const (
	RuleGiven   = "given"
	RuleDefault = "default"
	// RuleKeywordPrefix starts the rule of a category found by keyword.
	RuleKeywordPrefix = "keyword:"
	// RuleModelPrefix starts the rule of a category found by the learned
	// classifier; the model's version follows.
	RuleModelPrefix = "model:"
)

// keyword is one classification keyword with its precomputed outcome.
type keyword struct {
	text     string
	prio     int // position in classification order: lower wins
	code     string
	group    string
	rule     string // "keyword:" + text, built once
	firstLen int    // byte length of the first rune
}

// classifier finds the taxonomy category of free text by keywords, with the
// semantics of trying every category in classification order (leaves, then
// groups), and within it every keyword in order, and taking the first one
// the text contains. It gets there in one pass over the text instead of one
// pass per keyword: at each rune it tries only the keywords that start with
// that rune and keeps the match of lowest priority.
type classifier struct {
	// firstBMP marks the runes below U+10000 that start a keyword, so most
	// runes of a text are passed over without a map lookup.
	firstBMP [1 << 16 / 64]uint64
	byFirst  map[rune][]keyword // sorted by prio
}

// classifyOrder returns cats in the order keywords are tried, with the rule
// of schemas.ClassifyOrder (leaves before groups, each in taxonomy order)
// applied to any taxonomy, not only the built-in one.
func classifyOrder(cats []schemas.Category) []schemas.Category {
	out := make([]schemas.Category, 0, len(cats))
	for _, c := range cats {
		if c.Parent != "" {
			out = append(out, c)
		}
	}
	for _, c := range cats {
		if c.Parent == "" && len(c.Keywords) > 0 {
			out = append(out, c)
		}
	}
	return out
}

func newClassifier(cats []schemas.Category) (*classifier, error) {
	c := &classifier{byFirst: map[rune][]keyword{}}
	prio := 0
	for _, cat := range classifyOrder(cats) {
		group := cat.Parent
		if group == "" {
			group = cat.Code
		}
		for _, kw := range cat.Keywords {
			if kw == "" || !utf8.ValidString(kw) {
				return nil, fmt.Errorf("category %q: empty or invalid keyword", cat.Code)
			}
			r, size := utf8.DecodeRuneInString(kw)
			c.byFirst[r] = append(c.byFirst[r], keyword{text: kw, prio: prio, code: cat.Code,
				group: group, rule: RuleKeywordPrefix + kw, firstLen: size})
			if r < 1<<16 {
				c.firstBMP[r/64] |= 1 << (r % 64)
			}
			prio++
		}
	}
	return c, nil
}

// match returns the winning keyword in text, or false.
func (c *classifier) match(text string) (keyword, bool) {
	best, found := keyword{}, false
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if r >= 1<<16 || c.firstBMP[r/64]&(1<<(r%64)) != 0 {
			for _, kw := range c.byFirst[r] {
				if found && kw.prio >= best.prio {
					break // sorted by prio: nothing better here
				}
				if strings.HasPrefix(text[i:], kw.text) {
					best, found = kw, true
					if kw.prio == 0 {
						return best, true
					}
					break
				}
			}
		}
		i += size
	}
	return best, found
}

// KeywordClassifier is the taxonomy's keyword rules on their own, for
// comparing them with a learned model on labelled data.
type KeywordClassifier struct {
	c     *classifier
	other string // group of schemas.OtherCategory
}

// NewKeywordClassifier builds the keyword rules of cats.
func NewKeywordClassifier(cats []schemas.Category) (*KeywordClassifier, error) {
	c, err := newClassifier(cats)
	if err != nil {
		return nil, err
	}
	return &KeywordClassifier{c: c, other: schemas.OtherCategory}, nil
}

// Classify returns the category, its group and the rule the transform
// would record for text (a record's category_text or summary): the first
// keyword found, else "other" by "default".
func (k *KeywordClassifier) Classify(text string) (code, group, rule string) {
	if kw, ok := k.c.match(text); ok {
		return kw.code, kw.group, kw.rule
	}
	return schemas.OtherCategory, k.other, RuleDefault
}
