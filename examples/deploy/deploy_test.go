package deploy

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"gopkg.in/yaml.v3"
)

// goreleaserVersion is the goreleaser the release is checked with: the
// newest that builds with the Go of go.mod (v2.18 wants Go 1.27).
const goreleaserVersion = "v2.17.0"

// root is the repository's top directory.
var root = filepath.Join("..", "..")

var (
	toolsOnce sync.Once
	toolsDir  string
	toolsErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if toolsDir != "" {
		os.RemoveAll(toolsDir)
	}
	os.Exit(code)
}

func goTool() (string, error) {
	g := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(g); err == nil {
		return g, nil
	}
	return exec.LookPath("go")
}

// tools builds the lint command (lint/, its own module) and installs
// goreleaser at goreleaserVersion (from the module proxy, outside
// ninjaops' module), once, and returns their directory.
func tools(t *testing.T) string {
	t.Helper()
	toolsOnce.Do(func() {
		g, err := goTool()
		if err != nil {
			toolsErr = errors.New("no go command to build the tools with")
			return
		}
		if toolsDir, err = os.MkdirTemp("", "ninjaops-deploy-tools-"); err != nil {
			toolsErr = err
			return
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		run := func(dir string, args ...string) {
			defer wg.Done()
			cmd := exec.Command(g, args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOWORK=off", "GOBIN="+toolsDir)
			if out, err := cmd.CombinedOutput(); err != nil {
				mu.Lock()
				toolsErr = errors.Join(toolsErr, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out))
				mu.Unlock()
			}
		}
		wg.Add(2)
		go run("lint", "build", "-o", filepath.Join(toolsDir, "lint"), ".")
		go run(toolsDir, "install", "github.com/goreleaser/goreleaser/v2@"+goreleaserVersion)
		wg.Wait()
	})
	if toolsErr != nil {
		t.Fatal(toolsErr)
	}
	return toolsDir
}

// lint runs the lint command and decodes what it prints into v.
func lint(t *testing.T, v any, args ...string) error {
	t.Helper()
	cmd := exec.Command(filepath.Join(tools(t), "lint"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("lint %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return json.Unmarshal(out, v)
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The Dockerfile as BuildKit reads it (see lint/main.go).
type dockerfile struct {
	Warnings []string
	Stages   []struct {
		Name            string
		Base            string
		User            string
		Entrypoint      []string
		EntrypointShell bool `json:"entrypoint_shell"`
		Cmd             []string
		CmdShell        bool `json:"cmd_shell"`
		Runs            []string
		Copies          []struct {
			From    string
			Sources []string
			Dest    string
		}
	}
}

const imageUser = "65532" // distroless' nonroot user

// dockerfileProblems is what is wrong with an image's Dockerfile: the
// final stage must run the ninjaops binary as a non-root user, with no
// shell needed or present, and (when it builds from source) a static
// binary.
func dockerfileProblems(d dockerfile) []string {
	var p []string
	for _, w := range d.Warnings {
		p = append(p, "BuildKit warns: "+w)
	}
	if len(d.Stages) == 0 {
		return append(p, "no stage")
	}
	final := d.Stages[len(d.Stages)-1]
	if !strings.HasPrefix(final.Base, "gcr.io/distroless/static") && final.Base != "scratch" {
		p = append(p, fmt.Sprintf("the final base %q is not distroless/static or scratch: it may carry a shell and libc", final.Base))
	}
	if uid, _, _ := strings.Cut(final.User, ":"); uid != imageUser {
		p = append(p, fmt.Sprintf("USER %q: want the numeric non-root %s, so that runAsNonRoot can check it", final.User, imageUser))
	}
	if final.EntrypointShell || !slices.Equal(final.Entrypoint, []string{"/ninjaops"}) {
		p = append(p, fmt.Sprintf("ENTRYPOINT %q (shell form %v): want the exec form [\"/ninjaops\"]", final.Entrypoint, final.EntrypointShell))
	}
	if final.CmdShell || !slices.Equal(final.Cmd, []string{"baton"}) {
		p = append(p, fmt.Sprintf("CMD %q (shell form %v): want the exec form [\"baton\"], the upstream image's behaviour", final.Cmd, final.CmdShell))
	}
	if len(final.Runs) > 0 {
		p = append(p, fmt.Sprintf("the final stage runs %q: it must need no shell", final.Runs))
	}
	var binary *struct {
		From    string
		Sources []string
		Dest    string
	}
	for i, c := range final.Copies {
		if c.Dest == "/ninjaops" {
			binary = &final.Copies[i]
		}
	}
	if binary == nil || len(binary.Sources) != 1 {
		return append(p, "no COPY of the binary to /ninjaops")
	}
	if binary.From == "" {
		return p // the release image: the binary is goreleaser's, checked in TestGoreleaser
	}
	built := false
	for _, st := range d.Stages[:len(d.Stages)-1] {
		if st.Name != binary.From {
			continue
		}
		for _, r := range st.Runs {
			if strings.Contains(r, "go build") && strings.Contains(r, "-o "+binary.Sources[0]+" ") && strings.HasSuffix(r, "./cmd/ninjaops") {
				built = true
				if !strings.Contains(r, "CGO_ENABLED=0") {
					p = append(p, "the binary is built without CGO_ENABLED=0: it may not be static")
				}
			}
		}
	}
	if !built {
		p = append(p, fmt.Sprintf("no stage %q runs go build -o %s ./cmd/ninjaops", binary.From, binary.Sources[0]))
	}
	return p
}

func TestDockerfiles(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Dockerfile", "goreleaser.Dockerfile"} {
		t.Run(name, func(t *testing.T) {
			var d dockerfile
			if err := lint(t, &d, "dockerfile", filepath.Join(root, name)); err != nil {
				t.Fatal(err)
			}
			if p := dockerfileProblems(d); len(p) > 0 {
				t.Errorf("%s:\n  %s", name, strings.Join(p, "\n  "))
			}
		})
	}
	if _, err := os.Stat(filepath.Join(root, ".dockerignore")); err != nil {
		t.Errorf("no .dockerignore: the build context would carry .git and local state: %v", err)
	}
}

// The checks must be able to fail.
func TestDockerfileProblemsFound(t *testing.T) {
	t.Parallel()
	bad := writeTemp(t, "Dockerfile", `FROM golang:1.26 AS build
RUN go build -o /out/ninjaops ./cmd/ninjaops
FROM debian:12
RUN apt-get update
COPY --from=build /out/ninjaops /ninjaops
ENTRYPOINT /ninjaops baton
`)
	var d dockerfile
	if err := lint(t, &d, "dockerfile", bad); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(dockerfileProblems(d), "\n")
	for _, want := range []string{"not distroless", `USER ""`, "exec form", `runs ["apt-get update"]`, "without CGO_ENABLED=0"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if err := lint(t, &d, "dockerfile", writeTemp(t, "Dockerfile", "FROM scratch\nFROBNICATE x\n")); err == nil {
		t.Error("an unknown instruction was not refused")
	}
}

// The manifests as the Kubernetes API decodes them (only what is judged).
type k8sObject struct {
	Kind   string
	Object struct {
		Metadata struct {
			Name string
		}
		StringData map[string]string
		Spec       struct {
			Replicas *int
			Strategy struct{ Type string }
			Template struct {
				Spec struct {
					TerminationGracePeriodSeconds *int
					SecurityContext               struct {
						RunAsNonRoot *bool
						RunAsUser    *int
					}
					Containers []struct {
						Image   string
						Command []string
						Args    []string
						Env     []struct{ Name, Value string }
						EnvFrom []struct {
							SecretRef *struct{ Name string }
						}
						Ports []struct {
							Name          string
							ContainerPort int
						}
						LivenessProbe, ReadinessProbe *struct {
							HTTPGet *struct {
								Path string
								Port any
							}
						}
						SecurityContext struct {
							AllowPrivilegeEscalation *bool
							ReadOnlyRootFilesystem   *bool
						}
						VolumeMounts []struct{ Name, MountPath string }
					}
				}
			}
		}
	}
}

var manifests = []string{"secret.yaml", "deployment.yaml"}

func readManifests(t *testing.T, dir string) []k8sObject {
	t.Helper()
	var args []string
	for _, m := range manifests {
		args = append(args, filepath.Join(dir, m))
	}
	var objs []k8sObject
	if err := lint(t, &objs, append([]string{"kubernetes"}, args...)...); err != nil {
		t.Fatal(err)
	}
	return objs
}

// manifestProblems is what is wrong with the example: it must run the
// release image's `baton serve` with the Secret's variables, one replica
// at a time, probes on the health port, a non-root read-only pod with a
// writable /tmp, and time to finish a task on SIGTERM.
func manifestProblems(objs []k8sObject, image string) []string {
	var p []string
	secrets := map[string]bool{}
	var deps []k8sObject
	for _, o := range objs {
		switch o.Kind {
		case "Secret":
			secrets[o.Object.Metadata.Name] = true
		case "Deployment":
			deps = append(deps, o)
		}
	}
	if len(deps) != 1 {
		return append(p, fmt.Sprintf("%d Deployments, want 1", len(deps)))
	}
	spec := deps[0].Object.Spec
	if spec.Replicas == nil || *spec.Replicas != 1 || spec.Strategy.Type != "Recreate" {
		p = append(p, "want replicas: 1 and strategy Recreate: two connectors must never share a credential")
	}
	pod := spec.Template.Spec
	if len(pod.Containers) != 1 {
		return append(p, fmt.Sprintf("%d containers, want 1", len(pod.Containers)))
	}
	c := pod.Containers[0]
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(image) + `:v\d+\.\d+\.\d+$`).MatchString(c.Image) {
		p = append(p, fmt.Sprintf("image %q: want a release of %s, %s:vX.Y.Z", c.Image, image, image))
	}
	if len(c.Command) > 0 || !slices.Equal(c.Args, []string{"baton", "serve"}) {
		p = append(p, fmt.Sprintf("command %q args %q: want the image's entrypoint with args [baton serve]", c.Command, c.Args))
	}
	fromSecret := false
	for _, ef := range c.EnvFrom {
		if ef.SecretRef != nil && secrets[ef.SecretRef.Name] {
			fromSecret = true
		}
	}
	if !fromSecret {
		p = append(p, "the container does not take its environment from the example's Secret")
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["BATON_HEALTH_CHECK"] != "true" || env["BATON_HEALTH_CHECK_BIND_ADDRESS"] != "0.0.0.0" {
		p = append(p, "the health check must be on and bound to 0.0.0.0: the kubelet probes the pod's address")
	}
	ports := map[string]int{}
	for _, pt := range c.Ports {
		ports[pt.Name] = pt.ContainerPort
	}
	for name, probe := range map[string]*struct {
		HTTPGet *struct {
			Path string
			Port any
		}
	}{"/live": c.LivenessProbe, "/ready": c.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != name {
			p = append(p, fmt.Sprintf("no probe of %s", name))
			continue
		}
		port := fmt.Sprint(probe.HTTPGet.Port)
		if n, ok := ports[port]; ok {
			port = strconv.Itoa(n)
		}
		if port != env["BATON_HEALTH_CHECK_PORT"] {
			p = append(p, fmt.Sprintf("the %s probe goes to port %s, the health check listens on %q", name, port, env["BATON_HEALTH_CHECK_PORT"]))
		}
	}
	sc := pod.SecurityContext
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || strconv.Itoa(*sc.RunAsUser) != imageUser {
		p = append(p, "want runAsNonRoot: true and runAsUser: "+imageUser+", the image's user")
	}
	csc := c.SecurityContext
	if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
		p = append(p, "want allowPrivilegeEscalation: false and readOnlyRootFilesystem: true")
	}
	if !slices.ContainsFunc(c.VolumeMounts, func(m struct{ Name, MountPath string }) bool { return m.MountPath == "/tmp" }) {
		p = append(p, "no volume at /tmp: syncs write their c1z files there")
	}
	grace := 30 * time.Second // Kubernetes' default
	if pod.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	}
	// serve's default grace period and the wait for a cancelled task's report.
	if need := 20*time.Second + 5*time.Second; grace <= need {
		p = append(p, fmt.Sprintf("terminationGracePeriodSeconds %v: want more than %v, the grace period and the report of a cancelled task", grace, need))
	}
	return p
}

func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	objs := readManifests(t, filepath.Join("..", "kubernetes"))
	if p := manifestProblems(objs, releaseConfig(t).image()); len(p) > 0 {
		t.Errorf("examples/kubernetes:\n  %s", strings.Join(p, "\n  "))
	}
}

// The checks must be able to fail, the strict decoding too.
func TestManifestProblemsFound(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, m := range manifests {
		data, err := os.ReadFile(filepath.Join("..", "kubernetes", m))
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		for _, r := range [][2]string{
			{"ghcr.io/ninjaops/ninjaops:v0.1.0", "ghcr.io/ninjaops/ninjaops:latest"},
			{`args: ["baton", "serve"]`, `args: ["baton", "sync"]`},
			{"runAsUser: 65532", "runAsUser: 0"},
			{"path: /ready", "path: /health"},
			{"terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 10"},
			{"mountPath: /tmp", "mountPath: /var/tmp"},
		} {
			s = strings.ReplaceAll(s, r[0], r[1])
		}
		if err := os.WriteFile(filepath.Join(dir, m), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(manifestProblems(readManifests(t, dir), "ghcr.io/ninjaops/ninjaops"), "\n")
	for _, want := range []string{"want a release of", "args [baton serve]", "runAsUser: 65532", "no probe of /ready", "terminationGracePeriodSeconds 10s", "no volume at /tmp"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	typo := writeTemp(t, "deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: 1\n  templat: {}\n")
	var objs []k8sObject
	if err := lint(t, &objs, "kubernetes", typo); err == nil || !strings.Contains(err.Error(), `unknown field "templat"`) {
		t.Errorf("a misspelt field: %v, want it refused", err)
	}
}

// release is what of .goreleaser.yaml the other files must agree with.
type release struct {
	ProjectName string `yaml:"project_name"`
	Builds      []struct {
		Main    string
		Binary  string
		Env     []string
		Goos    []string
		Goarch  []string
		Ldflags []string
	}
	Archives []struct {
		NameTemplate string `yaml:"name_template"`
	}
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string
	}
	DockersV2 []struct {
		Dockerfile string
		Images     []string
		Tags       []string
		Platforms  []string
	} `yaml:"dockers_v2"`
	Release struct {
		GitHub struct{ Owner, Name string }
	}
}

func releaseConfig(t *testing.T) release {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var r release
	if err := yaml.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r release) image() string {
	if len(r.DockersV2) == 0 || len(r.DockersV2[0].Images) == 0 {
		return ""
	}
	return r.DockersV2[0].Images[0]
}

// render renders one of the release's name templates for version (without
// its v), os and arch, as goreleaser does.
func (r release) render(t *testing.T, tmpl, version, goos, goarch string) string {
	t.Helper()
	var b strings.Builder
	err := template.Must(template.New("").Option("missingkey=error").Parse(tmpl)).Execute(&b, map[string]string{
		"ProjectName": r.ProjectName, "Version": version, "Os": goos, "Arch": goarch})
	if err != nil {
		t.Fatalf("%q: %v", tmpl, err)
	}
	return b.String()
}

// TestGoreleaser: `goreleaser check` accepts the release configuration
// (and refuses a broken one), the configuration builds what the release
// promises, and a snapshot build of the host's binary is static and says
// its version and commit.
func TestGoreleaser(t *testing.T) {
	t.Parallel()
	gr := filepath.Join(tools(t), "goreleaser")
	check := func(file string) ([]byte, error) {
		cmd := exec.Command(gr, "check", "-f", file)
		cmd.Dir = root
		return cmd.CombinedOutput()
	}
	if out, err := check(".goreleaser.yaml"); err != nil {
		t.Fatalf("goreleaser check: %v\n%s", err, out)
	}
	if out, err := check(writeTemp(t, "bad.yaml", "version: 2\nbuilds:\n  - main: ./cmd/ninjaops\n    goarhc: [arm64]\n")); err == nil {
		t.Errorf("goreleaser check accepted a misspelt key:\n%s", out)
	}

	r := releaseConfig(t)
	if len(r.Builds) != 1 {
		t.Fatalf("%d builds, want 1", len(r.Builds))
	}
	b := r.Builds[0]
	if b.Main != "./cmd/ninjaops" || b.Binary != "ninjaops" || !slices.Contains(b.Env, "CGO_ENABLED=0") ||
		!slices.Equal(b.Goos, []string{"linux", "darwin", "windows"}) || !slices.Equal(b.Goarch, []string{"amd64", "arm64"}) {
		t.Errorf("build %+v: want ./cmd/ninjaops as ninjaops, CGO_ENABLED=0, for linux, darwin and windows on amd64 and arm64", b)
	}
	if r.Checksum.Algorithm != "sha256" || len(r.DockersV2) != 1 || !slices.Equal(r.DockersV2[0].Platforms, []string{"linux/amd64", "linux/arm64"}) ||
		r.DockersV2[0].Dockerfile != "goreleaser.Dockerfile" {
		t.Errorf("want sha256 checksums and one image from goreleaser.Dockerfile for linux/amd64 and linux/arm64")
	}

	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("the snapshot build needs git (goreleaser reads the commit)")
	}
	headOut, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("the snapshot build needs a git checkout: %v", err)
	}
	head := strings.TrimSpace(string(headOut))
	// The same configuration, with its dist outside the tree.
	dist := t.TempDir()
	cfg, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := writeTemp(t, "goreleaser.yaml", string(cfg)+"\ndist: "+dist+"\n")
	cmd := exec.Command(gr, "build", "-f", cfgFile, "--snapshot", "--single-target", "--clean", "--skip=validate")
	cmd.Dir = root
	// goreleaser reads no commit at all from a checkout without a remote
	// (a git worktree, a local clone): give its git the release's.
	if remotes, err := exec.Command("git", "-C", root, "remote").Output(); err == nil && len(bytes.TrimSpace(remotes)) == 0 {
		cmd.Env = append(os.Environ(), "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=remote.origin.url",
			fmt.Sprintf("GIT_CONFIG_VALUE_0=https://github.com/%s/%s.git", r.Release.GitHub.Owner, r.Release.GitHub.Name))
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("goreleaser build --snapshot: %v\n%s", err, out)
	}
	bins, _ := filepath.Glob(filepath.Join(dist, "ninjaops_"+runtime.GOOS+"_"+runtime.GOARCH+"*", "ninjaops*"))
	if len(bins) != 1 {
		t.Fatalf("snapshot binaries %q, want one", bins)
	}
	if runtime.GOOS == "linux" {
		if why := notStatic(bins[0]); why != "" {
			t.Errorf("the release binary is not static: %s", why)
		}
	}
	out, err := exec.Command(bins[0], "version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v\n%s", bins[0], err, out)
	}
	if !regexp.MustCompile(`(?m)^ninjaops v\d+\.\d+\.\d+-snapshot\+[0-9a-f]+$`).Match(out) || !strings.Contains(string(out), "commit: "+head) {
		t.Errorf("the snapshot's version says:\n%s\nwant vX.Y.Z-snapshot+<commit> and commit %s", out, head)
	}
}

// notStatic says why an ELF binary needs a dynamic loader, or "".
func notStatic(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "it has an interpreter (PT_INTERP)"
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		return fmt.Sprintf("it needs %q", libs)
	}
	return ""
}

