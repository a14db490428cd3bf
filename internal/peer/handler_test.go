package peer

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

func TestObjectsRoutes(t *testing.T) {
	cases := []struct {
		target string
		want   Reply
		size   int
	}{
		{"/obj/1", Reply{Status: 200}, 1000},
		{"/obj/1?size=0", Reply{Status: 200}, 0},
		{"http://example.test:8080/obj/2?size=10&delay=25&chunked=1", Reply{Status: 200, Delay: 25 * time.Millisecond, Chunked: true}, 10},
		{"/obj/3?size=100&short=40&close=1&drop=1&eof=1&status=203", Reply{Status: 203, Short: 40, Close: true, Drop: true, CloseDelimited: true}, 100},
		{"/obj/4?size=-5&delay=x&status=42", Reply{Status: 200}, 1000},
		{"/elsewhere", Reply{Status: 404}, len("not found\n")},
	}
	for _, tc := range cases {
		got := Objects(&httpwire.Request{Method: "GET", Target: tc.target})
		if len(got.Body) != tc.size {
			t.Errorf("%s: %d bytes, want %d", tc.target, len(got.Body), tc.size)
		}
		got.Body, got.Header = nil, nil
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.target, got, tc.want)
		}
	}
	page := Objects(&httpwire.Request{Method: "GET", Target: "/page?objects=3&size=7"})
	for _, tg := range PageTargets(3, 7) {
		if !strings.Contains(string(page.Body), `"`+tg+`"`) {
			t.Errorf("page lacks %s:\n%s", tg, page.Body)
		}
	}
}

func TestOriginForm(t *testing.T) {
	for in, want := range map[string]string{
		"/a?b":                  "/a?b",
		"http://h:1/a?b":        "/a?b",
		"http://h?x=1":          "/?x=1",
		"http://h":              "/",
		"https://h/p":           "/p",
		"*":                     "*",
		"h:80":                  "h:80",
		"HTTP://h/p":            "HTTP://h/p",
		"http://user@h/p/q?r=s": "/p/q?r=s",
	} {
		if got := originForm(in); got != want {
			t.Errorf("originForm(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzObjects feeds arbitrary targets to the route parser: it must not
// panic, and the object it builds stays within MaxObjectSize.
func FuzzObjects(f *testing.F) {
	for _, s := range []string{"/obj/1?size=10", "/page?objects=3", "http://h/obj/x?short=5&size=3", "/obj/?&&=&size", "/obj/1?size=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		rep := Objects(&httpwire.Request{Method: "GET", Target: target})
		if len(rep.Body) > MaxObjectSize+1<<20 {
			t.Fatalf("%q: %d-byte body", target, len(rep.Body))
		}
		if rep.Status != 0 && (rep.Status < 100 || rep.Status > 999) {
			t.Fatalf("%q: status %d", target, rep.Status)
		}
		if o := originForm(target); strings.HasPrefix(target, "/") && o != target {
			t.Fatalf("origin-form target %q changed to %q", target, o)
		}
	})
}
