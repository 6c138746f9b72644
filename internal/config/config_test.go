package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// Inserts go LZ4-compressed unless the config says none (README: more
// rows/s in benchingest at the same server and ingester CPU per row).
func TestCompressionDefaultsToLZ4(t *testing.T) {
	c, err := Parse([]byte("clickhouse:\n  database: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ClickHouse.Compression != "lz4" {
		t.Errorf("clickhouse.compression defaults to %q, want lz4", c.ClickHouse.Compression)
	}
	c, err = Parse([]byte("clickhouse:\n  compression: none\n"))
	if err != nil || c.ClickHouse.Compression != "none" {
		t.Errorf("compression: none gives %q, %v", c.ClickHouse.Compression, err)
	}
}

func TestParseOverridesDefaults(t *testing.T) {
	c, err := Parse([]byte(`
clickhouse:
  local: {enabled: false}
  addrs: [ch1:9000, ch2:9000]
  database: rw_prod
  read_timeout: 90s
kafka:
  embedded: false
  brokers: [k1:9092]
  topic: disputes_v1
http:
  listen: 0.0.0.0:9090
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ClickHouse.Addrs) != 2 || c.ClickHouse.Database != "rw_prod" || c.ClickHouse.ReadTimeout != 90*time.Second {
		t.Errorf("clickhouse = %+v", c.ClickHouse)
	}
	if c.ClickHouse.Username != "default" || c.Kafka.Group != "riskwatch-ingest" {
		t.Error("defaults lost for keys not given")
	}
	if c.Kafka.DLQ() != "disputes_v1.dlq" {
		t.Errorf("DLQ = %s", c.Kafka.DLQ())
	}
	if loc, err := c.Location(); err != nil || loc.String() != "Asia/Shanghai" {
		t.Errorf("default zone %v %v", loc, err)
	}
	c, err = Parse([]byte("timezone: America/New_York\n"))
	if err != nil {
		t.Fatal(err)
	}
	if loc, err := c.Location(); err != nil || loc.String() != "America/New_York" {
		t.Errorf("timezone America/New_York: %v %v", loc, err)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"clickhouse:\n  databse: x\n", "clickhouse.databse: unknown key (line 2)"},
		{"kafka:\n  embedded: true\n  brokerz: []\n", "kafka.brokerz: unknown key (line 3)"},
		{"nonsense: 1\n", "nonsense: unknown key (line 1)"},
		{"timezone: Mars/Olympus\n", `timezone: "Mars/Olympus" is not an IANA time zone`},
		{"timezone: \"\"\n", `timezone: "" is not an IANA time zone`},
		{"clickhouse:\n  max_open_conns: many\n", "clickhouse.max_open_conns: "},
		{"clickhouse:\n  read_timeout: soon\n", "clickhouse.read_timeout: "},
		{"clickhouse:\n  insert_block_rows: -1\n", "clickhouse.insert_block_rows: "},
		{"clickhouse:\n  database: \"drop table\"\n", "clickhouse.database: "},
		{"kafka:\n  embedded: false\n  brokers: []\n", "kafka.brokers: at least one broker"},
		{"kafka:\n  embedded: true\n  brokers: [nohost]\n", "kafka.brokers[0]: "},
		{"kafka:\n  embedded: true\n  dlq_topic: disputes\n", "kafka.dlq_topic: must differ"},
		{"log:\n  level: loud\n", "log.level: "},
		{"demo:\n  rate: -1\n", "demo.rate: must be between 0 and 600"},
		{"demo:\n  rate: .nan\n", "demo.rate: must be between 0 and 600"},
		{"demo:\n  outbreak_every: -1h\n", "demo.outbreak_every: must not be negative"},
		{"demo:\n  days: -1\n", "demo.days: must be between 0 (two years) and 3660 days"},
		{"http:\n  listen: 8080\n", "http.listen: "},
		{"http:\n  read_timeout: 0s\n", "http.read_timeout: "},
		{"http:\n  write_timeout: 20s\n", "http.write_timeout: must be longer than api.query_timeout"},
		{"http:\n  idle_timeout: 2h\n", "http.idle_timeout: "},
		{"http:\n  read_header_timeout: 0s\n", "http.read_header_timeout: "},
		{"metrics:\n  listen: 9464\n", "metrics.listen: "},
		{"http:\n  listen: 127.0.0.1:9000\nmetrics:\n  listen: 127.0.0.1:9000\n", "metrics.listen: must differ"},
		{"api:\n  enabled: false\nmetrics:\n  main_listener: true\n", "metrics.main_listener: needs api.enabled"},
		{"api:\n  token_max_concurrent: 5\n", "api.token_max_concurrent: "},
		{"api:\n  token_rate: 0\n", "api.token_rate: "},
		{"api:\n  token_burst: 0\n", "api.token_burst: "},
		{"clickhouse:\n  local:\n    enabled: true\n    dir: ''\n", "clickhouse.local.dir: "},
		{"clickhouse:\n  local: {enabled: false}\n  addrs: [nope]\n", "clickhouse.addrs[0]: "},
		{"clickhouse: [1, 2]\n", "clickhouse"},
		{"a: [\n", "invalid YAML"},
		{"ingest:\n  batch_rows: 0\n", "ingest.batch_rows: "},
		{"jobs:\n  alarms:\n    - {level: 4, short: ears-c1, long: farrington}\n", "jobs.alarms[0].long: "},
		{"jobs:\n  alarms:\n    - {level: 2, short: ears-c1}\n", "jobs.alarms[0].level: "},
		{"jobs:\n  alarms:\n    - {level: 3, short: ears-c1, short_alpha: 1.5}\n", "jobs.alarms[0].short_alpha: "},
		{"jobs:\n  forecast:\n    day_levels: [city, towns]\n", `jobs.forecast.day_levels[1]: must be one of city, county, town, village, not "towns"`},
		{"jobs:\n  forecast:\n    week_levels: [county, county]\n", `jobs.forecast.week_levels[1]: "county" is listed twice`},
		{"jobs:\n  forecast:\n    day_levels: []\n", "jobs.forecast.day_levels: must name at least one"},
		{"jobs:\n  forecast:\n    week_levels: [county, village]\n", "jobs.forecast.week_levels: village needs town"},
		{"jobs:\n  forecast:\n    day_level: [town]\n", "jobs.forecast.day_level: unknown key"},
		{"ingest:\n  batch_age: 1ms\n", "ingest.batch_age: "},
		{"ingest:\n  batch_bytes: 1048576\n  buffer_bytes: 10\n", "ingest.buffer_bytes: "},
		{"transform:\n  group_threshold: 1\n", "transform.group_threshold: "},
		{"transform:\n  large_amount_cny: -5\n", "transform.large_amount_cny: "},
		{"transform:\n  max_message_bytes: 1\n", "transform.max_message_bytes: "},
		{"transform:\n  review_below: 1.5\n", "transform.review_below: "},
		{"transform:\n  keywords_first: true\n", "transform.keywords_first: needs transform.model"},
		{"transform:\n  party_key_secret: short\n  party_key_id: k1\n", "transform.party_key_secret: must be at least 16 bytes"},
		{"transform:\n  party_key_secret: 0123456789abcdef\n", "transform.party_key_id: "},
		{"transform:\n  party_key_id: k1\n", "transform.party_key_id: is set without"},
	}
	for _, tc := range cases {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.yaml, err, tc.want)
		}
	}
}

func TestForecastLevelsDefaultAndOverride(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Jobs.Forecast.DayLevels, ","); got != "city,county" {
		t.Errorf("default jobs.forecast.day_levels = %s, want city,county", got)
	}
	if got := strings.Join(c.Jobs.Forecast.WeekLevels, ","); got != "city,county,town,village" {
		t.Errorf("default jobs.forecast.week_levels = %s, want city,county,town,village", got)
	}
	c, err = Parse([]byte("jobs:\n  forecast:\n    day_levels: [town]\n    week_levels: [city, county]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Jobs.Forecast.DayLevels, ","); got != "town" {
		t.Errorf("jobs.forecast.day_levels = %s, want town", got)
	}
	if got := strings.Join(c.Jobs.Forecast.WeekLevels, ","); got != "city,county" {
		t.Errorf("jobs.forecast.week_levels = %s, want city,county", got)
	}
}

func TestEnvOverrides(t *testing.T) {
	t.Setenv("RISKWATCH_CLICKHOUSE_PASSWORD", "s3cret")
	t.Setenv("RISKWATCH_KAFKA_BROKERS", "a:1, b:2")
	c, err := Parse([]byte("kafka: {embedded: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ClickHouse.Password != "s3cret" {
		t.Error("password not taken from the environment")
	}
	if c.Kafka.Embedded || len(c.Kafka.Brokers) != 2 || c.Kafka.Brokers[1] != "b:2" {
		t.Errorf("kafka = %+v", c.Kafka)
	}
	out, err := c.Redacted().YAML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "s3cret") {
		t.Error("Redacted leaks the password")
	}
}

func TestPartyKeySecretFromFileAndEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), "party.key")
	if err := os.WriteFile(file, []byte("file-canary-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Parse([]byte("transform: {party_key_secret_file: " + file + ", party_key_id: k2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Transform.PartyKeySecret != "file-canary-0123456789" || c.Transform.PartyKeyID != "k2" {
		t.Errorf("secret %q id %q, want the file's and k2", c.Transform.PartyKeySecret, c.Transform.PartyKeyID)
	}
	t.Setenv("RISKWATCH_PARTY_KEY_SECRET", "env-canary-0123456789")
	c, err = Parse([]byte("transform: {party_key_secret_file: " + file + ", party_key_id: k2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Transform.PartyKeySecret != "env-canary-0123456789" {
		t.Errorf("secret %q, want the environment's", c.Transform.PartyKeySecret)
	}
	out, err := c.Redacted().YAML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "canary") {
		t.Error("Redacted leaks the party key secret")
	}
}

// FuzzParse: the loader never panics, and whatever it accepts validates.
func FuzzParse(f *testing.F) {
	f.Add([]byte("clickhouse:\n  addrs: [a:1]\nkafka:\n  embedded: true\n"))
	f.Add([]byte("log: {level: debug}\n"))
	f.Add([]byte("kafka: {brokers: [x:1], partitions: -1}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that does not validate: %v", err)
		}
	})
}

// TestRedactedHidesWarningSecrets: check-config prints Redacted(), which
// must hide a channel's secret and the key a robot URL carries.
func TestRedactedHidesWarningSecrets(t *testing.T) {
	c, err := Parse([]byte(`
warnings:
  channels:
    hook: {type: webhook, url: "https://intranet.example/hook", secret: "s3cr3t-value"}
    ding: {type: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=tok-123456"}
`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Redacted().YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cr3t-value", "tok-123456"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("redacted configuration still holds %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(string(out), "intranet.example/hook") {
		t.Errorf("redacted configuration lost the webhook URL:\n%s", out)
	}
}
