package statcli

import (
	"strings"
	"testing"
)

// TestBadInput runs every command on bad input and checks the exit code
// and the whole message on stderr, which names the file, line and column.
func TestBadInput(t *testing.T) {
	const (
		series   = "t,observed\n1,3\n2,4\n3,5\n4,2\n5,1\n6,2\n7,0\n8,4\n9,3\n"
		values   = "id,v\na,1\nb,2\nc,3\n"
		nb       = "id,neighbors\na,b\nb,a c\nc,b\n"
		ebData   = "id,cases,pop\na,1,100\nb,2,200\nc,3,300\n"
		help     = "Run 'riskwatch stat --help' for usage.\n"
		detectE1 = "riskwatch stat detect: "
	)
	gistar := []string{"gistar", "--values", "values.csv", "--value-column", "v", "--neighbors", "nb.csv"}
	for _, tc := range []struct {
		name  string
		files map[string]string
		args  []string
		want  string // the whole of stderr
	}{
		// detect: input files.
		{"not a number", map[string]string{"series.csv": strings.Replace(series, "6,2", "6,abc", 1)},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 7, column observed: \"abc\" is not a number\n"},
		{"empty count", map[string]string{"series.csv": strings.Replace(series, "6,2", "6,", 1)},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 7, column observed: \"\" is not a number\n"},
		{"negative count", map[string]string{"series.csv": strings.Replace(series, "3,5", "3,-5", 1)},
			[]string{"detect", "--method", "cusum", "series.csv"},
			detectE1 + "series.csv line 4, column observed: \"-5\" is negative: counts must be 0 or more\n"},
		{"infinite count", map[string]string{"series.csv": strings.Replace(series, "3,5", "3,Inf", 1)},
			[]string{"detect", "--method", "cusum", "series.csv"},
			detectE1 + "series.csv line 4, column observed: \"Inf\" is not a finite number\n"},
		{"fractional count", map[string]string{"series.csv": strings.Replace(series, "3,5", "3,2.5", 1)},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 4, column observed: \"2.5\" is not a whole number: counts are whole\n"},
		{"count too large", map[string]string{"series.csv": strings.Replace(series, "3,5", "3,1e26", 1)},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 4, column observed: \"1e26\" is above 1e+12, the largest count accepted\n"},
		{"count near the float limit", map[string]string{"series.csv": strings.Replace(series, "3,5", "3,1e308", 1)},
			[]string{"detect", "--method", "cusum", "series.csv"},
			detectE1 + "series.csv line 4, column observed: \"1e308\" is above 1e+12, the largest count accepted\n"},
		{"missing column", map[string]string{"series.csv": strings.Replace(series, "observed", "cases", 1)},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 1: no column \"observed\" in the header (the columns are t, cases)\n"},
		{"missing t", map[string]string{"series.csv": strings.Replace(series, "t,", "week,", 1)},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 1: no column \"t\" in the header (the columns are week, observed)\n"},
		{"duplicate column", map[string]string{"series.csv": "t,observed,observed\n1,2,3\n"},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 1, column observed: the header has this column twice (fields 2 and 3)\n"},
		{"t gap", map[string]string{"series.csv": strings.Replace(series, "5,1\n", "", 1)},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 6, column t: t is 6, want 5: t must run 1, 2, 3, … in row order without gaps\n"},
		{"t not starting at 1", map[string]string{"series.csv": "t,observed\n0,1\n1,2\n"},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 2, column t: t is 0, want 1: t must run 1, 2, 3, … in row order without gaps\n"},
		{"t not whole", map[string]string{"series.csv": strings.Replace(series, "4,2", "4.5,2", 1)},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 5, column t: \"4.5\" is not a whole number\n"},
		{"t not a number", map[string]string{"series.csv": strings.Replace(series, "4,2", "four,2", 1)},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 5, column t: \"four\" is not a number\n"},
		{"too short", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "ears-c3", "series.csv"},
			detectE1 + "series.csv line 10, column observed: the series ends here (t = 9): ears-C3: series too short: 9 points, but baseline 7 needs at least 12\n"},
		{"too short for the range", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "ears-c1", "--range-start", "3", "series.csv"},
			detectE1 + "series.csv line 10, column observed: the series ends here (t = 9): ears-C1: series too short: the vector of observed is too short: t=3 needs 7 earlier points (baseline 7)\n"},
		{"range beyond the series", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "cusum", "--range-start", "10", "series.csv"},
			detectE1 + "series.csv line 10, column observed: the series ends here (t = 9): cusum: series too short: the first monitored t is 10 but the series has only 9 points\n"},
		{"ragged row", map[string]string{"series.csv": strings.Replace(series, "4,2", "4,2,7", 1)},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 5: the row has 3 fields, the header has 2\n"},
		{"bad quoting", map[string]string{"series.csv": strings.Replace(series, "4,2", "4,\"2", 1)},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 5: extraneous or missing \" in quoted-field (the row runs on to line 10)\n"},
		{"stray quote", map[string]string{"series.csv": strings.Replace(series, "4,2", "4,2\"x", 1)},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 5: bare \" in non-quoted-field (at byte 4 of the line)\n"},
		{"empty file", map[string]string{"series.csv": ""},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv: empty file: want a header row\n"},
		{"header only", map[string]string{"series.csv": "t,observed\n"},
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv line 1: no data rows after the header\n"},
		{"no such file", nil,
			[]string{"detect", "--method", "ears-c1", "series.csv"},
			detectE1 + "series.csv: cannot read the file: no such file or directory\n"},

		// detect: the command line.
		{"no method", map[string]string{"series.csv": series},
			[]string{"detect", "series.csv"},
			detectE1 + "--method is required (one of ears-c1, ears-c2, ears-c3, cusum, farrington-flexible, glr-nb)\n" + help},
		{"unknown method", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "ears-c4", "series.csv"},
			detectE1 + "--method \"ears-c4\" is not one of ears-c1, ears-c2, ears-c3, cusum, farrington-flexible, glr-nb\n" + help},
		{"flag of another method", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "cusum", "--baseline", "5", "series.csv"},
			detectE1 + "--baseline does not apply to --method cusum (it reads --k, --h, --freq, --range-start)\n" + help},
		{"alpha out of range", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "ears-c1", "--alpha", "0", "series.csv"},
			detectE1 + "--alpha 0: the significance level must be between 0 and 1\n" + help},
		{"negative dispersion", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "glr-nb", "--alpha", "-1", "series.csv"},
			detectE1 + "--alpha -1: the dispersion of glr-nb must be 0 or more\n" + help},
		{"alpha not a number", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "ears-c1", "--alpha", "NaN", "series.csv"},
			detectE1 + "invalid value \"NaN\" for flag --alpha: not a finite number\n" + help},
		{"small baseline", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "ears-c2", "--baseline", "2", "series.csv"},
			detectE1 + "--baseline 2: earsC needs at least 3 reference points\n" + help},
		{"zero b", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "farrington-flexible", "--b", "0", "series.csv"},
			detectE1 + "--b 0: at least 1 past year is needed\n" + help},
		{"zero freq", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "glr-nb", "--freq", "0", "series.csv"},
			detectE1 + "--freq 0: the number of points per year must be 1 or more\n" + help},
		{"w not below freq", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "farrington-flexible", "--freq", "4", "--w", "4", "series.csv"},
			detectE1 + "series.csv: farrington-flexible: invalid parameter: w must be in [0, freq) (got 4)\n" + help},
		{"range start 0", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "ears-c1", "--range-start", "0", "series.csv"},
			detectE1 + "--range-start 0: t starts at 1\n" + help},
		{"unknown flag", map[string]string{"series.csv": series},
			[]string{"detect", "--method", "ears-c1", "--window", "3", "series.csv"},
			detectE1 + "flag provided but not defined: --window\n" + help},
		{"no file", nil,
			[]string{"detect", "--method", "ears-c1"},
			detectE1 + "missing FILE.csv\n" + help},
		{"two files", nil,
			[]string{"detect", "--method", "ears-c1", "a.csv", "b.csv"},
			detectE1 + "one FILE.csv expected, got 2 arguments: a.csv b.csv\n" + help},
		{"unknown command", nil,
			[]string{"hotspot"},
			"riskwatch stat: unknown command \"hotspot\" (want detect, gistar, mann-kendall or eb)\n" + help},

		// gistar.
		{"unknown neighbour id", map[string]string{"values.csv": values, "nb.csv": strings.Replace(nb, "b,a c", "b,a x", 1)},
			gistar, "riskwatch stat gistar: nb.csv line 3, column neighbors: unknown id \"x\": it has no row of its own\n"},
		{"unit missing from values", map[string]string{"values.csv": values, "nb.csv": nb + "d,\n"},
			gistar, "riskwatch stat gistar: nb.csv line 5, column id: unknown id \"d\": values.csv has no row with this id\n"},
		{"unit missing from neighbours", map[string]string{"values.csv": values + "d,4\n", "nb.csv": nb},
			gistar, "riskwatch stat gistar: values.csv line 5, column id: id \"d\" has no row in the neighbours file nb.csv\n"},
		{"own neighbour", map[string]string{"values.csv": values, "nb.csv": strings.Replace(nb, "c,b", "c,c", 1)},
			gistar, "riskwatch stat gistar: nb.csv line 4, column neighbors: id \"c\" is listed as its own neighbour\n"},
		{"duplicate value id", map[string]string{"values.csv": values + "a,4\n", "nb.csv": nb},
			gistar, "riskwatch stat gistar: values.csv line 5, column id: id \"a\" already has a row on line 2\n"},
		{"value not a number", map[string]string{"values.csv": strings.Replace(values, "b,2", "b,x", 1), "nb.csv": nb},
			gistar, "riskwatch stat gistar: values.csv line 3, column v: \"x\" is not a number\n"},
		{"values ragged row", map[string]string{"values.csv": strings.Replace(values, "b,2", "b,2,5", 1), "nb.csv": nb},
			gistar, "riskwatch stat gistar: values.csv line 3: the row has 3 fields, the header has 2\n"},
		{"value missing", map[string]string{"values.csv": strings.Replace(values, "b,2", "b,NA", 1), "nb.csv": nb},
			gistar, "riskwatch stat gistar: values.csv line 3, column v: \"NA\" is not a number\n"},
		{"value column missing", map[string]string{"values.csv": values, "nb.csv": nb},
			[]string{"gistar", "--values", "values.csv", "--value-column", "risk", "--neighbors", "nb.csv"},
			"riskwatch stat gistar: values.csv line 1: no column \"risk\" in the header (the columns are id, v)\n"},
		{"neighbors column missing", map[string]string{"values.csv": values, "nb.csv": strings.Replace(nb, "neighbors", "nbrs", 1)},
			gistar, "riskwatch stat gistar: nb.csv line 1: header has no column \"neighbors\"\n"},
		{"unknown weights", map[string]string{"values.csv": values, "nb.csv": nb},
			append(append([]string{}, gistar...), "--weights", "queen"),
			"riskwatch stat gistar: --weights \"queen\" is not binary or row\n" + help},
		{"no values flag", nil,
			[]string{"gistar", "--value-column", "v", "--neighbors", "nb.csv"},
			"riskwatch stat gistar: --values FILE.csv is required\n" + help},
		{"positional argument", nil,
			append(append([]string{}, gistar...), "extra.csv"),
			"riskwatch stat gistar: unexpected argument \"extra.csv\": gistar reads the files named by --values and --neighbors\n" + help},

		// mann-kendall.
		{"mk missing column", map[string]string{"x.csv": "t,value\n1,2\n2,3\n"},
			[]string{"mann-kendall", "--column", "cases", "x.csv"},
			"riskwatch stat mann-kendall: x.csv line 1: no column \"cases\" in the header (the columns are t, value)\n"},
		{"mk not a number", map[string]string{"x.csv": "t,value\n1,2\n2,3;4\n"},
			[]string{"mann-kendall", "--column", "value", "x.csv"},
			"riskwatch stat mann-kendall: x.csv line 3, column value: \"3;4\" is not a number\n"},
		{"mk too short", map[string]string{"x.csv": "t,value\n1,2\n2,NA\n3,\n"},
			[]string{"mann-kendall", "--column", "value", "x.csv"},
			"riskwatch stat mann-kendall: x.csv line 4, column value: the series ends here with 1 value(s) that are not missing: Mann-Kendall needs at least 2\n"},
		{"mk no column flag", map[string]string{"x.csv": "t,value\n1,2\n2,3\n"},
			[]string{"mann-kendall", "x.csv"},
			"riskwatch stat mann-kendall: --column COL is required\n" + help},

		// eb.
		{"eb negative cases", map[string]string{"d.csv": strings.Replace(ebData, "b,2", "b,-2", 1)},
			[]string{"eb", "--cases", "cases", "--population", "pop", "d.csv"},
			"riskwatch stat eb: d.csv line 3, column cases: \"-2\" is negative: counts must be 0 or more\n"},
		{"eb zero population", map[string]string{"d.csv": strings.Replace(ebData, "300", "0", 1)},
			[]string{"eb", "--cases", "cases", "--population", "pop", "d.csv"},
			"riskwatch stat eb: d.csv line 4, column pop: \"0\" is not positive: a population must be more than 0\n"},
		{"eb missing population column", map[string]string{"d.csv": ebData},
			[]string{"eb", "--cases", "cases", "--population", "population", "d.csv"},
			"riskwatch stat eb: d.csv line 1: no column \"population\" in the header (the columns are id, cases, pop)\n"},
		{"eb column exists", map[string]string{"d.csv": strings.Replace(ebData, "pop\n", "pop,eb_rate\n", 1)},
			[]string{"eb", "--cases", "cases", "--population", "pop", "d.csv"},
			"riskwatch stat eb: d.csv line 2: the row has 3 fields, the header has 4\n"},
		{"eb output column in input", map[string]string{"d.csv": "cases,pop,eb_rate\n1,2,3\n"},
			[]string{"eb", "--cases", "cases", "--population", "pop", "d.csv"},
			"riskwatch stat eb: d.csv line 1, column eb_rate: the input already has a column eb_rate, which the output appends\n"},
		{"eb unknown method", map[string]string{"d.csv": ebData},
			[]string{"eb", "--method", "bayes", "--cases", "cases", "--population", "pop", "d.csv"},
			"riskwatch stat eb: --method \"bayes\" is not global or local\n" + help},
		{"eb local without neighbours", map[string]string{"d.csv": ebData},
			[]string{"eb", "--method", "local", "--cases", "cases", "--population", "pop", "d.csv"},
			"riskwatch stat eb: --method local needs --neighbors FILE.csv\n" + help},
		{"eb neighbours without local", map[string]string{"d.csv": ebData, "nb.csv": nb},
			[]string{"eb", "--neighbors", "nb.csv", "--cases", "cases", "--population", "pop", "d.csv"},
			"riskwatch stat eb: --neighbors applies only to --method local\n" + help},
		{"eb per zero", map[string]string{"d.csv": ebData},
			[]string{"eb", "--per", "0", "--cases", "cases", "--population", "pop", "d.csv"},
			"riskwatch stat eb: --per 0: the multiplier must be positive\n" + help},
		{"eb local unknown neighbour", map[string]string{"d.csv": ebData, "nb.csv": strings.Replace(nb, "c,b", "c,b z", 1)},
			[]string{"eb", "--method", "local", "--neighbors", "nb.csv", "--cases", "cases", "--population", "pop", "d.csv"},
			"riskwatch stat eb: nb.csv line 4, column neighbors: unknown id \"z\": it has no row of its own\n"},
		{"eb local without id column", map[string]string{"d.csv": strings.Replace(ebData, "id,", "area,", 1), "nb.csv": nb},
			[]string{"eb", "--method", "local", "--neighbors", "nb.csv", "--cases", "cases", "--population", "pop", "d.csv"},
			"riskwatch stat eb: d.csv line 1: no column \"id\" in the header (the columns are area, cases, pop)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inTempDir(t, tc.files)
			code, out, errs := run(tc.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			if out != "" {
				t.Errorf("stdout not empty:\n%s", out)
			}
			if errs != tc.want {
				t.Errorf("stderr\n got %q\nwant %q", errs, tc.want)
			}
		})
	}
}
