package main

import (
	"fmt"
	"strings"

	"github.com/conductorone/baton-sdk/pkg/field"
	"github.com/urfave/cli/v2"
)

// The standard baton flags: a user who knows any baton connector finds
// them here with the same names, shorthands, defaults and descriptions,
// because they are made from the baton-sdk's own field definitions
// (field.DefaultFields), and each reads BATON_<NAME> as the SDK's
// configuration does. Only the flags that mean something for NinjaOne are
// offered.

const (
	flagC1ClientID     = "client-id"
	flagC1ClientSecret = "client-secret"
	// The names of ConductorOne's credentials that cannot be mistaken for
	// NinjaOne's, which messages use.
	flagC1ClientIDAlt     = "c1-client-id"
	flagC1ClientSecretAlt = "c1-client-secret"
	flagC1zTempDir        = "c1z-temp-dir"
	flagSkipFullSync      = "skip-full-sync"
	flagSkipEntsGrants    = "skip-entitlements-and-grants"
	flagSyncResources     = "sync-resources"
	flagSyncTypes         = "sync-resource-types"
	flagGrantEnt          = "grant-entitlement"
	flagGrantPrincipal    = "grant-principal"
	flagGrantPrinType     = "grant-principal-type"
	flagRevokeGrant       = "revoke-grant"
	flagCreateEmail       = "create-account-email"
	flagCreateLogin       = "create-account-login"
	flagCreateProfile     = "create-account-profile"
	flagDeleteResource    = "delete-resource"
	flagDeleteType        = "delete-resource-type"
	envLogLevel           = "BATON_LOG_LEVEL"
	envLogFormat          = "BATON_LOG_FORMAT"
	envC1ClientID         = "BATON_CLIENT_ID"
	envC1ClientSecret     = "BATON_CLIENT_SECRET"
)

// sdkField is the baton-sdk's definition of a standard field.
func sdkField(name string) field.SchemaField {
	for _, f := range field.DefaultFields {
		if f.FieldName == name {
			return f
		}
	}
	panic("baton-sdk v0.25.0 defines no standard field " + name)
}

