package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/riskwatch/riskwatch/internal/rules"
)

// Config is the whole configuration file.
type Config struct {
	// Timezone is the deployment time zone (IANA name): windows, KPIs,
	// report dates, cron schedules and the console read it. Imported
	// timestamps keep their own zone.
	Timezone   string     `yaml:"timezone"`
	ClickHouse ClickHouse `yaml:"clickhouse"`
	Kafka      Kafka      `yaml:"kafka"`
	HTTP       HTTP       `yaml:"http"`
	Log        Log        `yaml:"log"`
	Regions    Regions    `yaml:"regions"`
	Ingest     Ingest     `yaml:"ingest"`
	Transform  Transform  `yaml:"transform"`
	Demo       Demo       `yaml:"demo"`
	Jobs       Jobs       `yaml:"jobs"`
	Rules      Rules      `yaml:"rules"`
	Reports    Reports    `yaml:"reports"`  // reports.go
	Warnings   Warnings   `yaml:"warnings"` // warnings.go
	// Subscriptions pushes reports to their subscribers (subscriptions.go).
	Subscriptions Subscriptions `yaml:"subscriptions"`
	API           API           `yaml:"api"` // api.go
	Metrics       Metrics       `yaml:"metrics"`
}

// Location loads the deployment time zone (the embedded zone database of
// package time/tzdata is linked into the binary through schemas).
func (c *Config) Location() (*time.Location, error) {
	if c.Timezone == "" {
		return nil, errors.New("empty time zone")
	}
	return time.LoadLocation(c.Timezone)
}

// Rules configures the alarms raised on the stream.
type Rules struct {
	// ExtremeWords in a summary raise a red extreme_words alarm.
	ExtremeWords []string `yaml:"extreme_words"`
}

// Jobs configures the scheduled index jobs.
type Jobs struct {
	// Enabled runs the scheduler inside `riskwatch run`.
	Enabled bool `yaml:"enabled"`
	// CatchUp is how many missed windows per job are computed at start
	// (the most recent ones); older ones need `riskwatch backfill`.
	CatchUp int `yaml:"catch_up"`
	// Alarms chooses the statistical-alarm detectors per level; empty means
	// the built-in default (county: EARS C1; town: EARS C1, then
	// farringtonFlexible once a series has 56 weeks of history).
	Alarms []AlarmLevel `yaml:"alarms"`
	// Forecast chooses the levels of the forecast jobs.
	Forecast ForecastJobs `yaml:"forecast"`
}

// ForecastJobs chooses the levels forecast by forecast_day and
// forecast_week: each a non-empty list of city, county, town and village
// (village forecasts are shares of their town's, so village needs town).
type ForecastJobs struct {
	// DayLevels default to city and county: with the towns a daily run
	// costs eight times as much (on the demo 73 CPU-s for 1,762 series
	// instead of 8.8 CPU-s for 160; docs/forecast.md).
	DayLevels []string `yaml:"day_levels"`
	// WeekLevels default to city, county, town and village.
	WeekLevels []string `yaml:"week_levels"`
}

// ForecastLevelNames are the level names jobs.forecast.*_levels accept.
var ForecastLevelNames = []string{"city", "county", "town", "village"}

// AlarmLevel is the detector choice of one level for the alarm jobs.
type AlarmLevel struct {
	Level int    `yaml:"level"` // 3 county, 4 town, 5 village
	Short string `yaml:"short"` // detector while the history is short: ears-c1, ears-c2, ears-c3, cusum
	// Long takes over once a weekly series has a year of history
	// (farrington-flexible or glr-nb); empty keeps Short.
	Long string `yaml:"long"`
	// ShortAlpha and LongAlpha override the detectors' significance
	// levels (0 keeps the default: 0.001 for EARS C1, 0.05 for farringtonFlexible).
	ShortAlpha float64 `yaml:"short_alpha"`
	LongAlpha  float64 `yaml:"long_alpha"`
}

