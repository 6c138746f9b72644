// Package warnings turns index results into warnings and pushes them to the
// centers responsible (综治中心), with Alertmanager's semantics.
//
// Where it sits: after the index jobs (risk_index bands, stat_alarms,
// supervision_cases) and the rule alarms raised on the stream
// (rule_alarms). It reads them through the small interfaces in source.go,
// which the wiring implements over the store; it never imports the store.
//
// What it owns:
//   - the warning model (model.go): a stable id (hash of kind, rule, region
//     and window or case), a level, Chinese title and body, a link, and the
//     firing → resolved life cycle;
//   - routing (route.go): a route tree with matchers on level, kind,
//     category, rule and region subtree, `continue`, targets relative to the
//     warning's region (its own center, its banner, the city), group_by,
//     group_wait, group_interval and repeat_interval, inhibition rules and
//     silences;
//   - the engine (engine.go): one Tick(now) evaluates everything for a given
//     time, so that timelines are tested on a fake clock; acknowledgement
//     stops repeats and an unacknowledged red escalates one level up;
//   - the durable outbox (outbox.go, a bbolt file) that holds every
//     notification until a channel accepted it, and the senders that
//     deliver it with exponential backoff, jitter and a per-channel rate
//     limit (a queue: nothing is dropped).
//
// What it does not do: it does not talk to ClickHouse, Kafka or HTTP
// clients' wire formats (package channel renders and signs the robots'
// payloads), and it reads no clock inside the engine: the time is a
// parameter.
package warnings
