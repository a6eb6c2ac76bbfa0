package plan

// TEMPORARY: copies of helpers that the loader (checkEmail, checkDomain)
// and the diff (domainOf, quoteList) bring to main. Delete this file when
// merging main with both.

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

const (
	addrChar      = `[^\x00-\x20\x7f@<>(),;:"\[\]\\]`
	labelChar     = `[^\x00-\x20\x7f@<>(),;:"\[\]\\.]`
	emailPattern  = `^` + addrChar + `+@` + labelChar + `+(\.` + labelChar + `+)+$`
	domainPattern = `^` + labelChar + `+(\.` + labelChar + `+)+$`
)

var (
	emailRE  = regexp.MustCompile(emailPattern)
	domainRE = regexp.MustCompile(domainPattern)
)

func checkEmail(s string) string {
	switch {
	case s == "":
		return "is empty"
	case strings.TrimSpace(s) != s:
		return "has leading or trailing spaces; remove them"
	case !emailRE.MatchString(s):
		return "is not a valid email address (want name@domain.tld)"
	}
	return ""
}

func checkDomain(s string) string {
	switch {
	case strings.HasPrefix(s, "@"):
		return "is not a domain: write it without the @, e.g. example.com"
	case strings.TrimSpace(s) != s:
		return "has leading or trailing spaces; remove them"
	case !domainRE.MatchString(s):
		return "is not a domain name like example.com"
	}
	return ""
}

func domainOf(email string) string {
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		return strings.ToLower(email[i+1:])
	}
	return ""
}

func quoteList(names []string) string {
	const max = 20
	sort.Strings(names)
	var b strings.Builder
	for i, n := range names {
		if i == max {
			fmt.Fprintf(&b, ", and %d more", len(names)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(n))
	}
	return b.String()
}
