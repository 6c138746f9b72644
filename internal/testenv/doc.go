// Package testenv gives tests in any package of the module real servers to
// run against: a shared ClickHouse server and a shared Apache Kafka broker
// per test binary, private instances for tests that kill or stop them, and
// unique database names.
//
// It sits on top of internal/servers, which starts the processes, and is
// imported only from _test.go files. It owns the lifetime of the shared
// servers (started lazily, stopped by Main), the policy for missing
// dependencies (skip locally, fail under CI=true) and the lines that show
// which real server versions a test run used. It never creates databases or
// talks SQL beyond what internal/servers does; that belongs to the store
// package.
//
// A package that uses the shared servers calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// and passes it the stop functions of what its tests share beyond one test
// on top of those servers (internal/app's shared demo run), which run
// before the servers stop.
package testenv