// batonEnv is the variable the SDK reads a field from: BATON_ and the name
// in upper snake case.
func batonEnv(name string) string {
	return "BATON_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// stdFlag is the standard field name as a flag: the SDK's name, shorthand,
// default and description, with note (what it means in ninjaops) after
// the description, and the variable BATON_<NAME> when env is set. A
// subcommand may give the flag a shorter name of its own, with the
// standard one as an alias (`baton grant --entitlement` and
// `--grant-entitlement` are the same flag).
func stdFlag(name string, env bool, note string, short ...string) cli.Flag {
	f := sdkField(name)
	usage := f.Description
	if note != "" {
		usage = strings.TrimSuffix(usage, ".") + "; " + note
	}
	var envs []string
	if env {
		envs = []string{batonEnv(name)}
	}
	flagName, aliases := f.FieldName, short
	if len(short) > 0 {
		flagName, aliases = short[0], append(short[1:], f.FieldName)
	}
	if sh := f.GetCLIShortHand(); sh != "" {
		aliases = append(aliases, sh)
	}
	const category = "Baton"
	switch f.Variant {
	case field.BoolVariant:
		return &cli.BoolFlag{Name: flagName, Aliases: aliases, Usage: usage, EnvVars: envs, Category: category}
	case field.StringSliceVariant:
		return &cli.StringSliceFlag{Name: flagName, Aliases: aliases, Usage: usage, EnvVars: envs, Category: category}
	case field.StringVariant:
		value, _ := f.DefaultValue.(string)
		// A file or a directory: the shells complete paths for it.
		takesFile := name == flagFile || name == flagC1zTempDir
		return &cli.StringFlag{Name: flagName, Aliases: aliases, Usage: usage, EnvVars: envs, Value: value, Category: category, TakesFile: takesFile}
	}
	panic(fmt.Sprintf("standard field %s is a %s", name, f.Variant))
}

// c1zFileFlag is --file/-f (BATON_FILE), the c1z of every baton command.
func c1zFileFlag() cli.Flag {
	return stdFlag(flagFile, true, "written by sync, read by grant and revoke")
}

// provisioningFlag is -p/--provisioning. BATON_PROVISIONING is read by
// provisioningEnabled, which accepts only true and false.
func provisioningFlag() cli.Flag {
	return stdFlag(flagProvisioning, false, "grant, revoke, create-account and delete are refused without it (also "+envProvisioning+"=true)")
}

func c1zTempDirFlag() cli.Flag {
	return stdFlag(flagC1zTempDir, true, "ninjaops works in a new directory inside it and removes it when done")
}

func storageEngineFlag() cli.Flag {
	return oneOf(&cli.StringFlag{Name: flagStorageEngine, EnvVars: []string{batonEnv(flagStorageEngine)}, Value: "sqlite", Category: "Baton",
		Usage: "The storage engine of a new c1z file: sqlite (the default here, and what the baton tool reads) or pebble (the SDK's own default, faster on large tenants)"},
		"sqlite", "pebble")
}

// syncFlags are the standard flags that shape a sync.
func syncFlags() []cli.Flag {
	return []cli.Flag{
		storageEngineFlag(),
		stdFlag(flagSkipEntsGrants, true, "users and roles only"),
		stdFlag(flagSyncResources, true, "a partial sync of these resources: Baton ids (bid:r:user/34) or user:34, role:12, system_role:administrator"),
		stdFlag(flagSyncTypes, true, "user, role, system_role"),
	}
}

// batonLogFlags are the logging flags of the baton commands: the standard
// names and variables (BATON_LOG_LEVEL, BATON_LOG_FORMAT), then ninjaops'
// own, with ninjaops' defaults. The baton-sdk's own logs appear only when
// a level is asked for.
func batonLogFlags() []cli.Flag {
	return []cli.Flag{
		oneOf(&cli.StringFlag{Name: flagLogLevel, EnvVars: []string{envLogLevel, "NINJAOPS_LOG_LEVEL"}, Value: "warn", Category: "Logging",
			Usage: sdkField(flagLogLevel).Description + "; the baton-sdk's own logs appear only when a level is given"}, "debug", "info", "warn", "error"),
		oneOf(&cli.StringFlag{Name: flagLogFormat, EnvVars: []string{envLogFormat, "NINJAOPS_LOG_FORMAT"}, Value: "console", Category: "Logging",
			Usage: sdkField(flagLogFormat).Description + " (text is console)"}, "console", "json", "text"),
		&cli.BoolFlag{Name: flagDebug, Category: "Logging", Usage: "shorthand for --log-level debug"},
	}
}

// c1CredentialFlags are ConductorOne's client id and secret, as --client-id
// and --client-secret mean on every baton connector; only service mode
// uses them, and they are never sent to NinjaOne. withEnv reads
// BATON_CLIENT_ID and BATON_CLIENT_SECRET too; the subcommands take the
// flags only to say what they are.
func c1CredentialFlags(withEnv bool) []cli.Flag {
	env := func(v string) []string {
		if withEnv {
			return []string{v}
		}
		return nil
	}
	return []cli.Flag{
		&cli.StringFlag{Name: flagC1ClientID, Aliases: []string{flagC1ClientIDAlt}, EnvVars: env(envC1ClientID), Category: "ConductorOne (service mode)", Hidden: !withEnv,
			Usage: sdkField(flagC1ClientID).Description + "; not NinjaOne's (that is --" + batonNames[flagClientID] + ")"},
		&cli.StringFlag{Name: flagC1ClientSecret, Aliases: []string{flagC1ClientSecretAlt}, EnvVars: env(envC1ClientSecret), Category: "ConductorOne (service mode)", Hidden: !withEnv,
			Usage: sdkField(flagC1ClientSecret).Description + "; not NinjaOne's (that is --" + batonNames[flagClientSecret] + ")"},
	}
}

// commonBatonFlags are the flags of every one-shot baton command.
func commonBatonFlags() []cli.Flag {
	return append(baseBatonFlags(), c1CredentialFlags(false)...)
}

func baseBatonFlags() []cli.Flag {
	flags := []cli.Flag{
		c1zFileFlag(),
		provisioningFlag(),
		protectedBatonFlag(),
		c1zTempDirFlag(),
	}
	flags = append(flags, batonConnectionFlags()...)
	return append(flags, batonLogFlags()...)
}

// protectedBatonFlag is --protected of the baton commands.
func protectedBatonFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: flagProtected, Category: "Baton",
		Usage: "case-insensitive email `GLOB` of users never removed from a role or deleted (repeatable); System Administrators always are"}
}

