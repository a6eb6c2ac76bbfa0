package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	sdkcrypto "github.com/conductorone/baton-sdk/pkg/crypto"
	"github.com/urfave/cli/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ninjaops/ninjaops/internal/batonsync"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// `ninjaops baton serve`: the connector in service mode, as ConductorOne's
// own NinjaOne connector runs self-hosted on Kubernetes. The ConductorOne
// credentials are --client-id and --client-secret as on every baton
// connector (also --c1-client-id, --c1-client-secret; BATON_CLIENT_ID,
// BATON_CLIENT_SECRET), and NinjaOne's are the baton commands' own
// (--ninja-one-*, NINJAONE_*, then BATON_NINJA_ONE_*), so that neither can
// be mistaken for the other. `ninjaops baton` without a command runs serve
// when ConductorOne's credentials are given.

const (
	flagHostID          = "host-id"
	flagGracePeriod     = "grace-period"
	flagHealthCheck     = "health-check"
	flagHealthCheckPort = "health-check-port"
	flagHealthCheckBind = "health-check-bind-address"

	envHostID = "BATON_HOST_ID"

	// defaultGracePeriod leaves a task in flight 20s to finish after
	// SIGTERM, and the report of a cancelled one 5s more: inside the 30s
	// a Kubernetes pod gets by default before SIGKILL.
	defaultGracePeriod = 20 * time.Second
	reportWait         = 5 * time.Second
	podGracePeriod     = 30 * time.Second
)

// serveEnv holds the environment variables of serve's own flags. As with
// the connection flags, they are read by ninjaops rather than urfave/cli,
// so that a variable set but empty is skipped.
var serveEnv = map[string][]string{
	flagC1ClientID:      {envC1ClientID},
	flagC1ClientSecret:  {envC1ClientSecret},
	flagHostID:          {envHostID},
	flagGracePeriod:     {"NINJAOPS_GRACE_PERIOD"},
	flagHealthCheck:     {"BATON_HEALTH_CHECK"},
	flagHealthCheckPort: {"BATON_HEALTH_CHECK_PORT"},
	flagHealthCheckBind: {"BATON_HEALTH_CHECK_BIND_ADDRESS"},
	flagStorageEngine:   {"BATON_STORAGE_ENGINE"},
	flagC1zTempDir:      {"BATON_C1Z_TEMP_DIR"},
}

// envC1APIHost is ConductorOne's endpoint, which the SDK reads itself.
const envC1APIHost = "BATON_C1_API_HOST"

func serveEnvUsage(flag string) string {
	return " [$" + strings.Join(serveEnv[flag], ", $") + "]"
}

func batonServeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "serve",
		Usage:     "run as ConductorOne's NinjaOne connector in service mode, until SIGTERM or SIGINT",
		ArgsUsage: " ",
		Description: `Authenticates to ConductorOne with BATON_CLIENT_ID and BATON_CLIENT_SECRET,
says hello with BATON_HOST_ID (default: the host name), then carries out
the tasks ConductorOne hands it, one at a time: full syncs (read NinjaOne
once and upload a c1z), grants, revokes, account creation and deletion.
Provisioning needs --provisioning or BATON_PROVISIONING=true; System
Administrators and --protected users are never removed or deleted.

On SIGTERM or SIGINT it claims no new task, lets the one in flight finish
for up to --grace-period, cancels it then, reports it to ConductorOne
either way and exits 0. With --health-check it serves /live, /ready and
/health on a port of its own for Kubernetes probes.

` + "`ninjaops baton`" + ` without a subcommand runs this when BATON_CLIENT_ID or
BATON_CLIENT_SECRET is set.`,
		Flags: serveFlags(),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("baton serve takes no arguments (got %q)", c.Args().First())
			}
			return runServe(c, e)
		},
	}
}

