package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// PrintTable writes the results as a compact text table.
func PrintTable(w io.Writer, r *Result) {
	fmt.Fprintf(w, "caldav-bench %s  %s  home %s  (%s, %d CPUs)\n", r.Label, r.URL, r.Home, r.Host.CPU, r.Host.CPUs)
	for _, s := range r.Sizes {
		fmt.Fprintf(w, "\nN=%d (filled by %s; %d objects, %d instances expected in %s)\n", s.N, s.FilledBy,
			s.Expect.Objects, s.Expect.Instances, r.Settings.Month)
		fmt.Fprintf(w, "%-36s %12s  %-6s %s\n", "operation", "value", "unit", "check / detail")
		for _, o := range s.Ops {
			mark := ""
			if o.OK != nil {
				mark = "ok "
				if !*o.OK {
					mark = "!! "
				}
			}
			d := o.Check
			if o.Detail != "" {
				if d != "" {
					d += "; "
				}
				d += o.Detail
			}
			fmt.Fprintf(w, "%-36s %12s  %-6s %s%s\n", o.Name, num(o.Value), o.Unit, mark, d)
		}
		if s.RSSEmpty > 0 {
			fmt.Fprintf(w, "%-36s %12s  %-6s empty %s, filled %s, peak %s, VmHWM %s\n", "server RSS, filled - empty",
				num(float64(s.RSSFilled-s.RSSEmpty)/(1<<20)), "MiB", mib(s.RSSEmpty), mib(s.RSSFilled), mib(s.RSSPeak), mib(s.HWM))
		}
		if s.DiskAfter > 0 {
			fmt.Fprintf(w, "%-36s %12s  %-6s before %s, after %s\n", "disk growth", num(float64(s.DiskAfter-s.DiskBefore)/(1<<20)), "MiB",
				mib(s.DiskBefore), mib(s.DiskAfter))
		}
	}
}

