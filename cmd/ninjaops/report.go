package main

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/ninjaops/ninjaops/internal/apply"
	"github.com/ninjaops/ninjaops/internal/plan"
	"github.com/ninjaops/ninjaops/internal/safefile"
)

// reportFile is the --report JSON. Outcome is one of:
//
//	running     written when apply starts, replacing any earlier report;
//	            left only by an apply that was killed
//	applied     every change done
//	failed      some changes failed or were skipped
//	stopped     the run stopped itself (NinjaOne unreachable, duplicate users)
//	interrupted SIGINT or SIGTERM
//	no_changes  NinjaOne already matched
//	refused     a safety guard or a protected pattern refused the plan
//	stale       the saved plan no longer matches NinjaOne
//	cancelled   not approved at the prompt
//	error       anything else (message says what)
type reportFile struct {
	FormatVersion string `json:"format_version"`
	Outcome       string `json:"outcome"`
	Message       string `json:"message,omitempty"`
	*apply.Report
}

func writeReport(path string, r reportFile) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return safefile.Write(path, append(b, '\n'))
}

// applyOutcome gathers what the report says about an apply that may end
// anywhere: before reading, at a guard, or after running.
type applyOutcome struct {
	started time.Time
	// outcome is set where apply ends without running; rep when it ran.
	outcome string
	rep     *apply.Report
	// planned are the changes that were not started, for a refusal.
	planned []plan.Change
	why     string
	// desired is what was wrong with the desired state, which the command
	// prints line by line rather than in its error.
	desired string
}

// notStarted records an end before any change, with the changes that
// were planned.
func (o *applyOutcome) notStarted(outcome string, changes []plan.Change, why string) {
	o.outcome, o.planned, o.why = outcome, changes, why
}

// noteDesired keeps the diagnostics of an invalid desired state.
func (o *applyOutcome) noteDesired(err error) {
	var ds plan.Diagnostics
	if errors.As(err, &ds) {
		o.desired = ds.Error()
	}
}

// file is the report for err, the command's result (running: the report
// written at the start).
func (o *applyOutcome) file(err error, running bool) reportFile {
	now := time.Now().UTC()
	f := reportFile{FormatVersion: "1", Report: o.rep}
	if f.Report == nil {
		f.Report = &apply.Report{Started: o.started, Finished: now, Changes: []apply.Result{}}
	}
	if err != nil {
		f.Message = err.Error()
		if f.Message == "" {
			f.Message = o.desired
		}
	}
	switch {
	case running:
		f.Outcome, f.Finished = "running", time.Time{}
	case o.rep != nil:
		r := o.rep
		switch {
		case r.Interrupted:
			f.Outcome = "interrupted"
		case r.Stopped != "":
			f.Outcome, f.Message = "stopped", r.Stopped
		case r.Totals.Failed > 0 || r.Totals.Skipped > 0:
			f.Outcome = "failed"
		default:
			f.Outcome = "applied"
		}
	case o.outcome != "":
		f.Outcome = o.outcome
		for _, c := range o.planned {
			f.Changes = append(f.Changes, apply.Result{Address: c.Address, Action: c.Action, Status: apply.Skipped,
				Error: "not started: " + o.why, NotStarted: true})
		}
		f.Totals = apply.Totals{Skipped: len(o.planned), Total: len(o.planned)}
	case errors.Is(err, context.Canceled):
		f.Outcome, f.Message = "interrupted", "interrupted; nothing was changed"
	case err != nil:
		f.Outcome = "error"
	default:
		f.Outcome = "applied"
	}
	return f
}
