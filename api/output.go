package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/riskwatch/riskwatch/indices/composite"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/transform"
)

// paramError is a request the client must change: 400 (or 403 for a region
// outside the token's scope) with a message naming the parameter.
type paramError struct {
	status int
	param  string
	msg    string
}

func (e *paramError) Error() string { return e.param + ": " + e.msg }

func badParam(param, format string, a ...any) error {
	return &paramError{status: http.StatusBadRequest, param: param, msg: fmt.Sprintf(format, a...)}
}

func forbiddenParam(param, format string, a ...any) error {
	return &paramError{status: http.StatusForbidden, param: param, msg: fmt.Sprintf(format, a...)}
}

// errorBody is every error answer: the message (Chinese, with the English
// in brackets) and the parameter it is about.
type errorBody struct {
	Error string `json:"error"`
	Param string `json:"param,omitempty"`
}

// WriteError writes an error answer in the API's form ({"error", "param"},
// not cached), for the parts mounted beside the API (warnings, reports).
func WriteError(w http.ResponseWriter, r *http.Request, status int, param, msg string) {
	writeError(w, r, status, param, msg)
}

// WriteJSON writes v as a JSON answer with the API's headers (not cached,
// nosniff), for the parts mounted beside the API.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, _ *http.Request, status int, param, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Error: msg, Param: param})
}

func writeErr(w http.ResponseWriter, r *http.Request, err error, log *slog.Logger) {
	var pe *paramError
	if errors.As(err, &pe) {
		writeError(w, r, pe.status, pe.param, pe.msg)
		return
	}
	if errors.Is(err, context.DeadlineExceeded) || store.IsQueryTimeout(err) {
		writeError(w, r, http.StatusGatewayTimeout, "", "查询超时 (the query took too long; narrow from/to or the filters)")
		return
	}
	log.Error("API query failed", "path", redactPath(r.URL.Path), "query", redactQuery(r.URL.RawQuery), "err", err)
	writeError(w, r, http.StatusInternalServerError, "", "查询失败 (the query failed; see the server log)")
}

// wantFormat returns json or csv from ?format= or the Accept header.
func wantFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "json", "csv":
		return f, nil
	case "":
	default:
		return "", badParam("format", "须为 json 或 csv (must be json or csv, not %q)", f)
	}
	for _, a := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(a)); err == nil && mt == "text/csv" {
			return "csv", nil
		}
	}
	return "json", nil
}

// result is a handler's answer: a table (columns and rows, written as CSV
// and, unless body is set, as JSON objects) plus top-level JSON fields.
type result struct {
	columns []string
	rows    [][]any
	meta    map[string]any
	// body replaces the default JSON form (the trend's series).
	body any
	// truncated says more rows matched than api.max_rows: a JSON answer
	// says so (X-Truncated, "truncated"), a CSV one is refused.
	truncated bool
}

func (r *result) n() int { return len(r.rows) }

// setCountHeaders sets X-Truncated on a cut answer and X-Total-Count where
// the number of matching rows is known: the case list's total, or the rows
// of an answer that was not cut.
func (r *result) setCountHeaders(w http.ResponseWriter) {
	if r.truncated {
		w.Header().Set("X-Truncated", "true")
		return
	}
	if t, ok := r.meta["total"].(uint64); ok {
		w.Header().Set("X-Total-Count", strconv.FormatUint(t, 10))
		return
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(len(r.rows)))
}

func (r *result) writeJSON(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	body := r.body
	if body == nil {
		objs := make([]orderedRow, len(r.rows))
		for i, row := range r.rows {
			objs[i] = orderedRow{cols: r.columns, vals: row}
		}
		m := map[string]any{"columns": r.columns, "rows": objs, "count": len(r.rows)}
		for k, v := range r.meta {
			m[k] = v
		}
		body = m
	}
	_ = json.NewEncoder(w).Encode(body)
}

// orderedRow encodes a row as a JSON object with the columns in order.
type orderedRow struct {
	cols []string
	vals []any
}