// TestReleaseVersionScheme: the README's install section, the example CI
// workflows and the Kubernetes example name one release, vX.Y.Z, and the
// files, URLs and image that the release configuration makes of it.
func TestReleaseVersionScheme(t *testing.T) {
	t.Parallel()
	r := releaseConfig(t)
	workflows, _ := filepath.Glob(filepath.Join("..", "ci", "github", "*.yml"))
	if len(workflows) < 3 {
		t.Fatalf("workflows %q", workflows)
	}
	pin := regexp.MustCompile(`(?m)^\s+NINJAOPS_VERSION: (\S+)`)
	versions := map[string][]string{}
	for _, w := range workflows {
		data, err := os.ReadFile(w)
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		m := pin.FindStringSubmatch(s)
		if m == nil {
			t.Errorf("%s pins no NINJAOPS_VERSION", w)
			continue
		}
		versions[m[1]] = append(versions[m[1]], w)
		// The shell expands ${v} (the version without its v) into
		// goreleaser's names; render them the same way.
		archive := r.render(t, r.Archives[0].NameTemplate, "${v}", "linux", "amd64") + ".tar.gz"
		sums := r.render(t, r.Checksum.NameTemplate, "${v}", "", "")
		url := fmt.Sprintf("https://github.com/%s/%s/releases/download/${NINJAOPS_VERSION}", r.Release.GitHub.Owner, r.Release.GitHub.Name)
		for _, want := range []string{`v="${NINJAOPS_VERSION#v}"`, url, `"$url/` + archive + `"`, `"$url/` + sums + `"`, "sha256sum --check"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s does not install the release as the configuration names it: no %s", w, want)
			}
		}
	}
	deployment, err := os.ReadFile(filepath.Join("..", "kubernetes", "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(regexp.QuoteMeta(r.image()) + `:(\S+)`).FindSubmatch(deployment); m != nil {
		versions[string(m[1])] = append(versions[string(m[1])], "examples/kubernetes/deployment.yaml")
	} else {
		t.Errorf("the Deployment does not run %s", r.image())
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	install := string(readme)
	if i := strings.Index(install, "\n## Install\n"); i >= 0 {
		install = install[i+1:]
		if j := strings.Index(install[3:], "\n## "); j >= 0 {
			install = install[:j+3]
		}
	} else {
		t.Fatal("README.md has no Install section")
	}
	for _, m := range regexp.MustCompile(`cmd/ninjaops@(v[0-9][0-9A-Za-z.+-]*[0-9A-Za-z])|ninjaops:(v[0-9][0-9A-Za-z.+-]*[0-9A-Za-z])|releases/download/(v[^/\s]+)/`).FindAllStringSubmatch(install, -1) {
		v := m[1] + m[2] + m[3]
		versions[v] = append(versions[v], "README.md#install")
	}
	if len(versions) != 1 {
		t.Fatalf("versions named: %v, want one", versions)
	}
	for v, where := range versions {
		if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(v) {
			t.Errorf("%s name %q: want a release tag vX.Y.Z", where, v)
		}
		if !slices.Contains(where, "README.md#install") {
			t.Errorf("the README's install section names no release (want %s)", v)
		}
		ver := strings.TrimPrefix(v, "v")
		for _, name := range []string{
			r.render(t, r.Archives[0].NameTemplate, ver, "linux", "amd64") + ".tar.gz",
			r.render(t, r.Checksum.NameTemplate, ver, "", ""),
		} {
			if !strings.Contains(install, name) {
				t.Errorf("the README's install section does not name %s", name)
			}
		}
	}
}