// serveOwnFlags are the flags only service mode has. `ninjaops baton`
// takes them too, for when it runs serve.
func serveOwnFlags() []cli.Flag {
	const cat = "ConductorOne (service mode)"
	return []cli.Flag{
		&cli.StringFlag{Name: flagHostID, Category: cat,
			Usage: "the `NAME` this connector gives ConductorOne (default: the host name)" + serveEnvUsage(flagHostID)},
		&cli.DurationFlag{Name: flagGracePeriod, Category: cat, Value: defaultGracePeriod,
			Usage: "after SIGTERM, how long the task in flight may run before it is cancelled" + serveEnvUsage(flagGracePeriod)},
		&cli.BoolFlag{Name: flagHealthCheck, Category: "Health",
			Usage: "serve /live, /ready and /health over HTTP" + serveEnvUsage(flagHealthCheck)},
		&cli.IntFlag{Name: flagHealthCheckPort, Category: "Health", Value: 8081,
			Usage: "`PORT` of the health endpoints" + serveEnvUsage(flagHealthCheckPort)},
		&cli.StringFlag{Name: flagHealthCheckBind, Category: "Health", Value: "127.0.0.1",
			Usage: "`ADDRESS` the health endpoints listen on; 0.0.0.0 for Kubernetes probes" + serveEnvUsage(flagHealthCheckBind)},
	}
}

// serveFlags are serve's flags: its own, ConductorOne's credentials, the
// baton provisioning flags, NinjaOne's connection and the logging flags.
// Its storage engine has no default: what ConductorOne's task asks, else
// Pebble.
func serveFlags() []cli.Flag {
	flags := append(serveOwnFlags(), c1CredentialFlags(true)...)
	flags = append(flags,
		oneOf(&cli.StringFlag{Name: flagStorageEngine, Category: "Baton",
			Usage: "c1z `ENGINE` of the syncs uploaded: sqlite or pebble (default: what ConductorOne asks, else pebble)" + serveEnvUsage(flagStorageEngine)}, "sqlite", "pebble"),
		c1zTempDirFlag(),
		stdFlag(flagSkipFullSync, true, "ConductorOne's full-sync tasks are skipped"),
		provisioningFlag(),
		protectedBatonFlag(),
	)
	flags = append(flags, batonConnectionFlags()...)
	return append(flags, batonLogFlags()...)
}

// c1CredentialsGiven says whether ConductorOne's client id or secret is
// given, by flag or variable: `ninjaops baton` then runs service mode.
func c1CredentialsGiven(c *cli.Context, e *env) bool {
	id, _ := serveSetting(c, e, flagC1ClientID)
	secret, _ := serveSetting(c, e, flagC1ClientSecret)
	return id != "" || secret != ""
}

// serveSetting is a serve flag's value: the flag when given, else the
// first non-empty of its variables, else the flag's default. from names
// where it came from, for errors.
func serveSetting(c *cli.Context, e *env, flag string) (value, from string) {
	if c.IsSet(flag) {
		return c.String(flag), "--" + flag
	}
	for _, k := range serveEnv[flag] {
		if v := e.getenv(k); v != "" {
			return v, k
		}
	}
	return c.String(flag), "--" + flag
}

func serveBool(c *cli.Context, e *env, flag string) (bool, error) {
	if c.IsSet(flag) {
		return c.Bool(flag), nil
	}
	v, from := serveSetting(c, e, flag)
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", from, v)
	}
	return b, nil
}

func serveDuration(c *cli.Context, e *env, flag string) (time.Duration, error) {
	if c.IsSet(flag) {
		return c.Duration(flag), nil
	}
	v, from := serveSetting(c, e, flag)
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want a duration such as 20s", from, v)
	}
	return d, nil
}

// serveConfig is everything serve reads before it connects anywhere.
type serveConfig struct {
	c1ID, c1Secret string
	hostID         string
	grace          time.Duration
	engine         batonsync.Engine
	tmpDir         string
	provisioning   bool
	health         *batonsync.HealthOptions
	ninja          ninjaone.Config // empty with --sandbox
}

