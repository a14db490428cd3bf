// Package bench compares the httpwire codec with net/http and
// github.com/valyala/fasthttp on the same bytes. It is a separate module so
// that fasthttp never enters the dependencies of tcplab itself.
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 5
package bench
