package experiment

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// Experiment is one claim-checking run.
type Experiment interface {
	Name() string    // the subcommand: "handshake"
	Section() string // the chapter section: "4.2"
	Title() string   // one line for people
	Run(ctx context.Context, p Plan) (*Result, error)
}

// Unavailable is returned when a run cannot happen here: a missing privilege
// or kernel feature. Reason is one sentence saying what is missing and how
// to get it; the CLI exits with status 2.
type Unavailable struct{ Reason string }

func (u *Unavailable) Error() string { return u.Reason }

// IsUnavailable reports whether err says the run could not happen here.
func IsUnavailable(err error) bool {
	var u *Unavailable
	return errors.As(err, &u)
}

type entry struct {
	order int
	make  func() Experiment
}

var registry = map[string]entry{}

// Register adds an experiment factory under its name; order sets its place
// in `tcplab all` (the chapter's order). It panics on a duplicate name, a
// programming error.
func Register(order int, make func() Experiment) {
	name := make().Name()
	if _, dup := registry[name]; dup {
		panic("experiment: duplicate registration of " + name)
	}
	registry[name] = entry{order: order, make: make}
}

// New returns a fresh experiment with its default parameters.
func New(name string) (Experiment, error) {
	e, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("experiment: unknown experiment %q", name)
	}
	return e.make(), nil
}

// Names lists the registered experiments in the chapter's order.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := registry[names[i]], registry[names[j]]
		if a.order != b.order {
			return a.order < b.order
		}
		return names[i] < names[j]
	})
	return names
}
