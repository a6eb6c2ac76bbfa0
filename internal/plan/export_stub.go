package plan

// TEMPORARY: copies of helpers that the diff (domainOf, quoteList) brings
// to main. Delete this file when merging main with the diff.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

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
