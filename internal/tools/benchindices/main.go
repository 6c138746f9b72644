// Command benchindices measures the index jobs at scale (make
// bench-indices): it loads N generated records (default 10M) into a
// throwaway ClickHouse through the real transform and store, runs every
// scheduled job for its previous window (as the scheduler ran it before)
// and then for one window, and prints each job's seconds and the ratio
// of all jobs of that window to one `SELECT region_code, category, count() FROM cases FINAL
// GROUP BY region_code, category` over the same table in the same run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-indices:", err)
		os.Exit(1)
	}
}

func run() error {
	records := flag.Int("records", 10_000_000, "generated records to load")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measured window's jobs to this file")
	keep := flag.Bool("keep", false, "keep ClickHouse running after the figures, until interrupted (for profiling queries by hand)")
	sqlLog := flag.Bool("sql", false, "log the measured window's queries and print each job's server time and its slowest queries")
	flag.Parse()
	ctx := context.Background()
	env, err := toolenv.Start(ctx, toolenv.Options{Database: "bench", MaxOpenConns: 4, ReadTimeout: 30 * time.Minute})
	if err != nil {
		return err
	}
	defer env.Close()
	ch, st := env.CH, env.Store
	reg := env.Registry

	// Load: generator → transform workers → batched inserts.
	t0 := time.Now()
	gen, err := demo.NewN(demo.Options{Seed: 11, Registry: reg}, *records)
	if err != nil {
		return err
	}
	loaded, err := toolenv.Load(ctx, st, reg, gen, toolenv.StreamEnd(), nil)
	if err != nil {
		return err
	}
	// Merged like the baseline's table: the tables the jobs' state is
	// built from (case_updates exists from migration 0016 on).
	for _, table := range []string{"cases", "case_events", "case_updates"} {
		_, _ = ch.Query(ctx, "OPTIMIZE TABLE bench."+table+" FINAL")
	}
	cs, err := st.CaseStats(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("loaded %d records (%d cases) in %.0f s\n", loaded, cs.Rows, time.Since(t0).Seconds())

	// The window: the last complete week of the data (NewN may end the
	// stream before the period does).
	last, err := ch.Query(ctx, "SELECT toUnixTimestamp(max(reported_at)) FROM bench.cases")
	if err != nil {
		return err
	}
	var lastUnix int64
	fmt.Sscan(strings.TrimSpace(last), &lastUnix)
	at := schemas.Week.Align(time.Unix(lastUnix, 0).In(schemas.Zone()))
	all := jobs.All(st, reg, time.Now, jobs.Options{})
	// Each job's previous window first, as the scheduler ran it a window
	// earlier: the cases' state at those ends is built from scratch. The
	// window measured then builds on it (only the versions since).
	// Each job's queries carry a tag: a run number and its index.
	run := int(time.Now().Unix()%1000) * 1000
	runAll := func(label string, end func(schemas.Window) time.Time) (time.Duration, error) {
		var total time.Duration
		for i, j := range all {
			jat := end(j.Window)
			jctx := ctx
			if *sqlLog && label == "measured" {
				jctx = store.LoggedContext(ctx, run+i)
			}
			t := time.Now()
			n, err := j.Run(jctx, jat)
			if err != nil {
				return 0, fmt.Errorf("job %s: %w", j.Name, err)
			}
			d := time.Since(t)
			total += d
			fmt.Printf("%s job %-18s window %s ending %s: %6.2f s, %d rows\n", label, j.Name, j.Window, jat.Format("2006-01-02"), d.Seconds(), n)
		}
		return total, nil
	}
	prevTotal, err := runAll("previous", func(w schemas.Window) time.Time { return w.Prev(w.Align(at)) })
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	// CPU time (the server's and this process's) is steadier than the
	// clock on a machine shared with other work.
	cpu := func() (server, self time.Duration) { return toolenv.ProcCPU(ch.PID()), toolenv.ProcCPU(os.Getpid()) }
	server0, self0 := cpu()
	total, err := runAll("measured", func(w schemas.Window) time.Time { return w.Align(at) })
	if err != nil {
		return err
	}
	pprof.StopCPUProfile()
	server1, self1 := cpu()
	t := time.Now()
	out, err := ch.Query(ctx, "SELECT count() FROM (SELECT region_code, category, count() FROM bench.cases FINAL GROUP BY region_code, category)")
	if err != nil {
		return err
	}
	base := time.Since(t)
	server2, _ := cpu()
	fmt.Printf("baseline SELECT region_code, category, count() FROM cases FINAL GROUP BY …: %.2f s (%s groups)\n", base.Seconds(), strings.TrimSpace(out))
	fmt.Printf("index jobs of the previous windows (state built from scratch): %.2f s; ratio to the baseline query: %.1f\n", prevTotal.Seconds(), prevTotal.Seconds()/base.Seconds())
	fmt.Printf("index jobs: %.2f s; ratio to the baseline query: %.1f\n", total.Seconds(), total.Seconds()/base.Seconds())
	jobsCPU, baseCPU := (server1-server0)+(self1-self0), server2-server1
	fmt.Printf("index jobs CPU: %.2f s (ClickHouse %.2f s, jobs %.2f s); baseline query CPU: %.2f s; CPU ratio: %.1f\n",
		jobsCPU.Seconds(), (server1 - server0).Seconds(), (self1 - self0).Seconds(), baseCPU.Seconds(), jobsCPU.Seconds()/baseCPU.Seconds())
	if *sqlLog {
		if err := printSQL(ctx, ch, run, all); err != nil {
			return err
		}
	}
	if *keep {
		fmt.Printf("keeping ClickHouse at %s (http %s, database bench); interrupt to stop\n", ch.Addr, ch.HTTPAddr)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
	}
	return nil
}

// printSQL prints, per job of the measured window, the server time of its
// queries (from system.query_log) and its three slowest queries.
func printSQL(ctx context.Context, ch *servers.ClickHouse, run int, all []scheduler.Job) error {
	if _, err := ch.Query(ctx, "SYSTEM FLUSH LOGS"); err != nil {
		return err
	}
	tag := "toInt64(Settings.Values[indexOf(Settings.Names, 'log_queries_cut_to_length')]) - " + fmt.Sprint(store.LoggedTagBase+run)
	// CPU: the user and system time of the query's threads.
	cpu := "(ProfileEvents.Values[indexOf(ProfileEvents.Names, 'UserTimeMicroseconds')] + " +
		"ProfileEvents.Values[indexOf(ProfileEvents.Names, 'SystemTimeMicroseconds')]) / 1000"
	out, err := ch.Query(ctx, "SELECT "+tag+" AS job, count(), sum(query_duration_ms) / 1000, sum("+cpu+") / 1000, "+
		"sum(read_rows), arrayStringConcat(arrayMap(x -> concat(toString(x.1), ' ms (cpu ', toString(round(x.2)), ') ', x.3), "+
		"arraySlice(arrayReverseSort(x -> x.1, groupArray((query_duration_ms, "+cpu+", substring(replaceRegexpAll(query, '\\\\s+', ' '), 1, 100)))), 1, 3)), ' | ') "+
		"FROM system.query_log WHERE type = 2 AND job >= 0 AND job < "+fmt.Sprint(len(all))+" GROUP BY job ORDER BY job FORMAT TSV")
	if err != nil {
		return err
	}
	fmt.Println("server time per job of the measured window (job, queries, seconds, CPU seconds, rows read, slowest):")
	var sum, sumCPU float64
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.SplitN(line, "\t", 6)
		if len(f) < 6 {
			continue
		}
		var i int
		var s, c float64
		fmt.Sscan(f[0], &i)
		fmt.Sscan(f[2], &s)
		fmt.Sscan(f[3], &c)
		sum, sumCPU = sum+s, sumCPU+c
		fmt.Printf("sql %-18s %3s queries %6.2f s cpu %6.2f s %10s rows  %s\n", all[i].Name, f[1], s, c, f[4], f[5])
	}
	fmt.Printf("sql total: %.2f s, CPU %.2f s\n", sum, sumCPU)
	return nil
}
