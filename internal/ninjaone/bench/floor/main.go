// Command floor is the floor that ninjaops' read of a tenant is measured
// against (cmd/ninjaops BenchmarkReadFloor, run by scripts/bench.sh): the
// least a Go program does to read the same lists. It makes exactly the
// requests ninjaops' read makes, token included, all at once, and decodes
// each answer with encoding/json into small structs holding the fields
// ninjaops keeps (the benchmark checks the requests are the same). It
// does nothing else: no limits, no consistency checks, no retries, and no
// check of an answer beyond its status code.
//
//	NINJAONE_CLIENT_ID=... NINJAONE_CLIENT_SECRET=... floor [-organizations] [-decode HOW] BASEURL
//
// Each list is decoded element by element, the way encoding/json's
// documentation streams an array (Decoder.Token, More, Decode): of the
// obvious ways to decode a list with encoding/json it is the fastest and
// the leanest, so the floor is as low as such a program gets. -decode
// whole (one Decoder.Decode of the whole answer) and -decode readall
// (io.ReadAll, then json.Unmarshal) are the other two, for comparison:
// on a 100,000-user tenant both took about 1.5 times the CPU and twice
// the memory (about 290 MB against 125 MB peak RSS).
//
// It prints the counts it read on standard output, so that the benchmark
// can see it read the whole tenant.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
)

// user holds the fields ninjaops' User holds, for both user lists.
type user struct {
	ID               int32  `json:"id"`
	UID              string `json:"uid"`
	FirstName        string `json:"firstName"`
	LastName         string `json:"lastName"`
	Email            string `json:"email"`
	Phone            string `json:"phone"`
	Enabled          bool   `json:"enabled"`
	Administrator    bool   `json:"administrator"`
	UserType         string `json:"userType"`
	InvitationStatus string `json:"invitationStatus"`
	OrganizationID   int32  `json:"organizationId"`
	FullPortalAccess bool   `json:"fullPortalAccess"`
	ScimUser         bool   `json:"scimUser"`
	AuthType         string `json:"authType"`
	MustChangePw     bool   `json:"mustChangePw"`
	MFAConfigured    bool   `json:"mfaConfigured"`
	NotifyAllClients bool   `json:"notifyAllClients"`
	PermitAllClients bool   `json:"permitAllClients"`
}

type role struct {
	ID          int32    `json:"id"`
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Description string   `json:"description"`
	Members     []member `json:"members"`
}

type member struct {
	ID     int32  `json:"id"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	Source string `json:"source"`
}

// id is all ninjaops reads of GET /v2/users: it counts those users
// against the two typed lists.
type id struct {
	ID int32 `json:"id"`
}

type organization struct {
	ID          int32  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

func main() {
	orgs := flag.Bool("organizations", false, "also page through the organizations, as ninjaops does when the file names one by name")
	decode = flag.String("decode", "stream", "how each list is decoded: `HOW` stream, whole or readall")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: floor [-organizations] [-decode HOW] BASEURL (credentials in NINJAONE_CLIENT_ID, NINJAONE_CLIENT_SECRET)")
		os.Exit(2)
	}
	base := strings.TrimSuffix(flag.Arg(0), "/")
	if err := read(base, *orgs); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// decode is the -decode flag.
var decode *string

func read(base string, orgs bool) error {
	tok, err := token(base)
	if err != nil {
		return err
	}
	var (
		techs, endUsers []user
		roles           []role
		all             []id
		organizations   []organization
	)
	var wg sync.WaitGroup
	errs := make([]error, 5)
	wg.Go(func() { errs[0] = get(base+"/v2/user/technicians", tok, &techs) })
	wg.Go(func() { errs[1] = get(base+"/v2/user/end-users", tok, &endUsers) })
	wg.Go(func() { errs[2] = get(base+"/v2/user/roles", tok, &roles) })
	wg.Go(func() { errs[3] = get(base+"/v2/users", tok, &all) })
	if orgs {
		wg.Go(func() { organizations, errs[4] = pageOrganizations(base, tok) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	members := 0
	for _, r := range roles {
		members += len(r.Members)
	}
	fmt.Printf("%d technicians, %d end users, %d roles with %d members, %d users, %d organizations\n",
		len(techs), len(endUsers), len(roles), members, len(all), len(organizations))
	return nil
}

// token makes the same client-credentials call as ninjaops: the
// credentials as form fields.
func token(base string) (string, error) {
	resp, err := http.PostForm(base+"/ws/oauth/token", url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {os.Getenv("NINJAONE_CLIENT_ID")},
		"client_secret": {os.Getenv("NINJAONE_CLIENT_SECRET")},
		"scope":         {"monitoring management"},
	})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token: %s", resp.Status)
	}
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return t.AccessToken, nil
}

// get GETs the list at u into out, decoded as -decode says.
func get[T any](u, tok string, out *[]T) error {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	switch *decode {
	case "stream":
		err = stream(resp.Body, out)
	case "whole":
		err = json.NewDecoder(resp.Body).Decode(out)
	case "readall":
		var data []byte
		if data, err = io.ReadAll(resp.Body); err == nil {
			err = json.Unmarshal(data, out)
		}
	default:
		err = fmt.Errorf("-decode %q: want stream, whole or readall", *decode)
	}
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// stream decodes a JSON array element by element, as encoding/json's
// documentation streams one (Decoder.Token, More, Decode).
func stream[T any](r io.Reader, out *[]T) error {
	dec := json.NewDecoder(r)
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		var v T
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*out = append(*out, v)
	}
	_, err := dec.Token()
	return err
}

// pageOrganizations pages by last id until a page brings nothing, with
// ninjaops' page size.
func pageOrganizations(base, tok string) ([]organization, error) {
	var all []organization
	after := int32(0)
	for page := 0; ; page++ {
		u := base + "/v2/organizations?pageSize=1000"
		if page > 0 {
			u += "&after=" + strconv.Itoa(int(after))
		}
		var batch []organization
		if err := get(u, tok, &batch); err != nil {
			return nil, err
		}
		if len(batch) == 0 {
			return all, nil
		}
		all = append(all, batch...)
		after = batch[len(batch)-1].ID
	}
}
