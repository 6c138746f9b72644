package transform

import (
	"bytes"
	"fmt"

	"github.com/riskwatch/riskwatch/schemas"
)

// field identifies one wire field of the record contract. The numbering is
// private; it exists so that "seen" is a bit set and duplicates cost nothing.
type field uint8

// Fields of the contract, in the order of schemas.Record. Validation reports
// the first error in this order, so the order is part of the behaviour.
const (
	fContract field = iota
	fCaseID
	fVersion
	fSource
	fChannel
	fReportedAt
	fOccurredAt
	fRegionCode
	fGridID
	fLat
	fLon
	fCategory
	fCategoryText
	fSummary
	fPartyNames
	fPartyDetails
	fSeverity
	fParties
	fAmountCNY
	fStatus
	fAssignedUnit
	fDueAt
	fResolvedAt
	fFeedbackAt
	fEvaluatedAt
	fSatisfaction
	fRepeatOf
	fPetition
	fSuperiorAssigned
	fEscalated
	fUpdatedAt
	numFields
)

// kind is the JSON type a field must have.
type kind uint8

const (
	kindString kind = iota
	kindNumber
	kindBool
	kindStringList
	kindPartyList
)

// fieldByName maps an exact wire name to its field. Matching is exact and
// case-sensitive, unlike encoding/json's struct decoding, because the JSON
// Schema has additionalProperties false: "Case_ID" is an unknown field.
func fieldByName(name string) (field, bool) {
	switch name {
	case "contract":
		return fContract, true
	case "case_id":
		return fCaseID, true
	case "version":
		return fVersion, true
	case "source":
		return fSource, true
	case "channel":
		return fChannel, true
	case "reported_at":
		return fReportedAt, true
	case "occurred_at":
		return fOccurredAt, true
	case "region_code":
		return fRegionCode, true
	case "grid_id":
		return fGridID, true
	case "lat":
		return fLat, true
	case "lon":
		return fLon, true
	case "category":
		return fCategory, true
	case "category_text":
		return fCategoryText, true
	case "summary":
		return fSummary, true
	case "party_names":
		return fPartyNames, true
	case "party_details":
		return fPartyDetails, true
	case "severity":
		return fSeverity, true
	case "parties":
		return fParties, true
	case "amount_cny":
		return fAmountCNY, true
	case "status":
		return fStatus, true
	case "assigned_unit":
		return fAssignedUnit, true
	case "due_at":
		return fDueAt, true
	case "resolved_at":
		return fResolvedAt, true
	case "feedback_at":
		return fFeedbackAt, true
	case "evaluated_at":
		return fEvaluatedAt, true
	case "satisfaction":
		return fSatisfaction, true
	case "repeat_of":
		return fRepeatOf, true
	case "petition":
		return fPetition, true
	case "superior_assigned":
		return fSuperiorAssigned, true
	case "escalated":
		return fEscalated, true
	case "updated_at":
		return fUpdatedAt, true
	}
	return 0, false
}

// name returns the wire name of f.
func (f field) name() string {
	switch f {
	case fContract:
		return "contract"
	case fCaseID:
		return "case_id"
	case fVersion:
		return "version"
	case fSource:
		return "source"
	case fChannel:
		return "channel"
	case fReportedAt:
		return "reported_at"
	case fOccurredAt:
		return "occurred_at"
	case fRegionCode:
		return "region_code"
	case fGridID:
		return "grid_id"
	case fLat:
		return "lat"
	case fLon:
		return "lon"
	case fCategory:
		return "category"
	case fCategoryText:
		return "category_text"
	case fSummary:
		return "summary"
	case fPartyNames:
		return "party_names"
	case fPartyDetails:
		return "party_details"
	case fSeverity:
		return "severity"
	case fParties:
		return "parties"
	case fAmountCNY:
		return "amount_cny"
	case fStatus:
		return "status"
	case fAssignedUnit:
		return "assigned_unit"
	case fDueAt:
		return "due_at"
	case fResolvedAt:
		return "resolved_at"
	case fFeedbackAt:
		return "feedback_at"
	case fEvaluatedAt:
		return "evaluated_at"
	case fSatisfaction:
		return "satisfaction"
	case fRepeatOf:
		return "repeat_of"
	case fPetition:
		return "petition"
	case fSuperiorAssigned:
		return "superior_assigned"
	case fEscalated:
		return "escalated"
	case fUpdatedAt:
		return "updated_at"
	}
	return fmt.Sprintf("field(%d)", int(f))
}

// kind returns the JSON type f must have.
func (f field) kind() kind {
	switch f {
	case fContract, fVersion, fLat, fLon, fParties, fAmountCNY:
		return kindNumber
	case fPetition, fSuperiorAssigned, fEscalated:
		return kindBool
	case fPartyNames:
		return kindStringList
	case fPartyDetails:
		return kindPartyList
	}
	return kindString
}