// num formats a figure with sensible precision.
func num(v float64) string {
	switch a := abs(v); {
	case a >= 1000:
		return commas(fmt.Sprintf("%.0f", v))
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func commas(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// target is one of issue 10's goals: a factor over the best peer, or an
// absolute bound on our figure.
type target struct {
	factor          float64 // ours must beat the best peer by this factor
	atLeast, atMost float64
	text            string
}

// targets are issue 10's goals by Op key.
var targets = map[string]target{
	"propfind_d1":        {factor: 20, text: "≥ 20×"},
	"multiget_100":       {factor: 10, text: "≥ 10×"},
	"query_month_etag":   {factor: 50, text: "≥ 50×"},
	"query_month_data":   {factor: 50, text: "≥ 50×"},
	"query_month_expand": {factor: 50, text: "≥ 50×"},
	"sync_delta":         {factor: 100, text: "≥ 100×"},
	"put_at_size":        {factor: 50, text: "≥ 50×"},
	"put_par":            {atLeast: 500, text: "≥ 500/s"},
	"put_at_size_par":    {atLeast: 500, text: "≥ 500/s"},
	"get_load":           {factor: 50, text: "≥ 50×"},
	"hol_max":            {atMost: 50, text: "≤ 50 ms"},
}

// runCompare prints JSON results side by side as a Markdown table: the
// last file is ours, compared with the best of the others, and judged
// against the targets (a target is not met when our own check failed).
func runCompare(files []string, stdout, stderr io.Writer) int {
	if len(files) < 1 {
		fmt.Fprintln(stderr, "caldav-bench -compare: give JSON files, ours last")
		return 2
	}
	var rs []*Result
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(stderr, "caldav-bench:", err)
			return 1
		}
		var r Result
		if err := json.Unmarshal(b, &r); err != nil {
			fmt.Fprintf(stderr, "caldav-bench: %s: %v\n", f, err)
			return 1
		}
		if r.Label == "" {
			r.Label = f
		}
		rs = append(rs, &r)
	}
	ours := rs[len(rs)-1]
	for _, s := range ours.Sizes {
		compareSize(stdout, rs, s.N)
	}
	return 0
}

// compareSize prints the table for calendar size n.
func compareSize(w io.Writer, rs []*Result, n int) {
	sizes := make([]*SizeResult, len(rs))
	var keys []string
	names := map[string]string{}
	for i, r := range rs {
		for _, s := range r.Sizes {
			if s.N == n {
				sizes[i] = s
			}
		}
	}
	// Rows in our order, then what only the others measured.
	order := append([]*SizeResult{sizes[len(sizes)-1]}, sizes[:len(sizes)-1]...)
	for _, sz := range order {
		if sz == nil {
			continue
		}
		for _, o := range sz.Ops {
			if _, seen := names[o.Key]; !seen {
				keys = append(keys, o.Key)
				names[o.Key] = o.Name
			}
		}
	}
	fmt.Fprintf(w, "\nN = %d\n\n| operation |", n)
	for _, r := range rs {
		fmt.Fprintf(w, " %s |", r.Label)
	}
	fmt.Fprintf(w, " ours ÷ best peer | target |\n|---|")
	for range rs {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprint(w, "---:|---|\n")
	last := len(rs) - 1
	for _, k := range keys {
		var ops []*Op
		for _, s := range sizes {
			ops = append(ops, findOp(s, k))
		}
		var unit, better string
		for _, o := range ops {
			if o != nil {
				unit, better = o.Unit, o.Better
			}
		}
		fmt.Fprintf(w, "| %s (%s) |", names[k], unit)
		for _, o := range ops {
			fmt.Fprintf(w, " %s |", cell(o))
		}
		// The best peer is the fastest one that answered, right or wrong
		// (a wrong answer is marked †: no peer got it right that fast).
		best, bestWrong := -1.0, false
		for _, o := range ops[:last] {
			if o == nil || o.Value <= 0 {
				continue
			}
			if best < 0 || (better == "lower" && o.Value < best) || (better == "higher" && o.Value > best) {
				best, bestWrong = o.Value, o.OK != nil && !*o.OK
			}
		}
		ratio := ""
		var f float64
		if o := ops[last]; o != nil && best > 0 && o.Value > 0 {
			if better == "lower" {
				f = best / o.Value
			} else {
				f = o.Value / best
			}
			ratio = fmt.Sprintf("%s×", num(f))
			if bestWrong {
				ratio += " †"
			}
		}
		tg := ""
		if t, ok := targets[k]; ok && ops[last] != nil {
			o := ops[last]
			met := true
			switch {
			case t.factor > 0:
				met = f >= t.factor
			case t.atLeast > 0:
				met = o.Value >= t.atLeast
			case t.atMost > 0:
				met = o.Value <= t.atMost
			}
			if o.OK != nil && !*o.OK {
				met = false
			}
			tg = t.text + " " + map[bool]string{true: "✓", false: "✗"}[met]
		}
		fmt.Fprintf(w, " %s | %s |\n", ratio, tg)
	}
	// Memory.
	fmt.Fprint(w, "| server RSS filled − empty (MiB) |")
	for _, s := range sizes {
		if s == nil || s.RSSEmpty == 0 {
			fmt.Fprint(w, " – |")
			continue
		}
		fmt.Fprintf(w, " %s |", num(float64(s.RSSFilled-s.RSSEmpty)/(1<<20)))
	}
	tg := ""
	if s := sizes[last]; s != nil && s.RSSEmpty > 0 {
		tg = "≤ 64 MiB " + map[bool]string{true: "✓", false: "✗"}[s.RSSFilled-s.RSSEmpty <= 64<<20]
	}
	fmt.Fprintf(w, " | %s |\n", tg)
	fmt.Fprint(w, "| server peak RSS (MiB) |")
	for _, s := range sizes {
		if s == nil || s.RSSEmpty == 0 {
			fmt.Fprint(w, " – |")
			continue
		}
		fmt.Fprintf(w, " %s |", num(float64(max(s.RSSPeak, s.HWM))/(1<<20)))
	}
	fmt.Fprint(w, " | |\n")
}

func findOp(s *SizeResult, key string) *Op {
	if s == nil {
		return nil
	}
	for _, o := range s.Ops {
		if o.Key == key {
			return o
		}
	}
	return nil
}

// cell is an Op's figure with a mark when its check failed.
func cell(o *Op) string {
	if o == nil {
		return "–"
	}
	if strings.HasPrefix(o.Check, "error") {
		m := regexp.MustCompile(`status \d+`).FindString(o.Check)
		return strings.TrimSpace("error " + m + " ✗")
	}
	s := num(o.Value)
	if o.OK != nil && !*o.OK {
		s += " (" + strings.Join(strings.Fields(o.Check), " ") + ") ✗"
	}
	return s
}