// batonMainFlags are the flags of `ninjaops baton` itself, which does what
// a baton connector's main command does: one action chosen by its flags,
// else a sync; service mode with ConductorOne's credentials.
func batonMainFlags() []cli.Flag {
	flags := append(baseBatonFlags(), syncFlags()...)
	flags = append(flags,
		stdFlag(flagSkipFullSync, true, "service mode only: ConductorOne's full-sync tasks are skipped"),
		stdFlag(flagGrantEnt, true, "role:12:member"),
		stdFlag(flagGrantPrincipal, true, "34 with --grant-principal-type user, or user:34"),
		stdFlag(flagGrantPrinType, true, "user (the default)"),
		stdFlag(flagRevokeGrant, true, "role:12:member:user:34"),
		stdFlag(flagCreateEmail, true, "required: also the user's NinjaOne login"),
		stdFlag(flagCreateLogin, true, "NinjaOne's login is the email: the same as --create-account-email, if given"),
		stdFlag(flagCreateProfile, true, `e.g. '{"firstName":"Ada","lastName":"Lovelace","organizationId":2}'`),
		stdFlag(flagDeleteResource, true, "34 with --delete-resource-type user, or user:34"),
		stdFlag(flagDeleteType, true, "user (the default)"),
	)
	flags = append(flags, c1CredentialFlags(true)...)
	return append(flags, serveOwnFlags()...)
}

// batonConfiguration is the connector's configuration schema, which the
// `config` command prints as every baton connector's does: the upstream
// NinjaOne connector's own fields, from the NinjaOne settings of conn.go,
// and the standard fields ninjaops offers. (The SDK's marshalling leaves
// out the fields that are not for ConductorOne's configuration form.)
func batonConfiguration() field.Configuration {
	ninja := func(flag, display, desc string, opts ...func(field.SchemaField) field.SchemaField) field.SchemaField {
		f := field.StringField(batonNames[flag], field.WithDisplayName(display), field.WithDescription(desc+" (also "+strings.Join(connEnv[flag], ", ")+")"))
		for _, o := range opts {
			f = o(f)
		}
		return f
	}
	fields := []field.SchemaField{
		ninja(flagBaseURL, "Base URL", "The NinjaOne instance: https://app.ninjarmm.com (US), https://eu.ninjarmm.com, ... or a branded domain", field.WithRequired(true)),
		ninja(flagClientID, "Client ID", "The client id of a NinjaOne API client app with the client-credentials grant", field.WithRequired(true)),
		ninja(flagClientSecret, "Client secret", "That app's client secret", field.WithRequired(true), field.WithIsSecret(true)),
		ninja(flagScope, "Scope", "OAuth scopes, space separated: monitoring for syncs, management too for provisioning; default monitoring management"),
	}
	for _, name := range []string{flagFile, flagProvisioning, flagC1zTempDir, flagLogLevel, flagLogFormat, flagStorageEngine,
		flagSkipFullSync, flagSkipEntsGrants, flagSyncResources, flagSyncTypes, flagC1ClientID, flagC1ClientSecret,
		flagGrantEnt, flagGrantPrincipal, flagGrantPrinType, flagRevokeGrant, flagCreateEmail, flagCreateLogin, flagCreateProfile,
		flagDeleteResource, flagDeleteType} {
		f := sdkField(name)
		if name == flagLogLevel {
			f.DefaultValue = "warn" // ninjaops' default, as on its flag
		}
		fields = append(fields, f)
	}
	return field.NewConfiguration(fields, field.WithConnectorDisplayName("NinjaOne (ninjaops)"))
}