// Demo makes `riskwatch run` produce the seeded Tongliao demo stream into
// the broker at start (what `make run` shows a newcomer).
type Demo struct {
	Enabled bool  `yaml:"enabled"`
	Seed    int64 `yaml:"seed"`
	// GroundTruth is where the injected outbreaks are written (CSV).
	GroundTruth string `yaml:"ground_truth"`
	// Rate is the number of new cases a minute that keep arriving after
	// the two years up to the start (each followed by its later versions);
	// 0 stops the stream at the start.
	Rate float64 `yaml:"rate"`
	// OutbreakEvery is the mean time between the outbreaks injected into
	// that trickle (a burst of one category in one town for 30–60
	// minutes); 0 injects none.
	OutbreakEvery time.Duration `yaml:"outbreak_every"`
	// TrainModel trains the learned classifier at start from the demo's
	// staff-labelled cases (those whose category the record carries), when
	// transform.model names no model: the demo's uncategorised cases are
	// then classified by it.
	TrainModel bool `yaml:"train_model"`
	// Days is the number of days of history produced at start, up to
	// today; 0 is the two years.
	Days int `yaml:"days"`
}

// Ingest tunes the Kafka → ClickHouse path.
type Ingest struct {
	// Enabled runs the consumer inside `riskwatch run`.
	Enabled    bool          `yaml:"enabled"`
	BatchRows  int           `yaml:"batch_rows"`  // flush at this many rows
	BatchBytes int           `yaml:"batch_bytes"` // … or this many message bytes
	BatchAge   time.Duration `yaml:"batch_age"`   // … or this age (≤ 1 insert/s per table)
	// BufferBytes bounds memory held by uncommitted batches; fetching stops
	// when it is used up.
	BufferBytes     int64         `yaml:"buffer_bytes"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// FetchBytes is the most a partition reader fetches at once; with
	// several partitions per process it is a large part of the memory.
	FetchBytes int `yaml:"fetch_bytes"`
	// MemoryLimitBytes sets the Go runtime's soft memory limit (like
	// GOMEMLIMIT) for run and ingest; 0 leaves the runtime's default. The
	// garbage collector then works harder near the limit: in bench-ingest
	// 280 MiB keeps the peak RSS under 300 MB for ~10 % more CPU per row.
	MemoryLimitBytes int64 `yaml:"memory_limit_bytes"`
}

// Transform sets the validation tolerances and derived flags.
type Transform struct {
	GroupThreshold  uint32        `yaml:"group_threshold"`   // parties ≥ this: group dispute (群体性)
	LargeAmountCNY  float64       `yaml:"large_amount_cny"`  // amount ≥ this: large amount
	FutureTolerance time.Duration `yaml:"future_tolerance"`  // how far reported_at may be ahead of the clock
	MaxMessageBytes int           `yaml:"max_message_bytes"` // larger messages go to the dead letters
	MaskPlates      bool          `yaml:"mask_plates"`       // mask licence plates in summaries (QQ, WeChat, phones … always are)
	// Model is a learned classifier file (riskwatch classify train); empty
	// classifies by the taxonomy's keywords alone.
	Model string `yaml:"model"`
	// KeywordsFirst lets a keyword found in the text decide before the
	// model; the model classifies what no keyword matches.
	KeywordsFirst bool `yaml:"keywords_first"`
	// ReviewBelow is the model confidence under which a case is listed for
	// review.
	ReviewBelow float64 `yaml:"review_below"`
	// PartyKeySecret is the secret (at least 16 bytes) under which
	// transform derives the pseudonymous keys of party_details
	// (HMAC-SHA256); it may also come from RISKWATCH_PARTY_KEY_SECRET or
	// from PartyKeySecretFile. Empty: no keys are derived and no cases get
	// linked. PartyKeyID names the secret's version and starts every key;
	// a new secret needs a new id (docs/linked-cases.md, key rotation).
	PartyKeySecret     string `yaml:"party_key_secret"`
	PartyKeySecretFile string `yaml:"party_key_secret_file"`
	PartyKeyID         string `yaml:"party_key_id"`
}

// ClickHouse says how to reach the store.
type ClickHouse struct {
	// Addrs are host:port pairs of the native protocol (9000 by default).
	Addrs    []string `yaml:"addrs"`
	Database string   `yaml:"database"`
	Username string   `yaml:"username"`
	// Password may also come from RISKWATCH_CLICKHOUSE_PASSWORD or from
	// PasswordFile; keep it out of the file in production.
	Password     string        `yaml:"password"`
	PasswordFile string        `yaml:"password_file"`
	DialTimeout  time.Duration `yaml:"dial_timeout"`
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	MaxOpenConns int           `yaml:"max_open_conns"`
	// Compression is lz4 or none.
	Compression string `yaml:"compression"`
	// InsertBlockRows is how many rows of a cases insert go to the server
	// in one data block (0: the store's default).
	InsertBlockRows int `yaml:"insert_block_rows"`
	// TLS encrypts the native protocol (the server's tcp_port_secure,
	// 9440 by default).
	TLS TLS `yaml:"tls"`
	// ReadOnly is the user of the API and the reports, whose ClickHouse
	// profile should be readonly; empty uses Username. Its password may
	// come from RISKWATCH_CLICKHOUSE_READONLY_PASSWORD.
	ReadOnly Credentials `yaml:"readonly"`
	// Migrate is the user that runs the migrations (DDL); empty uses
	// Username. Its password may come from
	// RISKWATCH_CLICKHOUSE_MIGRATE_PASSWORD.
	Migrate Credentials `yaml:"migrate"`
	// Local starts a ClickHouse server of the machine's own binary with its
	// data under Dir, for a first run on a fresh machine (make run). Addrs is
	// then ignored.
	Local LocalClickHouse `yaml:"local"`
	// Cluster, ZooKeeperPath and ReplicaName turn on cluster mode;
	// ClusterInsert is how ingest writes the case tables there: see
	// cluster.go.
	Cluster       string `yaml:"cluster"`
	ZooKeeperPath string `yaml:"zookeeper_path"`
	ReplicaName   string `yaml:"replica_name"`
	ClusterInsert string `yaml:"cluster_insert"`
}

// LocalClickHouse configures the locally started server.
type LocalClickHouse struct {
	Enabled  bool   `yaml:"enabled"`
	Dir      string `yaml:"dir"`
	TCPPort  int    `yaml:"tcp_port"`  // 0 = a free port
	HTTPPort int    `yaml:"http_port"` // 0 = a free port
}

// Kafka says where records come from.
type Kafka struct {
	Brokers []string `yaml:"brokers"`
	// Embedded runs the in-process Kafka-protocol broker (kfake) instead of
	// connecting to Brokers: the default for a first run.
	Embedded    bool   `yaml:"embedded"`
	EmbeddedDir string `yaml:"embedded_dir"` // where the embedded broker keeps its log; "" = memory only
	Topic       string `yaml:"topic"`
	// DLQTopic receives records that fail decoding or validation; default
	// Topic + ".dlq".
	DLQTopic   string `yaml:"dlq_topic"`
	Group      string `yaml:"group"`
	Partitions int    `yaml:"partitions"` // for topics this service creates
	// TLS and SASL secure every connection to Brokers (SASL_SSL when both
	// are set).
	TLS  TLS       `yaml:"tls"`
	SASL KafkaSASL `yaml:"sasl"`
}

// HTTP is the operator and analyst endpoint.
type HTTP struct {
	Listen string `yaml:"listen"`
	// ReadHeaderTimeout bounds the reading of a request's headers,
	// ReadTimeout the whole request with its body: a client that sends
	// slowly loses its connection.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds a request from the end of its headers until its
	// answer is written: long enough for the largest CSV export
	// (api.query_timeout plus the writing of api.max_rows rows).
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout closes a keep-alive connection that sends no new request.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
}

// Metrics says where the Prometheus metrics are served. They hold
// city-wide counts, so they are never public on the main listener.
type Metrics struct {
	// Listen is a separate listener for /metrics, loopback by default (a
	// scraper on the same host, or a port the firewall gives only to the
	// monitoring network); empty = no separate listener.
	Listen string `yaml:"listen"`
	// MainListener also serves /metrics on http.listen, behind an admin
	// token (Authorization: Bearer), for a scraper that cannot reach
	// Listen. It needs api.enabled.
	MainListener bool `yaml:"main_listener"`
}

// Log configures log/slog.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Regions chooses the region hierarchy.
type Regions struct {
	// File is a generic CSV (code,name,level,parent_code,population); empty
	// means the built-in Tongliao registry.
	File string `yaml:"file"`
	// Categories is a categories CSV (code,parent,name_zh,name_en,keywords)
	// for the deployment's own taxonomy; empty means the built-in one.
	Categories string `yaml:"categories"`
}

// Default returns the configuration used when a key is not given: the
// embedded first-run setup (local ClickHouse under .run/, in-process broker).
func Default() Config {
	c := Config{
		Timezone: "Asia/Shanghai",
		ClickHouse: ClickHouse{
			Addrs:        []string{"127.0.0.1:9000"},
			Database:     "riskwatch",
			Username:     "default",
			DialTimeout:  10 * time.Second,
			ReadTimeout:  5 * time.Minute,
			MaxOpenConns: 8,
			Compression:  "lz4",
			Local:        LocalClickHouse{Enabled: true, Dir: ".run/clickhouse"},
		},
		Kafka: Kafka{
			Embedded:   true,
			Topic:      "disputes",
			Group:      "riskwatch-ingest",
			Partitions: 4,
		},
		HTTP: HTTP{Listen: "127.0.0.1:8080", ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 10 * time.Minute, IdleTimeout: time.Minute},
		Metrics: Metrics{Listen: "127.0.0.1:9464"},
		Log:     Log{Level: "info", Format: "text"},
		Ingest: Ingest{
			Enabled: true, BatchRows: 100_000, BatchBytes: 64 << 20, BatchAge: time.Second,
			BufferBytes: 256 << 20, ShutdownTimeout: 25 * time.Second, FetchBytes: 16 << 20,
		},
		Demo: Demo{Seed: 1, GroundTruth: ".run/demo/ground_truth.csv", Rate: 3, OutbreakEvery: 2 * time.Hour, TrainModel: true},
		Jobs: Jobs{Enabled: true, CatchUp: 31, Forecast: ForecastJobs{
			DayLevels:  []string{"city", "county"},
			WeekLevels: []string{"city", "county", "town", "village"},
		}},
		Rules: Rules{ExtremeWords: append([]string(nil), rules.DefaultExtremeWords...)},
		Transform: Transform{
			GroupThreshold: 30, LargeAmountCNY: 1_000_000, FutureTolerance: 10 * time.Minute, MaxMessageBytes: 1 << 20,
			MaskPlates: true, ReviewBelow: 0.6,
		},
	}
	c.Reports = defaultReports()
	c.Warnings = defaultWarnings()
	c.Subscriptions = defaultSubscriptions()
	c.API = defaultAPI()
	return c
}

// Load reads a YAML file over the defaults, applies environment overrides and
// validates the result.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("cannot read config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes YAML over the defaults (strictly: an unknown key is an error
// naming it), applies environment overrides and validates.
func Parse(b []byte) (Config, error) {
	c := Default()
	if len(bytes.TrimSpace(b)) > 0 {
		var root yaml.Node
		if err := yaml.Unmarshal(b, &root); err != nil {
			return Config{}, fmt.Errorf("invalid YAML: %w", err)
		}
		lines := map[int]string{}
		if len(root.Content) > 0 {
			if err := checkKeys(root.Content[0], reflect.TypeOf(c), "", lines); err != nil {
				return Config{}, err
			}
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil {
			return Config{}, nameLines(err, lines)
		}
	}
	if err := c.applyEnv(os.Getenv); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// checkKeys walks a mapping node against the struct type t and reports the
// first key that t does not have, with its full dotted path. It also records
// the path of every value line so that decode errors can name the key.
func checkKeys(n *yaml.Node, t reflect.Type, prefix string, lines map[int]string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind != yaml.MappingNode || t.Kind() != reflect.Struct {
		return nil
	}
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" {
			fields[tag] = t.Field(i).Type
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		ft, ok := fields[k.Value]
		if !ok {
			return fmt.Errorf("%s: unknown key (line %d)", path, k.Line)
		}
		lines[v.Line] = path
		lines[k.Line] = path
		if err := checkKeys(v, ft, path, lines); err != nil {
			return err
		}
	}
	return nil
}

var lineRef = regexp.MustCompile(`line (\d+): `)

// nameLines rewrites yaml's "line N: cannot unmarshal …" into errors that
// start with the key path.
func nameLines(err error, lines map[int]string) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("invalid YAML: %w", err)
	}
	var msgs []string
	for _, e := range te.Errors {
		msg := e
		if m := lineRef.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			if key, ok := lines[n]; ok {
				msg = key + ": " + strings.Replace(msg, m[0], "", 1) + " (line " + m[1] + ")"
			}
		}
		msgs = append(msgs, msg)
	}
	return errors.New(strings.Join(msgs, "; "))
}

// applyEnv overrides secrets and addresses from the environment, so that a
// deployment keeps them out of the file.
func (c *Config) applyEnv(getenv func(string) string) error {
	if v := getenv("RISKWATCH_CLICKHOUSE_PASSWORD"); v != "" {
		c.ClickHouse.Password = v
	} else if c.ClickHouse.PasswordFile != "" {
		b, err := os.ReadFile(c.ClickHouse.PasswordFile)
		if err != nil {
			return fmt.Errorf("clickhouse.password_file: %w", err)
		}
		c.ClickHouse.Password = strings.TrimSpace(string(b))
	}
	if err := c.applySecrets(getenv); err != nil {
		return err
	}
	if v := getenv("RISKWATCH_CLICKHOUSE_ADDRS"); v != "" {
		c.ClickHouse.Addrs = splitList(v)
		c.ClickHouse.Local.Enabled = false
	}
	if v := getenv("RISKWATCH_KAFKA_BROKERS"); v != "" {
		c.Kafka.Brokers = splitList(v)
		c.Kafka.Embedded = false
	}
	if v := getenv("RISKWATCH_HTTP_LISTEN"); v != "" {
		c.HTTP.Listen = v
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
var topicName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

// Validate checks every value; each problem is reported with its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, a...)...))
	}
	if _, err := c.Location(); err != nil {
		bad("timezone", "%q is not an IANA time zone (such as Asia/Shanghai or America/New_York)", c.Timezone)
	}
	ch := c.ClickHouse
	if !ch.Local.Enabled {
		if len(ch.Addrs) == 0 {
			bad("clickhouse.addrs", "at least one host:port is required (or enable clickhouse.local)")
		}
		for i, a := range ch.Addrs {
			if _, _, err := net.SplitHostPort(a); err != nil {
				bad(fmt.Sprintf("clickhouse.addrs[%d]", i), "%q is not host:port", a)
			}
		}
	} else if ch.Local.Dir == "" {
		bad("clickhouse.local.dir", "required when clickhouse.local.enabled is true")
	}
	if !identifier.MatchString(ch.Database) {
		bad("clickhouse.database", "%q is not a plain identifier", ch.Database)
	}
	if ch.Username == "" {
		bad("clickhouse.username", "must not be empty")
	}
	if ch.DialTimeout <= 0 {
		bad("clickhouse.dial_timeout", "must be positive")
	}
	if ch.ReadTimeout <= 0 {
		bad("clickhouse.read_timeout", "must be positive")
	}
	if ch.MaxOpenConns < 1 {
		bad("clickhouse.max_open_conns", "must be at least 1")
	}
	if ch.Compression != "lz4" && ch.Compression != "none" {
		bad("clickhouse.compression", "must be lz4 or none, not %q", ch.Compression)
	}
	if ch.InsertBlockRows < 0 || ch.InsertBlockRows > 10_000_000 {
		bad("clickhouse.insert_block_rows", "must be between 0 (the default) and 10000000")
	}
	errs = append(errs, validateCluster(ch)...)
	for _, p := range []struct {
		key string
		v   int
	}{{"clickhouse.local.tcp_port", ch.Local.TCPPort}, {"clickhouse.local.http_port", ch.Local.HTTPPort}} {
		if p.v < 0 || p.v > 65535 {
			bad(p.key, "%d is not a port", p.v)
		}
	}
	k := c.Kafka
	if !k.Embedded && len(k.Brokers) == 0 {
		bad("kafka.brokers", "at least one broker is required (or set kafka.embedded: true)")
	}
	for i, b := range k.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			bad(fmt.Sprintf("kafka.brokers[%d]", i), "%q is not host:port", b)
		}
	}
	if !topicName.MatchString(k.Topic) {
		bad("kafka.topic", "%q is not a valid topic name", k.Topic)
	}
	if k.DLQTopic != "" && !topicName.MatchString(k.DLQTopic) {
		bad("kafka.dlq_topic", "%q is not a valid topic name", k.DLQTopic)
	}
	if k.DLQTopic != "" && k.DLQTopic == k.Topic {
		bad("kafka.dlq_topic", "must differ from kafka.topic")
	}
	if k.Group == "" {
		bad("kafka.group", "must not be empty")
	}
	if k.Partitions < 1 || k.Partitions > 1024 {
		bad("kafka.partitions", "must be between 1 and 1024")
	}
	in := c.Ingest
	if in.BatchRows < 1 || in.BatchRows > 10_000_000 {
		bad("ingest.batch_rows", "must be between 1 and 10000000")
	}
	if in.BatchBytes < 1<<10 {
		bad("ingest.batch_bytes", "must be at least 1024")
	}
	if in.BatchAge < 10*time.Millisecond {
		bad("ingest.batch_age", "must be at least 10ms")
	}
	if in.BufferBytes < int64(in.BatchBytes) {
		bad("ingest.buffer_bytes", "must be at least ingest.batch_bytes")
	}
	if in.FetchBytes < 64<<10 || in.FetchBytes > 256<<20 {
		bad("ingest.fetch_bytes", "must be between 65536 and 268435456")
	}
	if in.MemoryLimitBytes != 0 && in.MemoryLimitBytes < 64<<20 {
		bad("ingest.memory_limit_bytes", "must be 0 (no limit) or at least 67108864")
	}
	if in.ShutdownTimeout <= 0 {
		bad("ingest.shutdown_timeout", "must be positive")
	}
	tr := c.Transform
	if tr.GroupThreshold < 2 {
		bad("transform.group_threshold", "must be at least 2")
	}
	if !(tr.LargeAmountCNY > 0) {
		bad("transform.large_amount_cny", "must be positive")
	}
	if tr.FutureTolerance < 0 {
		bad("transform.future_tolerance", "must not be negative")
	}
	if tr.MaxMessageBytes < 1<<10 || tr.MaxMessageBytes > 64<<20 {
		bad("transform.max_message_bytes", "must be between 1024 and 67108864")
	}
	if !(tr.ReviewBelow >= 0 && tr.ReviewBelow <= 1) {
		bad("transform.review_below", "must be between 0 and 1")
	}
	if tr.KeywordsFirst && tr.Model == "" {
		bad("transform.keywords_first", "needs transform.model")
	}
	switch {
	case tr.PartyKeySecret != "" && len(tr.PartyKeySecret) < 16:
		bad("transform.party_key_secret", "must be at least 16 bytes")
	case tr.PartyKeySecret != "" && !partyKeyID.MatchString(tr.PartyKeyID):
		bad("transform.party_key_id", "must be 1 to 16 of A-Z a-z 0-9 _ - when a party key secret is set")
	case tr.PartyKeySecret == "" && tr.PartyKeyID != "":
		bad("transform.party_key_id", "is set without transform.party_key_secret (or its file or RISKWATCH_PARTY_KEY_SECRET)")
	}
	for i, a := range c.Jobs.Alarms {
		key := fmt.Sprintf("jobs.alarms[%d]", i)
		if a.Level < 3 || a.Level > 5 {
			bad(key+".level", "must be 3 (county), 4 (town) or 5 (village), not %d", a.Level)
		}
		switch a.Short {
		case "ears-c1", "ears-c2", "ears-c3", "cusum":
		default:
			bad(key+".short", "must be ears-c1, ears-c2, ears-c3 or cusum, not %q", a.Short)
		}
		switch a.Long {
		case "", "farrington-flexible", "glr-nb":
		default:
			bad(key+".long", "must be farrington-flexible, glr-nb or empty, not %q", a.Long)
		}
		for _, al := range []struct {
			k string
			v float64
		}{{".short_alpha", a.ShortAlpha}, {".long_alpha", a.LongAlpha}} {
			if al.v < 0 || al.v >= 1 {
				bad(key+al.k, "must be in [0, 1)")
			}
		}
	}
	if r := c.Demo.Rate; !(r >= 0 && r <= 600) {
		bad("demo.rate", "must be between 0 and 600 new cases a minute, got %v", r)
	}
	if c.Demo.OutbreakEvery < 0 {
		bad("demo.outbreak_every", "must not be negative (0: no outbreaks)")
	}
	if c.Demo.Days < 0 || c.Demo.Days > 3660 {
		bad("demo.days", "must be between 0 (two years) and 3660 days, got %d", c.Demo.Days)
	}
	for _, f := range []struct {
		key    string
		levels []string
	}{{"jobs.forecast.day_levels", c.Jobs.Forecast.DayLevels}, {"jobs.forecast.week_levels", c.Jobs.Forecast.WeekLevels}} {
		if len(f.levels) == 0 {
			bad(f.key, "must name at least one of %s", strings.Join(ForecastLevelNames, ", "))
		}
		for i, l := range f.levels {
			switch {
			case !slices.Contains(ForecastLevelNames, l):
				bad(fmt.Sprintf("%s[%d]", f.key, i), "must be one of %s, not %q", strings.Join(ForecastLevelNames, ", "), l)
			case slices.Contains(f.levels[:i], l):
				bad(fmt.Sprintf("%s[%d]", f.key, i), "%q is listed twice", l)
			}
		}
		if slices.Contains(f.levels, "village") && !slices.Contains(f.levels, "town") {
			bad(f.key, "village needs town (village forecasts are shares of their town's)")
		}
	}
	if c.Jobs.CatchUp < 0 || c.Jobs.CatchUp > 3660 {
		bad("jobs.catch_up", "must be between 0 and 3660")
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		bad("http.listen", "%q is not host:port", c.HTTP.Listen)
	}
	for _, t := range []struct {
		key      string
		v        time.Duration
		min, max time.Duration
	}{
		{"http.read_header_timeout", c.HTTP.ReadHeaderTimeout, 100 * time.Millisecond, 5 * time.Minute},
		{"http.read_timeout", c.HTTP.ReadTimeout, 100 * time.Millisecond, time.Hour},
		{"http.write_timeout", c.HTTP.WriteTimeout, 100 * time.Millisecond, 24 * time.Hour},
		{"http.idle_timeout", c.HTTP.IdleTimeout, 100 * time.Millisecond, time.Hour},
	} {
		if t.v < t.min || t.v > t.max {
			bad(t.key, "must be between %s and %s, got %s", t.min, t.max, t.v)
		}
	}
	if c.HTTP.ReadTimeout < c.HTTP.ReadHeaderTimeout {
		bad("http.read_timeout", "must be at least http.read_header_timeout (%s), got %s", c.HTTP.ReadHeaderTimeout, c.HTTP.ReadTimeout)
	}
	if c.API.Enabled && c.HTTP.WriteTimeout <= c.API.QueryTimeout {
		bad("http.write_timeout", "must be longer than api.query_timeout (%s): an answer is written after its queries, got %s", c.API.QueryTimeout, c.HTTP.WriteTimeout)
	}
	if c.Metrics.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Metrics.Listen); err != nil {
			bad("metrics.listen", "%q is not host:port (or empty for no separate listener)", c.Metrics.Listen)
		} else if _, port, _ := net.SplitHostPort(c.Metrics.Listen); c.Metrics.Listen == c.HTTP.Listen && port != "0" {
			bad("metrics.listen", "must differ from http.listen (set metrics.main_listener to serve /metrics there behind an admin token)")
		}
	}
	if c.Metrics.MainListener && !c.API.Enabled {
		bad("metrics.main_listener", "needs api.enabled: the admin token is checked by the API")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "must be text or json, not %q", c.Log.Format)
	}
	c.validateSecurity(bad)
	c.Reports.validate(bad)
	c.Warnings.validate(bad)
	c.Subscriptions.validate(c.Warnings, bad)
	c.API.validate(bad)
	return errors.Join(errs...)
}

// DLQ returns the dead-letter topic name.
func (k Kafka) DLQ() string {
	if k.DLQTopic != "" {
		return k.DLQTopic
	}
	return k.Topic + ".dlq"
}

// partyKeyID is the form of transform.party_key_id.
var partyKeyID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,16}$`)

// Redacted returns a copy safe to print: secrets replaced.
func (c Config) Redacted() Config {
	if c.ClickHouse.Password != "" {
		c.ClickHouse.Password = "<redacted>"
	}
	c.Warnings = c.Warnings.Redacted()
	c.Subscriptions = c.Subscriptions.Redacted()
	c.redactSecrets()
	return c
}

// YAML renders the configuration (use Redacted first when printing).
func (c Config) YAML() ([]byte, error) { return yaml.Marshal(c) }
