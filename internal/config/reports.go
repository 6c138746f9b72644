package config

// Reports configures its part of the service (section `reports`).
type Reports struct{}

func defaultReports() Reports { return Reports{} }

// validate reports each bad value with its dotted key through bad.
func (c Reports) validate(bad func(key, format string, a ...any)) {}
