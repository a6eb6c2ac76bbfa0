package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ninjaops/ninjaops/internal/batonsync/c1fake"
)

// The Kubernetes example (examples/kubernetes), run: its Deployment's
// arguments and exactly the environment it gives the container (its own
// variables and every key of its Secret), against the sandbox and the fake
// ConductorOne. examples/deploy checks that the manifests are valid
// Kubernetes objects; this checks that every variable they set is one
// ninjaops reads, and does what the manifest says.

type manifestSecret struct {
	Kind       string `yaml:"kind"`
	Metadata   struct{ Name string }
	StringData map[string]string `yaml:"stringData"`
}

type manifestDeployment struct {
	Kind string `yaml:"kind"`
	Spec struct {
		Template struct {
			Spec struct {
				Containers []struct {
					Args []string `yaml:"args"`
					Env  []struct {
						Name  string `yaml:"name"`
						Value string `yaml:"value"`
					} `yaml:"env"`
					EnvFrom []struct {
						SecretRef struct{ Name string } `yaml:"secretRef"`
					} `yaml:"envFrom"`
					LivenessProbe  manifestProbe `yaml:"livenessProbe"`
					ReadinessProbe manifestProbe `yaml:"readinessProbe"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type manifestProbe struct {
	HTTPGet struct{ Path string } `yaml:"httpGet"`
}

func readManifest(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "kubernetes", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func TestKubernetesExampleRuns(t *testing.T) {
	t.Parallel()
	ctx := waitCtx(t)
	var secret manifestSecret
	var dep manifestDeployment
	readManifest(t, "secret.yaml", &secret)
	readManifest(t, "deployment.yaml", &dep)
	if secret.Kind != "Secret" || dep.Kind != "Deployment" || len(dep.Spec.Template.Spec.Containers) != 1 {
		t.Fatal("the example is not one Secret and a Deployment of one container")
	}
	ct := dep.Spec.Template.Spec.Containers[0]
	if len(ct.EnvFrom) != 1 || ct.EnvFrom[0].SecretRef.Name != secret.Metadata.Name {
		t.Fatalf("the container does not take its environment from the Secret %q", secret.Metadata.Name)
	}

	n := startNinja(t, quickstartWithAdminInRole(t))
	c1 := startC1(t)
	port := freePort(t)
	// The values a test must put in: the credentials and endpoints (the
	// fakes'), and the health address (loopback and a free port, not every
	// interface and 8081). Every other value is the manifest's own.
	substitute := map[string]string{
		"BATON_CLIENT_ID":                 c1.ClientID(),
		"BATON_CLIENT_SECRET":             c1.ClientSecret(),
		"BATON_NINJA_ONE_BASE_URL":        n.url,
		"BATON_NINJA_ONE_CLIENT_ID":       n.clientID,
		"BATON_NINJA_ONE_CLIENT_SECRET":   n.clientSecret,
		"BATON_HEALTH_CHECK_BIND_ADDRESS": "127.0.0.1",
		"BATON_HEALTH_CHECK_PORT":         port,
	}
	manifestEnv := map[string]string{}
	for k, v := range secret.StringData {
		manifestEnv[k] = v
	}
	for _, e := range ct.Env {
		manifestEnv[e.Name] = e.Value // env wins over envFrom, as in Kubernetes
	}
	var env []string
	placeholder := regexp.MustCompile(`^<.*>$`)
	for k, v := range manifestEnv {
		if s, ok := substitute[k]; ok {
			v = s
		} else if placeholder.MatchString(v) {
			t.Fatalf("%s = %q is a placeholder the test does not know how to fill", k, v)
		}
		env = append(env, k+"="+v)
	}
	// How the process finds the fake instead of ConductorOne.
	env = append(env, "BATON_C1_API_HOST="+c1.Host(), "SSL_CERT_FILE="+c1.CAFile())
	slices.Sort(env)

	p := startServe(t, env, ct.Args...)
	st := await(t, ctx, c1, "the Hello", func(st c1fake.State) bool { return len(st.Hellos) > 0 })
	if got, want := st.Hellos[0].GetHostId(), manifestEnv["BATON_HOST_ID"]; got != want || want == "" {
		t.Errorf("Hello from host %q, want the manifest's BATON_HOST_ID %q", got, want)
	}
	base := "http://127.0.0.1:" + port
	for _, path := range []string{ct.LivenessProbe.HTTPGet.Path, ct.ReadinessProbe.HTTPGet.Path} {
		awaitHTTP(t, ctx, base+path, 200)
	}

	c1.Enqueue(c1fake.SyncTask(c1fake.ID("k8s-sync"), ""))
	finishedOK(t, ctx, c1, c1fake.ID("k8s-sync"))
	synced := uploaded(t, c1, c1fake.ID("k8s-sync"))
	if manifestEnv["BATON_PROVISIONING"] == "true" {
		c1.Enqueue(c1fake.GrantTask(c1fake.ID("k8s-grant"), synced.Entitlement("role:3:member"), synced.Resource("user", "2")))
		finishedOK(t, ctx, c1, c1fake.ID("k8s-grant"))
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(ctx); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	// A variable serve does not read is named in a warning; the ones the
	// behaviour above cannot show (BATON_NINJA_ONE_SCOPE holds the
	// default) are at least read.
	if out := p.out.String(); strings.Contains(out, "does not read") {
		t.Errorf("ninjaops does not read a variable the manifest sets:\n%s", out)
	}
}
