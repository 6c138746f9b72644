package transform

import "strings"

// Reason is the stable machine code of a rejection. Reasons are stored in
// ingest_errors and sent as a dead-letter header, so a code is never renamed
// or reused for a different meaning.
type Reason string

// Reasons a record is rejected for.
const (
	// ReasonEmpty: the message has no bytes, or only white space.
	ReasonEmpty Reason = "empty"
	// ReasonTooLarge: the message is longer than Options.MaxMessageBytes.
	ReasonTooLarge Reason = "too_large"
	// ReasonInvalidUTF8: the message is not valid UTF-8.
	ReasonInvalidUTF8 Reason = "invalid_utf8"
	// ReasonNullByte: the message holds a NUL byte, raw or escaped as \u0000.
	ReasonNullByte Reason = "null_byte"
	// ReasonBadJSON: the message is not well-formed JSON.
	ReasonBadJSON Reason = "bad_json"
	// ReasonTrailingData: something other than white space follows the object.
	ReasonTrailingData Reason = "trailing_data"
	// ReasonWrongType: a value has the wrong JSON type (a number sent as a
	// string, null, a fraction where an integer is required, …), or the
	// message is not a JSON object.
	ReasonWrongType Reason = "wrong_type"
	// ReasonUnknownField: the object has a field the contract does not define.
	ReasonUnknownField Reason = "unknown_field"
	// ReasonDuplicateField: the object has the same field twice.
	ReasonDuplicateField Reason = "duplicate_field"
	// ReasonMissingField: a required field is absent.
	ReasonMissingField Reason = "missing_field"
	// ReasonBadValue: a value has the right type but is out of range or
	// malformed (version 0, negative amount, unparseable time, …).
	ReasonBadValue Reason = "bad_value"
	// ReasonTooLong: a string or list is longer than its bound.
	ReasonTooLong Reason = "too_long"
	// ReasonUnknownEnum: an enumerated field (or category) has a value
	// outside its set.
	ReasonUnknownEnum Reason = "unknown_enum"
	// ReasonUnknownRegion: region_code is not a unit of the registry.
	ReasonUnknownRegion Reason = "unknown_region"
	// ReasonFutureTime: a time lies further in the future than allowed.
	ReasonFutureTime Reason = "future_time"
	// ReasonUnsupportedContract: the record declares a contract version this
	// build does not understand. It takes precedence over field errors,
	// because a newer contract may add or retype fields.
	ReasonUnsupportedContract Reason = "unsupported_contract"
)

// Reasons lists every Reason, for metrics that want a series per reason from
// the start and for tests.
func Reasons() []Reason {
	return []Reason{
		ReasonEmpty, ReasonTooLarge, ReasonInvalidUTF8, ReasonNullByte, ReasonBadJSON,
		ReasonTrailingData, ReasonWrongType, ReasonUnknownField, ReasonDuplicateField,
		ReasonMissingField, ReasonBadValue, ReasonTooLong, ReasonUnknownEnum,
		ReasonUnknownRegion, ReasonFutureTime, ReasonUnsupportedContract,
	}
}

// RejectError says why a message was rejected. It is permanent: retrying the
// same bytes gives the same error, so the message belongs in the dead-letter
// topic. Detail never carries unmasked personal data: values quoted in it are
// masked and shortened.
type RejectError struct {
	Reason Reason
	// Field is the wire name of the field at fault, or "" when the fault is
	// in the message as a whole.
	Field  string
	Detail string
}

// Error returns "invalid record: field <field>: <reason>: <detail>", leaving
// out the parts that are empty.
func (e *RejectError) Error() string {
	var b strings.Builder
	b.WriteString("invalid record: ")
	if e.Field != "" {
		b.WriteString("field ")
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Reason))
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

func reject(r Reason, field, detail string) *RejectError {
	return &RejectError{Reason: r, Field: field, Detail: detail}
}
