package store

import "time"

// SetStateGrace sets how long a build of case_state stays after its last
// reader, for tests.
func SetStateGrace(s *Store, d time.Duration) { s.state.grace = d }
