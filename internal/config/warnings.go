package config

// Warnings configures its part of the service (section `warnings`).
type Warnings struct{}

func defaultWarnings() Warnings { return Warnings{} }

// validate reports each bad value with its dotted key through bad.
func (c Warnings) validate(bad func(key, format string, a ...any)) {}
