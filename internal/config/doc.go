// Package config is the service's YAML configuration: the types, their
// defaults, strict decoding (an unknown key is an error naming the key),
// environment overrides for secrets, and Validate, whose errors name the key.
//
// It sits beside the flow, read once by the wiring in internal/app and by
// `riskwatch check-config`. It knows nothing about Kafka or ClickHouse clients;
// it only describes how to reach them.
package config