func (o orderedRow) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range o.cols {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// writeCSV writes the table with a UTF-8 byte order mark (so that Excel
// reads the Chinese names) and a file name from the path.
func (r *result) writeCSV(w http.ResponseWriter, p string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="riskwatch_`+strings.ReplaceAll(strings.Trim(strings.TrimPrefix(p, "/api"), "/"), "/", "_")+`.csv"`)
	_, _ = w.Write([]byte("\uFEFF"))
	cw := csv.NewWriter(w)
	_ = cw.Write(r.columns)
	rec := make([]string, len(r.columns))
	for _, row := range r.rows {
		for i, v := range row {
			rec[i] = csvValue(v)
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
}

// csvValue is a cell's text. Text that a spreadsheet would take for a
// formula (starting with = + - @, a tab or a carriage return) gets a
// leading single quote, so that Excel and LibreOffice show it as text and
// never evaluate it; numbers stay numbers.
func csvValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return csvText(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = csvValue(e)
		}
		return strings.Join(parts, "|")
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32:
		return fmt.Sprint(v)
	}
	return csvText(fmt.Sprint(v))
}

// csvText neutralises a formula at the start of a text cell.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// plain converts a scanned value to what the JSON and CSV writers show:
// times in Asia/Shanghai (a date when at midnight), NaN and ±Inf as null,
// slices element by element.
func plain(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		t := x.In(schemas.Zone())
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
			return t.Format(time.DateOnly)
		}
		return t.Format("2006-01-02 15:04:05")
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case float32:
		return plain(float64(x))
	case string, bool:
		return x
	case uint8, uint16, uint32, uint64, int8, int16, int32, int64, int, uint:
		return x
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = plain(rv.Index(i).Interface())
		}
		return out
	}
	return fmt.Sprint(v)
}

// maskedColumns hold free text; they are masked again on the way out
// (ingest already masked them), so that no personal data leaves even if a
// row was written by another path.
var maskedColumns = map[string]bool{"summary": true, "category_text": true, "detail": true, "title": true, "body": true,
	"response": true, "error": true}

// nameColumns get a *_name column with the registry's short name next to
// them.
var nameColumns = map[string]string{
	"region_code": "region_name", "parent_code": "parent_name", "county_code": "county_name",
	"town_code": "town_name", "village_code": "village_name",
}

// fromTable turns a store table into a result: plain values, masked text,
// Chinese names next to region codes and categories.
func (s *Server) fromTable(t store.APITable) *result {
	cats := schemas.CategoryByCode()
	var cols []string
	type add struct {
		at   int
		kind string
	}
	var adds []add
	for i, c := range t.Columns {
		cols = append(cols, c)
		if n, ok := nameColumns[c]; ok {
			cols = append(cols, n)
			adds = append(adds, add{i, "region"})
		} else if c == "category" {
			cols = append(cols, "category_name")
			adds = append(adds, add{i, "category"})
		} else if (c == "level" || c == "region_level") && i < len(t.Types) && t.Types[i] == "UInt8" {
			cols = append(cols, c+"_name")
			adds = append(adds, add{i, "level"})
		} else if c == "drivers_prev" || c == "drivers_siblings" {
			cols = append(cols, c+"_text")
			adds = append(adds, add{i, c})
		}
	}
	res := &result{columns: cols, rows: make([][]any, 0, len(t.Rows))}
	for _, row := range t.Rows {
		out := make([]any, 0, len(cols))
		ai := 0
		ids := rowCaseIDs(t.Columns, row)
		for i, v := range row {
			pv := plain(v)
			if str, ok := pv.(string); ok && maskedColumns[t.Columns[i]] {
				pv = transform.MaskKeeping(str, nil, ids)
			}
			out = append(out, pv)
			if ai < len(adds) && adds[ai].at == i {
				switch adds[ai].kind {
				case "region":
					out = append(out, s.regionName(fmt.Sprint(v)))
				case "category":
					out = append(out, cats[fmt.Sprint(v)].NameZH)
				case "level":
					out = append(out, levelName(v))
				case "drivers_prev":
					out = append(out, driversText(v, composite.AgainstPrevious))
				case "drivers_siblings":
					out = append(out, driversText(v, composite.AgainstSiblings))
				}
				ai++
			}
		}
		res.rows = append(res.rows, out)
	}
	if t.Truncated {
		res.meta = map[string]any{"truncated": true}
		res.truncated = true
	}
	return res
}

// driversText turns the risk job's drivers ("code|attribution|value|
// reference") into words with direction and size (超期办理率上升3.2个百分点,
// 超期办理率高于同级3.2个百分点); a malformed entry is left out.
func driversText(v any, against composite.Against) []string {
	var raw []string
	switch x := v.(type) {
	case []string:
		raw = x
	case []any:
		for _, e := range x {
			raw = append(raw, fmt.Sprint(e))
		}
	}
	out := []string{}
	for _, d := range raw {
		p := strings.Split(d, "|")
		if len(p) != 4 {
			continue
		}
		value, err1 := strconv.ParseFloat(p[2], 64)
		ref, err2 := strconv.ParseFloat(p[3], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, composite.DriverZH(p[0], value, ref, against))
	}
	return out
}

// rowCaseIDs returns the case ids of a row: its case_id, and the id of a
// subject "source:case_id". Masking keeps them in the row's free text (an
// id is no personal data, whatever digits it holds); whether a role may see
// them at all is noCaseIDsForLeader's rule.
func rowCaseIDs(cols []string, row []any) []string {
	var ids []string
	for i, c := range cols {
		if i >= len(row) {
			break
		}
		v, _ := plain(row[i]).(string)
		switch c {
		case "case_id":
			if v != "" {
				ids = append(ids, v)
			}
		case "subject":
			if _, id, ok := strings.Cut(v, ":"); ok && id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func levelName(v any) string {
	n, err := strconv.Atoi(fmt.Sprint(v))
	if err != nil {
		return ""
	}
	return schemas.Level(n).String()
}

// regionName is the short name of a code ("" for an empty or unknown code).
func (s *Server) regionName(code string) string {
	if code == "" {
		return ""
	}
	r, ok := s.reg.Lookup(code)
	if !ok {
		return ""
	}
	return r.ShortName
}