// wire is a record as decoded, before validation: strings as sent, numbers
// as their literal text (so that "1.5" for an integer is told apart from a
// range error), and a bit set of the fields present.
type wire struct {
	seen uint32
	str  [numFields]string // string fields and number literals, by field
	flag [numFields]bool
	// partyNames is the only list of strings.
	partyNames []string
	// partyDetails is the list of structured parties.
	partyDetails []schemas.Party
}

func (w *wire) has(f field) bool { return w.seen&(1<<f) != 0 }

// decode reads msg as one JSON object of the contract into w.
//
// It returns fatal for errors that end decoding (syntax, not an object,
// trailing data). Field-level errors (wrong type, unknown or duplicate
// field, escaped NUL) do not end decoding: the first one is returned as
// fieldErr and the rest of the object is still read and checked, so that
// the caller can let an unsupported contract version take precedence.
//
// It uses the small scanner in scan.go rather than encoding/json: the
// contract is a flat object, and a scanner made for it gives exact
// (case-sensitive) field names, duplicate detection, the JSON type of every
// value and the field of every error, none of which encoding/json's struct
// decoding gives. encoding/json's token stream gives them too, but it
// allocates an error value per token: with it a record took 14 µs, of
// which 11 µs decoding; the whole transform now takes about 2.5 µs.
// FuzzDecodeMatchesEncodingJSON holds the scanner to encoding/json's idea
// of valid JSON and of string contents.
func decode(msg []byte, w *wire, enums *[numFields]schemas.Enum) (fieldErr, fatal *RejectError) {
	s := scanner{data: msg, enums: enums}
	s.ws()
	if s.peek() != '{' {
		// Read the whole value first: what is not JSON at all is bad_json,
		// what is JSON but no object is wrong_type.
		got, err := s.skipValue(0)
		if err != nil {
			return nil, err
		}
		if e := s.end(); e != nil {
			return nil, e
		}
		return nil, reject(ReasonWrongType, "", "the message must be a JSON object, got "+got.String())
	}
	note := func(e *RejectError) {
		if fieldErr == nil {
			fieldErr = e
		}
	}
	s.pos++
	s.ws()
	if s.peek() == '}' {
		s.pos++
		return nil, s.end()
	}
	for {
		s.ws()
		if s.peek() != '"' {
			return nil, s.syntax("expected a field name")
		}
		key, err := s.str()
		if err != nil {
			return nil, err
		}
		s.ws()
		if s.peek() != ':' {
			return nil, s.syntax("expected ':' after a field name")
		}
		s.pos++
		s.ws()
		f, known := fieldByName(string(key))
		switch {
		case !known:
			note(reject(ReasonUnknownField, safeText(string(key), nil, maxDetailRunes), "the contract has no such field"))
			if _, err := s.skipValue(1); err != nil {
				return nil, err
			}
		case w.has(f):
			note(reject(ReasonDuplicateField, f.name(), "the field appears more than once"))
			if _, err := s.skipValue(1); err != nil {
				return nil, err
			}
		default:
			w.seen |= 1 << f
			if err := s.fieldValue(f, w, note); err != nil {
				return nil, err
			}
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return fieldErr, s.end()
		default:
			return nil, s.syntax("expected ',' or '}' after a field value")
		}
	}
}

// fieldValue reads the value of a known field into w. A value of the wrong
// type is noted and skipped.
func (s *scanner) fieldValue(f field, w *wire, note func(*RejectError)) *RejectError {
	want := f.kind()
	got := s.kindAt()
	switch {
	case want == kindString && got == tokString:
		v, err := s.str()
		if err != nil {
			return err
		}
		if bytes.IndexByte(v, 0) >= 0 {
			note(reject(ReasonNullByte, f.name(), "the string holds an escaped NUL (\\u0000)"))
		}
		w.str[f] = s.intern(f, v)
		return nil
	case want == kindNumber && got == tokNumber:
		v, err := s.number()
		if err != nil {
			return err
		}
		w.str[f] = string(v)
		return nil
	case want == kindBool && (got == tokTrue || got == tokFalse):
		w.flag[f] = got == tokTrue
		_, err := s.skipValue(1)
		return err
	case want == kindStringList && got == tokArray:
		return s.stringList(f, w, note)
	case want == kindPartyList && got == tokArray:
		return s.partyList(f, w, note)
	}
	note(wrongType(f, want, got))
	_, err := s.skipValue(1)
	return err
}

