package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/ninjaops/ninjaops/internal/plan"
)

// flagAllowMissingDesired lets apply PLANFILE go ahead where the desired
// file the plan records is not.
const flagAllowMissingDesired = "allow-missing-desired"

// maxPlanFile bounds what apply reads of a PLANFILE: a plan records its
// desired file (up to plan.MaxFileSize, base64) and its changes. A plan
// creating every user of a 100,000-user file (13 MB), each with two roles,
// is 131 MB; the largest desired file ninjaops reads would make one of
// about five times that, which this still admits.
const maxPlanFile = 16 * plan.MaxFileSize

// readPlanFile reads a PLANFILE, refusing before reading it all one that
// is too large, or that does not start like a JSON object (apply /dev/zero
// must not read gigabytes before saying so).
func readPlanFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading the plan: %s: no such file (make one with ninjaops plan --out %s)", path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the plan: %w", err)
	}
	defer f.Close()
	tooBig := fmt.Errorf("%s is larger than %d MiB, more than any plan ninjaops writes: it is not a plan file", path, maxPlanFile>>20)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > maxPlanFile {
		return nil, tooBig
	}
	br := bufio.NewReader(io.LimitReader(f, maxPlanFile+1))
	for {
		b, err := br.Peek(1)
		if err != nil {
			break // empty, or a read error: ReadAll and ReadPlanFile say
		}
		if c := b[0]; c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			br.Discard(1)
			continue
		}
		if b[0] != '{' {
			return nil, fmt.Errorf("%s: not a ninjaops plan file: it does not start with a JSON object; make one with ninjaops plan --out", path)
		}
		break
	}
	data, err := io.ReadAll(br)
	if err != nil {
		return nil, fmt.Errorf("reading the plan: %w", err)
	}
	if len(data) > maxPlanFile {
		return nil, tooBig
	}
	return data, nil
}

// checkRecordedDesired refuses a plan whose recorded desired state is not
// the file now at its recorded path. The plan's checksum is an unkeyed
// digest anyone can recompute, so an edited source (settings.protected
// dropped, say) passes it; a source equal to the file the user keeps does
// not. A plan of standard input, or one applied where its file is not
// (a CI job with only the plan), needs allowMissing.
func checkRecordedDesired(e *env, planFile string, saved *plan.SavedPlan, allowMissing bool) error {
	path := saved.Desired.Path
	var data []byte
	var err error
	if path == stdinName || path == "-" {
		err = fs.ErrNotExist
	} else if _, err = os.Stat(path); err == nil {
		_, data, err = readDesired(e, path)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if allowMissing {
			fmt.Fprintf(e.stderr, "Note: %s records the desired state of %s, which is not here to compare with (--%s); protection comes from the plan, --%s and %s alone.\n", planFile, path, flagAllowMissingDesired, flagProtected, envProtected)
			return nil
		}
		return fmt.Errorf("%s was made from %s, which is not here to compare it with: apply a plan where its desired-state file is (that check keeps an edited plan from unprotecting anyone), or pass --%s in a job that has only the plan file", planFile, path, flagAllowMissingDesired)
	case err != nil:
		return fmt.Errorf("checking %s against the desired state it records: %w", planFile, err)
	}
	if !bytes.Equal(data, saved.Desired.Source) {
		sum := sha256.Sum256(data)
		return fmt.Errorf("%s was not made from the %s that is there now (sha256 %s recorded, %s on disk): the file changed since, or the plan was edited; make a new plan with ninjaops plan --out", planFile, path, short(saved.Desired.SourceSHA256), short(hex.EncodeToString(sum[:])))
	}
	return nil
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12] + "..."
	}
	return sum
}