// readServeConfig reads and checks serve's settings. Every missing
// setting is named at once; no value of a secret is ever repeated.
func readServeConfig(c *cli.Context, e *env) (serveConfig, error) {
	var cfg serveConfig
	var missing []string
	cfg.c1ID, _ = serveSetting(c, e, flagC1ClientID)
	cfg.c1Secret, _ = serveSetting(c, e, flagC1ClientSecret)
	if cfg.c1ID == "" {
		missing = append(missing, fmt.Sprintf("the ConductorOne client id: set %s (or --%s)", envC1ClientID, flagC1ClientIDAlt))
	}
	if cfg.c1Secret == "" {
		missing = append(missing, fmt.Sprintf("the ConductorOne client secret: set %s (or --%s)", envC1ClientSecret, flagC1ClientSecretAlt))
	}
	if !c.Bool(flagSandbox) {
		ncfg, err := connectionConfig(c, e)
		if err != nil {
			var rest string
			if msg, ok := strings.CutPrefix(err.Error(), "missing connection settings:\n  "); ok {
				rest = msg
			} else if len(missing) == 0 {
				return cfg, err
			} else {
				rest = err.Error()
			}
			for _, m := range strings.Split(rest, "\n  ") {
				missing = append(missing, "NinjaOne: "+m)
			}
		}
		cfg.ninja = ncfg
	}
	if len(missing) > 0 {
		return cfg, fmt.Errorf("missing settings:\n  %s", strings.Join(missing, "\n  "))
	}
	if err := checkC1Credential(cfg.c1ID, cfg.c1Secret); err != nil {
		return cfg, err
	}
	if err := checkCredentialsApart(cfg.c1ID, cfg.c1Secret, cfg.ninja); err != nil {
		return cfg, err
	}

	var err error
	cfg.hostID, _ = serveSetting(c, e, flagHostID)
	if cfg.grace, err = serveDuration(c, e, flagGracePeriod); err != nil {
		return cfg, err
	}
	if cfg.grace <= 0 {
		return cfg, fmt.Errorf("--%s %v: want a positive duration", flagGracePeriod, cfg.grace)
	}
	// Only an engine asked for, never the default `ninjaops baton`'s own
	// flag has for its one-shot syncs (sqlite).
	if v, from := serveSetting(c, e, flagStorageEngine); v != "" && (c.IsSet(flagStorageEngine) || from != "--"+flagStorageEngine) {
		if cfg.engine, err = batonsync.ParseEngine(v); err != nil {
			return cfg, fmt.Errorf("%s: %w", from, err)
		}
	}
	cfg.tmpDir, _ = serveSetting(c, e, flagC1zTempDir)
	if cfg.provisioning, err = provisioningEnabled(c, e); err != nil {
		return cfg, err
	}
	on, err := serveBool(c, e, flagHealthCheck)
	if err != nil {
		return cfg, err
	}
	if on {
		portStr, from := serveSetting(c, e, flagHealthCheckPort)
		port, err := strconv.Atoi(portStr)
		if err != nil || port < 1 || port > 65535 {
			return cfg, fmt.Errorf("%s=%q: want a port number (1-65535)", from, portStr)
		}
		bind, from := serveSetting(c, e, flagHealthCheckBind)
		if net.ParseIP(bind) == nil && bind != "localhost" {
			return cfg, fmt.Errorf("%s=%q: want an IP address such as 0.0.0.0 or 127.0.0.1", from, bind)
		}
		cfg.health = &batonsync.HealthOptions{BindAddress: bind, Port: port}
	}
	return cfg, nil
}

// checkC1Credential checks the ConductorOne credential's format as the SDK
// reads it, so that a wrong value is named before anything is dialled.
func checkC1Credential(id, secret string) error {
	name, rest, ok := strings.Cut(id, "@")
	host, _, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || name == "" || host == "" {
		return fmt.Errorf("%s (or --%s) is not a ConductorOne client id: want the form name@tenant.conductor.one/..., as ConductorOne shows it when the credential is created", envC1ClientID, flagC1ClientIDAlt)
	}
	if !isC1Secret(secret) {
		return fmt.Errorf("%s (or --%s) is not a ConductorOne client secret: want the secret ConductorOne showed once when the credential was created (secret-token:...)", envC1ClientSecret, flagC1ClientSecretAlt)
	}
	return nil
}

