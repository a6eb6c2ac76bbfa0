package plan

import "testing"

func TestCountAndArticle(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{Count(0, "user", ""), "0 users"},
		{Count(1, "user", ""), "1 user"},
		{Count(2, "membership", ""), "2 memberships"},
		{Count(1, "change was", "changes were"), "1 change was"},
		{Count(3, "change was", "changes were"), "3 changes were"},
		{WithArticle("end_user"), "an end_user"},
		{WithArticle("technician"), "a technician"},
		{WithArticle("end_user/technician"), "an end_user/technician"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
