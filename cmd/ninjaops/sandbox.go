package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

func init() {
	register(sandboxCommand)
	inProcessSandbox = startInProcessSandbox
}

// startInProcessSandbox is --sandbox: the sandbox on a loopback port of
// this process, its state in s.state (first built from s.seed), with a
// random secret so no other process can use it.
func startInProcessSandbox(_ context.Context, s sandboxSetup, log *slog.Logger) (ninjaone.Config, func(), error) {
	var b [24]byte
	rand.Read(b[:])
	secret := hex.EncodeToString(b[:])
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv, err := sandbox.New(sandbox.Options{
		ClientSecret: secret,
		Seed:         s.seed,
		SeedName:     s.info.Name,
		SeedDigest:   s.info.Digest,
		CheckSeed:    s.explicit,
		StatePath:    s.state,
		Logger:       log.With("component", "sandbox"),
	})
	if err != nil {
		return ninjaone.Config{}, nil, err
	}
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		srv.Close()
		return ninjaone.Config{}, nil, err
	}
	stop := func() {
		if err := srv.Close(); err != nil {
			log.Error("closing the built-in sandbox", "err", err)
		}
	}
	return ninjaone.Config{BaseURL: url, ClientID: "sandbox", ClientSecret: secret, Scope: "monitoring management"}, stop, nil
}

func sandboxCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "sandbox",
		Usage: "run a NinjaOne-compatible sandbox server",
		Subcommands: []*cli.Command{{
			Name:  "serve",
			Usage: "serve the NinjaOne API from a seed or state file until interrupted",
			Description: "Serves OAuth2 client credentials, the user, role and organization reads and the\n" +
				"user and role membership writes of NinjaOne's API v2, plus GET /_sandbox/stats,\n" +
				"POST /_sandbox/stats/reset and GET /_sandbox/state. Without --seed and --state\n" +
				"it serves the quickstart tenant (examples/quickstart/sandbox.yaml).",
			Flags: append([]cli.Flag{
				&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8765", Usage: "`ADDRESS` to listen on"},
				&cli.StringFlag{Name: "seed", TakesFile: true, Usage: "initial tenant `FILE` (YAML or JSON), used when --state does not exist yet (default: the quickstart tenant)"},
				&cli.StringFlag{Name: "state", TakesFile: true, Usage: "state `FILE`: loaded if it exists, every change persisted to it (default: in memory only)"},
				&cli.StringFlag{Name: "client-id", Value: "sandbox", Usage: "the client app's `ID`"},
				&cli.StringFlag{Name: "client-secret", Value: "sandbox", Usage: "the client app's `SECRET`"},
				&cli.DurationFlag{Name: "latency", Usage: "`DURATION` to wait before answering each API and token request"},
				&cli.Float64Flag{Name: "fault-rate", Usage: "probability `F` (0 to 1) that an API request fails with an injected fault"},
				listOf(&cli.StringFlag{Name: "fault-kinds", Value: strings.Join(sandbox.FaultKinds, ","), Usage: "comma-separated fault kinds to choose from: `LIST` of 429, 500, 503, html, reset"}, sandbox.FaultKinds...),
				&cli.Int64Flag{Name: "random-seed", Usage: "seed `N` of the random source behind faults, for reproducible runs"},
				&cli.DurationFlag{Name: "token-ttl", Value: time.Hour, Usage: "`DURATION` access tokens live (expires_in)"},
				&cli.StringFlag{Name: "duplicate-emails", Value: sandbox.DuplicatesAccept, Usage: "creating a user whose email a live user has: `MODE` accept (a second user) or refuse (400)"},
			}, sandboxSwitchFlags()...),
			Action: func(c *cli.Context) error { return serveSandbox(c, e) },
		}},
	}
}

func serveSandbox(c *cli.Context, e *env) error {
	if c.NArg() > 0 {
		return fmt.Errorf("sandbox serve takes no arguments (got %q)", c.Args().First())
	}
	var kinds []string
	for _, k := range strings.Split(c.String("fault-kinds"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			kinds = append(kinds, k)
		}
	}
	opts := sandbox.Options{
		ClientID:     c.String("client-id"),
		ClientSecret: c.String("client-secret"),
		TokenTTL:     c.Duration("token-ttl"),
		StatePath:    c.String("state"),
		Latency:      c.Duration("latency"),
		FaultRate:    c.Float64("fault-rate"),
		FaultKinds:   kinds,
		RandomSeed:   c.Int64("random-seed"),
		Logger:       slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	opts.DuplicateEmails = c.String("duplicate-emails") // checked by sandbox.New
	if opts.ClientID == "" || opts.ClientSecret == "" {
		return fmt.Errorf("--client-id and --client-secret must not be empty")
	}
	if err := sandboxSwitches(c, &opts); err != nil {
		return err
	}
	var err error
	var info sandbox.SeedInfo
	if path := c.String("seed"); path != "" {
		opts.Seed, info, err = loadSeed(c, path)
		opts.CheckSeed = true
	} else {
		opts.Seed, info, err = builtinSeed()
	}
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	opts.SeedName, opts.SeedDigest = info.Name, info.Digest
	srv, err := sandbox.New(opts)
	if err != nil {
		return sandboxError(err, "seed", "state")
	}
	url, err := srv.Start(c.String("listen"))
	if err != nil {
		srv.Close()
		return err
	}
	// One line, and never the secret.
	fmt.Fprintf(e.stderr, "ninjaops sandbox: serving the NinjaOne API on %s (client id %q, %s)\n", url, opts.ClientID, servedFrom(srv.Origin()))
	if host, _, err := net.SplitHostPort(c.String("listen")); err == nil {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			fmt.Fprintf(e.stderr, "ninjaops sandbox: warning: listening beyond loopback (%s); anyone who can reach it and knows the client secret can change the sandbox\n", host)
		}
	}
	<-c.Context.Done()
	if err := srv.Close(); err != nil {
		return fmt.Errorf("sandbox: shutting down: %w", err)
	}
	return nil
}

// servedFrom says in the serve banner where the tenant came from: the
// built-in quickstart tenant or a seed file, in memory or in a state file
// that is new or was there (and what it was built from, when it says).
func servedFrom(o sandbox.Origin) string {
	switch {
	case o.State == "" && o.Seed != nil:
		return seedLabel(*o.Seed) + ", in memory"
	case o.State == "":
		return "in memory"
	case !o.Existed && o.Seed != nil:
		return "state " + o.State + ", new, from " + seedLabel(*o.Seed)
	case o.Seed != nil:
		return "state " + o.State + ", built from " + seedLabel(*o.Seed)
	}
	return "state " + o.State
}
