// Package demo generates the realistic, deterministic demo stream of
// dispute records for Tongliao (通辽市): the input of the pipeline for
// `make run`, `riskwatch gen`, the tests and the benchmarks.
//
// It sits before ingest in the flow. It produces schemas.Record values in
// the order a center's platform would publish them; it does no Kafka I/O
// itself: the wiring marshals each record (schemas.MarshalRecord) and
// writes it to the `disputes` topic with the case id as key. It imports
// only schemas and the standard library.
//
// # What the stream looks like
//
// Cases arrive day by day over a period (by default the two years ending
// 2026-10-31) at Tongliao's scale (15,700 accepted a year by default). The
// volume of every 嘎查村社区 follows its population in the registry, with a
// mild persistent per-village propensity; a few cases carry only a town or
// banner code. The category mix depends on the kind of place (urban
// community, farming village, pastoral 嘎查, state-farm living area); land
// disputes peak at spring planting, grassland disputes in the grazing-ban
// months, wage arrears in the weeks before the Spring Festival, noise in
// summer, heating complaints in the heating season. Weekends and public
// holidays are quieter. Severity, parties (group disputes of 30 or more,
// mostly over wages, pooled investments and expropriation), amounts
// (log-normal, a few of a million yuan or more), channel and source depend
// on the category and the place.
//
// Summaries are Chinese text from per-category templates with party names
// (listed in party_names) and, now and then, a synthetic mobile number
// (1380000xxxx, sometimes written with dashes or full-width digits), a
// Tongliao landline (0475-…) or an 18-digit ID number with a valid check
// digit and the order code 99x, so that masking is exercised. About one
// case in ten carries no category code, only category_text; the text and
// the summary of every case classify to its category with the taxonomy's
// keywords (schemas.ClassifyOrder), so classification is exercised and
// comes out right.
//
// Every case goes through versions of the same case id: accepted (受理),
// sometimes routed (分流, a few escalated to the banner), handling (办理),
// resolved (化解, with resolved_at) or failed (未化解), then closed (办结,
// with feedback_at and usually evaluated_at and a satisfaction). A closed
// case keeps resolved_at when it was resolved, so "resolved_at is set"
// means resolved. A dissatisfied evaluation sometimes reopens the case
// (handling again, resolved again, closed again). reported_at never
// changes across versions; due_at is 15 days after it for simple cases and
// 30 days for the others, and some cases finish late or are still open
// after their deadline. Some cases repeat an earlier case of the same
// parties (repeat_of); some are petitions (涉法涉诉) or assigned by a
// superior center.
//
// # Outbreaks and ground truth
//
// On top of the baseline, outbreaks add extra cases of one category in one
// region (banner, town or village) between two dates, with a rise, a
// plateau and a decline. Their records are ordinary records: nothing in a
// record tells it was injected. The baseline does not depend on the
// outbreaks (each case has its own random stream), so a run with outbreaks
// holds exactly the baseline cases plus the extra ones, and
// Generator.Outbreaks, written out by WriteGroundTruth, is the ground truth
// the alarm evaluation (`make eval-alarms`) scores detectors against.
//
// With Options.Links (on in `run --demo`), the stream also carries linked
// parties in party_details: repeat petitioners, people met in two towns
// and contractors owing wages in several villages, their ID numbers,
// phones and organisation names spelled differently from case to case,
// plus look-alikes that must not link and parties on a quarter of the
// baseline cases; Generator.Links is the ground truth `make eval-links`
// scores the links job against (links.go).
//
// # The trickle after the stream
//
// `riskwatch run --demo` generates the two years up to the clock at start
// (UpTo) and then keeps the demo alive with Live: new cases arrive as a
// Poisson process of a configured rate at any hour, each drawn like a
// stream case (category mix, season, place, text, life) and moved to its
// arrival time, with ids numbered from 5001 per banner and day so that
// they never meet the stream's; now and then an outbreak adds, for 30 to
// 60 minutes, a case a minute of one category in one town. Live.Until(t)
// returns what happened up to t, so a test drives it with a fake clock;
// the same seed and start give the same records however the clock steps.
//
// # Determinism and cost
//
// The same Options give the same records, byte for byte once marshalled.
// Memory stays bounded: only the cases with pending updates are kept (a
// few thousand at Tongliao's scale), never the whole stream. A record costs
// about a microsecond.
package demo
