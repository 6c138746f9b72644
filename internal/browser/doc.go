// Package browser is a small wrapper around chromedp for the headless
// Chromium that renders reports to PNG and PDF and that the browser tests of
// the reports and the analyst console drive.
//
// Start launches Debian's chromium (or $RISKWATCH_CHROMIUM) with the flags
// this machine needs (headless, no sandbox, no GPU, no QUIC, no first run, no
// background networking, component updates or sync) and a fresh temporary
// profile that Close removes. Every tab intercepts its requests: loopback
// hosts and the hosts in Options.AllowHosts pass, every other http(s) or
// ws(s) request fails with BlockedByClient, and the browser also resolves no
// host name except loopback and the allowed ones. Requests lists every URL
// the pages asked for, so tests can assert that nothing left the machine.
package browser
