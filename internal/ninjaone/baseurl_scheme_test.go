package ninjaone

import (
	"strings"
	"testing"
)

// A base URL without a scheme gets one message, whatever url.Parse makes
// of it (a path, an opaque "localhost:8765", or a parse error for
// "127.0.0.1:8765"), with the URL it probably meant.
func TestBaseURLWithoutScheme(t *testing.T) {
	for raw, want := range map[string]string{
		"eu.ninjarmm.com":      `base URL "eu.ninjarmm.com" has no scheme: did you mean https://eu.ninjarmm.com? (want https://HOST, for example https://app.ninjarmm.com)`,
		"eu.ninjarmm.com:443/": `base URL "eu.ninjarmm.com:443/" has no scheme: did you mean https://eu.ninjarmm.com:443/?`,
		"localhost:8765":       `base URL "localhost:8765" has no scheme: did you mean http://localhost:8765?`,
		"127.0.0.1:8765":       `base URL "127.0.0.1:8765" has no scheme: did you mean http://127.0.0.1:8765?`,
		"[::1]:8765":           `base URL "[::1]:8765" has no scheme: did you mean http://[::1]:8765?`,
		"//ninja.example.com":  `base URL "//ninja.example.com" has no scheme: did you mean https://ninja.example.com?`,
		"u:p@app.ninjarmm.com": `base URL "xxxxx@app.ninjarmm.com" has no scheme: did you mean https://app.ninjarmm.com?`,
		" app.ninjarmm.com ":   `has no scheme: did you mean https://app.ninjarmm.com?`,
	} {
		_, err := CheckBaseURL(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckBaseURL(%q) = %v\nwant %q", raw, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "u:p") {
			t.Errorf("CheckBaseURL(%q) shows the credentials: %v", raw, err)
		}
	}
}
