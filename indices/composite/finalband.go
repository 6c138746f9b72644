package composite

import "github.com/riskwatch/riskwatch/indices/smallarea"

// FinalBand is step 8 of RISK_INDEX.md §5.3 for one unit's window under
// the spec's escalation policy, hysteresis and cap: from the index band and
// 1-dp score, this and the previous window's funnel flags, the reliability
// and the previous hysteresis state (nil: none), it returns the band to
// publish, the state to carry and the reasons the band differs from the
// index band, in the order they acted.
//
// With Escalation.HoldEscalated (SCRI v0) the funnel raises the band before
// hysteresis, which then holds the raised band. Otherwise hysteresis acts
// on the index band alone and its state never holds a funnel escalation;
// the funnel raises the band of this window only.
func (s Spec) FinalBand(bandIndex Band, score1dp float64, flag, prevFlag smallarea.Flag, rel Reliability, prev *BandState) (Band, BandState, []Reason) {
	var reasons []Reason
	var state BandState
	var held bool
	b := bandIndex
	if s.Escalation.HoldEscalated {
		var why Reason
		if b, why = s.Escalation.Apply(b, flag, prevFlag); why != "" {
			reasons = append(reasons, why)
		}
		if b, state, held = s.Hysteresis.Apply(prev, b, score1dp, s.Bands); held {
			reasons = append(reasons, ReasonHysteresisHold)
		}
	} else {
		if b, state, held = s.Hysteresis.Apply(prev, b, score1dp, s.Bands); held {
			reasons = append(reasons, ReasonHysteresisHold)
		}
		var why Reason
		if b, why = s.Escalation.Apply(b, flag, prevFlag); why != "" {
			reasons = append(reasons, why)
		}
	}
	var capped bool
	if b, capped = CapLowReliability(b, rel, flag, s.CapBand); capped {
		reasons = append(reasons, ReasonReliabilityCap)
	}
	return b, state, reasons
}