// intern returns the value of a string field as a string. The value of an
// enumerated field is returned as the schema's own string when it is one,
// which spares an allocation per enum for every record.
func (s *scanner) intern(f field, v []byte) string {
	if s.enums != nil {
		for _, val := range s.enums[f].Values {
			if string(v) == val {
				return val
			}
		}
	}
	return string(v)
}

// stringList reads an array of strings (party_names).
func (s *scanner) stringList(f field, w *wire, note func(*RejectError)) *RejectError {
	return s.elements(func() *RejectError {
		if s.kindAt() != tokString {
			note(wrongType(f, kindStringList, s.kindAt()))
			_, err := s.skipValue(2)
			return err
		}
		v, err := s.str()
		if err != nil {
			return err
		}
		if bytes.IndexByte(v, 0) >= 0 {
			note(reject(ReasonNullByte, f.name(), "a name holds an escaped NUL (\\u0000)"))
		}
		w.partyNames = append(w.partyNames, string(v))
		return nil
	})
}

// partyList reads an array of party objects (party_details). A member of
// a party that is not a string, or that the contract does not know, is
// noted and skipped.
func (s *scanner) partyList(f field, w *wire, note func(*RejectError)) *RejectError {
	return s.elements(func() *RejectError {
		if s.kindAt() != tokObject {
			note(wrongType(f, kindPartyList, s.kindAt()))
			_, err := s.skipValue(2)
			return err
		}
		p, err := s.party(f, note)
		if err != nil {
			return err
		}
		w.partyDetails = append(w.partyDetails, p)
		return nil
	})
}

// elements reads an array starting at its '[', calling each with the
// scanner at every element's first byte; each consumes the element. An
// empty array calls it never.
func (s *scanner) elements(each func() *RejectError) *RejectError {
	s.pos++ // '['
	s.ws()
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for {
		s.ws()
		if err := each(); err != nil {
			return err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.syntax("expected ',' or ']' after an array element")
		}
	}
}

// party reads one party object starting at its '{'.
func (s *scanner) party(f field, note func(*RejectError)) (schemas.Party, *RejectError) {
	var p schemas.Party
	var seen [5]bool
	s.pos++ // '{'
	s.ws()
	if s.peek() == '}' {
		s.pos++
		return p, nil
	}
	for {
		s.ws()
		if s.peek() != '"' {
			return p, s.syntax("expected a field name")
		}
		key, err := s.str()
		if err != nil {
			return p, err
		}
		name := string(key)
		s.ws()
		if s.peek() != ':' {
			return p, s.syntax("expected ':' after a field name")
		}
		s.pos++
		s.ws()
		var dst *string
		idx := -1
		switch name {
		case "role":
			dst, idx = &p.Role, 0
		case "name":
			dst, idx = &p.Name, 1
		case "id_number":
			dst, idx = &p.IDNumber, 2
		case "phone":
			dst, idx = &p.Phone, 3
		case "org":
			dst, idx = &p.Org, 4
		}
		switch {
		case dst == nil:
			note(reject(ReasonUnknownField, f.name()+"."+safeText(name, nil, maxDetailRunes), "a party has no such field"))
			if _, err := s.skipValue(3); err != nil {
				return p, err
			}
		case seen[idx]:
			note(reject(ReasonDuplicateField, f.name()+"."+name, "the field appears more than once in a party"))
			if _, err := s.skipValue(3); err != nil {
				return p, err
			}
		case s.kindAt() != tokString:
			seen[idx] = true
			got := s.kindAt()
			detail := "expected a string, got " + got.String()
			if got == tokNull {
				detail += " (omit an absent field instead of sending null)"
			}
			note(reject(ReasonWrongType, f.name()+"."+name, detail))
			if _, err := s.skipValue(3); err != nil {
				return p, err
			}
		default:
			seen[idx] = true
			v, err := s.str()
			if err != nil {
				return p, err
			}
			if bytes.IndexByte(v, 0) >= 0 {
				note(reject(ReasonNullByte, f.name()+"."+name, "the string holds an escaped NUL (\\u0000)"))
			}
			*dst = string(v)
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return p, nil
		default:
			return p, s.syntax("expected ',' or '}' after a field value")
		}
	}
}

func wrongType(f field, want kind, got tok) *RejectError {
	detail := "expected " + want.String() + ", got " + got.String()
	if got == tokNull {
		detail += " (omit an absent field instead of sending null)"
	}
	return reject(ReasonWrongType, f.name(), detail)
}

// String names the JSON type a kind must have.
func (k kind) String() string {
	switch k {
	case kindNumber:
		return "a number"
	case kindBool:
		return "true or false"
	case kindStringList:
		return "an array of strings"
	case kindPartyList:
		return "an array of party objects"
	}
	return "a string"
}
