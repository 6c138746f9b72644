package config

// API configures its part of the service (section `api`).
type API struct{}

func defaultAPI() API { return API{} }

// validate reports each bad value with its dotted key through bad.
func (c API) validate(bad func(key, format string, a ...any)) {}