// checkCredentialsApart refuses a NinjaOne setting that holds the
// ConductorOne credential, before it could be posted to NinjaOne's token
// endpoint (as `--client-secret`, which means ConductorOne's secret on
// other baton connectors, would be).
func checkCredentialsApart(c1ID, c1Secret string, ninja ninjaone.Config) error {
	const where = "set NinjaOne's own client app credentials with NINJAONE_CLIENT_ID and NINJAONE_CLIENT_SECRET (or BATON_NINJA_ONE_CLIENT_ID and BATON_NINJA_ONE_CLIENT_SECRET), and ConductorOne's with " + envC1ClientID + " and " + envC1ClientSecret
	switch {
	case ninja.ClientSecret == "":
		return nil
	case ninja.ClientSecret == c1Secret:
		return fmt.Errorf("the NinjaOne client secret is the ConductorOne client secret; refusing to send it to NinjaOne: %s", where)
	case isC1Secret(ninja.ClientSecret):
		return fmt.Errorf("the NinjaOne client secret is a ConductorOne client secret; refusing to send it to NinjaOne: %s", where)
	case ninja.ClientID == c1ID:
		return fmt.Errorf("the NinjaOne client id is the ConductorOne client id: %s", where)
	}
	return nil
}

func isC1Secret(s string) bool {
	_, err := sdkcrypto.ParseClientSecret([]byte(s), false)
	return err == nil
}

func runServe(c *cli.Context, e *env) error {
	cfg, err := readServeConfig(c, e)
	if err != nil {
		return err
	}
	log, err := serveLogger(c, e)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	warnUnknownEnv(log, os.Environ())
	if cfg.grace+reportWait >= podGracePeriod {
		log.Warn("the grace period and the report of a cancelled task take 30s or more: raise the pod's terminationGracePeriodSeconds to match",
			zap.Duration("grace_period", cfg.grace), zap.Duration("report_wait", reportWait))
	}
	// The SDK reads the host id from the environment only.
	if cfg.hostID != "" && e.getenv(envHostID) != cfg.hostID {
		if err := os.Setenv(envHostID, cfg.hostID); err != nil {
			return err
		}
	}

	fields := []zap.Field{zap.Bool("provisioning", cfg.provisioning), zap.String("storage_engine", string(cfg.engine)),
		zap.Duration("grace_period", cfg.grace)}
	if cfg.health != nil {
		fields = append(fields, zap.String("health_check", "http://"+net.JoinHostPort(cfg.health.BindAddress, strconv.Itoa(cfg.health.Port))))
	}
	log.Info("ninjaops baton serve "+version+" starting", fields...)

	client, closeFn, err := connect(c, e)
	if err != nil {
		return err
	}
	defer closeFn()
	// A NinjaOne setting that is wrong stops the connector now, with the
	// reason in its log, rather than failing every task; a NinjaOne that
	// does not answer does not, since it may answer by the first task.
	if err := client.Validate(c.Context); err != nil {
		if c.Context.Err() != nil {
			return nil
		}
		if permanent(err) {
			return fmt.Errorf("NinjaOne refused the connection settings: %w", err)
		}
		log.Warn("NinjaOne did not answer the startup check; carrying on", zap.Error(err))
	}

	conn, err := batonsync.New(client, batonsync.Config{
		Protected:    c.StringSlice(flagProtected),
		Provisioning: cfg.provisioning,
		// A sync validates by reading the Snapshot it needs anyway, so it
		// makes exactly the Snapshot's requests.
		ValidateWithSnapshot: true,
	})
	if err != nil {
		return fmt.Errorf("--%s: %w", flagProtected, err)
	}
	srv, err := batonsync.Start(c.Context, conn, batonsync.Options{TmpDir: cfg.tmpDir, Logger: log})
	if err != nil {
		return err
	}
	defer srv.Close()

	err = srv.Serve(c.Context, conn, batonsync.ServiceOptions{
		ClientID: cfg.c1ID, ClientSecret: cfg.c1Secret,
		Engine: cfg.engine, Grace: cfg.grace, ReportWait: reportWait, Health: cfg.health,
		SkipFullSync: c.Bool(flagSkipFullSync),
	})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated || status.Code(err) == codes.PermissionDenied {
			return fmt.Errorf("%w (check %s and %s)", err, envC1ClientID, envC1ClientSecret)
		}
		return err
	}
	log.Info("stopped")
	return nil
}

// permanent says whether a NinjaOne error is one that waiting will not
// fix: a refused token or read (wrong credentials, scope, region).
func permanent(err error) bool {
	var ae *ninjaone.APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.StatusCode >= 400 && ae.StatusCode < 500 && ae.StatusCode != http.StatusTooManyRequests
}

// serveLogger is serve's log on stderr: info by default, as a service
// should say what it does, in JSON unless stderr is a terminal. The level
// and format come from --log-level and --log-format (NINJAOPS_LOG_*),
// else the baton standard BATON_LOG_LEVEL and BATON_LOG_FORMAT. The
// NinjaOne client's log (slog) is set to the same level and format, with
// the same keys in JSON.
func serveLogger(c *cli.Context, e *env) (*zap.Logger, error) {
	level, format := "info", "json"
	if e.stderrTTY {
		format = "text"
	}
	if v := e.getenv(envLogLevel); v != "" {
		level = v
	}
	if v := e.getenv(envLogFormat); v != "" {
		format = v
	}
	if c.IsSet(flagLogLevel) {
		level = c.String(flagLogLevel)
	}
	if c.Bool(flagDebug) {
		level = "debug"
	}
	if c.IsSet(flagLogFormat) {
		format = c.String(flagLogFormat)
	}
	if format == "console" {
		format = "text"
	}
	var lv zapcore.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil || lv > zapcore.ErrorLevel {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	enc := zapcore.EncoderConfig{
		TimeKey: "time", LevelKey: "level", NameKey: "logger", MessageKey: "msg", StacktraceKey: "",
		EncodeTime: zapcore.RFC3339NanoTimeEncoder, EncodeLevel: zapcore.CapitalLevelEncoder,
		EncodeDuration: zapcore.StringDurationEncoder, LineEnding: zapcore.DefaultLineEnding,
	}
	var encoder zapcore.Encoder
	switch format {
	case "json":
		encoder = zapcore.NewJSONEncoder(enc)
	case "text":
		encoder = zapcore.NewConsoleEncoder(enc)
	default:
		return nil, fmt.Errorf("log format %q: want json or console (text)", format)
	}
	// The NinjaOne client's logger is built from these two flags.
	if err := c.Set(flagLogLevel, lv.String()); err != nil {
		return nil, err
	}
	if err := c.Set(flagLogFormat, format); err != nil {
		return nil, err
	}
	return zap.New(zapcore.NewCore(encoder, zapcore.AddSync(e.stderr), lv)), nil
}

// knownServeEnv is every variable serve reads, by name.
func knownServeEnv() map[string]bool {
	known := map[string]bool{envC1APIHost: true, envLogLevel: true, envLogFormat: true, envProvisioning: true}
	for _, m := range []map[string][]string{serveEnv, connEnv} {
		for _, vars := range m {
			for _, v := range vars {
				known[v] = true
			}
		}
	}
	return known
}

// warnUnknownEnv warns about BATON_* and NINJAONE_* variables that serve
// does not read, most often a misspelt name in a Kubernetes Secret
// (BATON_PROVISONING) that would otherwise be ignored without a word.
// Only names are logged, never values.
func warnUnknownEnv(log *zap.Logger, environ []string) {
	known := knownServeEnv()
	var unknown []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if (strings.HasPrefix(k, "BATON_") || strings.HasPrefix(k, "NINJAONE_")) && !known[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		log.Warn("an environment variable that ninjaops baton serve does not read is set; check its name", zap.String("variable", k))
	}
}
